"""A progress line per epoch: the run's speed and the time it has left."""

import time

from keras_gans.training.steps import StepCounting

__all__ = ["Progress", "format_duration"]


class Progress(StepCounting):
    """Prints the run's speed and the time it has left, once per epoch.

    Keras' progress bar gives the time left in the current epoch only. At
    the start of each epoch after the first (so after Keras has finished
    the previous epoch's bar) this prints
    `step 560/1568, 6.5 steps/s, about 2m 35s left`. The speed is measured
    from the end of the first step seen, so that compiling the step does
    not count, and includes the per-epoch work (samples, checkpoints).

    Args:
        total_steps: the generator step the run ends at; None when unknown
            (a dataset without a length): the speed alone is shown.
        echo: prints one line.
        clock: a function returning seconds (`time.monotonic`).
    """

    def __init__(self, total_steps=None, echo=print, clock=time.monotonic):
        super().__init__()
        self.total_steps = total_steps
        self.echo = echo
        self.clock = clock
        self._mark = None  # (step, time) at the end of the first step seen

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._mark is not None and self.step < self._mark[0]:
            self._mark = None  # rolled back to an earlier checkpoint

    def on_train_batch_end(self, batch, logs=None):
        self.count_steps(batch)
        if self._mark is None:
            self._mark = (self.step, self.clock())

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        rate = self.rate()
        if rate is None:
            return
        line = f"step {self.step}"
        if self.total_steps:
            line += f"/{self.total_steps}"
        line += f", {rate:.3g} steps/s"
        if self.total_steps and self.step < self.total_steps:
            left = (self.total_steps - self.step) / rate
            line += f", about {format_duration(left)} left"
        self.echo(line)

    def rate(self):
        """Steps per second since the first step seen; None before two."""
        if self._mark is None or self.step <= self._mark[0]:
            return None
        elapsed = self.clock() - self._mark[1]
        return (self.step - self._mark[0]) / elapsed if elapsed > 0 else None


def format_duration(seconds):
    """`45s`, `3m 07s` or `1h 02m`."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
