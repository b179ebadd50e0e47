"""Datasets from the user's own files: a folder of images, or a `.npz` file.

Both loaders return NumPy arrays `(x, y)` like the built-in image datasets:
`x` float32 channels-last `(n, height, width, channels)` scaled to
`[-1, 1]`, `y` int32 class ids `(n,)` or `None` when there are no labels.
Images are decoded with Pillow; neither Keras nor TensorFlow is imported.
"""

import math
import numbers
import os
import stat
import warnings

import numpy as np

from keras_gans.regular_files import file_kind
from keras_gans.regular_files import open_regular

from keras_gans.datasets.image_files import _DEFAULT_EXTENSIONS
from keras_gans.datasets.image_files import SkippedFilesWarning
from keras_gans.datasets.image_files import _check_folder
from keras_gans.datasets.image_files import _subfolders
from keras_gans.datasets.image_files import _warn_skipped
from keras_gans.datasets.image_files import bad_image_error
from keras_gans.datasets.image_files import find_images
from keras_gans.datasets.image_files import folder_arguments
from keras_gans.datasets.image_files import none_readable_error
from keras_gans.datasets.images import _check_image_size
from keras_gans.datasets.images import _check_interpolation
from keras_gans.datasets.images import _check_path
from keras_gans.datasets.images import _check_room
from keras_gans.datasets.images import _first_bad_index
from keras_gans.datasets.images import _resize_images
from keras_gans.datasets.images import _to_unit_range
from keras_gans.datasets.index import index_folder
from keras_gans.datasets.streaming import FolderPixels
from keras_gans.datasets.streaming import ImageRows
from keras_gans.datasets.streaming import should_stream

__all__ = ["SkippedFilesWarning", "image_folder", "image_folder_classes",
           "npz"]


def image_folder_classes(path):
    """Returns the class names of a folder laid out as one subfolder a class.

    These are the sorted names of the immediate (non-hidden) subfolders of
    `path`; with `image_folder(path, ..., labels="subfolders")`, label `i`
    is `image_folder_classes(path)[i]`.

    Args:
        path: Folder whose subfolders are the classes.

    Returns:
        A list of strings.

    Example:

    >>> image_folder_classes("pets/")  # doctest: +SKIP
    ['cat', 'dog']
    """
    path = _check_folder(path)
    classes = _subfolders(path)
    if not classes:
        raise ValueError(
            f"The folder {path!r} has no subfolders, so it has no classes. "
            "Put each class' images in its own subfolder, e.g. "
            f"{os.path.join(path, 'cat')!r}. Received: path={path!r}"
        )
    return classes


def image_folder(
    path,
    image_size,
    channels=3,
    labels="none",
    extensions=_DEFAULT_EXTENSIONS,
    *,
    crop_to_aspect_ratio=True,
    interpolation="bilinear",
    on_bad_image="error",
    stream="auto",
    cache_dir=None,
):
    """Loads a folder of your own images (searched recursively).

    Every file under `path` whose extension is in `extensions`
    (case-insensitive) is decoded with Pillow, in sorted path order. Hidden
    files and folders (names starting with ".") are skipped. Each image is
    rotated according to its EXIF orientation, converted to RGB
    (`channels=3`) or grayscale (`channels=1`), which drops any alpha
    channel without compositing, and resized to `image_size`. With
    `crop_to_aspect_ratio=True` (default) it is first center-cropped to the
    largest region of the target aspect ratio (a square for an int
    `image_size`), so nothing is stretched; with `False` the whole image is
    resized, which distorts non-matching aspect ratios. Animated images give
    their first frame. Pixel values `0..255` map linearly to `[-1, 1]`.

    With `labels="subfolders"`, each immediate subfolder of `path` is a
    class (images may be nested deeper inside it): label `i` is the `i`-th
    subfolder name in sorted order, i.e. `image_folder_classes(path)[i]`.

    A file is decoded only by Pillow's decoders for the formats of
    `extensions` (a PostScript file named `x.png` is not handed to
    Ghostscript). Symbolic links to files and folders are followed (a
    link to a folder that contains it is not entered again). Names with an
    image extension that are not regular files (a FIFO, a device, a broken
    link) are skipped with a `SkippedFilesWarning`. Every image is decoded
    here, before training: with `on_bad_image="error"` (default) the first
    one that cannot be read raises; with `"skip"` those are left out and
    listed in one `SkippedFilesWarning` (the count and the first names; its
    `files` attribute holds them all).

    With `stream=False` every image is decoded into one float32 array in
    memory. With `stream=True` (and with `"auto"`, the default, when that
    array would exceed 1 GiB) the folder is indexed instead
    (`keras_gans.datasets.index`: every file checked once, the checks
    cached) and `x` is an `ImageRows`, an array-like whose rows are decoded
    when read: memory does not grow with the folder, and `x[rows]` gives
    exactly the floats the in-memory array holds.

    Args:
        path: Folder to read.
        image_size: Positive int (square output) or `(height, width)`.
        channels: 3 (RGB, default) or 1 (grayscale).
        labels: `"none"` (default; `y` is `None`; `None` also works) or
            `"subfolders"`.
        extensions: File extensions to load, with the dot.
        crop_to_aspect_ratio: Whether to center-crop to the target aspect
            ratio before resizing.
        interpolation: Resizing filter: `"bilinear"` (default),
            `"nearest"`, `"bicubic"`, `"lanczos"` or `"area"`.
        on_bad_image: `"error"` (default) or `"skip"`: what to do with a
            file that cannot be decoded.
        stream: `"auto"` (default), True or False: whether to read the
            images a batch at a time (see above).
        cache_dir: Where a streamed folder's index cache goes (default
            `$KERAS_GANS_CACHE` or `~/.cache/keras_gans`), or False for
            none.

    Returns:
        A tuple `(x, y)`: `x` a float32 array of shape
        `(n, height, width, channels)` in `[-1, 1]` (an `ImageRows` when
        streamed); `y` an int32 array of shape `(n,)` with
        `labels="subfolders"`, else `None`.

    Example:

    >>> x, y = image_folder("pets/", 64, labels="subfolders")  # doctest: +SKIP
    >>> image_folder_classes("pets/")  # doctest: +SKIP
    ['cat', 'dog']
    """
    path, decoder, labels = folder_arguments(
        path, image_size, channels, labels, extensions, crop_to_aspect_ratio,
        interpolation, on_bad_image)
    should_stream(stream, (1, 1, 1, 1))  # checks the argument
    files, y = find_images(path, labels, decoder.extensions)
    if should_stream(stream, (len(files), *decoder.shape)):
        index = index_folder(path, labels, decoder, on_bad_image, cache_dir,
                             found=(files, y))
        return ImageRows(FolderPixels(index, decoder)), index.labels

    _check_room((len(files), *decoder.shape), "image_size", image_size)
    x = np.empty((len(files), *decoder.shape), dtype=np.float32)
    kept, bad = [], []
    for index, relpath in enumerate(files):
        full = os.path.join(path, relpath)
        try:
            pixels = decoder(full)
        except Exception as e:
            if on_bad_image == "skip":
                bad.append((relpath, f"{type(e).__name__}: {e}"))
                continue
            raise bad_image_error(full, f"{type(e).__name__}: {e}",
                                  path) from e
        x[len(kept)] = pixels
        kept.append(index)
    if bad:
        if not kept:
            raise none_readable_error(len(files), bad, path)
        _warn_skipped(path, bad, "image files that could not be read")
        x = x[: len(kept)].copy()
        y = None if y is None else y[kept]
    x /= np.float32(127.5)
    x -= np.float32(1.0)
    return x, y


def _check_value_range(value_range):
    if value_range is None:
        return None
    ok = (
        isinstance(value_range, (tuple, list))
        and len(value_range) == 2
        and all(
            isinstance(v, numbers.Real)
            and not isinstance(v, bool)
            and math.isfinite(v)
            for v in value_range
        )
        and value_range[0] < value_range[1]
    )
    if not ok:
        raise ValueError(
            "Argument `value_range` must be None (infer: integers are "
            "[0, 255], floats are [-1, 1]) or a pair `(low, high)` of finite "
            "numbers with low < high, for example (0, 1). "
            f"Received: value_range={value_range!r}"
        )
    return float(value_range[0]), float(value_range[1])


def _read_npz_array(arrays, key, argument, path):
    if key not in arrays.files:
        raise ValueError(
            f"The file {path!r} has no array named {key!r}. Arrays present: "
            f"{sorted(arrays.files)}. Pass one of them as `{argument}`. "
            f"Received: {argument}={key!r}"
        )
    try:
        return arrays[key]
    except ValueError as e:  # Object arrays need pickle, which is refused.
        raise ValueError(
            f"The array {key!r} in {path!r} could not be loaded without "
            f"pickle ({e}). Save a numeric array instead. "
            f"Received: {argument}={key!r}"
        ) from e


def _is_numeric(array):
    return np.issubdtype(array.dtype, np.integer) or np.issubdtype(
        array.dtype, np.floating)


def _check_npz_images(x, key, path, bad_values="error"):
    if x.dtype == bool or not _is_numeric(x):
        raise ValueError(
            f"The array {key!r} in {path!r} must hold integer (e.g. uint8) or "
            f"floating-point pixel values, but its dtype is {x.dtype}. "
            f"Received: key={key!r}"
        )
    if x.ndim == 3:
        x = x[..., None]
    elif x.ndim != 4:
        raise ValueError(
            f"The array {key!r} in {path!r} must have rank 4 "
            "(n, height, width, channels) or rank 3 (n, height, width), but "
            f"it has shape {x.shape}. Received: key={key!r}"
        )
    if x.size == 0:
        raise ValueError(
            f"The array {key!r} in {path!r} is empty (shape {x.shape}); it "
            f"must hold at least one image. Received: key={key!r}"
        )
    if x.shape[-1] not in (1, 2, 3, 4) and x.shape[1] in (1, 3, 4):
        raise ValueError(
            f"The array {key!r} in {path!r} has shape {x.shape}, which looks "
            "channels-first; images must be channels-last "
            "(n, height, width, channels). Transpose it with "
            f"`np.transpose(x, (0, 2, 3, 1))` first. Received: key={key!r}"
        )
    if np.issubdtype(x.dtype, np.floating) and bad_values == "error":
        bad = ~np.isfinite(x)
        if bad.any():
            index = _first_bad_index(bad)
            raise ValueError(
                f"The array {key!r} in {path!r} holds {int(bad.sum())} "
                f"NaN or infinite value(s); the first is {x[index]} at index "
                f"{index} (image {index[0]}). Remove or fix those images. "
                f"Received: key={key!r}"
            )
    return x


def _check_npz_range(x, key, path, value_range, inferred):
    received = None if inferred else value_range
    low, high = value_range
    tolerance = 1e-5 * (high - low) if np.issubdtype(
        x.dtype, np.floating) else 0.0
    bad = (x < low - tolerance) | (x > high + tolerance)
    if not bad.any():
        return
    index = _first_bad_index(bad)
    lo, hi = x.min(), x.max()
    if inferred and np.issubdtype(x.dtype, np.floating):
        hint = (
            "Floating-point images must already be in [-1, 1]; pass "
            f"`value_range=({lo:g}, {hi:g})` (e.g. (0, 255)) to rescale "
            "them, or cast 0..255 data to uint8."
        )
        expected = "[-1, 1] (floating-point data)"
    elif inferred:
        hint = (
            "Integer images must be 8-bit (0..255); pass "
            "`value_range=(low, high)` for other ranges, e.g. (0, 65535) for "
            "16-bit images."
        )
        expected = "[0, 255] (integer data)"
    else:
        hint = "Fix `value_range` or the data."
        expected = f"value_range=[{low:g}, {high:g}]"
    raise ValueError(
        f"The array {key!r} in {path!r} has values outside {expected}: "
        f"{x[index]} at index {index} (image {index[0]}); its values span "
        f"[{lo:g}, {hi:g}]. {hint} Received: value_range={received!r}"
    )


def _check_npz_labels(y, n, labels_key, path):
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(
            f"The labels {labels_key!r} in {path!r} must have shape ({n},) "
            f"(one class id per image; (n, 1) is also accepted), but they "
            f"have shape {y.shape}. Received: labels_key={labels_key!r}"
        )
    if y.dtype == bool or not _is_numeric(y):
        raise ValueError(
            f"The labels {labels_key!r} in {path!r} must be integer class "
            f"ids, but their dtype is {y.dtype}. "
            f"Received: labels_key={labels_key!r}"
        )
    bad = (y < 0) | (y > np.iinfo(np.int32).max)
    if np.issubdtype(y.dtype, np.floating):
        bad |= y != np.floor(y)  # Also True for NaN; infinities are > max.
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"The labels {labels_key!r} in {path!r} must be non-negative "
            f"integer class ids, but label {i} is {y[i].item()!r}. "
            f"Received: labels_key={labels_key!r}"
        )
    return y.astype(np.int32)


def npz(
    path,
    key="x",
    labels_key=None,
    *,
    value_range=None,
    image_size=None,
    interpolation="bilinear",
    bad_values="error",
):
    """Loads images (and optionally labels) from a NumPy `.npz` file.

    The array `key` holds the images, channels-last: rank 4
    `(n, height, width, channels)` or rank 3 `(n, height, width)` (a channel
    axis is added). Its values are mapped linearly to `[-1, 1]`:

    - integer arrays (e.g. uint8) are read as `0..255`;
    - floating-point arrays must already be in `[-1, 1]` and are kept as
      they are. Data in `[0, 1]` cannot be told apart from `[-1, 1]` data
      that happens to be non-negative, so it is not rescaled: pass
      `value_range=(0, 1)` for it (a warning is issued when float data has
      no negative value);
    - `value_range=(low, high)` overrides both and maps `low` to -1 and
      `high` to 1.

    Values outside the range, NaN and infinity are errors, unless
    `bad_values="keep"`: then they are kept, mapped like the others (NaN
    stays NaN, a value outside the range lands outside [-1, 1]), for the
    data checks (`keras_gans.datasets.checks`) to list every one (with
    `image_size`, values outside the range stay errors: resizing clips).

    Args:
        path: Path of a `.npz` file (as written by `np.savez`).
        key: Name of the image array in the file.
        labels_key: Name of an array of integer class ids, shape `(n,)` or
            `(n, 1)`, or `None` for no labels.
        value_range: `None` (infer from the dtype, as above) or
            `(low, high)`.
        image_size: `None` (keep the stored size), a positive int (square
            output) or `(height, width)` to resize to (without cropping).
        interpolation: Resizing filter: `"bilinear"` (default),
            `"nearest"`, `"bicubic"`, `"lanczos"` or `"area"`.
        bad_values: `"error"` (default) or `"keep"`: what to do with NaN,
            infinity and values outside the range.

    Returns:
        A tuple `(x, y)`: `x` a float32 array of shape
        `(n, height, width, channels)` in `[-1, 1]`; `y` an int32 array of
        shape `(n,)`, or `None` when `labels_key` is `None`.

    Example:

    >>> np.savez("faces.npz", x=images, y=labels)  # doctest: +SKIP
    >>> x, y = npz("faces.npz", labels_key="y")  # doctest: +SKIP
    """
    path = _check_path("path", path)
    for name, value in (("key", key), ("labels_key", labels_key)):
        if not (isinstance(value, str) or (name == "labels_key" and
                                           value is None)):
            raise ValueError(
                f"Argument `{name}` must be the name (a string) of an array "
                f"in the .npz file. Received: {name}={value!r}"
            )
    if bad_values not in ("error", "keep"):
        raise ValueError('Argument `bad_values` must be "error" or "keep". '
                         f"Received: bad_values={bad_values!r}")
    inferred = value_range is None
    value_range = _check_value_range(value_range)
    size = None if image_size is None else _check_image_size(image_size)
    resample = _check_interpolation(interpolation)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is None or not stat.S_ISREG(mode):
        what = "does not exist" if mode is None else f"is {file_kind(mode)}"
        hint = (
            " To load a folder of images, use "
            "`keras_gans.datasets.image_folder(path, image_size)`."
            if mode is not None and stat.S_ISDIR(mode)
            else ""
        )
        raise ValueError(
            f"Argument `path` must be an existing .npz file, but {path!r} "
            f"{what}.{hint} Received: path={path!r}"
        )
    try:
        # Opened without blocking: a FIFO put there since is refused.
        file = open_regular(path)
    except OSError as e:
        raise ValueError(
            f"Could not open {path!r}: {e}. Received: path={path!r}"
        ) from e
    with file:
        try:
            arrays = np.load(file, allow_pickle=False)
        except Exception as e:
            raise ValueError(
                f"Could not read {path!r} as a .npz file "
                f"({type(e).__name__}: {e}). Save your arrays with "
                f"`np.savez(path, x=images)`. Received: path={path!r}"
            ) from e
        if not isinstance(arrays, np.lib.npyio.NpzFile):
            raise ValueError(
                f"{path!r} holds a single array (a .npy file), not a .npz "
                "archive of named arrays. Save it with "
                f"`np.savez(path, {key}=images)`. Received: path={path!r}"
            )
        with arrays:
            x = _read_npz_array(arrays, key, "key", path)
            y = (
                None
                if labels_key is None
                else _read_npz_array(arrays, labels_key, "labels_key", path)
            )

    x = _check_npz_images(x, key, path, bad_values)
    if value_range is None:
        if np.issubdtype(x.dtype, np.integer):
            value_range = (0.0, 255.0)
        else:
            value_range = (-1.0, 1.0)
    if bad_values == "error" or size is not None:  # resizing clips
        _check_npz_range(x, key, path, value_range, inferred)
    if inferred and np.issubdtype(x.dtype, np.floating) and not (
            np.nanmin(x) < 0):
        warnings.warn(
            f"The float array {key!r} in {path!r} has no negative value: it "
            "is taken to be in [-1, 1] already. If it is in [0, 1], pass "
            "`value_range=(0, 1)` to rescale it.",
            stacklevel=2,
        )
    if y is not None:
        y = _check_npz_labels(y, x.shape[0], labels_key, path)
    x = _to_unit_range(x, *value_range, clip=bad_values == "error")
    if size is not None:
        x = _resize_images(x, size, resample)
    return x, y
