"""Sample pictures written to files while training."""

import os

import keras

from keras_gans import images as images_module

__all__ = ["SampleGrid"]


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
        name: the file name, formatted with the 1-based `epoch`.
    """

    def __init__(self, directory, n=64, seed=0, labels=None, every=1,
                 last_epoch=None, picture_kwargs=None,
                 name="epoch_{epoch:04d}.png"):
        super().__init__()
        self.directory = os.fspath(directory)
        self.n = int(n)
        self.seed = int(seed)
        self.labels = labels
        self.every = int(every)
        self.last_epoch = last_epoch
        self.picture_kwargs = dict(picture_kwargs or {})
        self.name = name
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
        path = os.path.join(self.directory, self.name.format(epoch=number))
        images_module.save_png(image, path)
        self.written.append(path)
