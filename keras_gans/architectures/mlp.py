"""Fully connected generator and discriminator for vector data (and,
flattened, small images); or, with `kind="vae"`, a decoder and encoder."""

import math

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
    kind="gan",
):
    """Builds an MLP generator and discriminator for vectors of shape `(d,)`.

    Meant for toy data such as the 2-D rings and grids of
    `keras_gans.datasets`. G has `depth` ReLU layers; D has `depth`
    LeakyReLU(0.2) layers, whose gradient never vanishes on the
    discriminator's input. With `num_classes`, both networks take labels: a
    learned label embedding is concatenated to z (G) or to x (D); with
    `label_mode="one_hot_concat"` instead, G reads z joined with the
    one-hot labels and D reads x joined with them (single inputs, the
    keras-io conditional_gan layout). Samples of any shape (images) are
    flattened on D's input and G's output is reshaped to them; vectors
    `(d,)` need neither layer.

    With `kind="vae"` it builds a VAE's decoder and encoder instead: the
    decoder is exactly G (the decoder is the VAE's generator), the encoder
    D's body with a head of `2 * latent_dim` units (q(z|x)'s mean and
    log-variance) in place of the logit, so a GAN and a VAE of one recipe
    differ only in that head.

    Args:
        latent_dim: size of z.
        sample_shape: the shape of one sample: `(d,)`, or an image shape.
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
        kind: `"gan"` or `"vae"`.

    Returns:
        `(generator, discriminator)`: G maps z to `(batch, d)` samples, D
        maps samples to logits of shape `(batch, 1)`. With `kind="vae"`,
        `(decoder, encoder)` in the same places: the encoder maps samples
        to `(batch, 2 * latent_dim)`.

    Raises:
        ValueError: for an argument of the wrong type or value.
    """
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    shape = _checks.sample_shape(sample_shape, ranks=(1, 2, 3))
    size = math.prod(shape)
    kind = _checks.kind(kind, "mlp")
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

    z, labels, x = _inputs("z", (latent_dim,), num_classes, label_mode)
    for index in range(depth):
        x = keras.layers.Dense(
            width, activation="relu", name=f"dense_{index}"
        )(x)
    samples = keras.layers.Dense(
        size, activation=output_activation, name="samples"
    )(x)
    if len(shape) > 1:
        samples = keras.layers.Reshape(shape, name="sample_shape")(samples)
    vae = kind == "vae"
    generator = keras.Model(
        z if labels is None else [z, labels], samples,
        name="mlp_decoder" if vae else "mlp_generator",
    )

    features, labels, x = _inputs("x", shape, num_classes, label_mode)
    for index in range(depth):
        x = keras.layers.Dense(width, name=f"dense_{index}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"leaky_relu_{index}")(x)
    if vae:
        head = keras.layers.Dense(2 * latent_dim, name="mean_log_var")(x)
    else:
        head = keras.layers.Dense(1, name="logits")(x)
    discriminator = keras.Model(
        features if labels is None else [features, labels],
        head,
        name="mlp_encoder" if vae else "mlp_discriminator",
    )
    return generator, discriminator


def _inputs(name, shape, num_classes, label_mode):
    """Returns `(main input, labels input or None, first hidden tensor)`.

    Unconditional, or one-hot labels joined to the input by `GAN`: the
    first hidden tensor is the input itself (flattened when it is not a
    vector). Conditional by index: it is the input concatenated with the
    embedded label.

    Args:
        shape: `(size,)` for z, or the sample shape; one-hot labels join
            its last axis.
    """
    if num_classes is not None and label_mode == "one_hot_concat":
        shape = shape[:-1] + (shape[-1] + num_classes,)
    main = keras.Input(shape, name=name)
    flat = main
    if len(shape) > 1:
        flat = keras.layers.Flatten(name="flatten")(main)
    if num_classes is None or label_mode == "one_hot_concat":
        return main, None, flat
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = keras.layers.Embedding(
        num_classes, LABEL_EMBEDDING_DIM, name="label_embedding"
    )(labels)
    joined = keras.layers.Concatenate(name="with_label")([flat, embedded])
    return main, labels, joined
