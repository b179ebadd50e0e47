"""Importing keras-gans loads only the selected backend."""

import os
import subprocess
import sys

import keras
import pytest


@pytest.mark.skipif(
    keras.backend.backend() == "tensorflow",
    reason="TensorFlow is the selected backend here",
)
def test_import_does_not_load_tensorflow_on_other_backends():
    code = (
        "import sys, keras_gans, keras_gans.gan, keras_gans.penalties\n"
        "keras_gans.backend.current()\n"
        "print(sorted(m for m in ('tensorflow', 'jax', 'torch') "
        "if m in sys.modules))"
    )
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True,
        text=True, check=True,
    ).stdout
    assert "tensorflow" not in out, out
    assert keras.backend.backend() in out, out
