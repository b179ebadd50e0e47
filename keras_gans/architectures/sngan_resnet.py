"""SNGAN's ResNet for 32x32 images (Miyato et al. 2018, CIFAR-10 model).

Reference: [Spectral Normalization for Generative Adversarial Networks](
https://arxiv.org/abs/1802.05957), appendix B.4 (ResNet architectures).
Every weight matrix of D is divided by its largest singular value
(`SpectralNormalization`, one power iteration per training call), which
bounds D's Lipschitz constant without a gradient penalty.

With `num_classes`, the models follow Miyato & Koyama 2018 ([cGANs with
Projection Discriminator](https://arxiv.org/abs/1802.05637)): G's residual
blocks use class-conditional BatchNorm and D adds a projection term.
"""

import keras

from keras_gans.architectures import _checks
from keras_gans.layers.spectral_norm import SpectralNormalization

# SNGAN's Chainer BatchNorm averages with decay 0.9; Keras' default (0.99)
# would lag behind the early generator that `generate()` samples from.
BATCH_NORM_MOMENTUM = 0.9


def sngan_resnet(
    latent_dim, sample_shape=(32, 32, 3), num_classes=None, width=128
):
    """Builds SNGAN's 32x32 ResNet generator and discriminator.

    G: Dense to a 4x4 map of `width` channels, three residual up-blocks
    (BatchNorm, ReLU, 2x nearest upsampling, conv3x3, BatchNorm, ReLU,
    conv3x3, plus an upsampled 1x1-conv shortcut) to 32x32, then BatchNorm,
    ReLU, conv3x3 to C channels and tanh.

    D: an optimized first block (conv3x3, ReLU, conv3x3, 2x average pooling;
    shortcut pooling then conv1x1), a down-block, two plain blocks, ReLU,
    global sum pooling and a Dense logit. Every conv and dense is wrapped in
    `keras_gans.layers.SpectralNormalization` (a
    `keras.layers.SpectralNormalization` that does not overwrite the kernel,
    which breaks PyTorch gradients when D runs twice per step).

    Args:
        latent_dim: size of z (the paper uses 128).
        sample_shape: `(32, 32, C)` with C 1 or 3.
        num_classes: None, or the number of classes for the conditional
            version: class-conditional BatchNorm in G's blocks and a
            projection `sum(embed(y) * phi(x))` added to D's logit, with a
            spectrally normalized embedding.
        width: channels of every block (128 in the paper).

    Returns:
        `(generator, discriminator)`: G maps z (or `[z, labels]`) to tanh
        images, D maps images (or `[images, labels]`) to logits of shape
        `(batch, 1)`.

    Raises:
        ValueError: for an unsupported `sample_shape` or another argument of
            the wrong type or value.
    """
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    shape = _checks.image_shape(sample_shape, "sngan_resnet", sizes=(32,))
    num_classes = _checks.num_classes(num_classes, "sngan_resnet")
    width = _checks.positive_int("width", width)
    conditional = num_classes is not None

    z = keras.Input((latent_dim,), name="z")
    labels = _labels_input() if conditional else None
    x = keras.layers.Dense(4 * 4 * width, name="project")(z)
    x = keras.layers.Reshape((4, 4, width), name="feature_map")(x)
    for index in range(3):
        x = _up_block(x, width, labels, num_classes, f"up_{index}")
    # The output BatchNorm is unconditional in the paper's model too.
    x = _batch_norm(x, None, None, "output_bn")
    x = keras.layers.ReLU(name="output_relu")(x)
    outputs = keras.layers.Conv2D(
        shape[-1], 3, padding="same", activation="tanh", name="images"
    )(x)
    generator = keras.Model(
        [z, labels] if conditional else z,
        outputs,
        name="sngan_resnet_generator",
    )

    images = keras.Input(shape, name="x")
    labels = _labels_input() if conditional else None
    x = _optimized_block(images, width, "block_0")
    x = _down_block(x, width, downsample=True, prefix="block_1")
    x = _down_block(x, width, downsample=False, prefix="block_2")
    x = _down_block(x, width, downsample=False, prefix="block_3")
    x = keras.layers.ReLU(name="features_relu")(x)
    features = _global_sum_pooling(x)
    logits = _spectral(keras.layers.Dense(1, name="logits_linear"))(features)
    if conditional:
        logits = _add_projection(logits, features, labels, num_classes)
    discriminator = keras.Model(
        [images, labels] if conditional else images,
        logits,
        name="sngan_resnet_discriminator",
    )
    return generator, discriminator


def _labels_input():
    return keras.Input((), dtype="int32", name="labels")


def _up_block(x, width, labels, num_classes, prefix):
    """Residual block doubling the size: G's building block."""
    shortcut = keras.layers.UpSampling2D(2, name=f"{prefix}_shortcut_up")(x)
    shortcut = _plain_conv(width, 1, f"{prefix}_shortcut_conv")(shortcut)
    h = _batch_norm(x, labels, num_classes, f"{prefix}_bn_0")
    h = keras.layers.ReLU(name=f"{prefix}_relu_0")(h)
    h = keras.layers.UpSampling2D(2, name=f"{prefix}_up")(h)
    h = _plain_conv(width, 3, f"{prefix}_conv_0")(h)
    h = _batch_norm(h, labels, num_classes, f"{prefix}_bn_1")
    h = keras.layers.ReLU(name=f"{prefix}_relu_1")(h)
    h = _plain_conv(width, 3, f"{prefix}_conv_1")(h)
    return keras.layers.Add(name=f"{prefix}_add")([h, shortcut])


def _batch_norm(x, labels, num_classes, prefix):
    """BatchNorm, class-conditional when `labels` is the label input.

    Conditional BatchNorm normalizes without its own scale and offset, then
    applies a learned scale (starting at 1) and offset (at 0) per class.
    """
    momentum = BATCH_NORM_MOMENTUM
    if labels is None:
        return keras.layers.BatchNormalization(
            momentum=momentum, name=prefix
        )(x)
    channels = x.shape[-1]
    x = keras.layers.BatchNormalization(
        momentum=momentum, center=False, scale=False, name=prefix
    )(x)
    per_class = []
    for what, initializer in (("scale", "ones"), ("offset", "zeros")):
        vector = keras.layers.Embedding(
            num_classes, channels, embeddings_initializer=initializer,
            name=f"{prefix}_{what}",
        )(labels)
        per_class.append(
            keras.layers.Reshape(
                (1, 1, channels), name=f"{prefix}_{what}_map"
            )(vector)
        )
    scale, offset = per_class
    x = keras.layers.Multiply(name=f"{prefix}_scaled")([x, scale])
    return keras.layers.Add(name=f"{prefix}_shifted")([x, offset])


def _optimized_block(x, width, prefix):
    """D's first block: no ReLU on the image, pooling before the shortcut."""
    shortcut = keras.layers.AveragePooling2D(
        2, name=f"{prefix}_shortcut_pool"
    )(x)
    shortcut = _conv(width, 1, f"{prefix}_shortcut_conv")(shortcut)
    h = _conv(width, 3, f"{prefix}_conv_0")(x)
    h = keras.layers.ReLU(name=f"{prefix}_relu")(h)
    h = _conv(width, 3, f"{prefix}_conv_1")(h)
    h = keras.layers.AveragePooling2D(2, name=f"{prefix}_pool")(h)
    return keras.layers.Add(name=f"{prefix}_add")([h, shortcut])


def _down_block(x, width, downsample, prefix):
    """D's residual block, halving the size when `downsample`.

    The shortcut is a 1x1 conv (then pooling) when the block downsamples or
    changes the channels, the identity otherwise.
    """
    shortcut = x
    if downsample or x.shape[-1] != width:
        shortcut = _conv(width, 1, f"{prefix}_shortcut_conv")(shortcut)
    if downsample:
        shortcut = keras.layers.AveragePooling2D(
            2, name=f"{prefix}_shortcut_pool"
        )(shortcut)
    h = keras.layers.ReLU(name=f"{prefix}_relu_0")(x)
    h = _conv(width, 3, f"{prefix}_conv_0")(h)
    h = keras.layers.ReLU(name=f"{prefix}_relu_1")(h)
    h = _conv(width, 3, f"{prefix}_conv_1")(h)
    if downsample:
        h = keras.layers.AveragePooling2D(2, name=f"{prefix}_pool")(h)
    return keras.layers.Add(name=f"{prefix}_add")([h, shortcut])


def _global_sum_pooling(x):
    """Sums each channel over all positions: the mean times H * W.

    Built from stock layers rather than one more custom layer to register.
    """
    positions = x.shape[1] * x.shape[2]
    x = keras.layers.GlobalAveragePooling2D(name="features_mean")(x)
    return keras.layers.Rescaling(float(positions), name="features")(x)


def _add_projection(logits, features, labels, num_classes):
    """Adds `sum(embed(y) * features)`, with a spectrally normalized embed."""
    class_vector = _spectral(
        keras.layers.Embedding(
            num_classes, features.shape[-1], name="class_projection"
        )
    )(labels)
    projection = keras.layers.Dot(axes=1, name="projection")(
        [class_vector, features]
    )
    return keras.layers.Add(name="logits")([logits, projection])


def _plain_conv(filters, kernel_size, name):
    return keras.layers.Conv2D(filters, kernel_size, padding="same", name=name)


def _conv(filters, kernel_size, name):
    """A spectrally normalized conv, D's building block."""
    return _spectral(_plain_conv(filters, kernel_size, name))


def _spectral(layer):
    return SpectralNormalization(layer, name=f"{layer.name}_sn")

