"""Class-conditional DCGAN with a projection discriminator.

G is DCGAN's generator fed z joined with a learned label embedding. D is
DCGAN's discriminator turned into a projection discriminator (Miyato &
Koyama 2018, [cGANs with Projection Discriminator](
https://arxiv.org/abs/1802.05637)): the label enters through an inner
product with the image features instead of being concatenated to the input.
"""

import keras

from keras_gans.architectures import _checks
from keras_gans.architectures.dcgan import SIZES
from keras_gans.architectures.dcgan import discriminator_body
from keras_gans.architectures.dcgan import generator_body
from keras_gans.architectures.dcgan import weights_initializer


def cdcgan(
    latent_dim, sample_shape, num_classes=None, width=64, embedding_dim=32
):
    """Builds a conditional DCGAN generator and projection discriminator.

    G: `Embedding(num_classes, embedding_dim)(y)` is concatenated with z
    and fed to DCGAN's generator. D: with `phi(x)` DCGAN's flattened
    discriminator features and `embed` an `Embedding(num_classes, dim phi)`,
    `logits = Dense(1)(phi(x)) + sum(embed(y) * phi(x))`, so the label
    decides which direction in feature space counts as real.

    Args:
        latent_dim: size of z.
        sample_shape: `(H, W, C)` with H = W in 28, 32 or 64 and C 1 or 3.
        num_classes: number of classes, required (None raises); labels
            are ints in `[0, num_classes)`.
        width: channels of G's last hidden block and D's first block.
        embedding_dim: size of G's label embedding.

    Returns:
        `(generator, discriminator)`: G maps `[z, labels]` to tanh images of
        `sample_shape`, D maps `[images, labels]` to logits of shape
        `(batch, 1)`. Labels are int32 of shape `(batch,)`.

    Raises:
        ValueError: for a missing `num_classes`, an unsupported
            `sample_shape`, or another argument of the wrong type or value.
    """
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    shape = _checks.image_shape(sample_shape, "cdcgan", SIZES)
    num_classes = _checks.num_classes(num_classes, "cdcgan", required=True)
    width = _checks.positive_int("width", width)
    embedding_dim = _checks.positive_int("embedding_dim", embedding_dim)
    init = weights_initializer

    z = keras.Input((latent_dim,), name="z")
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = keras.layers.Embedding(
        num_classes, embedding_dim, embeddings_initializer=init(),
        name="label_embedding",
    )(labels)
    joined = keras.layers.Concatenate(name="z_with_label")([z, embedded])
    images = generator_body(joined, shape, width)
    generator = keras.Model([z, labels], images, name="cdcgan_generator")

    x = keras.Input(shape, name="x")
    labels = keras.Input((), dtype="int32", name="labels")
    features = discriminator_body(x, width)
    unconditional = keras.layers.Dense(
        1, kernel_initializer=init(), name="logits_unconditional"
    )(features)
    class_vector = keras.layers.Embedding(
        num_classes, features.shape[-1], embeddings_initializer=init(),
        name="class_projection",
    )(labels)
    projection = keras.layers.Dot(axes=1, name="projection")(
        [class_vector, features]
    )
    logits = keras.layers.Add(name="logits")([unconditional, projection])
    discriminator = keras.Model(
        [x, labels], logits, name="cdcgan_discriminator"
    )
    return generator, discriminator
