"""`keras-gans run --devices N`: a run on two devices, its log, its outputs,
an exact resume, its checkpoint on one device, and the refusals.

The runs on two devices are CLI subprocesses: JAX fixes its device count
when it starts (two simulated CPU devices through `XLA_FLAGS`), and the
test process has one. A tiny ring8 run (64 samples, global batch 8: 8
batches per epoch; 6 steps, a checkpoint every 3) keeps each one to a few
seconds.
"""

import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import keras_gans
from keras_gans import backend
from keras_gans import cli
from keras_gans import saving
from keras_gans.runs.directory import RunDirectory
from keras_gans.training import checkpoints

from paths import REPO

RING8 = os.path.join(REPO, "recipes", "ring8.toml")
BACKEND = keras.backend.backend()
STEPS, EVERY = 6, 3
TINY = [
    "--set", "data.params.num_samples=64",
    "--set", "data.batch_size=8",
    "--set", "model.params.width=8",
    "--set", "model.latent_dim=4",
    "--set", "output.samples=16",
    "--set", "output.sample_every=0",
    "--set", "output.log_images_every=0",
    "--set", "output.checkpoint_every=0",
    "--set", f"output.checkpoint_every_steps={EVERY}",
    "--set", f"train.steps={STEPS}",
]
# What the CLI subprocess needs to see two devices, per backend.
TWO_DEVICES_ENV = {
    "jax": {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"},
}
# PyTorch trains on each device in a process of its own (backend.launch).
PROCESSES = {"torch": 2}.get(BACKEND, 1)

pytestmark = pytest.mark.skipif(
    not hasattr(backend.current(), "distribute"),
    reason=f"issue 12: keras_gans.backend.{BACKEND} has no distribute() "
           "yet (multi-device runs land with its helper's branch)")


def run_cli(*args, tmp=None):
    """`keras-gans run ...` in a subprocess that sees two devices (with
    its temporary files in `tmp`); `(exit code, stdout and stderr)`."""
    root = os.path.dirname(os.path.dirname(keras_gans.__file__))
    env = dict(os.environ, KERAS_BACKEND=BACKEND, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(
                   [root, os.environ.get("PYTHONPATH", "")]),
               **TWO_DEVICES_ENV.get(BACKEND, {}))
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    result = subprocess.run(
        [sys.executable, "-m", "keras_gans.cli", "run", RING8, *TINY,
         *map(str, args)],
        env=env, capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


def weights(path):
    gan = saving.load_model(path)
    return gan.steps, [keras.ops.convert_to_numpy(v) for v in gan.weights]


@pytest.fixture(scope="module")
def two_devices(tmp_path_factory):
    """A run on two devices, uninterrupted: `(directory, log, the
    temporary folder its processes used)`."""
    directory = tmp_path_factory.mktemp("two") / "run"
    tmp = tmp_path_factory.mktemp("tmp")
    code, log = run_cli("--devices", 2, "--output", directory, tmp=tmp)
    assert code == 0, log
    return directory, log, tmp


def test_a_run_on_two_devices_says_so_and_writes_its_outputs_once(
        two_devices):
    """The log names the replicas and the batch per device once; the run
    directory holds one run's files, written by the chief alone: the
    other processes' temporary copies are gone."""
    directory, log, tmp = two_devices
    lines = [line for line in log.splitlines()
             if line.startswith("Training data-parallel")]
    assert len(lines) == 1, log
    assert "2 replicas" in lines[0]
    assert "global batch 8, 4 per replica" in lines[0]
    run = RunDirectory(directory)
    assert [step for step, _ in checkpoints.list_checkpoints(
        run.checkpoints)] == [3, 6]
    assert run.read_recipe()["distribution"]["devices"] == 2
    metrics = run.read_metrics()
    assert metrics["steps"] == STEPS
    assert metrics["distribution"] == {"mode": "data_parallel",
                                       "replicas": 2,
                                       "processes": PROCESSES}
    assert log.count("Run directory:") == 1
    assert [name for name in os.listdir(tmp)
            if name.startswith("keras-gans-process")] == []


def test_a_two_device_run_stopped_at_a_checkpoint_resumes_exactly(
        two_devices, tmp_path):
    """The run as a kill after its step-3 checkpoint leaves it, resumed on
    two devices, ends with the uninterrupted run's weights (step 3 is in
    the middle of the first epoch: the position counts global batches)."""
    directory, _, _ = two_devices
    stopped = tmp_path / "stopped"
    shutil.copytree(directory, stopped)
    run = RunDirectory(stopped)
    for step, path in checkpoints.list_checkpoints(run.checkpoints):
        if step > EVERY:
            os.remove(path)
    for path in (run.gan_path, run.generator_path, run.metrics_path):
        os.remove(path)
    code, log = run_cli("--devices", 2, "--output", stopped, "--resume")
    assert code == 0, log
    assert f"(step {EVERY}: epoch 1, batch {EVERY})" in log
    resumed = weights(run.gan_path)
    expected = weights(RunDirectory(directory).gan_path)
    assert resumed[0] == expected[0] == STEPS
    for a, b in zip(resumed[1], expected[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_a_two_device_checkpoint_loads_and_samples_on_one_device(
        two_devices):
    """This process has one device: the full GAN samples what the
    exported generator makes of the same latent batch."""
    directory, _, _ = two_devices
    run = RunDirectory(directory)
    gan = saving.load_model(run.gan_path)
    z = np.random.default_rng(3).normal(size=(16, 4)).astype("float32")
    samples = gan.generate(z=z)
    assert samples.shape == (16, 2) and np.isfinite(samples).all()
    generator = saving.load_model(run.generator_path)
    np.testing.assert_allclose(
        samples, keras.ops.convert_to_numpy(generator(z, training=False)),
        rtol=0, atol=1e-6)


def test_a_batch_that_does_not_split_over_the_devices_is_refused(tmp_path):
    """Before anything starts: in this process, before PyTorch would start
    its processes."""
    directory = tmp_path / "run"
    result = CliRunner().invoke(cli.main, [
        "run", RING8, *TINY, "--devices", "2", "--set", "data.batch_size=7",
        "--output", str(directory)])
    assert result.exit_code == 2, result.output
    assert ("data.batch_size: The global batch size must divide by the 2 "
            "data-parallel replicas. Received: batch_size=7. Use 6 or 8."
            ) in result.output
    assert not directory.exists()


@pytest.mark.skipif(BACKEND != "jax",
                    reason="on a CPU, \"all\" is 2 devices only with "
                           "JAX's simulated ones (XLA_FLAGS)")
def test_a_batch_that_does_not_split_over_all_devices_is_refused(tmp_path):
    """devices = "all": refused once the backend has counted them."""
    directory = tmp_path / "run"
    code, log = run_cli("--devices", "all", "--set", "data.batch_size=7",
                        "--output", directory)
    assert code == 2, log
    assert ("data.batch_size: The global batch size must divide by the 2 "
            "data-parallel replicas. Received: batch_size=7. Use 6 or 8."
            ) in log
    assert not directory.exists()


@pytest.mark.parametrize("devices, problem", [
    ("0", "got 0"),
    ("-1", "got -1"),
    ("cpu:0,cpu:0", 'names a device twice: an array ["cpu:0", "cpu:0"]'),
])
def test_a_bad_devices_value_is_refused_naming_the_key(devices, problem,
                                                      tmp_path):
    directory = tmp_path / "run"
    result = CliRunner().invoke(cli.main, [
        "run", RING8, *TINY, "--devices", devices, "--output",
        str(directory)])
    assert result.exit_code == 2, result.output
    assert "distribution.devices:" in result.output
    assert problem in result.output
    assert not directory.exists()


def test_a_batch_smaller_than_the_devices_is_refused(tmp_path):
    directory = tmp_path / "run"
    result = CliRunner().invoke(cli.main, [
        "run", RING8, *TINY, "--devices", "16", "--output", str(directory)])
    assert result.exit_code == 2, result.output
    assert ("data.batch_size: the global batch of 8 cannot be split over 16 "
            "data-parallel replicas (each needs at least one row); use 16 or "
            "a multiple of it, or fewer devices") in result.output
    assert not directory.exists()


@pytest.mark.skipif(BACKEND != "jax",
                    reason="on a CPU, TensorFlow splits the CPU into as many "
                           "logical devices as asked for, and PyTorch starts "
                           "a process per device")
def test_more_devices_than_this_process_sees_are_refused(tmp_path):
    directory = tmp_path / "run"
    result = CliRunner().invoke(cli.main, [
        "run", RING8, *TINY, "--devices", "32", "--set", "data.batch_size=32",
        "--output", str(directory)])
    assert result.exit_code == 2, result.output
    assert "distribution.devices: " in result.output
    assert "Received: devices=32" in result.output
    assert not directory.exists()
