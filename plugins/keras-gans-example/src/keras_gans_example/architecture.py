"""`example_mlp`: a residual MLP generator and a batch-aware MLP discriminator."""

import numbers

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gans_example")
class MinibatchStdDev(keras.layers.Layer):
    """The batch's spread as one feature (Karras et al. 2018, ProGAN).

    Returns a `(batch, 1)` tensor holding, for every sample, the mean over
    features of the standard deviation across the batch. A discriminator
    that sees it can tell a collapsed batch of fakes (spread near 0) from a
    real batch, which pushes the generator to keep its samples diverse.
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        spread = ops.mean(ops.sqrt(ops.var(x, axis=0) + self.epsilon))
        return ops.cast(ops.ones_like(x[:, :1]) * spread, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def example_mlp(
    latent_dim,
    sample_shape,
    num_classes=None,
    width=64,
    depth=2,
    output_activation=None,
):
    """Builds a residual MLP generator and a minibatch-std MLP discriminator.

    G: `Dense(width)` then `depth` residual blocks `h + Dense(width, relu)(h)`
    then a linear (or `output_activation`) output. D: `depth` LeakyReLU(0.2)
    layers, then the minibatch standard deviation of the last hidden layer
    (`MinibatchStdDev`) is concatenated before the logits.

    Args:
        latent_dim: size of z.
        sample_shape: `(d,)`, the size of one sample.
        num_classes: None, or the number of classes: both networks then take
            integer labels, embedded and concatenated to their input.
        width: units per hidden layer.
        depth: residual blocks in G, hidden layers in D.
        output_activation: activation of G's output; None (linear) suits
            unbounded data such as `example_spiral`.

    Returns:
        `(generator, discriminator)`: G maps z (and labels) to `(batch, d)`,
        D maps samples (and labels) to logits of shape `(batch, 1)`.

    Raises:
        ValueError: for an argument of the wrong type or value.
    """
    latent_dim = _positive_int("latent_dim", latent_dim)
    try:
        (size,) = tuple(sample_shape)
    except (TypeError, ValueError):
        size = None
    if size is None or not _is_positive_int(size):
        raise ValueError(
            "`example_mlp` takes vector samples: `sample_shape` must be "
            f"`(d,)` with d a positive integer. Received: "
            f"sample_shape={sample_shape!r}"
        )
    size = int(size)
    if num_classes is not None:
        num_classes = _positive_int("num_classes", num_classes)
    width = _positive_int("width", width)
    depth = _positive_int("depth", depth)

    z, z_labels, h = _inputs("z", latent_dim, num_classes, width)
    h = keras.layers.Dense(width, activation="relu", name="project")(h)
    for index in range(depth):
        update = keras.layers.Dense(
            width, activation="relu", name=f"residual_{index}"
        )(h)
        h = keras.layers.Add(name=f"add_{index}")([h, update])
    samples = keras.layers.Dense(
        size, activation=output_activation, name="samples"
    )(h)
    generator = keras.Model(
        z if z_labels is None else [z, z_labels],
        samples,
        name="example_mlp_generator",
    )

    x, x_labels, h = _inputs("x", size, num_classes, width)
    for index in range(depth):
        h = keras.layers.Dense(width, name=f"dense_{index}")(h)
        h = keras.layers.LeakyReLU(0.2, name=f"leaky_relu_{index}")(h)
    spread = MinibatchStdDev(name="minibatch_stddev")(h)
    h = keras.layers.Concatenate(name="with_spread")([h, spread])
    logits = keras.layers.Dense(1, name="logits")(h)
    discriminator = keras.Model(
        x if x_labels is None else [x, x_labels],
        logits,
        name="example_mlp_discriminator",
    )
    return generator, discriminator


def _inputs(name, size, num_classes, width):
    """`(main input, labels input or None, first tensor to transform)`."""
    main = keras.Input((size,), name=name)
    if num_classes is None:
        return main, None, main
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = keras.layers.Embedding(
        num_classes, min(width, 16), name="label_embedding"
    )(labels)
    return main, labels, keras.layers.Concatenate(name="with_label")(
        [main, embedded]
    )


def _is_positive_int(value):
    return (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and value >= 1
    )


def _positive_int(name, value):
    if not _is_positive_int(value):
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value!r}"
        )
    return int(value)
