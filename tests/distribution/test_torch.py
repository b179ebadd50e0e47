"""Data-parallel training on PyTorch: torchrun-style ranks on gloo."""

import json
import os
import sys
import textwrap

import keras
import numpy as np
import pytest
import paths

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="torch.distributed process groups are PyTorch's",
)

GLOBAL_BATCH = 32
STEPS = 4

# Run by each of two ranks that `backend.launch` starts: rank r seeds its
# own initialisation with r, so the ranks start apart and `synchronize`
# must broadcast rank 0's. Each rank trains on its rows of every global
# batch (the contract's local_rows rule). Rank 0 then leaves the process
# group and trains one process on the global batches from the same start.
RANK_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import keras, numpy as np, keras_gans
    sys.path.insert(0, {tests!r})
    from toy_models import mlp
    from keras_gans import backend
    from keras_gans.backend.torch import state_variables
    from keras_gans.datasets import ring

    out, batch, steps = sys.argv[1], {batch}, {steps}
    x, _ = ring(batch * steps, seed=0)

    def build(seed):
        keras.utils.set_random_seed(seed)
        gan = keras_gans.GAN(mlp(16, 2, width=32), mlp(2, 1, width=32),
                             latent_dim=16)
        gan.compile(g_optimizer=keras.optimizers.SGD(0.05, momentum=0.5),
                    d_optimizer=keras.optimizers.SGD(0.05, momentum=0.5),
                    penalty="wgan_gp", ema=0.9, d_steps=2)
        gan.optimizer.build()
        return gan

    def build_normalized(seed):
        # G with BatchNormalization: its batch statistics are per rank.
        keras.utils.set_random_seed(seed)
        z = keras.Input((16,))
        h = keras.layers.Dense(32)(z)
        h = keras.layers.BatchNormalization(momentum=0.5)(h)
        h = keras.layers.Dense(2)(keras.layers.ReLU()(h))
        gan = keras_gans.GAN(keras.Model(z, h), mlp(2, 1, width=32),
                             latent_dim=16)
        gan.compile(*[keras.optimizers.SGD(0.05) for _ in "gd"])
        return gan

    def moving(gan, x):
        # Statistics after one step (three training passes of G from its
        # initial weights: two D updates, one G update).
        gan.fit(x, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
        return [np.asarray(keras.ops.convert_to_numpy(v))
                for v in gan.generator.non_trainable_variables]

    def state(gan):
        # Every variable except the metric trackers, which hold each
        # rank's running mean of its own rows' losses.
        trackers = {{id(v) for v in gan.metrics_variables}}
        return [np.asarray(keras.ops.convert_to_numpy(v))
                for v in state_variables(gan) if id(v) not in trackers]

    dist = backend.distribute(2)
    rank = dist.process_index
    gan = build(seed=rank)
    before = state(gan)
    dist.synchronize(gan)
    after = state(gan)
    try:
        gan.compile(*[keras.optimizers.SGD() for _ in "gd"],
                    privacy=dict(noise_multiplier=1.0, l2_norm_clip=1.0))
        refusal = None
    except ValueError as error:
        refusal = str(error)
    try:
        dist.synchronize(keras_gans.VAE(mlp(2, 4, width=8), mlp(2, 2, width=8),
                                        latent_dim=2))
        refusal = [refusal, None]
    except ValueError as error:
        refusal = [refusal, str(error)]
    local = batch // dist.process_count
    rows = x.reshape(steps, dist.process_count, local, 2)[:, rank]
    history = gan.fit(rows.reshape(-1, 2), batch_size=local, epochs=1,
                      shuffle=False, verbose=0).history
    np.savez(os.path.join(out, f"rank{{rank}}.npz"), *state(gan))
    np.savez(os.path.join(out, f"start{{rank}}.npz"), *before, *after)
    meta = dict(dist=[dist.mode, dist.replicas, dist.process_count,
                      dist.local_rows, list(dist.devices)],
                history=history, refusal=refusal, steps=int(gan.steps),
                variables=len(before))
    with open(os.path.join(out, f"rank{{rank}}.json"), "w") as f:
        json.dump(meta, f)
    normalized = build_normalized(seed=rank)
    dist.synchronize(normalized)
    np.savez(os.path.join(out, f"moving{{rank}}.npz"),
             *moving(normalized, rows[0]))
    dist.close()
    if rank == 0:
        np.savez(os.path.join(out, "moving.npz"),
                 *moving(build_normalized(seed=0), x[:batch]))
        assert backend.replica_rows() == (0, 1)
        single = build(seed=0)
        history = single.fit(
            x, batch_size=batch, epochs=1, shuffle=False, verbose=0).history
        np.savez(os.path.join(out, "single.npz"), *state(single))
        with open(os.path.join(out, "single.json"), "w") as f:
            json.dump(dict(history=history), f)
    """
)


def _arrays(path):
    with np.load(path) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """Launches the two ranks once; returns their output folder."""
    from keras_gans import backend

    out = tmp_path_factory.mktemp("ranks")
    script = out / "rank.py"
    script.write_text(RANK_SCRIPT.format(tests=paths.TESTS,
                                         batch=GLOBAL_BATCH, steps=STEPS))
    status = backend.launch(2, [sys.executable, str(script), str(out)])
    assert status == 0
    return out


def _meta(out, name):
    return json.loads((out / f"{name}.json").read_text())


@pytest.mark.slow
def test_two_ranks_train_as_one_process_on_the_global_batch(two_ranks):
    meta = _meta(two_ranks, "rank0")
    assert meta["dist"] == ["data_parallel", 2, 2, True, ["cpu:0"]]
    assert meta["steps"] == STEPS
    single = _arrays(two_ranks / "single.npz")
    ranks = [_arrays(two_ranks / f"rank{r}.npz") for r in (0, 1)]
    # G, D, EMA weights, both optimizers' momenta and iterations, the seed
    # generator's state: the same on both ranks, and what one process
    # computes on the global batches (gradients averaged over the ranks
    # equal the global batch's; only float summation order differs).
    # Measured against one process: 6.0e-8 (seed 0; 1 or 2 threads),
    # 8.9e-8 and 7.5e-8 (seeds 7, 23); across ranks always 0.
    assert len(single) == len(ranks[0]) == meta["variables"]
    for one, zero, first in zip(single, *ranks):
        np.testing.assert_allclose(zero, first, rtol=0, atol=1e-6)
        np.testing.assert_allclose(zero, one, rtol=0, atol=1e-6)
    moved = max(float(np.max(np.abs(a - b))) for a, b in zip(
        ranks[0], _arrays(two_ranks / "start0.npz")[len(single):]))
    assert moved > 1e-3  # training changed the weights
    # The logs are averaged over the ranks: every rank's callbacks see the
    # global batch's losses.
    logs = [_meta(two_ranks, name)["history"]
            for name in ("rank0", "rank1", "single")]
    assert set(logs[0]) >= {"d_loss", "g_loss", "penalty"}
    for name in logs[2]:
        np.testing.assert_allclose(logs[0][name], logs[1][name], atol=1e-6)
        np.testing.assert_allclose(logs[0][name], logs[2][name], atol=1e-5)


@pytest.mark.slow
def test_synchronize_gives_every_rank_the_chiefs_variables(two_ranks):
    count = _meta(two_ranks, "rank0")["variables"]
    starts = [_arrays(two_ranks / f"start{r}.npz") for r in (0, 1)]
    before = [start[:count] for start in starts]
    after = [start[count:] for start in starts]
    # Seeded differently, the ranks' weights (and seed states) differ ...
    differ = sum(not np.array_equal(a, b) for a, b in zip(*before))
    assert differ >= 8
    # ... until rank 0's are broadcast.
    for zero, one, chief in zip(*after, before[0]):
        np.testing.assert_array_equal(one, zero)
        np.testing.assert_array_equal(zero, chief)


@pytest.mark.slow
def test_batch_normalization_moving_statistics_agree_over_ranks(two_ranks):
    ranks = [_arrays(two_ranks / f"moving{r}.npz") for r in (0, 1)]
    (mean, variance), (mean_1, variance_1) = ranks
    single_mean, single_variance = _arrays(two_ranks / "moving.npz")
    # Averaged after every step: one set of moving statistics on all ranks.
    np.testing.assert_array_equal(mean, mean_1)
    np.testing.assert_array_equal(variance, variance_1)
    # The moving mean is linear in the batch means, so from the same
    # weights it is the one-process value on the global batch; the moving
    # variance averages the ranks' batch variances, which lack the
    # spread between the ranks' means.
    np.testing.assert_allclose(mean, single_mean, rtol=0, atol=1e-6)
    assert not np.allclose(variance, single_variance, rtol=0, atol=1e-6)


@pytest.mark.slow
def test_privacy_is_refused_over_several_processes(two_ranks):
    refusal, _ = _meta(two_ranks, "rank1")["refusal"]
    assert refusal is not None and "2 processes" in refusal


@pytest.mark.slow
def test_models_trained_by_keras_own_step_are_refused(two_ranks):
    _, refusal = _meta(two_ranks, "rank1")["refusal"]
    assert refusal is not None and "VAE over 2 processes" in refusal


def test_launch_returns_a_failing_ranks_exit_status(tmp_path):
    from keras_gans import backend

    code = (
        "import os, sys; "
        f"open(os.path.join({str(tmp_path)!r}, os.environ['RANK']), 'w')"
        ".write(os.environ['WORLD_SIZE'] + ' ' + os.environ['LOCAL_RANK']); "
        "sys.exit(int(sys.argv[1]) if os.environ['RANK'] == '1' else 0)"
    )
    assert backend.launch(2, [sys.executable, "-c", code, "3"]) == 3
    ranks = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert ranks == {"0": "2 0", "1": "2 1"}


def torch_device_count():
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 1


def test_launch_leaves_one_process_and_launched_ranks_alone(monkeypatch):
    from keras_gans import backend

    assert backend.launch(1, ["false"]) is None
    if torch_device_count() <= 1:
        assert backend.launch("all", ["false"]) is None
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert backend.launch(2, ["false"]) is None


def test_distribute_refuses_what_one_process_cannot_do(monkeypatch):
    from keras_gans import backend

    assert backend.distribute(1).mode == "single"
    assert backend.distribute("all").mode == "single"
    with pytest.raises(ValueError, match="torchrun"):
        backend.distribute(2)
    with pytest.raises(ValueError, match="JAX"):
        backend.distribute(1, mode="model_parallel")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match="WORLD_SIZE=2"):
        backend.distribute(3)


def test_launched_ranks_see_the_gpus_asked_for_at_their_local_rank(
        monkeypatch):
    from keras_gans.backend.torch import _visible_devices

    # Rank r pins cuda:LOCAL_RANK, so the ranks' visible GPUs are those
    # named, in order, counted among the GPUs this process sees.
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5,6")
    assert _visible_devices(["cuda:2", "cuda:0"]) == "6,4"
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert _visible_devices(["cuda:1", "cuda:3"]) == "1,3"
