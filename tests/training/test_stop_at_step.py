"""`StopAtStep` ends training at a generator step count, also when Keras
reports only every k-th batch (`steps_per_execution`) and when the model
already trained (a resumed run)."""

import pytest

import keras_gans
from keras_gans.training.callbacks import StopAtStep
from keras_gans.datasets import ring
from toy_models import mlp, optimizers

BATCH = 16
BATCHES = 7  # per epoch


def ring_gan(steps_per_execution):
    gan = keras_gans.GAN(mlp(4, 2, width=8), mlp(2, 1, width=8),
                         latent_dim=4, seed=0)
    g_opt, d_opt = optimizers()
    gan.compile(g_optimizer=g_opt, d_optimizer=d_opt,
                steps_per_execution=steps_per_execution)
    return gan


def fit(gan, total, epochs=5):
    x, _ = ring(BATCHES * BATCH, seed=0)
    gan.fit(x, batch_size=BATCH, epochs=epochs, verbose=0,
            callbacks=[StopAtStep(total)])


@pytest.mark.parametrize(
    "steps_per_execution, total, stopped_at",
    [
        (1, 9, 9),
        # Calls end at steps 3, 6, 7 (the epoch's leftover), 10, ...: the
        # first call that reaches 9 ends at 10.
        (3, 9, 10),
        (3, 14, 14),
    ],
)
def test_stops_at_the_first_call_that_reaches_the_total(
    steps_per_execution, total, stopped_at
):
    gan = ring_gan(steps_per_execution)
    fit(gan, total)
    assert gan.steps == stopped_at


def test_counts_from_the_steps_the_model_already_made():
    gan = ring_gan(1)
    fit(gan, 5)
    assert gan.steps == 5
    fit(gan, 12)  # a resumed run: 7 more steps, not 12
    assert gan.steps == 12
