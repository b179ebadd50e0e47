"""The callbacks `keras-gans run` trains with, in one namespace.

- `SampleGrid`: a PNG of samples from a fixed latent batch after each epoch.
- `TensorBoard` (from `keras_gans.tensorboard`): losses, D's outputs,
  learning rates and speed every N steps and per epoch, sample pictures
  and the recipe, written without importing TensorFlow.
- `Checkpoint` (from `keras_gans.checkpoints`): the full GAN every N
  epochs, written atomically, keeping the last K.
- `StopAtStep`: ends training after a number of generator updates.
- `Progress`: a line per epoch with the run's speed and time left.
"""

import os
import time

import keras

from keras_gans import images as images_module
from keras_gans.checkpoints import Checkpoint
from keras_gans.checkpoints import StepCounting
from keras_gans.checkpoints import atomic_save
from keras_gans.checkpoints import checkpoint_path
from keras_gans.checkpoints import list_checkpoints
from keras_gans.tensorboard import EventWriter
from keras_gans.tensorboard import ScalarWriter
from keras_gans.tensorboard import TensorBoard

__all__ = [
    "Checkpoint",
    "EventWriter",
    "Progress",
    "SampleGrid",
    "ScalarWriter",
    "StopAtStep",
    "TensorBoard",
    "atomic_save",
    "checkpoint_path",
    "list_checkpoints",
]


class SampleGrid(keras.callbacks.Callback):
    """Writes `samples/epoch_0001.png` from a fixed latent batch.

    The same z (`seed`) and labels are used every epoch, so the pictures
    show one set of samples evolving. Image samples become a grid; 2-D
    samples a scatter plot over the real data.

    Args:
        directory: where the PNGs go.
        n: samples per picture.
        seed: seed of the fixed latent batch.
        labels: labels for a conditional GAN (one per sample), or None.
        every: write after epochs `every`, `2 * every`, ... (and the last).
        last_epoch: the run's final epoch.
        picture_kwargs: passed to `keras_gans.images.picture` (for 2-D data:
            `reference`, `centers`, `bounds`).
    """

    def __init__(self, directory, n=64, seed=0, labels=None, every=1,
                 last_epoch=None, picture_kwargs=None):
        super().__init__()
        self.directory = os.fspath(directory)
        self.n = int(n)
        self.seed = int(seed)
        self.labels = labels
        self.every = int(every)
        self.last_epoch = last_epoch
        self.picture_kwargs = dict(picture_kwargs or {})
        self.written = []

    def on_epoch_end(self, epoch, logs=None):
        number = epoch + 1
        if not self.every:
            return
        if number % self.every and number != self.last_epoch:
            return
        samples = self.model.generate(self.n, seed=self.seed,
                                      labels=self.labels)
        image = images_module.picture(samples, **self.picture_kwargs)
        if image is None:
            return
        path = os.path.join(self.directory, f"epoch_{number:04d}.png")
        images_module.save_png(image, path)
        self.written.append(path)


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
