"""Checkpoints: the full GAN saved atomically, keeping the last K.

`atomic_save` writes any Keras model so that a crash leaves either the old
file or the new one, never half of one. `Checkpoint` is the callback
`keras-gans run` saves with.
"""

import os
import re

import keras

__all__ = ["Checkpoint", "atomic_save", "checkpoint_path", "list_checkpoints"]

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
