"""Privacy spent while a GAN trains with DP-SGD: epsilon in the logs, and a
stop at a budget (`PrivacyAccountant`)."""

import numbers

from keras_gans.privacy import accounting
from keras_gans.training.steps import StepCounting

__all__ = ["BudgetSpent", "PrivacyAccountant"]


class BudgetSpent(ValueError):
    """Training was asked to continue a model whose privacy budget is
    already spent."""


def _positive(name, value, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not (
            value > 0):
        raise ValueError(f"`{name}` must be a positive "
                         f"{'integer' if integer else 'number'}. Received: "
                         f"{name}={value!r}")


class PrivacyAccountant(StepCounting):
    """Adds the privacy a DP-SGD GAN has spent to the logs of each epoch,
    and stops training before it spends more than `max_epsilon`.

    The GAN must be compiled with `privacy=` (`keras_gans.privacy.Privacy`):
    its noise multiplier and `d_steps` are read when `fit()` starts. The
    count is the model's step counter, so a resumed model continues it.
    epsilon is computed by `keras_gans.privacy.accounting.epsilon` (RDP,
    Poisson sampling at rate `batch_size / dataset_size` assumed; the
    batches keras-gans feeds are shuffled and of fixed size).

    Each epoch's logs get `epsilon` (spent so far, at `delta`), `delta` and
    `noise_multiplier`; TensorBoard shows them under `privacy/`. With
    `steps_per_execution > 1` the stop comes at the end of the execution
    that reaches the budget, and may overshoot it by those steps.

    Args:
        dataset_size: the number of training examples.
        batch_size: examples per step.
        delta: the delta of the (epsilon, delta) guarantee.
        max_epsilon: stop once another step would spend more; None for
            no limit.

    Attributes:
        stopped_at: the step training was stopped at for the budget, or
            None.

    Raises (from `fit()`):
        ValueError: the model was not compiled with `privacy`.
        BudgetSpent: the model has already spent `max_epsilon`.
    """

    def __init__(self, dataset_size, batch_size, delta, max_epsilon=None):
        super().__init__()
        _positive("dataset_size", dataset_size, integer=True)
        _positive("batch_size", batch_size, integer=True)
        if batch_size > dataset_size:
            raise ValueError(
                "`batch_size` must be at most `dataset_size` (the sampling "
                f"rate is their ratio). Received: batch_size={batch_size!r}, "
                f"dataset_size={dataset_size!r}")
        _positive("delta", delta)
        if max_epsilon is not None:
            _positive("max_epsilon", max_epsilon)
        self.dataset_size, self.batch_size = dataset_size, batch_size
        self.delta, self.max_epsilon = float(delta), max_epsilon
        self.sampling_rate = batch_size / dataset_size
        self.noise_multiplier = None
        self.updates_per_step = 1
        self.budget_steps = None
        self.stopped_at = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        privacy = getattr(self.model, "privacy", None)
        if privacy is None:
            raise ValueError(
                "PrivacyAccountant counts the privacy of DP-SGD training: "
                "compile the GAN with `privacy=keras_gans.privacy.Privacy("
                "noise_multiplier, l2_norm_clip)`. Received: a model "
                "compiled without privacy")
        self.noise_multiplier = privacy.noise_multiplier
        self.updates_per_step = int(getattr(self.model, "d_steps", 1))
        self.stopped_at = None
        if self.max_epsilon is None:
            return
        self.budget_steps = accounting.steps_within(
            self.max_epsilon, self.noise_multiplier, self.sampling_rate,
            self.delta, self.updates_per_step)
        if self.step >= self.budget_steps:
            raise BudgetSpent(
                f"The model has trained {self.step} steps and spent epsilon "
                f"{self.epsilon():.4g} at delta {self.delta:g}; one more "
                f"step would exceed max_epsilon={self.max_epsilon!r}. "
                "Raise max_epsilon to train it further.")

    def on_train_batch_end(self, batch, logs=None):
        self.count_steps(batch)
        if self.budget_steps is not None and self.step >= self.budget_steps:
            self.stopped_at = self.step
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(self.values())

    def values(self):
        """`{"epsilon", "delta", "noise_multiplier"}` at the current step."""
        return {"epsilon": self.epsilon(), "delta": self.delta,
                "noise_multiplier": self.noise_multiplier}

    def epsilon(self, steps=None):
        """epsilon at `delta` after `steps` steps (default: the model's)."""
        return accounting.epsilon(
            self.noise_multiplier, self.sampling_rate,
            self.step if steps is None else steps, self.delta,
            self.updates_per_step)
