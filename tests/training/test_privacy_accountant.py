"""keras_gans.training.PrivacyAccountant on a GAN trained with DP-SGD:
epsilon in the logs and in TensorBoard equals the accountant's for the
steps made, and training stops at the budget."""

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans.privacy import Privacy
from keras_gans.privacy import accounting
from keras_gans.training import BudgetSpent
from keras_gans.training import PrivacyAccountant
from keras_gans.training import TensorBoard
from toy_models import mlp
from toy_models import optimizers

pytest.importorskip("dp_accounting", reason="dp-accounting is not installed "
                    "(the privacy extra)")

DATA = np.random.default_rng(0).normal(size=(256, 2)).astype("float32")
BATCH = 32  # 8 steps an epoch
SIGMA = 1.3
DELTA = 1e-4


def private_gan(d_steps=1):
    keras.utils.set_random_seed(0)
    gan = keras_gans.GAN(mlp(4, 2, 8, depth=1), mlp(2, 1, 8, depth=1),
                         latent_dim=4)
    g_optimizer, d_optimizer = optimizers()
    gan.compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer,
                d_steps=d_steps,
                privacy=Privacy(noise_multiplier=SIGMA, l2_norm_clip=1.0))
    return gan


def test_each_epochs_epsilon_is_the_accountants_and_reaches_tensorboard(
        tmp_path):
    from test_tensorboard import read
    from test_tensorboard import scalars

    gan = private_gan(d_steps=2)
    history = gan.fit(DATA, batch_size=BATCH, epochs=2, verbose=0,
                      callbacks=[PrivacyAccountant(len(DATA), BATCH, DELTA),
                                 TensorBoard(tmp_path, every=0,
                                             images_every=0)])
    # Two noisy D updates per step on the same batch (d_steps = 2).
    expected = [accounting.epsilon(SIGMA, BATCH / len(DATA), steps, DELTA,
                                   updates_per_step=2) for steps in (8, 16)]
    assert history.history["epsilon"] == pytest.approx(expected, rel=1e-12)
    assert expected[1] > expected[0] > 0
    assert history.history["delta"] == [DELTA, DELTA]
    assert history.history["noise_multiplier"] == [SIGMA, SIGMA]
    written = scalars(read(tmp_path), "epoch/privacy/epsilon")
    assert written == {8: pytest.approx(expected[0], rel=1e-6),
                       16: pytest.approx(expected[1], rel=1e-6)}


def test_training_stops_at_the_budget_and_refuses_to_go_on():
    budget = 3.0
    last = accounting.steps_within(budget, SIGMA, BATCH / len(DATA), DELTA)
    assert 8 < last < 80  # 28: inside the 10 epochs asked for, mid-epoch
    gan = private_gan()
    accountant = PrivacyAccountant(len(DATA), BATCH, DELTA,
                                   max_epsilon=budget)
    history = gan.fit(DATA, batch_size=BATCH, epochs=10, verbose=0,
                      callbacks=[accountant])
    assert int(gan.steps) == accountant.stopped_at == last
    assert history.history["epsilon"][-1] <= budget
    assert accounting.epsilon(SIGMA, BATCH / len(DATA), last + 1,
                              DELTA) > budget
    with pytest.raises(BudgetSpent, match="max_epsilon=3.0"):
        gan.fit(DATA, batch_size=BATCH, epochs=1, verbose=0,
                callbacks=[accountant])
    assert int(gan.steps) == last  # no step was made


def test_a_gan_without_privacy_is_refused_before_any_step():
    gan = keras_gans.GAN(mlp(4, 2, 8, depth=1), mlp(2, 1, 8, depth=1),
                         latent_dim=4)
    gan.compile(*optimizers())
    with pytest.raises(ValueError, match="compile the GAN with `privacy="):
        gan.fit(DATA, batch_size=BATCH, epochs=1, verbose=0,
                callbacks=[PrivacyAccountant(len(DATA), BATCH, DELTA)])
    assert int(gan.steps) == 0


@pytest.mark.parametrize("arguments,name", [
    ((0, 32, 1e-5), "dataset_size"), ((100, 0, 1e-5), "batch_size"),
    ((10, 32, 1e-5), "batch_size"), ((100, 32, -1.0), "delta"),
    ((100, 32, 1e-5, 0), "max_epsilon")])
def test_bad_arguments_are_refused_by_name(arguments, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        PrivacyAccountant(*arguments)
