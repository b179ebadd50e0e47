"""What a run does differently for each model kind (`model.kind`).

A GAN run builds `keras_gans.GAN` (`runs.train.build_gan`); a VAE run
builds `keras_gans.VAE` from the architecture's decoder and encoder (the
factory called with `kind="vae"`), settles the likelihood from the data,
and watches its own losses for divergence. Everything else (checkpoints
and exact resume, TensorBoard, sample grids, metrics.json, sample,
evaluate, export, interpolate) treats both kinds alike, through what both
models have: `fit()`, `steps`, `generate()`, `export_generator()`,
`conditional`, `num_classes`, `sample_shape`.
"""

import numpy as np

from keras_gans.runs.recipe import RecipeError
from keras_gans.runs.recipe_schema import VAE

__all__ = ["build_vae", "likelihood", "watched_losses"]

# The fit() logs the divergence guard checks, per kind.
WATCHED = {VAE: ("loss", "reconstruction", "kl")}


def watched_losses(kind, default):
    """The logs `DivergenceGuard` checks for a model of `kind` (`default`
    for a GAN)."""
    return WATCHED.get(kind, default)


def likelihood(recipe, data):
    """The VAE's likelihood: `model.likelihood`, or for `"auto"` Bernoulli
    when every training value lies in [0, 1], Gaussian otherwise.

    Settled here because the VAE sees batches (`OrderedBatches`), not the
    array its own `"auto"` reads.

    Raises:
        RecipeError: `"auto"` on data that is not an array in memory, or
            `"bernoulli"` on data outside [0, 1].
    """
    chosen = recipe.model.likelihood
    if not data.is_array or data.streamed:
        if chosen == "auto":
            raise RecipeError([
                f"model.likelihood: dataset {recipe.data.dataset!r} is "
                "read batch by batch, so its range cannot decide the "
                'likelihood; set model.likelihood = "gaussian" (images in '
                '[-1, 1]) or "bernoulli" (values in [0, 1])'])
        return chosen
    low, high = float(np.min(data.x)), float(np.max(data.x))
    in_unit = low >= 0.0 and high <= 1.0
    if chosen == "auto":
        return "bernoulli" if in_unit else "gaussian"
    if chosen == "bernoulli" and not in_unit:
        raise RecipeError([
            f"model.likelihood: the Bernoulli likelihood models values in "
            f"[0, 1], but dataset {recipe.data.dataset!r} gives values in "
            f'[{low:.4g}, {high:.4g}]; set model.likelihood = "gaussian" '
            '(or "auto")'])
    return chosen


def build_vae(recipe, data, catalogue, architecture_arguments, optimizer):
    """Builds and compiles the VAE a recipe describes.

    Args:
        recipe: a resolved `Recipe` with `model.kind = "vae"`.
        data: the run's `train.Data`.
        catalogue: the plugin catalogue.
        architecture_arguments: what the factory is called with (latent
            size, sample shape, classes, label mode, its parameters).
        optimizer: `train.optimizer` built (`runs.train.optimizer`).

    Raises:
        RecipeError: naming the section whose values were refused.
    """
    import keras

    from keras_gans.vae import VAE as VAEModel

    model, train = recipe.model, recipe.train
    keras.utils.set_random_seed(train.seed)
    chosen = likelihood(recipe, data)
    name = model.architecture
    try:
        # `create` has a `kind` of its own (the catalogue's): call the
        # factory itself.
        factory = catalogue.get("architectures", name, "architecture").factory
        decoder, encoder = factory(**architecture_arguments, kind=VAE)
    except (ValueError, TypeError) as error:
        raise RecipeError(
            [f"model: architecture {name!r} could not build a VAE for "
             f"samples of shape {data.sample_shape}: {error}"]) from error
    try:
        vae = VAEModel(
            encoder, decoder, latent_dim=model.latent_dim,
            likelihood=chosen, beta=model.beta,
            beta_warmup_steps=model.beta_warmup_steps,
            conditional=model.conditional, seed=train.seed,
            label_mode=model.label_mode,
            num_classes=data.num_classes if model.conditional else None,
        )
    except ValueError as error:
        raise RecipeError([f"model: {error}"]) from error
    try:
        vae.compile(optimizer=optimizer, jit_compile=train.jit_compile)
    except ValueError as error:
        raise RecipeError([f"train: {error}"]) from error
    return vae
