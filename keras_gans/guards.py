"""The divergence guard: stop training when a loss or weight is NaN/Inf.

A GAN that diverges keeps running and writes checkpoints of NaN weights
over the good ones. `DivergenceGuard` watches the losses Keras hands to
callbacks (the running means of the epoch, so a NaN at any step since the
epoch began keeps showing until the epoch ends) every `every_steps` steps,
at each epoch end, and, with the weights, before every checkpoint. Once it
sees a non-finite value it stops `fit()` and holds a `Divergence` that says
which value, at which step; `keras_gans.checkpoints.Checkpoint` writes
nothing after that, so the newest checkpoint is the last good one.
"""

import math

import keras
import numpy as np

from keras_gans.checkpoints import StepCounting
from keras_gans.checkpoints import crossed_multiple

__all__ = ["Divergence", "DivergenceGuard", "non_finite_weight"]

WATCHED = ("d_loss", "g_loss", "penalty")


class Divergence(RuntimeError):
    """Training stopped on a NaN or infinite loss or weight.

    Attributes:
        step: the step (generator updates) at which it was seen.
        name: the loss (`d_loss`, `g_loss`, `penalty`) or weight path.
        value: the value, `nan`, `inf` or `-inf` (for a weight: the first
            non-finite element).
        last_good_step: the step of the previous check that passed.
    """

    def __init__(self, step, name, value, last_good_step, kind="loss"):
        self.step = step
        self.name = name
        self.value = value
        self.last_good_step = last_good_step
        self.kind = kind
        since = ""
        if last_good_step is not None and last_good_step < step - 1:
            since = (f"; it was finite at the previous check, step "
                     f"{last_good_step}")
        super().__init__(
            f"Training diverged at step {step}: {kind} {name} is {value}"
            f"{since}."
        )


def non_finite_weight(model):
    """`(path, value)` of the first weight of `model` holding NaN or
    infinity (its first such element), or None when all are finite."""
    for variable in model.weights:
        value = np.asarray(keras.ops.convert_to_numpy(variable))
        if not np.issubdtype(value.dtype, np.floating):
            continue
        bad = ~np.isfinite(value)
        if bad.any():
            return variable.path, float(value[bad].flat[0])
    return None


class DivergenceGuard(StepCounting):
    """Stops training when a watched loss or a weight becomes NaN or Inf.

    Args:
        every_steps: check the losses every this many steps (and always at
            epoch ends and before checkpoints). The values are the host
            numbers Keras already gives callbacks, so a check costs little;
            0 checks only at epoch ends and before checkpoints.
        watched: the log names to check.

    Attributes:
        divergence: the `Divergence` seen, or None.
    """

    def __init__(self, every_steps=10, watched=WATCHED):
        super().__init__()
        self.every_steps = int(every_steps or 0)
        self.watched = tuple(watched)
        self.divergence = None
        self.last_good_step = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.last_good_step = self.step

    def on_train_batch_end(self, batch, logs=None):
        before = self.step
        self.count_steps(batch)
        # Crossing a multiple: with steps_per_execution > 1 Keras calls
        # this every k-th step only.
        if crossed_multiple(self.every_steps, before, self.step):
            self.check_losses(logs)

    def on_epoch_end(self, epoch, logs=None):
        self.check_losses(logs)

    def check_losses(self, logs):
        """True when every watched loss in `logs` is finite; else records
        the divergence and stops training."""
        if not self._finite(logs, None):
            return False
        self.last_good_step = self.step
        return True

    def safe_to_save(self, model, logs, step):
        """True when the losses and every weight of `model` are finite
        (checked now, at `step`)."""
        if self._model is None:  # a guard used only through `Checkpoint`
            self.set_model(model)
        self.step = step
        if not self._finite(logs, model):
            return False
        self.last_good_step = step
        return True

    def _finite(self, logs, model):
        """Checks the losses, then (with a model) its weights."""
        if self.divergence is not None:
            return False
        for name in self.watched:
            if name in (logs or {}):
                value = float(logs[name])
                if not math.isfinite(value):
                    return self._diverged(name, value, "loss")
        bad = None if model is None else non_finite_weight(model)
        if bad is not None:
            return self._diverged(bad[0], bad[1], "weight")
        return True

    def _diverged(self, name, value, kind):
        self.divergence = Divergence(self.step, name, value,
                                     self.last_good_step, kind)
        self.model.stop_training = True
        return False
