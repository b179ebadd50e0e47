"""TensorBoard event files written without TensorFlow.

`ScalarWriter` appends summaries with the `tensorboard` package's record
writer; `TensorBoardScalars` is the callback `keras-gans run` logs with.
"""

import itertools
import os
import socket
import time

import keras
import numpy as np

__all__ = ["ScalarWriter", "TensorBoardScalars"]


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
