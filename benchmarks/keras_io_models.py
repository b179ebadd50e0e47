"""The generators and discriminators of three keras-io GAN examples, in Keras.

Written from the layer lists the examples publish, at 28x28x1 with latent
size 128, as a user would drop them into `keras_gans.GAN`:

- `dcgan28`: "DCGAN to generate face images" (`dcgan_overriding_train_step`).
  The example is 64x64x3; at 28x28 the generator starts from 7x7 instead of
  8x8 and keeps the first two of its three transposed convolutions (28 =
  7 x 2 x 2), and the discriminator's last `Dense(1, sigmoid)` returns
  logits (keras-gans' losses take logits, as `BinaryCrossentropy(
  from_logits=True)` would).
- `cgan28`: "Conditional GAN" (`conditional_gan`), unchanged: G sees z
  concatenated with the one-hot label, D the image concatenated with the
  one-hot label broadcast to 28x28x10. The example does that concatenation
  in its `train_step`; here thin functional wrappers take `[z, labels]`
  and `[x, labels]`, keras-gans' conditional convention.
- `wgan_gp28`: "WGAN-GP overriding `Model.train_step`" (`wgan_gp`),
  unchanged: a critic of four 5x5 stride-2 convolutions (zero-padded to
  32x32, dropout) and an upsampling generator with batch normalization,
  cropped to 28x28. Trained with 3 critic steps and penalty weight 10, as
  in the example.

`torch_models.py` holds the same networks in PyTorch.
"""

import keras
from keras import layers
from keras import ops

LATENT_DIM = 128
NUM_CLASSES = 10


def dcgan28(latent_dim=LATENT_DIM):
    """`dcgan_overriding_train_step`'s networks at 28x28x1."""
    discriminator = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(64, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(128, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(128, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(1),
        ],
        name="discriminator",
    )
    generator = keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(7 * 7 * 128),
            layers.Reshape((7, 7, 128)),
            layers.Conv2DTranspose(128, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2DTranspose(256, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(1, 5, padding="same", activation="sigmoid"),
        ],
        name="generator",
    )
    return generator, discriminator


def guide_networks(inputs, width, d_channels, activation,
                   transposed_conv=layers.Conv2DTranspose):
    """The 28x28 networks of Keras' "customizing what happens in fit()"
    guide, which `conditional_gan` adapts (more input channels, sigmoid).

    Args:
        inputs: size of G's input vector.
        width: channels of G's first 7x7 feature map.
        d_channels: channels of D's input images.
        activation: of G's last convolution.
        transposed_conv: the class of G's two upsampling layers.
    """
    discriminator = keras.Sequential(
        [
            keras.Input((28, 28, d_channels)),
            layers.Conv2D(64, 3, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(128, 3, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )
    generator = keras.Sequential(
        [
            keras.Input((inputs,)),
            layers.Dense(7 * 7 * width),
            layers.LeakyReLU(0.2),
            layers.Reshape((7, 7, width)),
            transposed_conv(128, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            transposed_conv(128, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(1, 7, padding="same", activation=activation),
        ],
        name="generator",
    )
    return generator, discriminator


def cgan28(latent_dim=LATENT_DIM, num_classes=NUM_CLASSES):
    """`conditional_gan`'s networks, taking `[z, labels]` and `[x, labels]`."""
    g_channels = latent_dim + num_classes
    generator, discriminator = guide_networks(
        g_channels, g_channels, 1 + num_classes, "sigmoid"
    )
    return _with_labels(generator, discriminator, latent_dim, num_classes)


def _with_labels(generator, discriminator, latent_dim, num_classes):
    """Functional wrappers doing the example's one-hot concatenation."""
    z = keras.Input((latent_dim,))
    labels = keras.Input((), dtype="int32")
    one_hot = layers.Lambda(
        lambda y: ops.one_hot(y, num_classes), name="one_hot"
    )(labels)
    g = keras.Model(
        [z, labels],
        generator(layers.Concatenate()([z, one_hot])),
        name="conditional_generator",
    )
    x = keras.Input((28, 28, 1))
    d_labels = keras.Input((), dtype="int32")
    maps = layers.Lambda(
        lambda y: ops.broadcast_to(
            ops.one_hot(y, num_classes)[:, None, None, :],
            (ops.shape(y)[0], 28, 28, num_classes),
        ),
        name="label_maps",
    )(d_labels)
    d = keras.Model(
        [x, d_labels],
        discriminator(layers.Concatenate()([x, maps])),
        name="conditional_discriminator",
    )
    return g, d


def _critic_block(x, filters, dropout):
    x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2)(x)
    if dropout:
        x = layers.Dropout(0.3)(x)
    return x


def _upsample_block(x, filters, activation):
    x = layers.UpSampling2D(2)(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return activation(x)


def wgan_gp28(latent_dim=LATENT_DIM):
    """`wgan_gp`'s critic and generator."""
    image = keras.Input((28, 28, 1))
    x = layers.ZeroPadding2D(2)(image)
    for filters, dropout in ((64, False), (128, True), (256, True),
                             (512, False)):
        x = _critic_block(x, filters, dropout)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    discriminator = keras.Model(image, layers.Dense(1)(x),
                                name="discriminator")

    noise = keras.Input((latent_dim,))
    x = layers.Dense(4 * 4 * 256, use_bias=False)(noise)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((4, 4, 256))(x)
    x = _upsample_block(x, 128, layers.LeakyReLU(0.2))
    x = _upsample_block(x, 64, layers.LeakyReLU(0.2))
    x = _upsample_block(x, 1, layers.Activation("tanh"))
    x = layers.Cropping2D(2)(x)
    generator = keras.Model(noise, x, name="generator")
    return generator, discriminator


BUILDERS = {"dcgan28": dcgan28, "cgan28": cgan28, "wgan_gp28": wgan_gp28}
