"""`steps_per_execution` on every backend: same training, fewer callback calls.

Keras' PyTorch trainer refuses `steps_per_execution > 1`; keras-gans runs
the steps in a loop there (`keras_gans.backend.torch`). On every backend,
k steps per call must give exactly the updates of one step per call.
"""

import numpy as np
import pytest

import keras
import keras_gans
from keras_gans.datasets import ring
from toy_models import mlp, optimizers

LATENT = 4
BATCH = 16
BATCHES = 7  # not a multiple of the steps per execution below


def trained_gan(steps_per_execution, callbacks=(), **compile_args):
    """A tiny ring GAN, always from the same weights and random stream."""
    keras.utils.set_random_seed(0)
    gan = keras_gans.GAN(
        mlp(LATENT, 2, width=8), mlp(2, 1, width=8), latent_dim=LATENT, seed=3
    )
    g_opt, d_opt = optimizers()
    gan.compile(
        g_optimizer=g_opt,
        d_optimizer=d_opt,
        steps_per_execution=steps_per_execution,
        **compile_args,
    )
    x, _ = ring(BATCHES * BATCH, seed=0)
    history = gan.fit(
        x,
        batch_size=BATCH,
        epochs=1,
        shuffle=False,
        verbose=0,
        callbacks=list(callbacks),
    )
    return gan, history.history


def weights(gan):
    return [
        keras.ops.convert_to_numpy(v)
        for v in gan.generator.weights
        + gan.discriminator.weights
        + gan.ema_weights
    ]


class BatchEndCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def on_train_batch_end(self, batch, logs=None):
        self.calls += 1


@pytest.mark.parametrize(
    "compile_args",
    [
        {},
        {"d_steps": 2, "penalty": "wgan_gp", "loss": "wasserstein", "ema": 0.9},
    ],
    ids=["plain", "d_steps2_wgan_gp_ema"],
)
def test_several_steps_per_call_train_like_one(compile_args):
    """Same weights, EMA, step count and epoch logs; one callback per call."""
    one, one_logs = trained_gan(1, **compile_args)
    counter = BatchEndCounter()
    three, three_logs = trained_gan(3, callbacks=[counter], **compile_args)

    assert one.steps == three.steps == BATCHES
    d_updates = keras.ops.convert_to_numpy(three.d_optimizer.iterations)
    assert d_updates == BATCHES * one.d_steps
    # Callbacks run once per call: batches 0-2, 3-5 and the leftover 6.
    assert counter.calls == 3
    for a, b in zip(weights(one), weights(three)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    for name, values in one_logs.items():
        np.testing.assert_allclose(values, three_logs[name], rtol=1e-4)
    # Training moved the weights, so the comparison above is not vacuous.
    keras.utils.set_random_seed(0)
    fresh = mlp(LATENT, 2, width=8)
    assert not np.allclose(weights(one)[0], fresh.get_weights()[0])


@pytest.mark.parametrize("bad", [0, -2, 1.5, "4", True, None])
def test_bad_steps_per_execution_is_refused_at_compile(bad):
    gan = keras_gans.GAN(mlp(LATENT, 2), mlp(2, 1), latent_dim=LATENT)
    g_opt, d_opt = optimizers()
    with pytest.raises(ValueError, match="steps_per_execution.*positive"):
        gan.compile(
            g_optimizer=g_opt, d_optimizer=d_opt, steps_per_execution=bad
        )
