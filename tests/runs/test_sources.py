"""Which weights a command reads: a run's checkpoint by step, a file, and
`hf://` addresses (`keras_gans.runs.sources`).

One ring run of 16 steps with checkpoints at steps 8 and 16 (the MLP of
width 16 of tests/runs/test_api.py): what `sample`, `export` and
`evaluate` give for `step=8` is compared with the step-8 checkpoint
loaded directly, and with the newest model, which must differ.
"""

import json
import os
import socket
import sys
import time

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import keras_gans
from keras_gans import cli
from keras_gans import latent
from keras_gans.runs import export as export_module
from keras_gans.runs import sources
from keras_gans.runs.errors import MissingPackageError
from keras_gans.training import checkpoints
import small_ring

RING8 = small_ring.RING8
SMALL = dict(small_ring.SMALL, **{"train.steps": 16})


def invoke(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args],
                              catch_exceptions=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sources") / "run"
    keras_gans.train(RING8, SMALL, output=directory)
    return directory


def step_8(run):
    return checkpoints.checkpoint_path(run / "checkpoints", 8)


def test_a_run_lists_its_checkpoints_by_step(run):
    assert list(sources.checkpoint_steps(run)) == [8, 16]
    resolved = sources.resolve(run, step=8)
    assert resolved.path == step_8(run)
    assert resolved.run_dir.path == str(run)
    assert sources.resolve(run).path == str(run / "gan.keras")


def test_sample_of_a_step_gives_that_checkpoint_s_samples(run, tmp_path):
    direct = keras.models.load_model(step_8(run))
    assert direct.steps == 8
    drawn = keras_gans.sample(run, 32, seed=3, step=8)
    np.testing.assert_array_equal(drawn.samples, direct.generate(32, seed=3))
    assert drawn.model_path == step_8(run)
    newest = keras_gans.sample(run, 32, seed=3)
    assert np.abs(newest.samples - drawn.samples).max() > 1e-3

    # The command line draws the same picture as the checkpoint file.
    for name, source in (("step.png", [run, "--step", 8]),
                         ("file.png", [step_8(run)])):
        result = invoke("sample", *source, "-n", 16, "-o", tmp_path / name)
        assert result.exit_code == 0, result.output
    assert f"from {step_8(run)} to" in result.output
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "step.png")),
        np.asarray(Image.open(tmp_path / "file.png")))


def test_export_of_a_step_ships_that_checkpoint_s_generator(run, tmp_path):
    direct = keras.models.load_model(step_8(run))
    z = latent.prior_noise(16, 4, seed=5)
    exported = export_module.export(run, "keras", tmp_path / "g8.keras",
                                    step=8)
    assert exported.model_path == step_8(run)
    reloaded = keras.models.load_model(exported.path)
    expected = direct.generate(z=z)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded(z)),
                               expected, rtol=0, atol=1e-6)
    newest = keras.models.load_model(run / "gan.keras").generate(z=z)
    assert np.abs(newest - expected).max() > 1e-3


def test_evaluate_of_a_step_scores_that_checkpoint(run):
    options = dict(metrics="fid", features="pixels", num_samples=200,
                   write=False, verbose=0)
    by_step = keras_gans.evaluate(run, step=8, **options)
    by_file = keras_gans.evaluate(step_8(run), **options)
    newest = keras_gans.evaluate(run, **options)
    assert by_step.measured_at_step == 8
    assert newest.measured_at_step == 16
    assert by_step.protocol["model"] == os.path.abspath(step_8(run))
    assert by_step.values == by_file.values
    assert by_step.values["fid"] != newest.values["fid"]


def test_an_unknown_step_is_refused_listing_the_steps_there(run, tmp_path):
    for command in (["sample", run, "-o", tmp_path / "x.png"],
                    ["export", run, "-o", tmp_path / "g.keras"],
                    ["evaluate", run, "--features", "pixels"],
                    ["interpolate", run, "-o", tmp_path / "w.gif"]):
        result = invoke(*command, "--step", 12)
        assert result.exit_code == 2, result.output
        assert (f"Error: {run} has no checkpoint at step 12. Steps with a "
                "checkpoint: 8, 16. Pass --step with one of those steps"
                ) in " ".join(result.output.split())
    assert os.listdir(tmp_path) == []
    with pytest.raises(sources.SourceError) as error:
        keras_gans.sample(run, step=12)
    assert str(error.value).endswith(
        "Choose one of those steps (a run keeps its newest "
        "output.keep_checkpoints). Received: step=12")
    assert error.value.details["steps"] == [8, 16]


def test_sources_that_are_not_models_are_refused_before_any_work(
        run, tmp_path):
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        ([text], f"Error: {text} is not a Keras model file: not a zip "
                 "archive"),
        ([empty], f"Error: {empty} holds no gan.keras, checkpoint or "
                  "generator.keras, and no recipe.toml: it is not a "
                  "keras-gans run. Expected a run directory"),
        ([tmp_path / "nothing"], f"Error: {tmp_path / 'nothing'} does not "
                                 "exist: expected a run directory"),
        ([step_8(run), "--step", 8], "Error: A step chooses one of a run "
                                     "directory's checkpoints, but "
                                     f"{step_8(run)} is a file. Pass the run "
                                     "directory with --step, or the file "
                                     "without --step."),
    ]
    for source, message in cases:
        out = tmp_path / "out"
        result = invoke("sample", *source, "--outdir", out, "-n", 4)
        assert result.exit_code == 2, result.output
        assert message in " ".join(result.output.split()), result.output
        assert not out.exists()


def test_hf_without_huggingface_hub_names_the_package(monkeypatch,
                                                      tmp_path):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # not found
    with pytest.raises(MissingPackageError) as error:
        keras_gans.sample("hf://someone/ring-gan", 4)
    assert str(error.value).startswith(
        "Loading hf://someone/ring-gan needs huggingface_hub, which is not "
        "installed. Install it (pip install huggingface_hub, or pip "
        "install 'keras-gans[hub]')")
    result = invoke("export", "hf://someone/ring-gan/gan.keras", "-o",
                    tmp_path / "g.keras")
    assert result.exit_code == 1
    assert ("needs huggingface_hub, which is not installed"
            in result.output)
    assert os.listdir(tmp_path) == []


@pytest.fixture
def offline_hub(monkeypatch, tmp_path):
    """huggingface_hub pointed at a local port nothing listens on, with an
    empty cache: a machine without network, on any machine."""
    pytest.importorskip("huggingface_hub")
    import huggingface_hub.constants as constants
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HF_HUB_CACHE",
                        str(tmp_path / "hub-cache"))
    return endpoint


def test_hf_offline_names_the_address_and_the_network(offline_hub,
                                                      tmp_path):
    out = tmp_path / "out"
    started = time.monotonic()
    for address in ("hf://someone/ring-gan",
                    "hf://someone/ring-gan/runs/gan.keras"):
        with pytest.raises(sources.HubDownloadError) as error:
            keras_gans.sample(address, 4)
        message = str(error.value)
        assert message.startswith(
            f"Could not download {address}: the Hugging Face Hub at "
            f"{offline_hub} could not be reached, and the model is not in "
            "the local cache"), message
        assert "Connect this machine to the network" in message
        result = invoke("sample", address, "--outdir", out, "-n", 4)
        assert result.exit_code == 1
        assert f"Could not download {address}" in result.output
        assert not out.exists()
    assert time.monotonic() - started < 30  # no long retries


def test_a_hub_address_needs_owner_and_repository():
    with pytest.raises(sources.SourceError) as error:
        sources.resolve("hf://ring-gan")
    assert str(error.value) == (
        "hf://ring-gan is not a Hugging Face Hub address. Expected "
        "hf://owner/repo (a Keras model folder, as "
        "model.save('hf://owner/repo') writes) or "
        "hf://owner/repo/file.keras. Received: source='hf://ring-gan'")


def test_a_keras_model_folder_loads_as_the_hub_s_would(run, tmp_path):
    """`model.save("hf://...")` uploads a folder (config.json and
    weights, not zipped); the same folder on disk samples like the
    file."""
    gan = keras.models.load_model(step_8(run))
    folder = tmp_path / "folder"
    gan.save(str(folder), zipped=False)
    drawn = keras_gans.sample(folder, 8, seed=2)
    np.testing.assert_array_equal(drawn.samples, gan.generate(8, seed=2))
    scores = keras_gans.evaluate(
        folder, metrics="fid", features="pixels", num_samples=100,
        dataset={"dataset": "ring", "params": {"num_samples": 512}},
        verbose=0)
    assert scores.path == str(folder / "metrics.json")
    written = json.loads((folder / "metrics.json").read_text())
    assert written["evaluation"]["metrics"] == scores.values
    assert scores.measured_at_step == 8
