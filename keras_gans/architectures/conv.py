"""Convolutional networks of DCGAN's shape for both model kinds.

`kind="vae"`: a VAE's decoder is DCGAN's generator with a linear last
layer (its outputs are Gaussian means or Bernoulli logits, not tanh
images), and its encoder DCGAN's discriminator body with a head of
`2 * latent_dim` units (q(z|x)'s mean and log-variance) in place of the
logit. `kind="gan"`: DCGAN's generator and discriminator (`dcgan`), or for
labels given as a second input the projection discriminator of `cdcgan`;
so one recipe switches between the kinds with `model.kind` alone.
"""

import keras

from keras_gans.architectures import _checks
from keras_gans.architectures.cdcgan import cdcgan
from keras_gans.architectures.dcgan import SIZES
from keras_gans.architectures.dcgan import dcgan
from keras_gans.architectures.dcgan import discriminator_body
from keras_gans.architectures.dcgan import generator_body
from keras_gans.architectures.dcgan import weights_initializer


def conv(
    latent_dim,
    sample_shape,
    num_classes=None,
    width=32,
    kind="gan",
    label_mode="index",
    embedding_dim=32,
    conv_transpose="auto",
):
    """Builds DCGAN-shaped networks: a VAE's decoder and encoder, or a GAN.

    Args:
        latent_dim: size of z.
        sample_shape: `(H, W, C)` with H = W in 28, 32 or 64 and C 1 or 3.
        num_classes: None, or the number of classes of a conditional
            model: by index (`[z, labels]`; a learned label embedding of
            `embedding_dim` joins z, and the encoder's image features), or
            with `label_mode="one_hot_concat"` one-hot labels joined to z
            and to the image channels.
        width: channels of the decoder's last hidden block and of the
            encoder's first block (DCGAN's `width`).
        kind: `"vae"` for `(decoder, encoder)`, `"gan"` for `(generator,
            discriminator)` (`dcgan`, or `cdcgan` for index labels).
        label_mode: `"index"` or `"one_hot_concat"` (`keras_gans.labels`).
        embedding_dim: size of the label embedding (index labels).
        conv_transpose: `"auto"`, `"native"` or `"subpixel"`; see `dcgan`.

    Returns:
        `(decoder, encoder)` for a VAE: the decoder maps z (and labels) to
        linear outputs of `sample_shape`, the encoder maps images (and
        labels) to `(batch, 2 * latent_dim)`. For a GAN, those of `dcgan`
        or `cdcgan`.

    Raises:
        ValueError: for an unsupported `sample_shape` or another argument
            of the wrong type or value.
    """
    kind = _checks.kind(kind, "conv")
    num_classes = _checks.num_classes(num_classes, "conv")
    label_mode = _checks.label_mode(label_mode, num_classes, "conv")
    one_hot = label_mode == "one_hot_concat"
    if kind == "gan":
        if num_classes is not None and not one_hot:
            return cdcgan(latent_dim, sample_shape, num_classes, width=width,
                          embedding_dim=embedding_dim)
        return dcgan(latent_dim, sample_shape, num_classes, width=width,
                     conv_transpose=conv_transpose, label_mode=label_mode)
    latent_dim = _checks.positive_int("latent_dim", latent_dim)
    shape = _checks.image_shape(sample_shape, "conv", SIZES)
    width = _checks.positive_int("width", width)
    embedding_dim = _checks.positive_int("embedding_dim", embedding_dim)
    by_index = num_classes is not None and not one_hot
    extra = num_classes if one_hot else 0

    z = keras.Input((latent_dim + extra,), name="z")
    inputs, joined = z, z
    if by_index:
        labels = keras.Input((), dtype="int32", name="labels")
        embedded = _embedding(num_classes, embedding_dim)(labels)
        joined = keras.layers.Concatenate(name="z_with_label")([z, embedded])
        inputs = [z, labels]
    decoded = generator_body(joined, shape, width, conv_transpose,
                             output_activation=None)
    decoder = keras.Model(inputs, decoded, name="conv_decoder")

    x = keras.Input(shape[:2] + (shape[2] + extra,), name="x")
    features = discriminator_body(x, width)
    inputs = x
    if by_index:
        labels = keras.Input((), dtype="int32", name="labels")
        embedded = _embedding(num_classes, embedding_dim)(labels)
        features = keras.layers.Concatenate(name="features_with_label")(
            [features, embedded])
        inputs = [x, labels]
    head = keras.layers.Dense(2 * latent_dim,
                              kernel_initializer=weights_initializer(),
                              name="mean_log_var")(features)
    encoder = keras.Model(inputs, head, name="conv_encoder")
    return decoder, encoder


def _embedding(num_classes, size):
    return keras.layers.Embedding(
        num_classes, size, embeddings_initializer=weights_initializer(),
        name="label_embedding")
