"""JAX training over several devices and processes (keras.distribution).

Each distributed run trains in fresh subprocesses (`tests/jax_distributed.py`),
where JAX can still be given simulated CPU devices or join other
processes, on the CPU on any machine; the one-device reference trains in
the same subprocess once the distribution is closed. SGD, d_steps=2, a
gradient penalty (its alpha is drawn per row) and an EMA, so a gradient off
by a factor, a row fed to the wrong replica or an EMA left behind shows.
"""

import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest

import jax_distributed
import paths

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="keras.distribution runs on JAX"
)

# Weights of N devices vs one: the same sums in another order, so float32
# rounding only. Measured max over G's, D's and the EMA's weights, with 1
# and 2 threads: 1.2e-7 for 2 devices, for each of 2 processes and for the
# model-parallel mesh, while the weights moved 0.18 from their initial
# values, and feeding the two processes each other's rows moved them 0.05.
TOLERANCE = 1e-6


def _environment(**extra):
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)  # the runs choose their own device count
    for name in list(env):
        if name.startswith("KERAS_DISTRIBUTION_"):
            del env[name]
    env["PYTHONPATH"] = os.pathsep.join(
        [paths.REPO, paths.TESTS, env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def _command(kind, out):
    return [sys.executable, os.path.join(paths.TESTS, "jax_distributed.py"),
            kind, str(out)]


def _run(kind, out):
    """Trains in one subprocess; returns _read's triple."""
    done = subprocess.run(_command(kind, out), env=_environment(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return _read(out)


def _read(out):
    """(distributed weights, one device's weights or None, report)."""
    with np.load(f"{out}.npz") as saved:
        runs = {prefix: [saved[key] for key in sorted(saved)
                         if key.startswith(prefix)]
                for prefix in ("distributed_", "one_device_")}
    with open(f"{out}.json") as file:
        report = json.load(file)
    return runs["distributed_"], runs["one_device_"] or None, report


def _max_difference(a, b):
    assert len(a) == len(b) == 18  # G's, D's and the EMA's weights
    assert [w.shape for w in a] == [w.shape for w in b]
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


@pytest.fixture(scope="module")
def two_devices(tmp_path_factory):
    """The "devices" run: 2 devices' weights, one device's, its report."""
    return _run("devices", tmp_path_factory.mktemp("jax") / "devices")


def test_two_devices_train_as_one_device(two_devices):
    weights, one_device, report = two_devices
    assert report["distribution"]["devices"] == ["cpu:0", "cpu:1"]
    assert report["distribution"]["replicas"] == 2
    assert _max_difference(weights, one_device) < TOLERANCE


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_processes_fed_their_rows_train_as_one_process(
        tmp_path, two_devices):
    _, one_device, _ = two_devices
    address = f"127.0.0.1:{_free_port()}"
    runs = [
        subprocess.Popen(
            _command("process", tmp_path / f"process{index}"),
            env=_environment(KERAS_DISTRIBUTION_JOB_ADDRESSES=address,
                             KERAS_DISTRIBUTION_NUM_PROCESSES="2",
                             KERAS_DISTRIBUTION_PROCESS_ID=str(index)),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for index in range(2)
    ]
    try:
        for run in runs:
            output, _ = run.communicate(timeout=300)
            assert run.returncode == 0, output[-3000:]
    finally:
        for run in runs:  # the other waits for a partner that failed
            if run.poll() is None:
                run.kill()
                run.wait()
    x = jax_distributed.ring_data()
    chief, _, _ = _read(tmp_path / "process0")
    for index in range(2):
        weights, _, report = _read(tmp_path / f"process{index}")
        assert report["distribution"] == {
            "mode": "data_parallel", "replicas": 2, "process_index": index,
            "process_count": 2, "local_rows": True,
            "devices": [report["distribution"]["devices"][0]],
        }
        # Rows index*8 .. index*8 + 8 of every global batch of 16, only;
        # the weights below match one process only in that order.
        expected = x.reshape(4, 2, 8, 2)[:, index].reshape(-1, 2)
        np.testing.assert_array_equal(np.float32(report["fed"]), expected)
        assert _max_difference(weights, one_device) < TOLERANCE
    # The chief saved the weights replicated over both processes; a GAN on
    # one device loads them.
    gan = jax_distributed.build()
    gan.load_weights(str(tmp_path / "process0.weights.h5"))
    loaded = list(jax_distributed.weights(gan).values())
    for read, trained in zip(loaded, chief, strict=True):
        np.testing.assert_array_equal(read, trained)


def test_model_parallel_splits_kernels_moments_and_ema(tmp_path):
    weights, one_device, report = _run("model", tmp_path / "model")
    assert report["distribution"]["mode"] == "model_parallel"
    assert report["distribution"]["replicas"] == 2  # the batch axis
    split = report["split"]
    assert len(split["kernels"]) == 3 and len(split["ema"]) == 3
    assert len(split["moments"]) == 6  # Adam's momentum and velocity
    for group in ("kernels", "ema", "moments"):
        for path, (shape, piece) in split[group].items():
            # Each device of a model-axis pair holds half the rows.
            assert piece == [shape[0] // 2, shape[1]], (group, path)
    assert _max_difference(weights, one_device) < TOLERANCE


def test_model_parallel_refuses_a_mesh_or_layout_that_does_not_fit():
    from keras_gans import backend

    with pytest.raises(ValueError, match=r"mesh has 4 devices .* 1 are"):
        backend.distribute(1, mode="model_parallel",
                           mesh={"batch": 2, "model": 2},
                           layout={".*kernel": [None, "model"]})
    with pytest.raises(ValueError, match="axes the mesh lacks: 'modle'"):
        backend.distribute(1, mode="model_parallel",
                           mesh={"batch": 1, "model": 1},
                           layout={".*kernel": [None, "modle"]})
    with pytest.raises(ValueError, match=r"axis name or None \(\"\" in TOML"):
        backend.distribute(1, mode="model_parallel",
                           mesh={"batch": 1, "model": 1},
                           layout={".*kernel": "model"})
    with pytest.raises(ValueError, match="only apply to mode=.model_parallel"):
        backend.distribute(1, mesh={"batch": 1})
    dist = backend.distribute(1, mode="model_parallel",
                              mesh={"batch": 1, "model": 1},
                              layout={".*kernel": ["", None, "model"]})
    try:
        # A 2-D kernel cannot take a 3-D layout: the error names it.
        with pytest.raises(ValueError, match="'dense/kernel' of shape"):
            keras.layers.Dense(2, name="dense").build((None, 3))
    finally:
        dist.close()


def test_more_devices_than_a_started_jax_shows_says_how_to_simulate():
    import jax

    from keras_gans import backend

    if jax.default_backend() != "cpu":
        pytest.skip("simulated devices are CPU devices")
    count = len(jax.devices()) + 1
    with pytest.raises(ValueError, match=(
            f"XLA_FLAGS=--xla_force_host_platform_device_count={count}")):
        backend.distribute(count)
