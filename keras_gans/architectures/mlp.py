"""Fully connected generator and discriminator for vector data."""

import keras

from keras_gans.architectures import _checks

# Size of the label embedding the conditional models concatenate to their
# input: enough to separate a few dozen classes, small next to `width`.
LABEL_EMBEDDING_DIM = 16
MAX_DEPTH = 1_000


def mlp(
    latent_dim,
    sample_shape,
    num_classes=None,
    width=128,
    depth=2,
    output_activation=None,
    label_mode="index",
):
    """Builds an MLP generator and discriminator for vectors of shape `(d,)`.

    Meant for toy data such as the 2-D rings and grids of
    `keras_gans.datasets`. G has `depth` ReLU layers; D has `depth`
    LeakyReLU(0.2) layers, whose gradient never vanishes on the
    discriminator's input. With `num_classes`, both networks take labels: a
    learned label embedding is concatenated to z (G) or to x (D); with
    `label_mode="one_hot_concat"` instead, G reads z joined with the
    one-hot labels and D reads x joined with them (single inputs, the
    keras-io conditional_gan layout).

    Args:
        latent_dim: size of z.
        sample_shape: `(d,)`, the size of one sample.
        num_classes: None for unconditional models, else the number of
            classes; G then takes `[z, labels]` and D `[x, labels]`.
        width: units per hidden layer.
        depth: number of hidden layers in each network.
        output_activation: activation of G's output. None (linear) by
            default, because the toy datasets reach beyond [-1, 1] (the
            ring has radius 2); use `"tanh"` for data scaled to [-1, 1].
        label_mode: `"index"` (G takes `[z, labels]`) or
            `"one_hot_concat"` (G takes `latent_dim + num_classes`
            features, D `d + num_classes`); see `keras_gans.labels`.

    Returns:
        `(generator, discriminator)`: G maps z to `(batch, d)` samples, D
        maps samples to logits of shape `(batch, 1)`.

    Raises:
        ValueError: for an argument of the wrong type or value.
    """
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    (size,) = _checks.sample_shape(sample_shape, ranks=(1,))
    num_classes = _checks.num_classes(num_classes, "mlp")
    label_mode = _checks.label_mode(label_mode, num_classes, "mlp")
    width = _checks.positive_int("width", width)
    depth = _checks.positive_int("depth", depth)
    if depth > MAX_DEPTH:
        # Each layer is a Python object built one by one: 10^7 of them take
        # hours and gigabytes before the memory estimate's weights matter.
        raise ValueError(
            f"`depth` must be at most {MAX_DEPTH:,} hidden layers. "
            f"Received: depth={depth!r}"
        )
    try:
        keras.activations.get(output_activation)
    except (ValueError, TypeError) as error:
        raise ValueError(
            "`output_activation` must be None or a Keras activation name "
            "such as 'tanh'. "
            f"Received: output_activation={output_activation!r}"
        ) from error

    z, labels, x = _inputs("z", latent_dim, num_classes, label_mode)
    for index in range(depth):
        x = keras.layers.Dense(
            width, activation="relu", name=f"dense_{index}"
        )(x)
    samples = keras.layers.Dense(
        size, activation=output_activation, name="samples"
    )(x)
    generator = keras.Model(
        z if labels is None else [z, labels], samples, name="mlp_generator"
    )

    features, labels, x = _inputs("x", size, num_classes, label_mode)
    for index in range(depth):
        x = keras.layers.Dense(width, name=f"dense_{index}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"leaky_relu_{index}")(x)
    logits = keras.layers.Dense(1, name="logits")(x)
    discriminator = keras.Model(
        features if labels is None else [features, labels],
        logits,
        name="mlp_discriminator",
    )
    return generator, discriminator


def _inputs(name, size, num_classes, label_mode):
    """Returns `(main input, labels input or None, first hidden tensor)`.

    Unconditional, or one-hot labels joined to the input by `GAN`: the
    first hidden tensor is the input itself. Conditional by index: it is
    the input concatenated with the embedded label.
    """
    if num_classes is not None and label_mode == "one_hot_concat":
        size += num_classes
    main = keras.Input((size,), name=name)
    if num_classes is None or label_mode == "one_hot_concat":
        return main, None, main
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = keras.layers.Embedding(
        num_classes, LABEL_EMBEDDING_DIM, name="label_embedding"
    )(labels)
    joined = keras.layers.Concatenate(name="with_label")([main, embedded])
    return main, labels, joined
