"""DCGAN (Radford et al. 2016): all-convolutional G and D for small images.

Reference: [Unsupervised Representation Learning with Deep Convolutional
Generative Adversarial Networks](https://arxiv.org/abs/1511.06434).
"""

import math

import keras

from keras_gans import backend
from keras_gans.architectures import _checks
from keras_gans.layers import SubPixelConv2DTranspose

SIZES = (28, 32, 64)

# Keras' default BatchNormalization momentum (0.99) averages over ~100
# steps. `GAN.generate()` runs G in inference mode on these moving averages,
# so they follow the fast-changing early generator better at 0.9 (the
# momentum PyTorch's DCGAN reference uses).
BATCH_NORM_MOMENTUM = 0.9


CONV_TRANSPOSE_CHOICES = ("auto", "native", "subpixel")


def dcgan(
    latent_dim,
    sample_shape,
    num_classes=None,
    width=64,
    conv_transpose="auto",
    label_mode="index",
):
    """Builds a DCGAN generator and discriminator.

    G projects z with a Dense layer to a 4x4 map (7x7 for 28x28 images) of
    `width * 2**(n - 1)` channels, then n stride-2 `Conv2DTranspose` blocks
    double the size and halve the channels (BatchNorm + ReLU), the last one
    giving the image with tanh. D mirrors it: n stride-2 `Conv2D` blocks with
    LeakyReLU(0.2), BatchNorm on all but the first, then Flatten and a Dense
    logit. Weights start from N(0, 0.02) as in the paper.

    Args:
        latent_dim: size of z.
        sample_shape: `(H, W, C)` with H = W in 28, 32 or 64 and C 1 or 3.
        num_classes: None, or with `label_mode="one_hot_concat"` the
            number of classes; `cdcgan` is the conditional version that
            takes `[z, labels]`.
        width: channels of G's last hidden block and D's first block; the
            paper's 64x64 model is width=128.
        conv_transpose: how G's transposed convolutions are computed, with
            the same weights and outputs either way: `"native"`
            (`keras.layers.Conv2DTranspose`), `"subpixel"`
            (`keras_gans.layers.SubPixelConv2DTranspose`, a stride-1
            convolution and depth-to-space) or `"auto"`: subpixel on JAX,
            where XLA's CPU kernel gradient of a transposed convolution is
            very slow (benchmarks/RESULTS.md), native elsewhere.
        label_mode: `"index"` (unconditional here) or `"one_hot_concat"`:
            the keras-io conditional_gan layout, G reading z joined with the
            one-hot labels (`latent_dim + num_classes` features) and D the
            images with `num_classes` more channels (`keras_gans.labels`).

    Returns:
        `(generator, discriminator)`: G maps z to tanh images of
        `sample_shape`, D maps images to logits of shape `(batch, 1)`.

    Raises:
        ValueError: for an unsupported `sample_shape`, a `num_classes`
            without `label_mode="one_hot_concat"`, or another argument of
            the wrong type or value.
    """
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    shape = _checks.image_shape(sample_shape, "dcgan", SIZES)
    num_classes = _checks.num_classes(num_classes, "dcgan")
    label_mode = _checks.label_mode(label_mode, num_classes, "dcgan")
    one_hot = label_mode == "one_hot_concat"
    if num_classes is not None and not one_hot:
        raise ValueError(
            "`dcgan` takes no [z, labels] inputs. For class-conditional "
            "images use the `cdcgan` architecture, or "
            "label_mode='one_hot_concat' (one-hot labels joined to z and "
            "to the image channels). Received: num_classes="
            f"{num_classes!r}"
        )
    width = _checks.positive_int("width", width)
    extra = num_classes if one_hot else 0

    z = keras.Input((latent_dim + extra,), name="z")
    images = generator_body(z, shape, width, conv_transpose)
    generator = keras.Model(z, images, name="dcgan_generator")

    x = keras.Input(shape[:2] + (shape[2] + extra,), name="x")
    features = discriminator_body(x, width)
    logits = keras.layers.Dense(
        1, kernel_initializer=weights_initializer(), name="logits"
    )(features)
    discriminator = keras.Model(x, logits, name="dcgan_discriminator")
    return generator, discriminator


def generator_body(inputs, sample_shape, width, conv_transpose="auto",
                   output_activation="tanh"):
    """DCGAN's generator from a `(batch, features)` tensor to tanh images.

    Args:
        inputs: symbolic tensor of shape `(batch, features)` (z, or z joined
            with a label embedding).
        sample_shape: a supported `(H, W, C)`.
        width: channels of the last hidden block.
        conv_transpose: `"auto"`, `"native"` or `"subpixel"`; see `dcgan`.
        output_activation: of the last layer; None (linear) for a VAE's
            decoder, whose outputs are Gaussian means or Bernoulli logits.

    Returns:
        The symbolic image tensor of shape `(batch, H, W, C)`.
    """
    transposed_conv = conv_transpose_class(conv_transpose)
    height, _, channels_out = sample_shape
    start = 7 if height == 28 else 4
    upsamplings = int(math.log2(height // start))
    channels = width * 2 ** (upsamplings - 1)

    x = keras.layers.Dense(
        start * start * channels,
        use_bias=False,
        kernel_initializer=weights_initializer(),
        name="project",
    )(inputs)
    x = keras.layers.Reshape((start, start, channels), name="feature_map")(x)
    x = _batch_norm_relu(x, "project")
    for index in range(upsamplings - 1):
        channels //= 2
        x = transposed_conv(
            channels,
            4,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=weights_initializer(),
            name=f"up_{index}_conv",
        )(x)
        x = _batch_norm_relu(x, f"up_{index}")
    return transposed_conv(
        channels_out,
        4,
        strides=2,
        padding="same",
        activation=output_activation,
        kernel_initializer=weights_initializer(),
        name="images",
    )(x)


def discriminator_body(images, width):
    """DCGAN's discriminator up to its flattened features (no logit).

    Halves the image down to 4x4 (7x7 for 28x28) with stride-2 4x4 convs,
    doubling the channels from `width`.

    Args:
        images: symbolic tensor of shape `(batch, H, W, C)`.
        width: channels of the first block.

    Returns:
        The symbolic feature tensor of shape `(batch, features)`.
    """
    height = images.shape[1]
    downsamplings = int(math.log2(height // (7 if height == 28 else 4)))
    x = images
    channels = width
    for index in range(downsamplings):
        first = index == 0
        x = keras.layers.Conv2D(
            channels,
            4,
            strides=2,
            padding="same",
            # BatchNorm's offset replaces the bias, except on the first
            # block: BatchNorm on D's input layer destabilised the paper's
            # training, so it has none.
            use_bias=first,
            kernel_initializer=weights_initializer(),
            name=f"down_{index}_conv",
        )(x)
        if not first:
            x = keras.layers.BatchNormalization(
                momentum=BATCH_NORM_MOMENTUM, name=f"down_{index}_batch_norm"
            )(x)
        x = keras.layers.LeakyReLU(0.2, name=f"down_{index}_leaky_relu")(x)
        channels *= 2
    return keras.layers.Flatten(name="features")(x)


def conv_transpose_class(conv_transpose):
    """The transposed-convolution layer class for a `conv_transpose` choice."""
    if conv_transpose not in CONV_TRANSPOSE_CHOICES:
        raise ValueError(
            "`conv_transpose` must be one of "
            f"{', '.join(CONV_TRANSPOSE_CHOICES)}. "
            f"Received: conv_transpose={conv_transpose!r}"
        )
    if conv_transpose == "auto":
        subpixel = backend.current().SUBPIXEL_CONV_TRANSPOSE
        conv_transpose = "subpixel" if subpixel else "native"
    if conv_transpose == "native":
        return keras.layers.Conv2DTranspose
    return SubPixelConv2DTranspose


def weights_initializer():
    """A fresh N(0, 0.02) initializer (one per layer, so each draws anew)."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def _batch_norm_relu(x, prefix):
    x = keras.layers.BatchNormalization(
        momentum=BATCH_NORM_MOMENTUM, name=f"{prefix}_batch_norm"
    )(x)
    return keras.layers.ReLU(name=f"{prefix}_relu")(x)
