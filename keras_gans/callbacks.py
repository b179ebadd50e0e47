"""The callbacks `keras-gans run` trains with.

- `SampleGrid`: a PNG of samples from a fixed latent batch after each epoch.
- `TensorBoardScalars`: the epoch's losses as TensorBoard scalars, written
  with the `tensorboard` package's record format (no TensorFlow import).
- `Checkpoint`: the full GAN every N epochs, written atomically, keeping the
  last K.
- `StopAtStep`: ends training after a number of generator updates.

`atomic_save` and `ScalarWriter` are usable on their own.
"""

import itertools
import os
import re
import socket
import time

import keras
import numpy as np

from keras_gans import images as images_module

__all__ = [
    "Checkpoint",
    "SampleGrid",
    "ScalarWriter",
    "StopAtStep",
    "TensorBoardScalars",
    "atomic_save",
    "checkpoint_path",
    "list_checkpoints",
]

CHECKPOINT_PATTERN = re.compile(r"^epoch_(\d+)\.keras$")


def atomic_save(model, path):
    """Saves a Keras model so that `path` is never left half written.

    The model is saved to a temporary name in the same directory, flushed to
    disk with fsync, then renamed over `path` with `os.replace` (atomic on
    POSIX and Windows). A crash leaves either the old file or the new one.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    # Keras requires the `.keras` suffix; the leading dot hides the file.
    temporary = os.path.join(
        directory, f".tmp-{os.getpid()}-{os.path.basename(path)}"
    )
    try:
        model.save(temporary)
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    _fsync_directory(directory)
    return path


def _fsync_directory(directory):
    """Makes a rename durable (POSIX); a no-op where directories can't open."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def checkpoint_path(directory, epoch):
    """`<directory>/epoch_0003.keras` for epoch 3 (counted from 1)."""
    return os.path.join(directory, f"epoch_{epoch:04d}.keras")


def list_checkpoints(directory):
    """`[(epoch, path), ...]` of the checkpoints in `directory`, oldest first."""
    if not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        match = CHECKPOINT_PATTERN.match(name)
        if match:
            found.append((int(match.group(1)), os.path.join(directory, name)))
    return sorted(found)


class Checkpoint(keras.callbacks.Callback):
    """Saves the full GAN every `every` epochs and after the last one.

    Args:
        directory: where `epoch_0001.keras`, ... go.
        every: save after epochs `every`, `2 * every`, ...
        keep: how many of the newest checkpoints to keep.
        last_epoch: the run's final epoch (always saved).
    """

    def __init__(self, directory, every=1, keep=3, last_epoch=None):
        super().__init__()
        self.directory = os.fspath(directory)
        self.every = int(every)
        self.keep = int(keep)
        self.last_epoch = last_epoch
        self.saved = []

    def on_epoch_end(self, epoch, logs=None):
        number = epoch + 1
        if number % self.every and number != self.last_epoch:
            return
        self.save(number)

    def save(self, number):
        path = atomic_save(self.model, checkpoint_path(self.directory, number))
        self.saved.append(number)
        for _, old in list_checkpoints(self.directory)[: -self.keep]:
            os.remove(old)
        return path


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


class ScalarWriter:
    """Appends scalar summaries to a TensorBoard event file.

    Uses the `tensorboard` package's record writer and protocol buffers
    only: `tensorboard.summary.writer.EventFileWriter` would import
    TensorFlow when it is installed (its `tf.io.gfile` calls), so the file
    is opened with plain Python here.

    Args:
        logdir: the directory TensorBoard is pointed at.
    """

    def __init__(self, logdir):
        from tensorboard.compat.proto import event_pb2
        from tensorboard.summary.writer.record_writer import RecordWriter

        self._event_pb2 = event_pb2
        os.makedirs(logdir, exist_ok=True)
        # A new file per writer, never truncating one: a resumed run in the
        # same second and process (tests) gets the next sequence number.
        stamp = f"{int(time.time()):010d}"
        for sequence in itertools.count(1):
            self.path = os.path.join(
                logdir,
                f"events.out.tfevents.{stamp}.{socket.gethostname()}."
                f"{os.getpid()}.{sequence:03d}.keras_gans",
            )
            try:
                file = open(self.path, "xb")
            except FileExistsError:
                continue
            break
        self._writer = RecordWriter(file)
        self._write(
            event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2")
        )

    def _write(self, event):
        self._writer.write(event.SerializeToString())
        self._writer.flush()

    def scalars(self, step, values):
        """Writes `{tag: number}` at `step` (an int)."""
        from tensorboard.compat.proto import summary_pb2

        summary = summary_pb2.Summary(
            value=[
                summary_pb2.Summary.Value(tag=tag, simple_value=float(value))
                for tag, value in values.items()
            ]
        )
        self._write(
            self._event_pb2.Event(
                wall_time=time.time(), step=int(step), summary=summary
            )
        )

    def close(self):
        if not self._writer.closed:
            self._writer.close()


class TensorBoardScalars(keras.callbacks.Callback):
    """Writes the epoch's logs (d_loss, g_loss, penalty, d_real, d_fake, ...)
    as TensorBoard scalars at step = epoch number (counted from 1)."""

    def __init__(self, logdir):
        super().__init__()
        self.logdir = os.fspath(logdir)
        self.writer = None

    def on_train_begin(self, logs=None):
        if self.writer is None:
            self.writer = ScalarWriter(self.logdir)

    def on_epoch_end(self, epoch, logs=None):
        values = {}
        for key, value in (logs or {}).items():
            try:
                values[key] = float(np.asarray(value))
            except (TypeError, ValueError):
                continue
        if self.writer is None:
            self.on_train_begin()
        self.writer.scalars(epoch + 1, values)

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class StopAtStep(keras.callbacks.Callback):
    """Stops `fit()` once the generator has made `total` updates.

    Args:
        total: the number of generator updates the run should end at.
        done: updates made before this `fit()` (a resumed run).
    """

    def __init__(self, total, done=0):
        super().__init__()
        self.total = int(total)
        self.done = int(done)

    def on_train_batch_end(self, batch, logs=None):
        self.done += 1
        if self.done >= self.total:
            self.model.stop_training = True
