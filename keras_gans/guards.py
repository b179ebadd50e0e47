"""The divergence guard: stop training when a loss or variable is NaN/Inf.

A GAN that diverges keeps running and writes checkpoints of NaN weights
over the good ones. `DivergenceGuard` watches the losses Keras hands to
callbacks (the running means of the epoch, so a NaN at any step since the
epoch began keeps showing until the epoch ends) every `every_steps` steps,
at each epoch end, and, with every variable a checkpoint stores (weights,
EMA weights, both optimizers' state), before every checkpoint: an
optimizer's moments can overflow to infinity while the weights are still
finite, and a checkpoint holding them diverges again when resumed. Once it
sees a non-finite value it stops `fit()` and holds a `Divergence` that says
which value, at which step; `keras_gans.checkpoints.Checkpoint` writes
nothing after that, so the newest checkpoint is the last good one.
"""

import math

import keras
import numpy as np

from keras_gans.checkpoints import StepCounting
from keras_gans.checkpoints import crossed_multiple

__all__ = ["Divergence", "DivergenceGuard", "non_finite_variable",
           "saved_variables"]

WATCHED = ("d_loss", "g_loss", "penalty")


class Divergence(RuntimeError):
    """Training stopped on a NaN or infinite loss or variable.

    Attributes:
        step: the step (generator updates) at which it was seen.
        name: the loss (`d_loss`, `g_loss`, `penalty`) or variable path.
        value: the value, `nan`, `inf` or `-inf` (for a variable: the first
            non-finite element).
        last_good_step: the step of the previous check that passed.
        kind: "loss", "weight" or "optimizer variable".
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


def saved_variables(model):
    """`(kind, variable)` for every variable a checkpoint of `model` stores.

    `kind` is "weight" for the model's weights (for a GAN: both networks
    and the EMA weights; its random stream is an integer) and "optimizer
    variable" for the optimizers' state (both optimizers of a GAN, through
    `model.optimizer`: iterations, learning rate, moments, loss scale).
    Metrics are not saved in a checkpoint.
    """
    seen = set()
    optimizer = getattr(model, "optimizer", None)
    groups = (("weight", model.weights),
              ("optimizer variable",
               list(getattr(optimizer, "variables", None) or [])))
    for kind, variables in groups:
        for variable in variables:
            if id(variable) not in seen:
                seen.add(id(variable))
                yield kind, variable


def non_finite_variable(model):
    """`(kind, path, value)` of the first variable a checkpoint of `model`
    stores (`saved_variables`) that holds NaN or infinity, with its first
    such element; None when all are finite."""
    for kind, variable in saved_variables(model):
        value = np.asarray(keras.ops.convert_to_numpy(variable))
        if not np.issubdtype(value.dtype, np.floating):
            continue
        bad = ~np.isfinite(value)
        if bad.any():
            return kind, variable.path, float(value[bad].flat[0])
    return None


class DivergenceGuard(StepCounting):
    """Stops training when a watched loss or a saved variable becomes NaN
    or Inf.

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
        """True when the losses and every variable a checkpoint of `model`
        stores are finite (checked now, at `step`)."""
        if self._model is None:  # a guard used only through `Checkpoint`
            self.set_model(model)
        self.step = step
        if not self._finite(logs, model):
            return False
        self.last_good_step = step
        return True

    def _finite(self, logs, model):
        """Checks the losses, then (with a model) its saved variables."""
        if self.divergence is not None:
            return False
        for name in self.watched:
            if name in (logs or {}):
                value = float(logs[name])
                if not math.isfinite(value):
                    return self._diverged(name, value, "loss")
        bad = None if model is None else non_finite_variable(model)
        if bad is not None:
            kind, path, value = bad
            return self._diverged(path, value, kind)
        return True

    def _diverged(self, name, value, kind):
        self.divergence = Divergence(self.step, name, value,
                                     self.last_good_step, kind)
        self.model.stop_training = True
        return False
