"""`keras-gans run --devices N`: a run on two devices, its log, its outputs,
an exact resume, its checkpoint on one device, and the refusals.

The runs on two devices are CLI subprocesses, as a user starts them: on
this CPU, JAX simulates two host devices and TensorFlow splits the CPU in
two logical devices when the run starts, and PyTorch starts two
processes (the test process has one device and has started its backend).
A tiny ring8 run (64 samples, global batch 8: 8
batches per epoch; 6 steps, a checkpoint every 3) keeps each one to a few
seconds.
"""

import json
import os
import shutil
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import keras_gans
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
# PyTorch trains on each device in a process of its own (backend.launch).
PROCESSES = {"torch": 2}.get(BACKEND, 1)


def run_cli(*args, tmp=None, variables=None):
    """`keras-gans run ...` in a subprocess (with its temporary files in
    `tmp`, and the environment `variables` added); `(exit code, stdout and
    stderr)`."""
    root = os.path.dirname(os.path.dirname(keras_gans.__file__))
    env = dict(os.environ, KERAS_BACKEND=BACKEND, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(
                   [root, os.environ.get("PYTHONPATH", "")]))
    env.pop("XLA_FLAGS", None)  # the run asks for its devices itself
    env.update(variables or {})
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    result = subprocess.run(
        [sys.executable, "-m", "keras_gans.cli", "run", RING8, *TINY,
         *map(str, args)],
        env=env, capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


def run_processes(*args, tmp):
    """`keras-gans run ...` in two JAX processes on localhost (the
    `KERAS_DISTRIBUTION_*` variables, one CPU device each), process `i`
    with its temporary files in `tmp / str(i)`; `[(exit code, output)]`."""
    root = os.path.dirname(os.path.dirname(keras_gans.__file__))
    with socket.socket() as free:
        free.bind(("localhost", 0))
        port = free.getsockname()[1]
    started = []
    for index in range(2):
        folder = tmp / str(index)
        folder.mkdir(exist_ok=True)
        env = dict(os.environ, KERAS_BACKEND=BACKEND,
                   TF_CPP_MIN_LOG_LEVEL="3", TMPDIR=str(folder),
                   PYTHONPATH=os.pathsep.join(
                       [root, os.environ.get("PYTHONPATH", "")]),
                   KERAS_DISTRIBUTION_JOB_ADDRESSES=f"localhost:{port}",
                   KERAS_DISTRIBUTION_NUM_PROCESSES="2",
                   KERAS_DISTRIBUTION_PROCESS_ID=str(index))
        env.pop("XLA_FLAGS", None)
        started.append(subprocess.Popen(
            [sys.executable, "-m", "keras_gans.cli", "run", RING8, *TINY,
             *map(str, args)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True))
    return [(process.wait(timeout=300), process.stdout.read())
            for process in started]


def stop_after_first_checkpoint(directory, copy):
    """A copy of a finished run as a kill after its step-3 checkpoint
    leaves it."""
    shutil.copytree(directory, copy)
    run = RunDirectory(copy)
    for step, path in checkpoints.list_checkpoints(run.checkpoints):
        if step > EVERY:
            os.remove(path)
    for path in (run.gan_path, run.generator_path, run.metrics_path):
        os.remove(path)
    return run


def assert_same_weights(actual_path, expected_path):
    actual, expected = weights(actual_path), weights(expected_path)
    assert actual[0] == expected[0] == STEPS
    for a, b in zip(actual[1], expected[1], strict=True):
        # Bit-identical on JAX, TensorFlow and PyTorch on this CPU.
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


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
    """The run as a kill after its step-3 checkpoint leaves it, resumed,
    ends with the uninterrupted run's weights (step 3 is in the middle of
    the first epoch: the position counts global batches). On JAX it
    resumes in two processes of one device each (`KERAS_DISTRIBUTION_*`),
    fed their own rows of each global batch: the chief alone logs and
    writes, the other's temporary copies are removed. Elsewhere on two
    devices as before (PyTorch's are two processes too)."""
    directory, _, _ = two_devices
    run = stop_after_first_checkpoint(directory, tmp_path / "stopped")
    if BACKEND == "jax":
        results = run_processes("--devices", "all", "--output", run.path,
                                "--resume", tmp=tmp_path)
        assert [code for code, _ in results] == [0, 0], results
        (_, log), (_, other) = results
        assert "on 2 replicas in 2 processes" in log
        assert "Resuming" not in other and "Run directory" not in other
        for index in range(2):
            assert os.listdir(tmp_path / str(index)) == []
        assert run.read_metrics()["distribution"]["processes"] == 2
    else:
        code, log = run_cli("--devices", 2, "--output", run.path, "--resume")
        assert code == 0, log
    assert f"(step {EVERY}: epoch 1, batch {EVERY})" in log
    assert [step for step, _ in checkpoints.list_checkpoints(
        run.checkpoints)] == [3, 6]
    assert_same_weights(run.gan_path, RunDirectory(directory).gan_path)


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
    code, log = run_cli(
        "--devices", "all", "--set", "data.batch_size=7", "--output",
        directory,
        variables={"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
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


@pytest.mark.skipif(BACKEND != "jax",
                    reason="JAX's processes, from KERAS_DISTRIBUTION_*")
def test_a_run_in_several_processes_needs_an_output_directory(tmp_path):
    """Without --output each process would make its own run directory."""
    parent = tmp_path / "runs"
    results = run_processes("--devices", "all", "--set",
                            f"output.dir={json.dumps(str(parent))}",
                            tmp=tmp_path)
    for code, output in results:
        assert code == 1, output
        assert ("A run in 2 processes needs `output`, the run directory, "
                "named the same in every process. Pass the same --output "
                "DIR to every process.") in output
    assert not parent.exists()
