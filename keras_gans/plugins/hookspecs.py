"""The hooks a keras-gans plugin can implement.

Every hook receives a host-built `register(name, factory, *, description="")`
callback. Calling it adds one named factory to the catalogue; the plugin that
made the call is recorded as its owner. The factory may be given as a
`"module:attribute"` string, imported on first use: listing names
(`keras-gans list`) then imports no Keras. A plugin implements a hook with
`@keras_gans.hookimpl` and is found through the `keras_gans` entry-point
group of its distribution:

```toml
[project.entry-points.keras_gans]
my_plugin = "my_package.plugin"
```

The built-ins are registered through these same hooks, each next to what
it registers (`keras_gans.plugins.host.DEFAULT_PLUGINS`:
`keras_gans/architectures/plugin.py`, ...).
"""

import pluggy

hookspec = pluggy.HookspecMarker("keras_gans")
hookimpl = pluggy.HookimplMarker("keras_gans")


@hookspec
def register_architectures(register):
    """Registers generator/discriminator pairs.

    `factory(latent_dim, sample_shape, num_classes=None, **params)` returns
    `(generator, discriminator)`, two Keras models that `keras_gans.GAN`
    accepts: G maps z (and labels) to samples of `sample_shape`, D maps
    samples (and labels) to logits of shape `(batch, 1)`. A factory that
    also accepts `label_mode` can build the `"one_hot_concat"` layout
    (single inputs with the one-hot labels joined; `keras_gans.labels`),
    which a recipe asks for with `model.label_mode`.

    A factory that also accepts `kind` builds VAEs too (`model.kind =
    "vae"`): called with `kind="vae"` it returns `(decoder, encoder)` in
    the places of `(generator, discriminator)`, the decoder mapping z (and
    labels) to samples as G does (linear outputs: Gaussian means or
    Bernoulli logits), the encoder mapping samples (and labels) to
    `(batch, 2 * latent_dim)`, q(z|x)'s mean and log-variance
    (`keras_gans.VAE`). The built-in `mlp` and `conv` do so.
    """


@hookspec
def register_losses(register):
    """Registers adversarial losses.

    `factory(**params)` returns an object with
    `discriminator_loss(real_logits, fake_logits)` and
    `generator_loss(fake_logits, real_logits)`, written with `keras.ops`.
    """


@hookspec
def register_penalties(register):
    """Registers discriminator penalties.

    `factory(**params)` returns a callable
    `penalty(discriminator, real, fake, seed)` giving a scalar, as the
    classes in `keras_gans.penalties` do.
    """


@hookspec
def register_datasets(register):
    """Registers datasets.

    `factory(**params)` returns what `fit()` accepts: an array `x`, a tuple
    `(x, labels)` of arrays, a `tf.data.Dataset` or a `keras.utils.PyDataset`.
    Images are channels-last and scaled to [-1, 1].
    """


@hookspec
def register_metrics(register):
    """Registers evaluation metrics.

    `factory(**params)` returns a callable scoring generated samples against
    real ones (see `keras_gans.evaluation.metrics`).
    """


@hookspec
def register_features(register):
    """Registers feature extractors for the evaluation metrics.

    `factory(**params)` returns an extractor (see
    `keras_gans.evaluation.features.base`): `prepare(sample_shape)` readies it or
    raises `FeatureError`, then `extractor(batch)` gives `(batch, dim)`
    features and `protocol` says what the scores depend on.
    """


@hookspec
def register_callbacks(register):
    """Registers training callbacks.

    `factory(**params)` returns a `keras.callbacks.Callback`.
    """


@hookspec
def register_augmentations(register):
    """Registers augmentations applied to images before the discriminator.

    `factory(**params)` returns a `keras_gans.augment.Augmentation`:
    `augmentation(images, seed)` gives the augmented NHWC batch, drawing
    from the `keras.random.SeedGenerator` `seed`, written with `keras.ops`
    (see `keras_gans/augment/base.py`).
    """
