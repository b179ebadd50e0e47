"""Image datasets read a batch at a time, so memory does not grow with them.

A streamed dataset is an `ImageRows`: an array-like of float32 images in
`[-1, 1]` (`len`, `shape`, `x[rows]`) whose rows are computed when a batch
asks for them, from uint8 pixels: a folder's files decoded on the fly
(`FolderPixels`, over a checked `index.FolderIndex`) or a uint8 array read
through a memory map (`keras-gans prepare-data`). Pixels stay uint8 until a
batch is scaled, with the very computation the in-memory `image_folder`
does, so both paths give the same floats.

Training batches it with `keras_gans.training.OrderedBatches`, a
`keras.utils.PyDataset`: the order of epoch `e` is `epoch_order(seed, e)`
over the index, a resumed run starts at the saved batch, and `workers`
threads decode batches ahead of the step (Keras' own prefetch queue).
This small loader is used rather than grain, tf.data or a torch
`DataLoader` because it is one path for the three backends (tf.data would
import TensorFlow on JAX and PyTorch, a `DataLoader` only exists on
PyTorch, grain is an extra dependency that is not installed here), and it
keeps the exact-resume machinery of array data unchanged.
"""

import numbers

import numpy as np

from keras_gans import memory
from keras_gans.datasets.images import _check_room

__all__ = ["FolderPixels", "ImageRows", "STREAM_ABOVE_BYTES", "is_streamed",
           "should_stream"]

# `stream="auto"` streams a dataset whose float32 images would take more
# than this in memory.
STREAM_ABOVE_BYTES = 2**30


def should_stream(stream, shape):
    """Whether images of `shape` `(n, height, width, channels)` stream.

    Args:
        stream: True, False, or "auto" (stream above `STREAM_ABOVE_BYTES`
            of float32 images).

    Raises:
        ValueError: for another `stream`.
    """
    if stream == "auto":
        return (int(np.prod(shape, dtype=np.int64)) * memory.BYTES_PER_VALUE
                > STREAM_ABOVE_BYTES)
    if isinstance(stream, bool):
        return stream
    raise ValueError(
        "Argument `stream` must be True (read batches from disk as training "
        "needs them), False (decode everything into memory first) or "
        f"'auto' (stream above {STREAM_ABOVE_BYTES / 2**30:g} GiB of "
        f"float32 images). Received: stream={stream!r}"
    )


def _row_indices(rows, count):
    """`rows` (an int, slice or index array) as int64 indices, and whether
    it was a single int."""
    if isinstance(rows, numbers.Integral) and not isinstance(rows, bool):
        return np.arange(count)[[rows]], True
    return np.arange(count)[rows].reshape(-1), False


class FolderPixels:
    """The uint8 pixels of an indexed folder, decoded when read.

    `pixels[rows]` decodes those files (`decoder`, the options the folder
    was indexed with) into `(len(rows), height, width, channels)` uint8.

    Args:
        index: a `keras_gans.datasets.index.FolderIndex`.
        decoder: a `keras_gans.datasets.image_files.Decoder`.
    """

    dtype = np.dtype(np.uint8)

    def __init__(self, index, decoder):
        self.index = index
        self.decoder = decoder
        self.shape = (len(index), *decoder.shape)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, rows):
        indices, single = _row_indices(rows, len(self))
        out = np.empty((len(indices), *self.shape[1:]), dtype=np.uint8)
        for i, row in enumerate(indices.tolist()):
            path = self.index.path(row)
            try:
                out[i] = self.decoder(path)
            except Exception as error:
                raise ValueError(
                    f"Could not read the image file {path!r}, which decoded "
                    f"when the folder was indexed: {type(error).__name__}: "
                    f"{error}. Was it changed during training? Fix or "
                    "remove it and start again (the folder is indexed "
                    f"again). Received: path={self.index.root!r}"
                ) from error
        return out[0] if single else out


class _Taken:
    """The rows `rows` of `pixels`, read only when indexed."""

    def __init__(self, pixels, rows):
        self.pixels = pixels
        self.rows = np.asarray(rows, dtype=np.int64)
        self.shape = (len(self.rows), *pixels.shape[1:])
        self.dtype = pixels.dtype

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, rows):
        return self.pixels[self.rows[rows]]


class ImageRows:
    """Float32 images in `[-1, 1]` computed from uint8 pixels per read.

    An array-like: `len(x)`, `x.shape`, `x.dtype` (float32) and `x[rows]`
    (an int, slice or index array) as NumPy arrays would give them, so
    `OrderedBatches` batches it like an array. Only the rows read are
    decoded and scaled; `np.asarray(x)` builds the whole array (refused
    when it cannot fit in memory).

    Args:
        pixels: uint8 images `(n, height, width, channels)`: an array, a
            memory map, or `FolderPixels`.
    """

    dtype = np.dtype(np.float32)
    ndim = 4

    def __init__(self, pixels):
        if np.dtype(pixels.dtype) != np.uint8 or len(pixels.shape) != 4:
            raise ValueError(
                "`ImageRows` needs uint8 pixels of shape (n, height, width, "
                f"channels). Received: dtype={pixels.dtype}, "
                f"shape={pixels.shape}"
            )
        self.pixels = pixels
        self.shape = tuple(int(s) for s in pixels.shape)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, rows):
        x = np.asarray(self.pixels[rows]).astype(np.float32)
        x /= np.float32(127.5)  # as image_folder scales its array
        x -= np.float32(1.0)
        return x

    def take(self, rows):
        """The images `rows` (an index array), still read lazily."""
        return ImageRows(_Taken(self.pixels, rows))

    def __array__(self, dtype=None, copy=None):
        _check_room(self.shape, "stream", False)
        x = self[:]
        return x if dtype is None else x.astype(dtype)

    def __repr__(self):
        return (f"<ImageRows of {type(self.pixels).__name__}: "
                f"shape={self.shape}, float32 in [-1, 1]>")


def is_streamed(x):
    """Whether a dataset's `x` is read a batch at a time (`ImageRows`)."""
    return isinstance(x, ImageRows)
