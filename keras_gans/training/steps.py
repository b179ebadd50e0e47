"""Counting generator steps from the batch indices Keras hands to callbacks.

The callbacks of `keras_gans.training` act every N steps (generator
updates). Reading the model's counter each batch would sync the device, so
they read it once per `fit()` and follow the batch indices after that, also
with `steps_per_execution > 1`, when several steps pass between two calls.
"""

import keras

__all__ = ["StepCounting", "batches_done", "crossed_multiple"]


class StepCounting(keras.callbacks.Callback):
    """A callback that knows the run's step (generator updates) and epoch.

    The counter is read from the model once per `fit()`; after that the
    batch indices Keras passes give it, with no device sync.
    """

    step = 0
    epoch = 0
    _epoch_start_step = 0

    def on_train_begin(self, logs=None):
        self.step = self.model.steps

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._epoch_start_step = self.step

    def count_steps(self, batch):
        """Moves the step to the end of batch `batch` of this epoch (with
        `steps_per_execution`, Keras passes the last batch it ran)."""
        self.step = self._epoch_start_step + batches_done(batch, self.params)


def batches_done(batch, params):
    """How many batches of the epoch have run when Keras reports `batch`.

    With `steps_per_execution = k`, Keras reports the index of the k-th
    batch of each call, also for an epoch's last call that runs fewer
    (7 batches, k = 3: it reports 2, 5 and 8); the epoch length in the
    callbacks' `params["steps"]` bounds it.
    """
    done = batch + 1
    steps = (params or {}).get("steps")
    return min(done, steps) if steps else done


def crossed_multiple(interval, before, after):
    """Whether a multiple of `interval` lies in `(before, after]` (several
    steps pass at once with `steps_per_execution`); never for interval 0."""
    return bool(interval) and after // interval > before // interval
