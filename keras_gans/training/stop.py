"""Ending `fit()` at a step count rather than an epoch count."""

from keras_gans.training.steps import StepCounting

__all__ = ["StopAtStep"]


class StopAtStep(StepCounting):
    """Stops `fit()` once the generator has made `total` updates.

    The count starts from the model's step counter when `fit()` begins
    (so a resumed or rolled-back run needs nothing more) and follows the
    batch indices Keras passes, which also holds with
    `steps_per_execution > 1`, where Keras reports every k-th batch only.

    Args:
        total: the number of generator updates the run should end at.
    """

    def __init__(self, total):
        super().__init__()
        self.total = int(total)

    def on_train_batch_end(self, batch, logs=None):
        self.count_steps(batch)
        if self.step >= self.total:
            self.model.stop_training = True
