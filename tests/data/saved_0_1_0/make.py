"""Writes the saved files that tests/core/test_saved_files.py loads.

Run once, by keras-gans 0.1.0 before the package was reorganized
(issue 10), so that the test proves files written by that layout still
load after modules move: Keras finds classes by their registered names
(`keras_gans>GAN`, ...), never by module path.

    KERAS_BACKEND=jax python tests/data/saved_0_1_0/make.py

(On JAX: a file saved on PyTorch names its optimizer class by a
PyTorch-only module, `keras.src.backend.torch.optimizers.torch_adam`,
which the other backends cannot import.)

Writes `gan.keras` (a small conditional GAN using every registered class
kind: GAN, a loss, a penalty, SubPixelConv2DTranspose and
SpectralNormalization, with an EMA, after 3 training steps) and
`expected.npz` (its samples for seed 0, its step and EMA weights).
"""

import os

import keras
import numpy as np

import keras_gans
from keras_gans.architectures.spectral_norm import SpectralNormalization
from keras_gans.layers import SubPixelConv2DTranspose

HERE = os.path.dirname(os.path.abspath(__file__))
LATENT, CLASSES = 4, 3


def networks():
    z = keras.Input((LATENT,))
    label = keras.Input((), dtype="int32")
    h = keras.layers.Concatenate()(
        [z, keras.layers.Embedding(CLASSES, 2)(label)])
    h = keras.layers.Reshape((2, 2, 2))(keras.layers.Dense(8)(h))
    h = SubPixelConv2DTranspose(3, 4, strides=2, padding="same")(h)
    image = keras.layers.Conv2D(1, 3, padding="same", activation="tanh")(h)
    generator = keras.Model([z, label], image)

    x = keras.Input((4, 4, 1))
    d_label = keras.Input((), dtype="int32")
    h = SpectralNormalization(keras.layers.Conv2D(3, 3, strides=2))(x)
    h = keras.layers.Concatenate()(
        [keras.layers.Flatten()(h),
         keras.layers.Embedding(CLASSES, 2)(d_label)])
    discriminator = keras.Model([x, d_label], keras.layers.Dense(1)(h))
    return generator, discriminator


def main():
    keras.utils.set_random_seed(0)
    generator, discriminator = networks()
    gan = keras_gans.GAN(generator, discriminator, latent_dim=LATENT, seed=1)
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-3),
                d_optimizer=keras.optimizers.Adam(1e-3),
                loss="hinge", penalty=keras_gans.penalties.R1(weight=0.5),
                ema=0.9, jit_compile=False)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (12, 4, 4, 1)).astype("float32")
    y = rng.integers(0, CLASSES, 12)
    gan.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    gan.save(os.path.join(HERE, "gan.keras"))
    labels = np.arange(6) % CLASSES
    np.savez(
        os.path.join(HERE, "expected.npz"),
        samples=gan.generate(6, seed=0, labels=labels),
        raw_samples=gan.generate(6, seed=0, labels=labels, use_ema=False),
        labels=labels,
        steps=gan.steps,
        ema=[keras.ops.convert_to_numpy(w) for w in gan.ema_weights][0],
    )


if __name__ == "__main__":
    main()
