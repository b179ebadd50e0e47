"""`keras-gans export`: the run's generator, exported, gives what
`generate()` gives; the EMA weights everywhere."""

import importlib.util
import os

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from keras_gans import cli
from keras_gans import latent
from keras_gans.runs import export as export_module
from keras_gans.runs.errors import MissingPackageError
from toy_models import saved_image_gan

BACKEND = keras.backend.backend()
LATENT = 4


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A directory holding a GAN whose EMA weights differ from its raw
    ones (the run's own generator.keras is checked in tests/cli/
    test_cli.py, on the ring run trained there)."""
    directory = tmp_path_factory.mktemp("export")
    saved_image_gan(directory / "gan.keras", LATENT)
    return directory


@pytest.fixture(scope="module")
def reference(run):
    """z, the samples `generate(z=z)` gives, and the raw generator's."""
    gan = keras.models.load_model(run / "gan.keras")
    z = latent.prior_noise(32, LATENT, seed=11)
    return z, gan.generate(z=z), keras.ops.convert_to_numpy(gan.generator(z))


def test_gan_generate_and_export_agree_on_the_ema(run, reference, tmp_path):
    z, expected, raw = reference
    assert np.abs(expected - raw).max() > 1e-2  # raw weights would fail
    gan = keras.models.load_model(run / "gan.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gan(z)), expected,
                               atol=1e-5)
    exported = export_module.export(run, "keras", tmp_path / "g.keras")
    assert exported.model_path == str(run / "gan.keras")
    reloaded = keras.models.load_model(exported.path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded(z)),
                               expected, atol=1e-5)


def run_onnx(path, z):
    import onnxruntime

    session = onnxruntime.InferenceSession(
        path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return session.run(None, {name: z})[0]


def run_saved_model(path, z):
    import tensorflow as tf

    loaded = tf.saved_model.load(path)  # kept: serve reads its variables
    return loaded.serve(tf.constant(z)).numpy()


def run_tflite(path, z):
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=path)
    details = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(details["index"], z.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(details["index"], z)
    interpreter.invoke()
    return interpreter.get_tensor(
        interpreter.get_output_details()[0]["index"])


READERS = {"onnx": ("onnxruntime", run_onnx),
           "saved_model": ("tensorflow", run_saved_model),
           "tflite": ("tensorflow", run_tflite)}


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_exported_files_give_what_generate_gives(run, reference, tmp_path,
                                                 fmt):
    reader_package, read = READERS[fmt]
    try:
        missing = export_module.required_packages(fmt, BACKEND)
    except MissingPackageError as error:
        pytest.skip(str(error))
    if missing or importlib.util.find_spec(reader_package) is None:
        pytest.skip(f"{fmt} on {BACKEND} needs {missing or reader_package}")
    z, expected, _ = reference
    path = str(tmp_path / export_module.DEFAULT_PATHS[fmt])
    result = CliRunner().invoke(cli.main, ["export", str(run), "--format",
                                           fmt, "-o", path])
    assert result.exit_code == 0, result.output
    assert f"as {fmt} to {path} (inputs: (None, {LATENT}))" in result.output
    np.testing.assert_allclose(read(path, z), expected, atol=1e-5)
    assert not [name for name in os.listdir(tmp_path) if "part" in name]


def test_a_missing_package_is_named_before_any_work(run, tmp_path,
                                                    monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        export_module.importlib.util, "find_spec",
        lambda name, *a: None if name == "onnx" else real(name, *a))
    if BACKEND == "jax":
        monkeypatch.setitem(export_module._NEEDS, ("onnx", "jax"), ["onnx"])
    with pytest.raises(MissingPackageError, match=r"needs onnx.*pip install "
                                                  r"onnx"):
        export_module.export(run, "onnx", tmp_path / "g.onnx")
    result = CliRunner().invoke(cli.main, ["export", str(run), "--format",
                                           "onnx", "-o",
                                           str(tmp_path / "g.onnx")])
    assert result.exit_code == 1
    assert "not installed. Install what is missing (pip install onnx)" in (
        result.output)
    assert "--backend" in result.output
    assert os.listdir(tmp_path) == []
