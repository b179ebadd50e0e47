"""A recipe with a [privacy] table: the run trains D with DP-SGD, reports
the epsilon the accountant gives for the steps made (logs, TensorBoard,
metrics.json), continues the count on resume, refuses a plan over
max_epsilon before any work and stops a resumed run at it with a
checkpoint; a target_epsilon run ends within its target."""

import json
import os

import keras
import pytest
from click.testing import CliRunner

import keras_gans
from keras_gans import cli
from keras_gans.privacy import accounting
from keras_gans.runs.directory import RunDirectory
from keras_gans.training.checkpoints import list_checkpoints

from paths import REPO

pytest.importorskip("dp_accounting", reason="dp-accounting is not installed "
                    "(the privacy extra)")

# The run layer's part of privacy (the plan, the refusals, the accounting
# across resume, the stop at the budget, metrics.json) is the same on every
# backend. What differs is checked per backend elsewhere: the private D
# step by tests/privacy/test_clipping.py, the accountant under each
# backend's fit() by tests/training/test_privacy_accountant.py, exact
# resume by tests/runs/test_resume.py. Here it runs on PyTorch only: under
# TensorFlow and JAX compiling its DP-SGD steps cost 41 s and 29 s a suite.
pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="the run layer's privacy logic is backend-independent; tested "
    "with KERAS_BACKEND=torch")

RING8 = os.path.join(REPO, "recipes", "ring8.toml")
N, BATCH = 512, 64  # 8 steps an epoch
TARGET = 2.0
DELTA = 1 / (10 * N)  # the default
SMALL = {
    "data.params.num_samples": N,
    "data.batch_size": BATCH,
    "model.params.width": 16,
    "model.latent_dim": 4,
    "train.penalty": "false",
    "output.samples": 64,
    "output.sample_every": 0,
    "output.checkpoint_every": 1,
    "output.log_every": 0,
    "output.log_images_every": 0,
    "train.steps": 16,
}


def overrides(**extra):
    return [f"{key}={value}" for key, value in {**SMALL, **extra}.items()]


def spent(steps, sigma):
    return accounting.epsilon(sigma, BATCH / N, steps, DELTA)


def metrics_of(directory):
    with open(RunDirectory(directory).metrics_path, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory):
    """16 steps within target_epsilon 2, with a max_epsilon that lasts 20
    steps, then resumed for 32 (training stops at 20)."""
    directory = tmp_path_factory.mktemp("private") / "run"
    sigma = accounting.noise_multiplier_for(TARGET, BATCH / N, 16, DELTA)
    budget = spent(20, sigma)
    settings = overrides(**{"privacy.target_epsilon": TARGET,
                            "privacy.max_epsilon": budget})
    first = keras_gans.train(RING8, settings, output=directory)
    first_metrics = metrics_of(directory)
    lines = []
    keras_gans.train(RING8, settings + ["train.steps=32"], output=directory,
                     resume=True, echo=lines.append)
    stopped = metrics_of(directory)
    again = []  # a third time: the budget is spent, nothing trains
    last = keras_gans.train(RING8, settings + ["train.steps=32"],
                            output=directory, resume=True, echo=again.append)
    assert last.steps == 20
    assert any(line.startswith("The privacy budget is spent: step 20")
               for line in again)
    return directory, first, first_metrics, stopped, lines


def test_a_target_epsilon_run_ends_within_its_target_and_says_so(
        stopped_run):
    _, first, metrics, _, _ = stopped_run
    assert first.steps == 16
    privacy = metrics["privacy"]
    assert privacy["noise_from"] == "target_epsilon"
    assert privacy["epsilon"] <= TARGET
    assert privacy["epsilon"] == pytest.approx(TARGET, rel=0.01)
    # metrics.json holds the accountant's epsilon for the steps run.
    sigma = privacy["noise_multiplier"]
    assert privacy["epsilon"] == pytest.approx(spent(16, sigma), rel=1e-12)
    assert metrics["final_epoch"]["epsilon"] == privacy["epsilon"]
    assert privacy["delta"] == DELTA
    assert privacy["sampling_rate"] == BATCH / N
    assert "Poisson sampling" in privacy["sampling"]


def test_a_resumed_run_continues_the_count_and_stops_at_max_epsilon(
        stopped_run):
    directory, _, first, metrics, lines = stopped_run
    privacy = metrics["privacy"]
    sigma = first["privacy"]["noise_multiplier"]
    assert privacy["noise_multiplier"] == sigma  # the checkpoint's noise
    assert privacy["noise_from"] == "checkpoint"
    assert metrics["steps"] == privacy["steps"] == 20
    assert privacy["stopped_at_max_epsilon"] is True
    assert privacy["epsilon"] == pytest.approx(spent(20, sigma), rel=1e-12)
    assert spent(21, sigma) > privacy["max_epsilon"] >= privacy["epsilon"]
    steps = [step for step, _ in list_checkpoints(
        RunDirectory(directory).checkpoints)]
    assert steps[-1] == 20  # the last step within the budget is kept
    assert any(line.startswith("Stopped at step 20") for line in lines)
    # 32 steps with the noise computed for 16 overshoot the target: said.
    assert any("above target_epsilon = 2" in line for line in lines)


def test_tensorboard_shows_epsilon_per_epoch(stopped_run):
    from tensorboard.backend.event_processing import event_accumulator

    directory, _, first, _, _ = stopped_run
    events = event_accumulator.EventAccumulator(
        RunDirectory(directory).logs,
        size_guidance={event_accumulator.SCALARS: 0})
    events.Reload()
    written = {event.step: event.value
               for event in events.Scalars("epoch/privacy/epsilon")}
    sigma = first["privacy"]["noise_multiplier"]
    assert written == {step: pytest.approx(spent(step, sigma), rel=1e-6)
                       for step in (8, 16, 20)}


def test_a_plan_over_max_epsilon_is_refused_before_any_work(tmp_path):
    parent = tmp_path / "runs"
    arguments = ["run", RING8]
    for setting in overrides(**{"privacy.noise_multiplier": 1.1,
                                "privacy.max_epsilon": spent(15, 1.1),
                                "output.dir": str(parent)}):
        arguments += ["--set", setting]
    result = CliRunner().invoke(cli.main, arguments)
    assert result.exit_code == 2, result.output
    assert "privacy.max_epsilon: the run's 16 steps would spend" in (
        result.output)
    assert "the budget lasts 15 steps" in result.output
    assert not parent.exists() or not os.listdir(parent)


def test_a_delta_not_below_one_over_n_is_refused(tmp_path):
    from keras_gans.runs.recipe import RecipeError

    with pytest.raises(RecipeError, match=r"privacy.delta: 0.002 is not "
                       r"below 1/N = 0.00195"):
        keras_gans.train(RING8, overrides(**{
            "privacy.noise_multiplier": 1.1, "privacy.delta": 0.002}),
            output=tmp_path / "run")
    assert not (tmp_path / "run").exists()
