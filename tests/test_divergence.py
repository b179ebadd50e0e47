"""The divergence guard: a NaN stops the run, names the step and the value,
and leaves the last good checkpoint; rollback recovers with lower rates."""

import os

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import keras_gans
from keras_gans import checkpoints
from keras_gans import cli
from keras_gans.batches import epoch_order
from keras_gans.datasets import ring
from keras_gans.guards import DivergenceGuard
from plugin_catalogue import use_test_plugin
from toy_models import mlp, optimizers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RING8 = os.path.join(REPO, "recipes", "ring8.toml")
BATCH = 64
TOY = [
    "--set", "data.params.num_samples=512",
    "--set", f"data.batch_size={BATCH}",
    "--set", "model.params.width=16",
    "--set", "model.latent_dim=4",
    "--set", "output.samples=64",
    "--set", "output.sample_every=0",
    "--set", "output.checkpoint_every=0",
    "--set", "output.checkpoint_every_steps=2",
    "--set", "output.keep_checkpoints=2",
]
PLUGIN = "divergence-tests"


def ring_with_nan(num_samples=512, nan_step=4):
    """Ring data with one NaN sample, in the batch of step `nan_step` of
    the first epoch (the run's data order is `epoch_order(seed, epoch)`;
    the recipe's train.seed is 0)."""
    x, _ = ring(num_samples, std=0.02, seed=0)
    row = epoch_order(0, 0, num_samples)[(nan_step - 1) * BATCH]
    x[row] = np.nan
    return x


class PoisonOnce(keras.callbacks.Callback):
    """Sets one generator weight to NaN after step `step`, once per
    process (a blow-up that a rollback with lower rates gets past)."""

    fired = False

    def __init__(self, step=5):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if PoisonOnce.fired or self.model.steps != self.step:
            return
        PoisonOnce.fired = True
        kernel = self.model.generator.trainable_variables[0]
        kernel.assign(np.full(kernel.shape, np.nan, dtype="float32"))


@pytest.fixture
def test_plugin(monkeypatch):
    """The catalogue with this file's dataset and callback registered."""
    use_test_plugin(monkeypatch, PLUGIN, __name__,
                    datasets={"ring_with_nan": ring_with_nan},
                    callbacks={"poison_once": PoisonOnce})
    PoisonOnce.fired = False


def invoke(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args],
                              catch_exceptions=False)


def run_toy(directory, steps, **settings):
    """`keras-gans run` of the toy recipe with `--set key=value` for each
    setting (`data__dataset` for `data.dataset`)."""
    sets = []
    for key, value in settings.items():
        sets += ["--set", f"{key.replace('__', '.')}={value}"]
    return invoke("run", RING8, *TOY, "--set", f"train.steps={steps}", *sets,
                  "--output", directory)


def test_nan_in_the_data_stops_the_run_and_keeps_the_last_good_checkpoint(
    test_plugin, tmp_path
):
    directory = tmp_path / "run"
    result = run_toy(directory, 40, data__dataset="ring_with_nan",
                     data__params="{nan_step = 4}")
    assert result.exit_code == 1, result.output
    # Found when the step-4 checkpoint was about to be written, before the
    # every-10-steps check.
    kept = directory / "checkpoints" / "step_00000002.keras"
    assert "Training diverged at step 4: loss d_loss is nan" in result.output
    assert (f"The last good checkpoint is kept: {kept} (no checkpoint was "
            "written after the divergence)") in result.output
    assert os.listdir(directory / "checkpoints") == ["step_00000002.keras"]
    assert not (directory / "gan.keras").exists()
    gan = keras.models.load_model(kept)
    assert gan.steps == 2
    for variable in gan.weights:
        value = keras.ops.convert_to_numpy(variable)
        if np.issubdtype(value.dtype, np.floating):
            assert np.all(np.isfinite(value)), variable.path


def test_rollback_reloads_the_last_checkpoint_with_lower_learning_rates(
    test_plugin, tmp_path
):
    directory = tmp_path / "run"
    result = run_toy(directory, 12, train__check_finite_every=1,
                     train__on_divergence='"rollback"',
                     train__callbacks='[{name = "poison_once"}]')
    assert result.exit_code == 0, result.output
    # Poisoned after step 5: step 6's losses are NaN; back to step 4.
    assert "Training diverged at step 6: loss d_loss is nan" in result.output
    assert (f"Rolling back to {directory / 'checkpoints' / 'step_00000004.keras'}"
            " (step 4) with learning rates G 0.0005, D 0.0005.") in (
        result.output)
    gan = keras.models.load_model(directory / "gan.keras")
    assert gan.steps == 12
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(optimizer.learning_rate), 5e-4,
            rtol=1e-6)
    samples = gan.generate(64, seed=0)
    assert np.all(np.isfinite(samples))


def test_a_nan_weight_refuses_the_save_and_names_the_weight():
    gan = keras_gans.GAN(mlp(4, 2, width=8), mlp(2, 1, width=8), latent_dim=4)
    g_opt, d_opt = optimizers()
    gan.compile(g_optimizer=g_opt, d_optimizer=d_opt)
    guard = DivergenceGuard()
    guard.set_model(gan)
    assert guard.safe_to_save(gan, {"d_loss": 0.7, "g_loss": 0.7}, 3)
    bias = gan.discriminator.layers[-1].bias
    bias.assign(np.array([np.inf], dtype="float32"))
    assert not guard.safe_to_save(gan, {"d_loss": 0.7, "g_loss": 0.7}, 7)
    assert str(guard.divergence) == (
        f"Training diverged at step 7: weight {bias.path} is inf; it was "
        "finite at the previous check, step 3.")
    assert gan.stop_training


def test_recipe_checks_the_divergence_settings(tmp_path):
    result = run_toy(tmp_path / "run", 10, train__on_divergence='"retry"',
                     train__rollback_lr_factor=1.5,
                     train__check_finite_every=-1,
                     output__checkpoint_every_steps=-5)
    assert result.exit_code == 2
    for problem in (
        'train.on_divergence: expected "stop" or "rollback", got "retry"',
        "train.rollback_lr_factor: expected a number in (0, 1), got 1.5",
        "train.check_finite_every: expected an integer >= 0, got -1",
        "output.checkpoint_every_steps: expected an integer >= 0, got -5",
    ):
        assert problem in result.output
    assert not (tmp_path / "run").exists()


def test_fit_with_the_guard_stops_and_keeps_the_last_good_checkpoint(
    tmp_path
):
    x = ring_with_nan(num_samples=8 * BATCH, nan_step=5)
    # fit(shuffle=False) reads the rows in order: in the run's order of
    # epoch 0, the NaN row is the first of batch 5.
    x = x[epoch_order(0, 0, len(x))]
    gan = keras_gans.GAN(mlp(4, 2, width=8), mlp(2, 1, width=8), latent_dim=4)
    g_opt, d_opt = optimizers()
    gan.compile(g_optimizer=g_opt, d_optimizer=d_opt)
    guard = DivergenceGuard(every_steps=1)
    saver = checkpoints.Checkpoint(tmp_path, every_steps=2, guard=guard)
    gan.fit(x, batch_size=BATCH, epochs=3, shuffle=False, verbose=0,
            callbacks=[guard, saver])
    assert guard.divergence.step == 5 and guard.divergence.name == "d_loss"
    assert guard.divergence.last_good_step == 4
    assert gan.steps == 5  # stopped after the step that diverged
    assert [step for step, _ in saver.saved] == [2, 4]
    assert checkpoints.restore(tmp_path).step == 4
