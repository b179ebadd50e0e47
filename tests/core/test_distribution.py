"""Data-parallel training with keras.distribution (JAX)."""

import os
import subprocess
import sys
import textwrap

import keras
import pytest
import paths

SCRIPT = textwrap.dedent(
    """
    import os, sys
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    import jax, keras, numpy as np, keras_gans
    sys.path.insert(0, {tests!r})
    from toy_models import mlp, optimizers
    from keras_gans.datasets import ring

    def run():
        keras.utils.set_random_seed(0)
        gan = keras_gans.GAN(mlp(16, 2), mlp(2, 1), latent_dim=16)
        g, d = optimizers()
        gan.compile(g_optimizer=g, d_optimizer=d, penalty="wgan_gp", ema=0.9)
        x, _ = ring(8 * 64, seed=0)
        gan.fit(x, batch_size=64, epochs=1, verbose=0, shuffle=False)
        return gan

    single = run()
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=jax.devices())
    )
    parallel = run()
    sharding = parallel.generator.weights[0].value.sharding
    assert len(sharding.device_set) == 2, sharding
    diff = max(
        float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        for a, b in zip(single.weights, parallel.weights)
    )
    print("MAXDIFF", diff, parallel.steps)
    """
)


@pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="keras.distribution is JAX-only"
)
def test_data_parallel_on_two_devices_matches_one_device():
    tests = paths.TESTS
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(tests=tests)],
        env=dict(os.environ, KERAS_BACKEND="jax"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    diff, steps = out.split("MAXDIFF")[1].split()
    assert int(steps) == 8
    # The batch is split over two devices but the loss is the global mean,
    # so the updates are those of one device, up to float rounding.
    assert float(diff) < 1e-4, out
