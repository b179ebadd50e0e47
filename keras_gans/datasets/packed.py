"""A folder of images packed once into a uint8 `.npy` file, read by memory map.

`pack_folder` (the `keras-gans prepare-data` command) decodes and resizes
every image of a folder once, as `image_folder` would, into
`(n, height, width, channels)` uint8 written straight to disk (memory does
not grow with the folder); with labels, their int32 class ids go beside it
in `<name>.labels.npy`. `packed` reads it with `np.load(mmap_mode="r")` as
a streamed dataset (`keras_gans.datasets.streaming.ImageRows`): each epoch
then reads bytes instead of decoding files, the fastest form for repeated
epochs, and batches go through the same `OrderedBatches` as arrays.
"""

import concurrent.futures
import dataclasses
import os
import stat

import numpy as np

from keras_gans import files
from keras_gans.datasets.image_files import _DEFAULT_EXTENSIONS
from keras_gans.datasets.image_files import folder_arguments
from keras_gans.datasets.images import _check_path
from keras_gans.datasets.index import index_folder
from keras_gans.datasets.streaming import ImageRows

__all__ = ["Packed", "labels_path", "pack_folder", "packed"]

# Images decoded per task handed to a thread.
_CHUNK = 64


@dataclasses.dataclass
class Packed:
    """What `pack_folder` wrote.

    Attributes:
        path: the `.npy` file of uint8 images.
        labels_path: the `.labels.npy` file, or None without labels.
        shape: the images' shape `(n, height, width, channels)`.
        skipped: `(full path, reason)` of the files left out.
    """

    path: str
    labels_path: str | None
    shape: tuple
    skipped: list


def labels_path(path):
    """The labels file beside a packed `.npy` file: `x.npy` ->
    `x.labels.npy`."""
    stem = path[:-4] if path.lower().endswith(".npy") else path
    return f"{stem}.labels.npy"


def _check_output(output):
    output = _check_path("output", output)
    if not output.lower().endswith(".npy"):
        raise ValueError(
            "Argument `output` must name a `.npy` file (a memory-mappable "
            f"array), for example 'faces64.npy'. Received: output={output!r}"
        )
    if os.path.isdir(output):
        raise ValueError(
            f"Argument `output` must be a file, but {output!r} is a folder. "
            f"Received: output={output!r}"
        )
    return output


def pack_folder(
    path,
    image_size,
    output,
    channels=3,
    labels="none",
    extensions=_DEFAULT_EXTENSIONS,
    *,
    crop_to_aspect_ratio=True,
    interpolation="bilinear",
    on_bad_image="error",
    workers=None,
    cache_dir=None,
    progress=None,
):
    """Packs a folder of images into a uint8 `.npy` file (and its labels).

    The folder is indexed (`keras_gans.datasets.index`: every file checked
    before anything is written) and each image decoded exactly as
    `image_folder(path, image_size, ...)` decodes it, by `workers` threads,
    straight into a memory-mapped file. The file appears only when it is
    complete (written to a temporary name, then renamed).

    Args:
        path: Folder of images (searched recursively).
        image_size: Positive int (square) or `(height, width)`.
        output: The `.npy` file to write; labels go to
            `labels_path(output)`.
        channels, labels, extensions, crop_to_aspect_ratio, interpolation,
        on_bad_image: as for `image_folder`.
        workers: decoding threads (default: the CPU count, at most 8).
        cache_dir: where the folder's index cache goes (see
            `keras_gans.datasets.index.cache_path`); False for none.
        progress: called with `(done, total)` images after each chunk, or
            None.

    Returns:
        A `Packed`.

    Raises:
        ValueError: for a bad argument, a folder without images or a file
            that does not decode (with `on_bad_image="error"`).
        OSError: when the output cannot be written (`files.WriteError`).
    """
    path, decoder, labels = folder_arguments(
        path, image_size, channels, labels, extensions, crop_to_aspect_ratio,
        interpolation, on_bad_image)
    output = _check_output(output)
    index = index_folder(path, labels, decoder, on_bad_image, cache_dir,
                         workers)
    shape = (len(index), *decoder.shape)
    workers = workers or min(8, os.cpu_count() or 1)

    def fill(images, begin):
        for row in range(begin, min(begin + _CHUNK, len(index))):
            images[row] = decoder(index.path(row))
        return min(begin + _CHUNK, len(index))

    with files.replacing(output) as temporary:
        images = np.lib.format.open_memmap(temporary, mode="w+",
                                           dtype=np.uint8, shape=shape)
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            for end in pool.map(lambda begin: fill(images, begin),
                                range(0, len(index), _CHUNK)):
                if progress is not None:
                    progress(end, len(index))
        images.flush()
        del images
    written_labels = None
    if index.labels is None and os.path.exists(labels_path(output)):
        os.remove(labels_path(output))  # an earlier packing's labels
    if index.labels is not None:
        written_labels = labels_path(output)
        with files.replacing(written_labels) as temporary:
            np.save(temporary, index.labels.astype(np.int32))
    return Packed(output, written_labels, shape, index.skipped)


def packed(path):
    """Loads images packed by `keras-gans prepare-data` (a uint8 `.npy`).

    The file is memory-mapped, not read: batches read the rows they need,
    so memory does not grow with the file. Its labels are read from
    `labels_path(path)` when that file exists.

    Args:
        path: a `.npy` file of uint8 images `(n, height, width, channels)`
            or `(n, height, width)`.

    Returns:
        `(x, y)`: `x` an `ImageRows` (float32 rows in `[-1, 1]`, scaled as
        `image_folder` scales), `y` int32 class ids `(n,)` or None.

    Raises:
        ValueError: for a missing file, or an array that is not uint8 images.

    Example:

    >>> x, y = packed("faces64.npy")  # doctest: +SKIP
    """
    path = _check_path("path", path)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is None or not stat.S_ISREG(mode):
        raise ValueError(
            f"Argument `path` must be a `.npy` file written by `keras-gans "
            f"prepare-data`, but {path!r} "
            f"{'does not exist' if mode is None else 'is not a file'}. "
            f"Pack a folder into it first: the `prepare-data` command, or "
            f"`keras_gans.datasets.packed.pack_folder` from Python. "
            f"Received: path={path!r}"
        )
    try:
        x = np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as error:
        raise ValueError(
            f"Could not read {path!r} as a `.npy` array "
            f"({type(error).__name__}: {error}). Received: path={path!r}"
        ) from error
    if x.ndim == 3:
        x = x[..., None]
    if x.dtype != np.uint8 or x.ndim != 4 or not len(x):
        raise ValueError(
            f"{path!r} must hold uint8 images (n, height, width, channels) "
            f"as `keras-gans prepare-data` writes, but holds {x.dtype} of "
            f"shape {x.shape}. Received: path={path!r}"
        )
    y = None
    if os.path.isfile(labels_path(path)):
        y = np.load(labels_path(path), allow_pickle=False)
        if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(
                f"The labels {labels_path(path)!r} must be {len(x)} integer "
                f"class ids, one per image of {path!r}, but hold {y.dtype} "
                f"of shape {y.shape}. Pack the folder again. "
                f"Received: path={path!r}"
            )
        y = y.astype(np.int32)
    return ImageRows(x), y
