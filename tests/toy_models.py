"""Small generators and discriminators the tests train on 2-D toy data."""

import keras
import numpy as np


def mlp(input_dim, output_dim, width=128, depth=2, name=None):
    """A ReLU MLP from `input_dim` features to `output_dim` linear outputs."""
    inputs = keras.Input((input_dim,))
    x = inputs
    for _ in range(depth):
        x = keras.layers.Dense(width, activation="relu")(x)
    outputs = keras.layers.Dense(output_dim)(x)
    return keras.Model(inputs, outputs, name=name)


def conditional_mlp(input_dim, output_dim, num_classes, width=128, name=None):
    """An MLP on `[features, labels]`: the label is embedded and concatenated."""
    features = keras.Input((input_dim,))
    labels = keras.Input((), dtype="int32")
    embedded = keras.layers.Embedding(num_classes, 8)(labels)
    x = keras.layers.Concatenate()([features, embedded])
    for _ in range(2):
        x = keras.layers.Dense(width, activation="relu")(x)
    outputs = keras.layers.Dense(output_dim)(x)
    return keras.Model([features, labels], outputs, name=name)


def assert_labels_pick_their_mode(gan, centers, at_least=0.9, outcome=None):
    """Class k's 500 samples lie nearest to mode k, for at least the share
    `at_least` of them, for every class. With the `outcome` fixture the
    worst class's share is recorded and checked through it."""
    shares = []
    for k in range(len(centers)):
        samples = gan.generate(500, labels=k, seed=k)
        nearest = np.linalg.norm(
            samples[:, None, :] - centers[None], axis=-1
        ).argmin(axis=1)
        shares.append(np.mean(nearest == k))
        if outcome is None:
            assert shares[-1] >= at_least, (k, np.bincount(nearest))
    if outcome is not None:
        outcome.at_least("share on its own mode, worst class", min(shares),
                         at_least)


def optimizers(learning_rate=1e-3):
    """A fresh (generator, discriminator) pair of Adam optimizers."""
    return (
        keras.optimizers.Adam(learning_rate, beta_1=0.5),
        keras.optimizers.Adam(learning_rate, beta_1=0.5),
    )


def image_mlp(latent_dim, sample_shape, num_classes=None, width=16):
    """A one-hidden-layer MLP G and D for small images `(H, W, C)`: the
    image datasets' resume tests train it instead of a convolutional
    network, which JAX runs slowly on a CPU."""
    size = int(np.prod(sample_shape))
    z = keras.Input((latent_dim,))
    x = keras.layers.Dense(width, activation="relu")(z)
    x = keras.layers.Dense(size, activation="tanh")(x)
    generator = keras.Model(z, keras.layers.Reshape(sample_shape)(x),
                            name="generator")
    images = keras.Input(sample_shape)
    x = keras.layers.Flatten()(images)
    x = keras.layers.Dense(width, activation="relu")(x)
    discriminator = keras.Model(images, keras.layers.Dense(1)(x),
                                name="discriminator")
    return generator, discriminator


def saved_image_gan(path, latent_dim=4, sample_shape=(8, 8, 1)):
    """Saves at `path` a small image GAN (`image_mlp`, width 8) whose EMA
    weights differ from its raw ones, as training leaves them; returns
    the GAN. The sampling, export and walk tests read it back."""
    import keras_gans

    generator, discriminator = image_mlp(latent_dim, sample_shape, width=8)
    gan = keras_gans.GAN(generator, discriminator, latent_dim=latent_dim,
                         seed=0)
    gan.compile(*optimizers(), ema=0.9)
    for average in gan.ema_weights:
        average.assign(average * 0.5 + 0.05)
    gan.save(path)
    return gan
