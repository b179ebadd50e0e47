"""Starting a run from saved weights (`train.init_from`, fine-tuning).

A new run whose recipe sets `train.init_from = PATH` builds its GAN from
the recipe as usual, then copies into it the weights of the model PATH
names (anything `runs.sources.resolve` accepts: a run directory, a
checkpoint or other `.keras` file, a Keras model folder, `hf://...`):

- from a saved GAN: the generator's and the discriminator's weights, and
  the EMA weights when both the source and the recipe keep an EMA;
- from a bare generator (a run's `generator.keras`, an export): the
  generator's weights; the discriminator stays as the recipe builds it
  (a note says so), and an EMA starts from the loaded generator.

The optimizers' state and the step counter are not taken: fine-tuning
starts at step 0 with fresh optimizers (the recipe's learning rates), its
own data order and random stream. Every variable is checked, by position,
against the recipe's model before anything is copied; each mismatch is
named (variable path, the recipe's shape, the source's shape) in one
`RecipeError` under `train.init_from`.

Only a new run starts from `init_from`: `--resume` restores the run's own
checkpoint and never reads the source again (which may be gone by then).
"""

import dataclasses

import numpy as np

from keras_gans.runs.directory import RunDirectory
from keras_gans.runs.recipe import RecipeError

__all__ = ["Initialized", "check_source", "initialize"]

KEY = "train.init_from"


@dataclasses.dataclass(frozen=True)
class Initialized:
    """What `initialize` copied.

    Attributes:
        path: the model file or folder loaded.
        parts: what came from it: `"generator"`, `"discriminator"`,
            `"ema"`.
        source_step: the source GAN's step counter (None for a bare
            generator).
        notes: lines to show the user.
    """

    path: str
    parts: tuple
    source_step: int | None
    notes: list


def check_source(source):
    """Resolves `init_from` before any work (no model is loaded).

    Returns:
        The `runs.sources.Resolved`.

    Raises:
        RecipeError: under `train.init_from`, for a path that is not a
            model (missing, not a run, a file that is no Keras model).
        MissingPackageError, HubDownloadError: for `hf://` addresses.
    """
    from keras_gans.runs.sources import SourceError
    from keras_gans.runs.sources import resolve

    try:
        return resolve(source)
    except SourceError as error:
        raise RecipeError([f"{KEY}: {error}"]) from None


def initialize(gan, source):
    """Copies the weights of the model `source` names into `gan`.

    Args:
        gan: the recipe's freshly built, compiled `GAN`.
        source: what `train.init_from` says (see the module docstring).

    Returns:
        An `Initialized`.

    Raises:
        RecipeError: under `train.init_from`: a source that is not a GAN
            or a generator, or whose variables do not fit `gan` (every
            mismatch named); nothing is copied then.
    """
    from keras_gans.runs.errors import ModelLoadError
    from keras_gans.saving import load_model

    resolved = check_source(source)
    try:
        model = load_model(resolved.path)
    except Exception as error:
        raise ModelLoadError(
            f"{KEY}: could not load {resolved.path}: "
            f"{type(error).__name__}: {error}") from error
    where = resolved.path
    pairs, notes = _pairs(gan, model, where)
    problems = []
    for label, targets, values in pairs:
        problems += _mismatches(label, targets, values, where)
    if problems:
        raise RecipeError(problems)
    parts = []
    for label, targets, values in pairs:
        for target, value in zip(targets, values):
            target.assign(np.asarray(value, dtype=target.dtype))
        parts.append(label.split(" ")[0])
    if gan.ema_weights and "ema" not in parts:
        # An EMA starts from the generator it averages, as a new GAN's does.
        for average, variable in zip(gan.ema_weights,
                                     gan.generator.trainable_variables):
            average.assign(variable.value)
    step = getattr(model, "steps", None)
    names = [{"ema": "EMA"}.get(part, part) for part in parts]
    taken = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + (
        names[-1])
    at = f" (step {step})" if step is not None else ""
    notes.insert(0, f"Starting from the {taken} weights of {where}{at}; the "
                    "optimizers and the step count start fresh (step 0).")
    return Initialized(where, tuple(parts), step, notes)


def _pairs(gan, model, where):
    """`[(label, target variables, source values)]` and notes."""
    from keras_gans.gan import GAN

    def values(variables):
        import keras

        return [keras.ops.convert_to_numpy(v.value) for v in variables]

    notes = []
    if isinstance(model, GAN):
        pairs = [("generator", gan.generator.weights,
                  values(model.generator.weights)),
                 ("discriminator", gan.discriminator.weights,
                  values(model.discriminator.weights))]
        if gan.ema_weights and model.ema_weights:
            pairs.append(("ema weights", gan.ema_weights,
                          values(model.ema_weights)))
        elif model.ema_weights:
            notes.append(f"Note: {where} keeps an EMA and this recipe none "
                         "(train.ema = false); its raw generator weights "
                         "are used.")
        return pairs, notes
    if hasattr(model, "generate") or not hasattr(model, "weights"):
        raise RecipeError([
            f"{KEY}: {where} holds a {type(model).__name__}, not a GAN or "
            f"a generator; expected a keras-gans GAN ({RunDirectory.GAN}, "
            f"a checkpoint) or a generator ({RunDirectory.GENERATOR})."])
    notes.append(f"Note: {where} holds a generator only: the discriminator "
                 "starts from the recipe's fresh weights.")
    return [("generator", gan.generator.weights, values(model.weights))], notes


def _mismatches(label, targets, values, where):
    """Problems naming each variable whose shape differs (by position), or
    the counts when they differ."""
    problems = []
    if len(targets) != len(values):
        problems.append(
            f"{KEY}: the recipe's {label} has {len(targets)} variables, "
            f"{where} has {len(values)}; the architectures differ")
    for index, (target, value) in enumerate(zip(targets, values)):
        expected = tuple(target.shape)
        if tuple(value.shape) != expected:
            problems.append(
                f"{KEY}: {label} variable {index} ({target.path}): the "
                f"recipe's model expects shape {expected}, {where} has "
                f"{tuple(value.shape)}")
    return problems
