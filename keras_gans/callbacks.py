"""The callbacks `keras-gans run` trains with, in one namespace.

- `SampleGrid`: a PNG of samples from a fixed latent batch after each epoch.
- `TensorBoard` (from `keras_gans.tensorboard`): losses, D's outputs,
  learning rates and speed every N steps and per epoch, sample pictures
  and the recipe, written without importing TensorFlow.
- `Checkpoint` (from `keras_gans.checkpoints`): the full GAN every N
  epochs, written atomically, keeping the last K.
- `StopAtStep`: ends training after a number of generator updates.
"""

import os

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
