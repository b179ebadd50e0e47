"""`keras-gans run --resume` after SIGKILL, a damaged checkpoint and Ctrl-C.

A small ring run (8 batches per epoch, a checkpoint every 10 steps) is
killed as a real subprocess and resumed; its final weights must be those of
the same recipe run without interruption.
"""

import json
import os
import shlex
import signal
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import keras_gans
from keras_gans.training import checkpoints
from keras_gans import cli
from keras_gans.datasets import ring
from plugin_catalogue import use_test_plugin

from paths import REPO
from checkpoint_waits import wait_for_checkpoints
import image_mlp_runs
RING8 = os.path.join(REPO, "recipes", "ring8.toml")
BACKEND = keras.backend.backend()
STEPS = 80
PER_EPOCH = 8  # 512 samples, batches of 64
EVERY = 10
TOY = [
    "--set", "data.params.num_samples=512",
    "--set", "data.batch_size=64",
    "--set", "model.params.width=16",
    "--set", "model.latent_dim=4",
    "--set", "output.samples=64",
    "--set", "output.sample_every=0",
    "--set", "output.checkpoint_every=0",
    "--set", f"output.checkpoint_every_steps={EVERY}",
    "--set", "output.keep_checkpoints=3",
    "--set", f"train.steps={STEPS}",
]


def invoke(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args],
                              catch_exceptions=False)


def start(directory, log_path, recipe=RING8, options=TOY):
    """`keras-gans run` of the toy recipe as a subprocess."""
    root = os.path.dirname(os.path.dirname(keras_gans.__file__))
    env = dict(os.environ, KERAS_BACKEND=BACKEND, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(
                   [root, os.environ.get("PYTHONPATH", "")]))
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "keras_gans.cli", "run", str(recipe), *options,
         "--output", str(directory)],
        stdout=log, stderr=subprocess.STDOUT, env=env, text=True,
    )
    log.close()
    return process


def interrupt(directory, log_path, count, signal_number):
    """Starts the toy run and sends it a signal once it has written `count`
    checkpoints; returns its exit code and output."""
    process = start(directory, log_path)
    wait_for_checkpoints(process, directory, count, log_path)
    process.send_signal(signal_number)
    code = process.wait(timeout=120)
    return code, open(log_path).read()


def final_weights(directory):
    gan = keras.models.load_model(os.path.join(directory, "gan.keras"))
    return gan.steps, [keras.ops.convert_to_numpy(v) for v in gan.weights]


def assert_same_weights(actual, expected):
    assert actual[0] == expected[0] == STEPS
    assert len(actual[1]) == len(expected[1])
    for a, b in zip(actual[1], expected[1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    directory = tmp_path_factory.mktemp("uninterrupted") / "run"
    result = invoke("run", RING8, *TOY, "--output", directory)
    assert result.exit_code == 0, result.output
    return final_weights(directory)


def test_sigkill_then_resume_past_a_truncated_checkpoint_matches(
    uninterrupted, tmp_path
):
    directory = tmp_path / "run"
    code, _ = interrupt(directory, tmp_path / "killed.log", 2, signal.SIGKILL)
    assert code == -signal.SIGKILL

    folder = directory / "checkpoints"
    found = checkpoints.list_checkpoints(folder)
    assert 2 <= len(found) <= 3 and found[-1][0] < STEPS
    # The newest write was cut off halfway; a temporary file was left.
    newest = found[-1][1]
    data = open(newest, "rb").read()
    with open(newest, "wb") as file:
        file.write(data[: len(data) // 2])
    leftover = folder / f".tmp-999-step_{found[-1][0] + EVERY:08d}.keras"
    leftover.write_bytes(data[:1000])
    previous_step = found[-2][0]
    assert previous_step % PER_EPOCH, "expected a mid-epoch checkpoint"

    # Resumed in this process (the killed one was a real subprocess).
    resumed = invoke("run", RING8, *TOY, "--output", directory, "--resume")
    assert resumed.exit_code == 0, resumed.output
    output = resumed.output
    assert f"Skipping the damaged checkpoint {newest}" in output
    assert f"Removed {leftover}" in output
    assert (f"Resuming from {found[-2][1]} (step {previous_step}: epoch "
            f"{previous_step // PER_EPOCH + 1}, batch "
            f"{previous_step % PER_EPOCH})") in output
    assert_same_weights(final_weights(directory), uninterrupted)
    metrics = json.loads((directory / "metrics.json").read_text())
    assert metrics["steps"] == STEPS
    assert metrics["resumed_from_step"] == previous_step


def test_ctrl_c_writes_a_checkpoint_and_prints_the_resume_command(
    uninterrupted, tmp_path
):
    directory = tmp_path / "run"
    code, output = interrupt(directory, tmp_path / "interrupted.log", 1,
                             signal.SIGINT)
    assert code == 130, output

    newest = checkpoints.list_checkpoints(directory / "checkpoints")[-1]
    step, path = newest
    assert f"Interrupted after step {step}; wrote the checkpoint {path}." in (
        output)
    assert not (directory / "gan.keras").exists()
    assert checkpoints.read_position(path)["step"] == step
    assert keras.models.load_model(path).steps == step

    command = output.split("Continue with:\n")[1].strip().splitlines()[0]
    words = shlex.split(command)
    assert words[:2] == ["keras-gans", "run"] and "--resume" in words
    assert words[words.index("--backend") + 1] == BACKEND
    result = invoke(*words[1:])
    assert result.exit_code == 0, result.output
    assert_same_weights(final_weights(directory), uninterrupted)


def test_resuming_with_another_latent_size_is_refused(tmp_path):
    directory = tmp_path / "run"
    first = invoke("run", RING8, *TOY, "--set", "train.steps=3",
                   "--output", directory)
    assert first.exit_code == 0, first.output
    result = invoke("run", RING8, *TOY, "--set", "model.latent_dim=8",
                    "--set", "model.params.depth=3", "--output", directory,
                    "--resume")
    assert result.exit_code == 1
    assert "The recipe's model differs from the one in the checkpoint" in (
        result.output)
    assert "model.latent_dim: 4 in the checkpoint, 8 in the recipe" in (
        result.output)
    assert "model.params.depth: 2 in the checkpoint, 3 in the recipe" in (
        result.output)


class RingBatches(keras.utils.PyDataset):
    """Ring data as a PyDataset (a dataset that is not an array): 8
    batches of 64 in a fixed order."""

    def __init__(self):
        super().__init__()
        self.x, _ = ring(512, std=0.02, seed=0)

    def __len__(self):
        return PER_EPOCH

    def __getitem__(self, index):
        return self.x[index * 64:(index + 1) * 64]


def test_a_dataset_that_is_not_an_array_resumes_at_the_step(monkeypatch,
                                                            tmp_path):
    use_test_plugin(monkeypatch, "resume-tests", __name__,
                    datasets={"ring_batches": RingBatches})
    directory = tmp_path / "run"
    batches = ["--set", "data.dataset=ring_batches", "--set", "data.params={}"]
    first = invoke("run", RING8, *TOY, *batches, "--set", "train.steps=12",
                   "--output", directory)
    assert first.exit_code == 0, first.output
    resumed = invoke("run", RING8, *TOY, *batches, "--set", "train.steps=20",
                     "--output", directory, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert ("Note: the dataset is not an array, so it cannot start at batch "
            "4 of the interrupted epoch") in resumed.output
    steps, _ = final_weights(directory)
    assert steps == 20
    newest = checkpoints.list_checkpoints(directory / "checkpoints")[-1][1]
    position = checkpoints.read_position(newest)
    assert (position["step"], position["epoch"], position["batch"]) == (
        20, 2, 4)


def test_a_checkpoint_named_by_epoch_by_an_older_version_resumes(tmp_path):
    directory = tmp_path / "run"
    first = invoke("run", RING8, *TOY, "--set", "train.steps=12",
                   "--output", directory)
    assert first.exit_code == 0, first.output
    folder = directory / "checkpoints"
    # What older versions wrote: epoch_NNNN.keras, no keras_gans.json.
    with zipfile.ZipFile(folder / "step_00000012.keras") as new, \
            zipfile.ZipFile(folder / "epoch_0002.keras", "w") as old:
        for name in new.namelist():
            if name != checkpoints.POSITION_MEMBER:
                old.writestr(name, new.read(name))
    for name in os.listdir(folder):
        if name.startswith("step_"):
            os.remove(folder / name)
    resumed = invoke("run", RING8, *TOY, "--set", "train.steps=20",
                     "--output", directory, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert (f"Resuming from {folder / 'epoch_0002.keras'} (step 12: epoch 2, "
            "batch 4)") in resumed.output
    assert final_weights(directory)[0] == 20


def test_a_resume_keeps_the_earlier_evaluation_marked_with_its_step(
    tmp_path,
):
    directory = tmp_path / "run"
    first = invoke("run", RING8, *TOY, "--set", "train.steps=8",
                   "--output", directory)
    assert first.exit_code == 0, first.output
    scored = invoke("evaluate", directory, "--features", "pixels",
                    "--metrics", "fid", "-n", 50)
    assert scored.exit_code == 0, scored.output
    metrics_path = directory / "metrics.json"
    evaluation = json.loads(metrics_path.read_text())["evaluation"]
    assert evaluation["measured_at_step"] == 8

    resumed = invoke("run", RING8, *TOY, "--set", "train.steps=16",
                     "--output", directory, "--resume")
    assert resumed.exit_code == 0, resumed.output
    written = json.loads(metrics_path.read_text())
    assert written["steps"] == 16
    kept = written["evaluation"]
    assert kept["metrics"] == evaluation["metrics"]
    assert kept["protocol"] == evaluation["protocol"]
    assert kept["measured_at_step"] == 8
    assert kept["note"].startswith("measured at step 8; the run has trained "
                                   "to step 16 since")


# image_mlp (tests/toy_models.py) on the 8x8 digits: the state is the same
# for any model, and a DCGAN made this test 75 s on JAX.
ADA_RECIPE = """name = "ada"
[model]
architecture = "image_mlp"
latent_dim = 8
params = { width = 16 }
[data]
dataset = "digits"
batch_size = 32
params = { image_size = 8, split = "train" }
[train]
steps = 24
seed = 0
# Starting at 0.5, p moves by 32 * 4 / 1000 every 4 steps, whichever side
# of the target r_t falls. Colour transforms only: the state is the same
# for any pipeline, and JAX compiles this one fast.
augment = { name = "ada", p = 0.5, target = 0.6, ramp_images = 1000, transforms = "brightness,contrast" }
[output]
samples = 16
sample_every = 0
checkpoint_every = 0
checkpoint_every_steps = 8
"""


def test_ada_state_survives_sigkill_and_resume(tmp_path, monkeypatch):
    image_mlp_runs.use(monkeypatch)
    recipe = tmp_path / "ada.toml"
    recipe.write_text(ADA_RECIPE)
    whole = tmp_path / "whole"
    assert invoke("run", recipe, "--output", whole).exit_code == 0
    directory = tmp_path / "run"
    log_path = tmp_path / "killed.log"
    process = image_mlp_runs.start(
        ["run", recipe, "--output", directory], log_path)
    wait_for_checkpoints(process, directory, 1, log_path)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=120) == -signal.SIGKILL
    resumed = invoke("run", recipe, "--output", directory, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "Resuming from" in resumed.output

    expected, actual = (
        keras.models.load_model(os.path.join(d, "gan.keras"))
        for d in (whole, directory))
    state = [keras.ops.convert_to_numpy(v) for v in expected.augment.weights]
    p, rt = state[0], state[1]
    assert p != 0.5 and rt != 0.0  # the state moved during the run
    for a, b in zip(actual.augment.weights, expected.augment.weights):
        assert keras.ops.convert_to_numpy(a) == keras.ops.convert_to_numpy(b)
    for a, b in zip(actual.weights, expected.weights):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a),
                                   keras.ops.convert_to_numpy(b),
                                   rtol=0, atol=1e-6)
