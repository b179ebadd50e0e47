"""The divergence guard: a NaN stops the run, names the step and the value,
and leaves the last good checkpoint; rollback recovers with lower rates."""

import json
import os
import re

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import keras_gans
from keras_gans.training import checkpoints
from keras_gans import cli
from keras_gans.training.batches import epoch_order
from keras_gans.datasets import ring
from keras_gans.training.guards import DivergenceGuard
from keras_gans.training.guards import saved_variables
from plugin_catalogue import use_test_plugin
from toy_models import mlp, optimizers

from paths import REPO
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
    """Sets one generator weight to NaN after each step in `steps`, as many
    times per process as the step is listed (a blow-up that a rollback with
    lower rates gets past)."""

    fired = []

    def __init__(self, steps=(5,)):
        super().__init__()
        self.steps = list(steps)

    def on_train_batch_end(self, batch, logs=None):
        step = self.model.steps
        if PoisonOnce.fired.count(step) >= self.steps.count(step):
            return
        PoisonOnce.fired.append(step)
        kernel = self.model.generator.trainable_variables[0]
        kernel.assign(np.full(kernel.shape, np.nan, dtype="float32"))


@pytest.fixture
def test_plugin(monkeypatch):
    """The catalogue with this file's dataset and callback registered."""
    use_test_plugin(monkeypatch, PLUGIN, __name__,
                    datasets={"ring_with_nan": ring_with_nan},
                    callbacks={"poison_once": PoisonOnce})
    PoisonOnce.fired = []


def invoke(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args],
                              catch_exceptions=False)


def run_toy(directory, steps, resume=False, **settings):
    """`keras-gans run` of the toy recipe with `--set key=value` for each
    setting (`data__dataset` for `data.dataset`)."""
    sets = []
    for key, value in settings.items():
        sets += ["--set", f"{key.replace('__', '.')}={value}"]
    return invoke("run", RING8, *TOY, "--set", f"train.steps={steps}", *sets,
                  "--output", directory, *(["--resume"] if resume else []))


def test_nan_in_the_data_stops_the_run_and_keeps_the_last_good_checkpoint(
    test_plugin, tmp_path
):
    directory = tmp_path / "run"
    # The data checks would refuse this dataset before training (tested in
    # tests/runs/test_check_data.py); off, the NaN reaches the guard, as it
    # does from data that goes bad after the checks (a stream, a sampler).
    result = run_toy(directory, 40, data__dataset="ring_with_nan",
                     data__params="{nan_step = 4}", data__check="false")
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


# ----------------------------------------------------------------------
# What a checkpoint stores, and rollbacks that compound


def stored_arrays(path):
    """`{member/dataset: array}` for every array in a `.keras` file, read
    from the zip with h5py (not through Keras)."""
    import io
    import zipfile

    import h5py

    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith(".h5"):
                continue
            with h5py.File(io.BytesIO(archive.read(name)), "r") as file:
                file.visititems(lambda key, item: arrays.__setitem__(
                    f"{name}/{key}", item[()])
                    if isinstance(item, h5py.Dataset) else None)
    return arrays


def stored_learning_rates(path):
    """The generator and discriminator optimizers' stored learning rates
    (variable 1 of a Keras optimizer: 0 is its iteration count)."""
    arrays = stored_arrays(path)
    return [float(arrays[f"model.weights.h5/{name}/vars/1"])
            for name in ("g_optimizer", "d_optimizer")]


ROLLBACK_RATES = re.compile(
    r"Rolling back to \S+ \(step (\d+)\) with learning rates G (\S+), "
    r"D (\S+)\.")


def test_a_huge_learning_rate_never_saves_infinite_optimizer_state(
    tmp_path
):
    # Adam's first step moves every weight by about the learning rate; then
    # the gradients of step 2 overflow float32 when squared into Adam's
    # velocity while weights and losses are still finite. Measured on all
    # three backends: the first non-finite value is a velocity at step 2
    # for rates 1e4 and 1e5 (at 2e3: step 3 or 4; at 1e6 a NaN loss comes
    # first). Step 2 then diverges again from step 1 at any lower rate.
    directory = tmp_path / "run"
    result = run_toy(directory, 10, train__check_finite_every=1,
                     output__checkpoint_every_steps=1,
                     output__keep_checkpoints=100,
                     train__g_optimizer__learning_rate=3e4,
                     train__d_optimizer__learning_rate=3e4,
                     train__on_divergence='"rollback"',
                     train__rollback_lr_factor=0.1,
                     train__max_rollbacks=2)
    assert result.exit_code == 1, result.output
    written = sorted((directory / "checkpoints").glob("*.keras"))
    assert written, result.output
    for path in written:
        for name, array in stored_arrays(path).items():
            if np.issubdtype(array.dtype, np.floating):
                assert np.all(np.isfinite(array)), (path.name, name)
    assert "Training diverged at step 2: optimizer variable" in result.output
    # Each retry lowers the rate it diverged at: 3e4 * 0.1, then * 0.1.
    retries = ROLLBACK_RATES.findall(result.output)
    assert [(int(step), float(g), float(d)) for step, g, d in retries] == [
        (1, 3e3, 3e3), (1, 300.0, 300.0)]
    assert "Training stopped after 2 rollback(s)" in result.output
    assert "Raise train.max_rollbacks" in result.output
    assert 'set train.on_divergence = "rollback"' not in (
        result.output.lower())


def test_rollbacks_compound_and_are_counted_across_resume(test_plugin,
                                                         tmp_path):
    directory = tmp_path / "run"
    rollback = dict(train__check_finite_every=1,
                    train__on_divergence='"rollback"',
                    train__max_rollbacks=2, output__keep_checkpoints=100)
    # NaN weights after step 5, twice: NaN losses at step 6, back to the
    # checkpoint of step 4 each time; the second retry runs at a quarter of
    # the rate (the checkpoint holds the full one).
    result = run_toy(directory, 14, **rollback,
                     train__callbacks='[{name = "poison_once", '
                                      'steps = [5, 5]}]')
    assert result.exit_code == 0, result.output
    assert [(int(step), float(g)) for step, g, _ in
            ROLLBACK_RATES.findall(result.output)] == [(4, 5e-4), (4, 2.5e-4)]
    # Every checkpoint stores the rate it was trained at, and how many
    # rollbacks came before it.
    folder = directory / "checkpoints"
    expected = {2: 0, 4: 0, 6: 2, 8: 2, 10: 2, 12: 2, 14: 2}
    assert [s for s, _ in checkpoints.list_checkpoints(folder)] == sorted(
        expected)
    for step, count in expected.items():
        path = checkpoints.checkpoint_path(folder, step)
        assert checkpoints.read_position(path)["rollbacks"] == count
        np.testing.assert_allclose(stored_learning_rates(path),
                                   [1e-3 * 0.5**count] * 2, rtol=1e-6)
    metrics = json.loads((directory / "metrics.json").read_text())
    assert metrics["rollbacks"] == 2

    # The count goes on across --resume: with max_rollbacks = 2 spent, a
    # divergence in the resumed run stops it.
    resumed = run_toy(directory, 20, **rollback,
                      train__callbacks='[{name = "poison_once", '
                                       'steps = [16]}]',
                      resume=True)
    assert resumed.exit_code == 1, resumed.output
    assert "Training diverged at step 17" in resumed.output
    assert "Training stopped after 2 rollback(s)" in resumed.output
    assert "Rolling back" not in resumed.output


def test_non_finite_optimizer_state_refuses_the_save_and_names_it():
    gan = keras_gans.GAN(mlp(4, 2, width=8), mlp(2, 1, width=8), latent_dim=4)
    g_opt, d_opt = optimizers()
    gan.compile(g_optimizer=g_opt, d_optimizer=d_opt, ema=0.9)
    gan.fit(ring(128, seed=0)[0], batch_size=64, epochs=1, verbose=0)
    guard = DivergenceGuard()
    guard.set_model(gan)
    assert guard.safe_to_save(gan, {"d_loss": 0.7}, 2)
    velocity = next(v for v in d_opt.variables if "velocity" in v.path)
    velocity.assign(np.full(velocity.shape, np.inf, dtype="float32"))
    assert not guard.safe_to_save(gan, {"d_loss": 0.7}, 4)
    assert str(guard.divergence) == (
        f"Training diverged at step 4: optimizer variable {velocity.path} "
        "is inf; it was finite at the previous check, step 2.")
    assert {kind for kind, _ in saved_variables(gan)} == {
        "weight", "optimizer variable"}
    # Every array a checkpoint stores is checked: the EMA weights too.
    gan.ema_weights[0].assign(np.full(gan.ema_weights[0].shape, np.nan,
                                      dtype="float32"))
    velocity.assign(np.zeros(velocity.shape, dtype="float32"))
    fresh = DivergenceGuard()
    fresh.set_model(gan)
    assert not fresh.safe_to_save(gan, {}, 6)
    assert fresh.divergence.name == gan.ema_weights[0].path
