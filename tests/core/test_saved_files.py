"""A GAN saved by keras-gans 0.1.0 loads, whatever modules moved since.

`tests/data/saved_0_1_0/gan.keras` was written once, on JAX, by
`tests/data/saved_0_1_0/make.py` before the package was reorganized
(issue 10). Keras finds its classes by their registered names
(`keras_gans>GAN`, `keras_gans>Hinge`, `keras_gans>R1`,
`keras_gans>SubPixelConv2DTranspose`, `keras_gans>SpectralNormalization`),
so the names must never change and the modules defining them must be
imported before a load; this test holds both on every backend.
"""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gans

from paths import TESTS as HERE
DATA = os.path.join(HERE, "data", "saved_0_1_0")
MODEL = os.path.join(DATA, "gan.keras")
REGISTERED = ("GAN", "Hinge", "R1", "SubPixelConv2DTranspose",
              "SpectralNormalization")


@pytest.fixture(scope="module")
def expected():
    return np.load(os.path.join(DATA, "expected.npz"))


def test_the_saved_gan_loads_with_its_state(expected):
    gan = keras_gans.load_model(MODEL)
    assert isinstance(gan, keras_gans.GAN)
    assert gan.steps == int(expected["steps"]) == 3
    assert type(gan.gan_loss).__name__ == "Hinge"
    assert type(gan.penalty).__name__ == "R1" and gan.penalty.weight == 0.5
    assert gan.ema == pytest.approx(0.9)
    # Stored numbers come back as they were written.
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(gan.ema_weights[0]), expected["ema"])
    layers = [type(layer).__name__ for layer in
              gan.generator.layers + gan.discriminator.layers]
    assert "SubPixelConv2DTranspose" in layers
    assert "SpectralNormalization" in layers
    # The same samples as when it was saved (JAX); other backends' kernels
    # round differently in the last bits of float32.
    labels = expected["labels"]
    np.testing.assert_allclose(gan.generate(6, seed=0, labels=labels),
                               expected["samples"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(
        gan.generate(6, seed=0, labels=labels, use_ema=False),
        expected["raw_samples"], rtol=0, atol=1e-5)


def test_registered_names_are_the_ones_saved_files_use():
    with open(MODEL, "rb") as file:
        import zipfile

        config = zipfile.ZipFile(file).read("config.json").decode()
    for name in REGISTERED:
        assert f'"keras_gans>{name}"' in config, name
        assert keras.saving.get_registered_object(f"keras_gans>{name}"), name


def test_keras_load_model_finds_the_classes_after_importing_keras_gans():
    """The README's promise: `import keras, keras_gans`, then Keras' own
    `load_model`, in a fresh process."""
    code = (
        "import keras, keras_gans\n"
        f"gan = keras.models.load_model({MODEL!r})\n"
        "print(type(gan).__name__, gan.steps)\n"
    )
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    root = os.path.dirname(HERE)
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "GAN 3"
