"""Data-parallel training on TensorFlow: `tf.distribute` strategies.

Two logical CPU devices (a `MirroredStrategy`) and two `TF_CONFIG` workers
on localhost (a `MultiWorkerMirroredStrategy`) must train what one device
trains on the same global batch. TensorFlow splits its CPU into logical
devices only before its runtime starts, and a worker's strategy must be
made before anything else, so both run in fresh processes: this file run
as a script (`python test_tensorflow.py mirrored|worker OUT`).
"""

import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="tf.distribute strategies are TensorFlow's",
)

# 4 steps of a global batch of 64: SGD (Adam would hide a wrong 1/N
# gradient factor), d_steps=2 and WGAN-GP (which draws alpha) and an EMA.
BATCH = 64
STEPS = 4


def train(jit_compile="auto", privacy=None, ordered=False):
    """Builds, compiles and fits the GAN in the current strategy's scope;
    returns it and its History. `ordered`: fed as `keras-gans run` feeds
    it, by the run layer's `OrderedBatches` (a `keras.utils.PyDataset`)."""
    import keras_gans
    from keras_gans.datasets import ring
    from toy_models import mlp

    keras.utils.set_random_seed(0)
    gan = keras_gans.GAN(mlp(16, 2, width=32), mlp(2, 1, width=32),
                         latent_dim=16)
    gan.compile(
        g_optimizer=keras.optimizers.SGD(0.05),
        d_optimizer=keras.optimizers.SGD(0.05),
        loss="wasserstein", penalty="wgan_gp", d_steps=2, ema=0.9,
        jit_compile=jit_compile, privacy=privacy,
    )
    x, _ = ring(STEPS * BATCH, seed=0)
    if ordered:
        from keras_gans.training.batches import OrderedBatches

        history = gan.fit(OrderedBatches(x, None, BATCH, seed=0),
                          steps_per_epoch=STEPS, epochs=1, verbose=0,
                          shuffle=False)
        return gan, history
    # Shuffled, as runs are: every process seeds its shuffle alike.
    history = gan.fit(x, batch_size=BATCH, epochs=1, verbose=0,
                      shuffle=True)
    return gan, history


def state(gan):
    """Every variable training changes: G, D, the EMA weights, the seed
    generator and both optimizers' variables (iterations included)."""
    variables = (list(gan.variables) + list(gan.g_optimizer.variables)
                 + list(gan.d_optimizer.variables))
    return {f"{i}:{v.path}": np.asarray(v) for i, v in enumerate(variables)}


def max_difference(a, b):
    assert len(a) == len(b)
    return max(float(np.max(np.abs(x - y)))
               for x, y in zip(a.values(), b.values()))


def _run_mirrored(out):
    """Trains on one device, then on 2 logical CPU devices; records both,
    the draws each replica kept and the refusals."""
    import tensorflow as tf

    from keras_gans import backend
    from keras_gans import replica_draws

    dist = backend.distribute(2)  # First: it splits the CPU.
    single, single_history = train(jit_compile=False)
    np.savez(out + ".ordered.npz",
             **state(train(jit_compile=False, ordered=True)[0]))
    with dist.scope():
        parallel, history = train()
        strategy = tf.distribute.get_strategy()
        kept = strategy.run(lambda: replica_draws.batch_rows(
            lambda shape: keras.random.normal(shape, seed=7), (4, 3)))
        kept = [np.asarray(v) for v in strategy.experimental_local_results(
            kept)]
        refusals = {}
        for name, kwargs in (
                ("jit", dict(jit_compile=True)),
                ("privacy", dict(privacy=dict(noise_multiplier=1.0,
                                              l2_norm_clip=1.0)))):
            try:
                train(**kwargs)
            except ValueError as error:
                refusals[name] = str(error)
        from types import SimpleNamespace

        from keras_gans.augment import ADA

        try:  # what GAN.compile asks of the backend, for an adaptive ADA
            backend.current().check_distributed(SimpleNamespace(
                distribute_strategy=strategy, augment=ADA(target=0.6)),
                False, None)
        except ValueError as error:
            refusals["ada"] = str(error)
    copies = {
        v.path: max(float(np.max(np.abs(np.asarray(c) - np.asarray(
            v.value.values[0])))) for c in v.value.values)
        for v in parallel.variables
    }
    np.savez(out + ".single.npz", **state(single))
    np.savez(out + ".parallel.npz", **state(parallel))
    np.save(out + ".kept.npy", np.stack(kept))
    np.save(out + ".global.npy",
            np.asarray(keras.random.normal((8, 3), seed=7)))
    with open(out + ".json", "w") as file:
        json.dump({
            "replicas": dist.replicas, "devices": list(dist.devices),
            "note": parallel._compile_note, "copies": copies,
            "refusals": refusals,
            "history": history.history,
            "single_history": single_history.history,
        }, file)


def _run_worker(out):
    """One worker of a `TF_CONFIG` cluster: trains and records."""
    from keras_gans import backend

    dist = backend.distribute("all")
    with dist.scope():
        gan, history = train()
        ordered, _ = train(ordered=True)
    np.savez(out + ".npz", **state(gan))
    np.savez(out + ".ordered.npz", **state(ordered))
    with open(out + ".json", "w") as file:
        json.dump({
            "replicas": dist.replicas, "process_index": dist.process_index,
            "process_count": dist.process_count,
            "local_rows": dist.local_rows, "history": history.history,
            "types": sorted({type(v).__name__
                             for values in history.history.values()
                             for v in values}),
        }, file)


def _environment(**extra):
    # On the CPU, where one device computes what the replicas compute.
    return dict(os.environ, KERAS_BACKEND="tensorflow",
                TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="-1",
                **extra)


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("mirrored") / "run")
    subprocess.run([sys.executable, __file__, "mirrored", out],
                   env=_environment(), check=True, timeout=300)
    with open(out + ".json") as file:
        result = json.load(file)
    result["single"] = dict(np.load(out + ".single.npz"))
    result["ordered"] = dict(np.load(out + ".ordered.npz"))
    result["parallel"] = dict(np.load(out + ".parallel.npz"))
    result["kept"] = np.load(out + ".kept.npy")
    result["global"] = np.load(out + ".global.npy")
    return result


def test_two_logical_devices_train_what_one_device_trains(mirrored):
    assert mirrored["replicas"] == 2, mirrored["devices"]
    assert "no XLA: a tf.distribute strategy with 2 replicas" in (
        mirrored["note"])
    # Per-replica losses scaled by 1/2 and summed by the all-reduce, z and
    # alpha drawn for the global batch: one device's updates up to float
    # rounding (measured 6e-8 with 1 thread and with default threads).
    # Replicas sharing one draw gave 1.3e-2.
    assert max_difference(mirrored["single"], mirrored["parallel"]) < 1e-6
    iterations = [v for k, v in mirrored["parallel"].items()
                  if k.endswith("/iteration")]
    assert sorted(int(v) for v in iterations) == [STEPS, STEPS * 2]


def test_two_logical_devices_log_what_one_device_logs(mirrored):
    # The trackers sum over the replicas, so the logs are the global
    # batch's means, as plain numbers.
    history, single = mirrored["history"], mirrored["single_history"]
    assert sorted(history) == sorted(single)
    for name, values in single.items():
        assert all(type(v) is float for v in history[name])
        np.testing.assert_allclose(history[name], values, rtol=1e-5)


def test_each_replica_keeps_its_rows_of_one_global_draw(mirrored):
    kept, whole = mirrored["kept"], mirrored["global"]
    np.testing.assert_array_equal(kept[0], whole[:4])
    np.testing.assert_array_equal(kept[1], whole[4:])


def test_replicas_hold_identical_copies_after_training(mirrored):
    # The EMA weights and the seed generator are updated on every replica
    # from identical values, so their copies stay equal.
    assert any("ema" in path for path in mirrored["copies"])
    assert any("seed_generator" in path for path in mirrored["copies"])
    assert all(d == 0.0 for d in mirrored["copies"].values()), (
        mirrored["copies"])


def test_xla_privacy_and_adaptive_augmentation_refused_under_two_replicas(
        mirrored):
    jit = mirrored["refusals"]["jit"]
    assert "XLA cannot compile" in jit and "jit_compile=\"auto\"" in jit
    assert "Received: jit_compile=True under MirroredStrategy with 2" in jit
    privacy = mirrored["refusals"]["privacy"]
    assert "own noise" in privacy
    assert "Received: privacy under MirroredStrategy with 2" in privacy
    ada = mirrored["refusals"]["ada"]
    assert "copies would drift apart" in ada and "target=None" in ada


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_two_workers_train_what_one_process_trains(mirrored, tmp_path):
    cluster = {"worker": [f"localhost:{p}" for p in _free_ports(2)]}
    outs = [str(tmp_path / f"worker{i}") for i in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, __file__, "worker", out],
            env=_environment(TF_CONFIG=json.dumps(
                {"cluster": cluster, "task": {"type": "worker",
                                              "index": i}})),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for i, out in enumerate(outs)
    ]
    try:
        logs = [worker.communicate(timeout=300)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for worker, log in zip(workers, logs):
        assert worker.returncode == 0, log[-3000:]
    results = []
    for out in outs:
        with open(out + ".json") as file:
            results.append(json.load(file))
    assert [(r["process_index"], r["process_count"], r["replicas"])
            for r in results] == [(0, 2, 2), (1, 2, 2)]
    # Keras splits each global batch over the workers itself, and every
    # worker shuffles the epoch alike (same seed), so each trains on its
    # rows of the batches the one-device run of `mirrored` trained on.
    assert not any(r["local_rows"] for r in results)
    for out in outs:
        # Measured 6e-8 with 1 thread and with default threads.
        assert max_difference(mirrored["single"],
                              dict(np.load(out + ".npz"))) < 1e-6
        # Fed as `keras-gans run` feeds them (a PyDataset, whose first
        # batch Keras' symbolic build could not reduce over the workers:
        # backend.tensorflow.maybe_symbolic_build): measured 7.5e-8.
        assert max_difference(mirrored["ordered"],
                              dict(np.load(out + ".ordered.npz"))) < 1e-6
    for result in results:
        # Logs of shape (1,) under the multi-worker strategy come back as
        # plain numbers, the global batch's means.
        assert result["types"] == ["float"]
        for name, values in mirrored["single_history"].items():
            np.testing.assert_allclose(result["history"][name], values,
                                       rtol=1e-5)


def test_cpu_split_after_the_runtime_started_is_refused():
    import tensorflow as tf

    from keras_gans import backend

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("the CPU is split only on machines without a GPU")
    keras.ops.zeros(1)  # TensorFlow's runtime has started.
    with pytest.raises(ValueError, match="only before its runtime starts"):
        backend.distribute(5)


def test_model_parallel_is_refused_on_tensorflow():
    from keras_gans import backend

    with pytest.raises(ValueError, match="only the JAX backend supports"):
        backend.distribute(2, mode="model_parallel")


if __name__ == "__main__":
    {"mirrored": _run_mirrored, "worker": _run_worker}[sys.argv[1]](
        sys.argv[2])
