"""The evaluation callback puts metrics into the epoch logs that the
callbacks after it (TensorBoard) and fit()'s history receive."""

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans import plugins
from keras_gans.datasets import ring
from keras_gans.evaluation.metrics import fid
from keras_gans.evaluation.metrics import precision_recall
from keras_gans.evaluation.callback import EvaluationMetrics
from toy_models import mlp


class _Recorder(keras.callbacks.Callback):
    """Stands in for TensorBoard: records the logs it is handed."""

    def __init__(self):
        super().__init__()
        self.logs = []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))


def _gan():
    gan = keras_gans.GAN(mlp(4, 2, width=16), mlp(2, 1, width=16),
                         latent_dim=4)
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-3),
                d_optimizer=keras.optimizers.Adam(1e-3))
    return gan


def test_metrics_reach_the_logs_every_n_epochs():
    x, _ = ring(num_samples=256, seed=0)
    real, _ = ring(num_samples=300, seed=1)
    gan = _gan()
    evaluation = EvaluationMetrics(real, metrics="fid,pr", features="pixels",
                                   every=2, num_samples=200, seed=7)
    recorder = _Recorder()
    history = gan.fit(x, batch_size=64, epochs=4, verbose=0,
                      callbacks=[evaluation, recorder])

    evaluated = ["fid" in logs for logs in recorder.logs]
    assert evaluated == [False, True, False, True]
    assert "precision" in recorder.logs[1] and "recall" in recorder.logs[3]
    assert len(history.history["fid"]) == 2

    # The last value is the metric of the final generator's samples.
    fake = gan.generate(200, seed=7)
    assert recorder.logs[3]["fid"] == pytest.approx(fid(real, fake), rel=1e-5)
    assert (recorder.logs[3]["precision"], recorder.logs[3]["recall"]) == (
        pytest.approx(precision_recall(real, fake)))


def test_unknown_metric_is_refused_when_the_callback_is_made():
    with pytest.raises(ValueError, match="Unknown metric 'fdi'"):
        EvaluationMetrics(np.zeros((10, 2)), metrics="fdi")


def test_the_callback_is_registered_for_recipes():
    entry = plugins.catalogue().get("callbacks", "evaluation")
    callback = entry.factory(dataset="ring",
                             dataset_params={"seed": 0, "num_samples": 12_000},
                             metrics="fid", every=3)
    assert isinstance(callback, EvaluationMetrics)
    assert callback.every == 3
    # The reference: 10,000 of the 12,000 ring samples; memorization
    # compares with all of them.
    assert callback.real.shape == (10_000, 2)
    assert callback.train.shape == (12_000, 2)


RECIPE = """name = "ring_evaluated"

[model]
architecture = "mlp"
latent_dim = 4
params = { width = 16 }

[data]
dataset = "ring"
batch_size = 256
params = { num_samples = 1024, seed = 0 }

[train]
epochs = 2
seed = 0

[[train.callbacks]]
name = "evaluation"
dataset = "ring"
dataset_params = { num_samples = 1024, seed = 1 }
metrics = "fid,pr"
num_samples = 300
every = 1

[output]
dir = "{runs}"
sample_every = 0
"""


def test_a_recipe_callback_logs_fid_to_tensorboard_and_metrics_json(tmp_path):
    from tensorboard.backend.event_processing import event_accumulator

    from keras_gans.runs import recipe as recipe_module
    from keras_gans.runs import train as run_module

    path = tmp_path / "recipe.toml"
    path.write_text(RECIPE.replace("{runs}", (tmp_path / "runs").as_posix()))
    prepared = run_module.prepare(recipe_module.load(path),
                                  output=tmp_path / "run")
    result = run_module.run(prepared, echo=lambda *args: None, verbose=0)

    assert result.metrics["final_epoch"]["fid"] > 0
    assert 0 <= result.metrics["final_epoch"]["precision"] <= 1
    accumulator = event_accumulator.EventAccumulator(
        str(tmp_path / "run" / "logs"))
    accumulator.Reload()
    fids = accumulator.Scalars("epoch/fid")
    assert len(fids) == 2  # one per evaluated epoch
    final = result.metrics["final_epoch"]
    assert fids[-1].value == pytest.approx(final["fid"])
