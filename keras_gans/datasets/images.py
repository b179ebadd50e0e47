"""Image datasets for GAN experiments: digits, MNIST, Fashion-MNIST, CIFAR-10.

Every loader returns NumPy arrays `(x, y)`:

- `x`: float32, channels-last `(n, height, width, channels)`, scaled to
  `[-1, 1]` (the range of a `tanh` generator output).
- `y`: int32 class ids of shape `(n,)`.

This module imports neither TensorFlow nor any other backend. `digits()`
needs scikit-learn (its 8x8 digits ship inside the package, so it works
offline). `mnist()`, `fashion_mnist()` and `cifar10()` use Keras' downloader
(`keras.utils.get_file`) only when the files are not yet in Keras' dataset
cache (`$KERAS_HOME/datasets`, by default `~/.keras/datasets`), with the
same file names, URLs and hashes as `keras.datasets`, so the two share one
cache. Keras is imported lazily, only when a download is needed.

The private helpers here (argument checks, scaling, resizing) are shared
with `keras_gans.datasets.folder`.
"""

import gzip
import math
import numbers
import os
import tempfile

import numpy as np
from PIL import Image

from keras_gans import memory
from keras_gans.datasets import pickles
from keras_gans.regular_files import open_regular

__all__ = [
    "DatasetDownloadError",
    "digits",
    "mnist",
    "fashion_mnist",
    "cifar10",
]

_SPLITS = ("train", "test", "all")

_INTERPOLATIONS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "area": Image.Resampling.BOX,
}


class DatasetDownloadError(OSError):
    """A dataset could not be downloaded (for example, no network).

    The message names the dataset, the URL that was tried and the exact
    path where to put the file so that the next call works offline.
    """


# --------------------------------------------------------------------------
# Shared argument checks (also used by `keras_gans.datasets.folder`).
# --------------------------------------------------------------------------


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_image_size(value, name="image_size"):
    """Returns `(height, width)` from a positive int or a pair of them."""
    if _is_int(value) and value > 0:
        return int(value), int(value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(_is_int(v) and v > 0 for v in value)
    ):
        return int(value[0]), int(value[1])
    raise ValueError(
        f"Argument `{name}` must be a positive integer (square images) or a "
        f"tuple `(height, width)` of positive integers, for example "
        f"{name}=28. Received: {name}={value!r}"
    )


def _check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(
            f"Argument `{name}` must be one of {options}. "
            f"Received: {name}={value!r}"
        )
    return value


def _check_interpolation(value):
    """Returns the Pillow resampling filter for an interpolation name."""
    _check_choice("interpolation", value, tuple(_INTERPOLATIONS))
    return _INTERPOLATIONS[value]


def _check_path(name, value):
    """Returns `value` as a `str` path (accepts `str` and `os.PathLike`)."""
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if isinstance(path, str) and path:
            return os.path.expanduser(path)
    raise ValueError(
        f"Argument `{name}` must be a non-empty path (`str` or "
        f"`pathlib.Path`). Received: {name}={value!r}"
    )


# --------------------------------------------------------------------------
# Shared array helpers.
# --------------------------------------------------------------------------


def _to_unit_range(x, low, high, clip=True):
    """Maps values in `[low, high]` linearly to float32 `[-1, 1]`.

    Computes in float32, in place on a single copy (no float64 temporary),
    as `(x - low) / ((high - low) / 2) - 1`, so that for uint8 data
    (`high - low = 255`) 0 maps to exactly -1 and 255 to exactly 1. Data
    already in `[-1, 1]` is only cast. The result is clipped to `[-1, 1]`
    unless `clip=False` (values outside the range then stay outside).
    """
    out = np.array(x, dtype=np.float32, copy=True)
    if (low, high) != (-1.0, 1.0):
        if low != 0:
            out -= np.float32(low)
        out /= np.float32((high - low) / 2.0)
        out -= np.float32(1.0)
    if clip:
        np.clip(out, -1.0, 1.0, out=out)
    return out


def _resize_images(x, size, resample):
    """Resizes float32 images `(n, h, w, c)` to `size = (height, width)`.

    Each channel is resized as a Pillow mode-"F" (32-bit float) image, so
    no precision is lost to uint8 rounding. Pillow filters antialias when
    downsampling. The result is clipped to `[-1, 1]` because bicubic and
    Lanczos filters can overshoot. Returns `x` unchanged when it already has
    the requested size.
    """
    height, width = size
    n, h, w, c = x.shape
    if (h, w) == (height, width):
        return x
    _check_room((n, height, width, c), "image_size", size)
    out = np.empty((n, height, width, c), dtype=np.float32)
    for i in range(n):
        for k in range(c):
            image = Image.fromarray(np.ascontiguousarray(x[i, :, :, k]))
            out[i, :, :, k] = np.asarray(
                image.resize((width, height), resample)
            )
    np.clip(out, -1.0, 1.0, out=out)
    return out


def _check_room(shape, argument, value):
    """Refuses to allocate float32 images of `shape` that cannot fit in the
    memory available (`keras_gans.memory`), before allocating them.

    Raises:
        ValueError: with the size, the limit and the argument to lower.
    """
    count, height, width, channels = shape
    memory.check_argument_fits(
        count * height * width * channels * memory.BYTES_PER_VALUE,
        f"{count:,} images of {height}x{width}x{channels} float32 values",
        argument, value)


def _first_bad_index(mask):
    """Returns the first index (a tuple) where `mask` is True."""
    flat = int(np.flatnonzero(mask.reshape(-1))[0])
    return tuple(int(i) for i in np.unravel_index(flat, mask.shape))


def _select_split(split, train, test):
    """Returns `train`, `test` or both concatenated, for `(x, y)` pairs."""
    if split == "train":
        return train
    if split == "test":
        return test
    return (
        np.concatenate([train[0], test[0]], axis=0),
        np.concatenate([train[1], test[1]], axis=0),
    )


# --------------------------------------------------------------------------
# scikit-learn digits.
# --------------------------------------------------------------------------


def _stratified_test_mask(labels, test_fraction, seed):
    """Boolean mask of the test samples of a seeded, stratified split.

    For each class (in sorted order) the class' indices are shuffled with one
    `np.random.default_rng(seed)` and the first
    `round(test_fraction * class_size)` go to the test set, clipped to
    `[1, class_size - 1]` so every class (with at least two samples) appears
    in both splits.
    """
    rng = np.random.default_rng(seed)
    mask = np.zeros(labels.shape[0], dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if members.size < 2:
            continue
        n_test = int(round(test_fraction * members.size))
        n_test = min(max(n_test, 1), members.size - 1)
        mask[rng.permutation(members)[:n_test]] = True
    return mask


def digits(
    image_size=8,
    split="all",
    test_fraction=0.2,
    seed=0,
    *,
    interpolation="bilinear",
):
    """Loads scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes).

    The images come from `sklearn.datasets.load_digits`, which ships inside
    scikit-learn, so this works offline. Pixel values `0..16` are mapped
    linearly to `[-1, 1]` (0 -> -1, 16 -> 1), then the images are resized
    with Pillow to `image_size`.

    `split="train"` and `split="test"` give a deterministic, stratified
    split: for each digit, a `seed`-ed shuffle puts
    `round(test_fraction * count)` of its images (at least one, and at least
    one left for training) in the test set. The same `test_fraction` and
    `seed` always give the same disjoint split, so a benchmark can hold out
    real digits. Samples keep the order of `load_digits` within each split.

    Args:
        image_size: Positive int (square output) or `(height, width)`; the
            native size is 8. For example 16, 28 or 32.
        split: `"all"` (default), `"train"` or `"test"`.
        test_fraction: Float in `(0, 1)`, fraction of each class held out in
            the test split.
        seed: Non-negative int seeding the split (an int, not `None`, so
            that the train and test calls agree).
        interpolation: Resizing filter: `"bilinear"` (default),
            `"nearest"`, `"bicubic"`, `"lanczos"` or `"area"`.

    Returns:
        A tuple `(x, y)`: `x` a float32 array of shape
        `(n, height, width, 1)` with values in `[-1, 1]`, `y` an int32 array
        of shape `(n,)` with the digit (0-9). `n` is 1,797 for
        `split="all"`.

    Raises:
        ImportError: If scikit-learn is not installed.

    Example:

    >>> x, y = digits(image_size=16, split="train")
    >>> x.shape[1:], x.dtype, y.dtype
    ((16, 16, 1), dtype('float32'), dtype('int32'))
    """
    size = _check_image_size(image_size)
    _check_choice("split", split, _SPLITS)
    if (
        isinstance(test_fraction, bool)
        or not isinstance(test_fraction, numbers.Real)
        or not math.isfinite(test_fraction)
        or not 0.0 < test_fraction < 1.0
    ):
        raise ValueError(
            "Argument `test_fraction` must be a number strictly between 0 and "
            f"1, for example 0.2. Received: test_fraction={test_fraction!r}"
        )
    if not _is_int(seed) or seed < 0:
        raise ValueError(
            "Argument `seed` must be a non-negative integer: the split must "
            "be reproducible so that `split='train'` and `split='test'` are "
            f"disjoint. Received: seed={seed!r}"
        )
    resample = _check_interpolation(interpolation)
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(
            "`keras_gans.datasets.digits()` needs scikit-learn, which ships "
            "the 8x8 digits images. Install it with "
            "`pip install scikit-learn` (or the `keras-gans[digits]` "
            "extra)."
        ) from e

    bunch = load_digits()
    images = np.asarray(bunch.images)
    labels = np.asarray(bunch.target).astype(np.int32)
    x = _to_unit_range(images[..., None], 0.0, 16.0)
    if split != "all":
        test_mask = _stratified_test_mask(labels, float(test_fraction), seed)
        keep = test_mask if split == "test" else ~test_mask
        x, labels = x[keep], labels[keep]
    return _resize_images(x, size, resample), labels


# --------------------------------------------------------------------------
# Keras-hosted datasets: MNIST, Fashion-MNIST, CIFAR-10.
# --------------------------------------------------------------------------

_KERAS_BUCKET = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_MNIST_HASH = (
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
)
_CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_CIFAR10_HASH = (
    "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
)
_CIFAR10_DIRNAME = "cifar-10-batches-py-target"
_FASHION_SUBDIR = os.path.join("datasets", "fashion-mnist")
_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_CACHE_NOTE = (
    "(This is Keras' dataset cache, shared with `keras.datasets`: "
    "`$KERAS_HOME/datasets`, or `~/.keras/datasets` when KERAS_HOME is not "
    "set.)"
)


def _keras_cache_dir():
    """Returns the Keras cache folder, resolved like `keras.utils.get_file`.

    `$KERAS_HOME` (read at call time) or `~/.keras`, falling back to
    `/tmp/.keras` when that folder is not writable, exactly as `get_file`
    does, so the files found here are the ones `get_file` would find.
    """
    base = os.environ.get("KERAS_HOME")
    if not base:
        home = os.path.expanduser("~")
        base = os.path.join(home if os.access(home, os.W_OK) else "/tmp",
                            ".keras")
    base = os.path.expanduser(base)
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        pass
    if not os.access(base, os.W_OK):
        tmp = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
        base = os.path.join(tmp, ".keras")
    return base


def _download(dataset, function, cache_dir, how_to_place, **get_file_kwargs):
    """Calls `keras.utils.get_file`, turning failures into a clear error."""
    import keras

    try:
        return keras.utils.get_file(cache_dir=cache_dir, **get_file_kwargs)
    except Exception as e:  # Keras raises a bare `Exception` when offline.
        raise DatasetDownloadError(
            f"Could not download the {dataset} dataset for "
            f"`keras_gans.datasets.{function}()`. Keras reported: {e}\n"
            f"To use {dataset} without a network connection, download it on "
            f"a machine with internet access and {how_to_place}"
            f"The next call will load it from there offline. {_CACHE_NOTE}"
        ) from e


def _corrupt_cache_error(dataset, path, detail):
    return ValueError(
        f"The cached {dataset} file {path!r} could not be read ({detail}). "
        "It may be incomplete: delete it and call again to re-download it, "
        "or replace it with an intact copy. "
        f"Received: path={path!r}"
    )


def _check_cached_pair(dataset, path, x, y, image_shape):
    """Validates arrays read from a cached file."""
    if x.dtype != np.uint8 or x.ndim != 1 + len(image_shape) or (
        tuple(x.shape[1:]) != image_shape
    ):
        raise _corrupt_cache_error(
            dataset, path,
            f"expected uint8 images of shape (n, *{image_shape}), found "
            f"{x.dtype} of shape {x.shape}",
        )
    y = np.asarray(y).reshape(-1)
    if y.shape[0] != x.shape[0]:
        raise _corrupt_cache_error(
            dataset, path,
            f"found {x.shape[0]} images but {y.shape[0]} labels",
        )
    return x, y.astype(np.int32)


def _load_mnist_npz(dataset, path):
    try:
        with open_regular(path) as file, np.load(
                file, allow_pickle=False) as f:
            arrays = {key: f[key] for key in f.files}
    except Exception as e:
        raise _corrupt_cache_error(dataset, path, str(e)) from e
    needed = ("x_train", "y_train", "x_test", "y_test")
    missing = [key for key in needed if key not in arrays]
    if missing:
        raise _corrupt_cache_error(
            dataset, path,
            f"missing arrays {missing}; found {sorted(arrays)}",
        )
    train = _check_cached_pair(
        dataset, path, arrays["x_train"], arrays["y_train"], (28, 28)
    )
    test = _check_cached_pair(
        dataset, path, arrays["x_test"], arrays["y_test"], (28, 28)
    )
    return train, test


def _read_idx_gz(dataset, path, offset):
    # At most one header and 60,000 28x28 images: a file that inflates to
    # more is not a Fashion-MNIST file (and is not read into memory).
    limit = offset + 60_000 * 28 * 28
    try:
        with open_regular(path) as file, gzip.open(file, "rb") as f:
            data = f.read(limit + 1)
    except Exception as e:
        raise _corrupt_cache_error(dataset, path, str(e)) from e
    if len(data) > limit:
        raise _corrupt_cache_error(
            dataset, path, f"it inflates to more than {limit:,} bytes")
    if len(data) < offset:
        raise _corrupt_cache_error(
            dataset, path, f"only {len(data)} bytes after decompression"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=offset)


def _load_fashion_pair(dataset, image_path, label_path):
    labels = _read_idx_gz(dataset, label_path, offset=8)
    pixels = _read_idx_gz(dataset, image_path, offset=16)
    if pixels.size != labels.size * 28 * 28:
        raise _corrupt_cache_error(
            dataset, image_path,
            f"{pixels.size} pixel bytes do not match the {labels.size} labels "
            f"in {label_path!r} (expected {labels.size * 28 * 28})",
        )
    return pixels.reshape(labels.size, 28, 28), labels.astype(np.int32)


def _load_cifar_batch(dataset, path):
    # The CIFAR-10 "python version" batches are pickles: read with an
    # unpickler that admits only numpy arrays and plain data, so a planted
    # file cannot run code (`keras.datasets.cifar10` uses `pickle.load`).
    try:
        with open_regular(path) as f:
            batch = pickles.load(f, encoding="bytes")
    except pickles.ForbiddenPickleError as e:
        raise ValueError(
            f"The cached {dataset} file {path!r} is not a {dataset} batch: "
            f"{e}. It may have been planted; nothing in it was run. Delete "
            f"{os.path.dirname(path)!r} and call again to download the "
            "archive, whose SHA-256 is checked before it is extracted. "
            f"Received: path={path!r}"
        ) from None
    except Exception as e:
        raise _corrupt_cache_error(dataset, path, repr(e)) from e
    if not isinstance(batch, dict):
        raise _corrupt_cache_error(
            dataset, path, f"expected a dict, found {type(batch).__name__}")
    batch = {
        (k.decode("utf8", "replace") if isinstance(k, bytes) else k): v
        for k, v in batch.items()
    }
    data, labels = batch.get("data"), batch.get("labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or not (
        isinstance(labels, list)
        and all(_is_int(label) and 0 <= label < 10 for label in labels)
    ):
        raise _corrupt_cache_error(
            dataset, path,
            "expected `data`, a uint8 array, and `labels`, a list of class "
            f"ids 0-9; found {type(data).__name__} and "
            f"{type(labels).__name__}",
        )
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or (
        data.shape[0] != labels.shape[0]
    ):
        raise _corrupt_cache_error(
            dataset, path,
            f"expected `data` of shape (n, 3072) and n labels, found "
            f"{data.shape} and {labels.shape[0]} labels",
        )
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, labels.astype(np.int32)


def _finish(train, test, split, size, resample, channels_axis):
    """Selects the split, scales uint8 to [-1, 1], and resizes."""
    x, y = _select_split(split, train, test)
    if channels_axis:
        x = x[..., None]
    x = _to_unit_range(x, 0.0, 255.0)
    return _resize_images(x, size, resample), y.astype(np.int32)


def mnist(image_size=28, split="train", *, interpolation="bilinear"):
    """Loads MNIST handwritten digits (60,000 train + 10,000 test, 28x28).

    The file is `mnist.npz` in Keras' dataset cache (`$KERAS_HOME/datasets`,
    by default `~/.keras/datasets`), the one `keras.datasets.mnist` uses. It
    is downloaded on first use (11 MB) from
    `https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz`.
    A file already in the cache is loaded without a network connection and
    without checking its hash, so copying `mnist.npz` there makes this work
    offline.

    Pixel values `0..255` are mapped linearly to `[-1, 1]`, then the images
    are resized with Pillow to `image_size`.

    Args:
        image_size: Positive int (square output) or `(height, width)`; the
            native size is 28.
        split: `"train"` (default), `"test"` or `"all"` (train then test).
        interpolation: Resizing filter: `"bilinear"` (default),
            `"nearest"`, `"bicubic"`, `"lanczos"` or `"area"`.

    Returns:
        A tuple `(x, y)`: `x` a float32 array of shape
        `(n, height, width, 1)` in `[-1, 1]`, `y` an int32 array of shape
        `(n,)` with the digit (0-9).

    Raises:
        DatasetDownloadError: If the file is not cached and cannot be
            downloaded; the message says where to put the file.
    """
    size = _check_image_size(image_size)
    _check_choice("split", split, _SPLITS)
    resample = _check_interpolation(interpolation)
    cache_dir = _keras_cache_dir()
    path = os.path.join(cache_dir, "datasets", "mnist.npz")
    url = _KERAS_BUCKET + "mnist.npz"
    if not os.path.exists(path):
        path = _download(
            "MNIST", "mnist", cache_dir,
            f"save {url} as:\n    {path}\n",
            fname="mnist.npz", origin=url, file_hash=_MNIST_HASH,
            cache_subdir="datasets",
        )
    train, test = _load_mnist_npz("MNIST", path)
    return _finish(train, test, split, size, resample, channels_axis=True)


def fashion_mnist(image_size=28, split="train", *, interpolation="bilinear"):
    """Loads Fashion-MNIST (60,000 train + 10,000 test 28x28 clothing images).

    The four files (`train-images-idx3-ubyte.gz`,
    `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`,
    `t10k-labels-idx1-ubyte.gz`) live in `fashion-mnist/` inside Keras'
    dataset cache (`$KERAS_HOME/datasets`, by default `~/.keras/datasets`),
    where `keras.datasets.fashion_mnist` keeps them. Only the files of the
    requested split are downloaded if missing, from
    `https://storage.googleapis.com/tensorflow/tf-keras-datasets/`. Files
    already there are loaded without a network connection.

    Pixel values `0..255` are mapped linearly to `[-1, 1]`, then the images
    are resized with Pillow to `image_size`. Labels are 0 T-shirt/top,
    1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker,
    8 bag, 9 ankle boot.

    Args:
        image_size: Positive int (square output) or `(height, width)`; the
            native size is 28.
        split: `"train"` (default), `"test"` or `"all"` (train then test).
        interpolation: Resizing filter: `"bilinear"` (default),
            `"nearest"`, `"bicubic"`, `"lanczos"` or `"area"`.

    Returns:
        A tuple `(x, y)`: `x` a float32 array of shape
        `(n, height, width, 1)` in `[-1, 1]`, `y` an int32 array of shape
        `(n,)` with the class (0-9).

    Raises:
        DatasetDownloadError: If a file is not cached and cannot be
            downloaded; the message says where to put the files.
    """
    size = _check_image_size(image_size)
    _check_choice("split", split, _SPLITS)
    resample = _check_interpolation(interpolation)
    cache_dir = _keras_cache_dir()
    folder = os.path.join(cache_dir, _FASHION_SUBDIR)
    parts = ("train", "test") if split == "all" else (split,)
    names = [name for part in parts for name in _FASHION_FILES[part]]
    placement = "".join(
        f"    {_KERAS_BUCKET}{name}  ->  {os.path.join(folder, name)}\n"
        for name in names
    )
    for name in names:
        if not os.path.exists(os.path.join(folder, name)):
            _download(
                "Fashion-MNIST", "fashion_mnist", cache_dir,
                f"save these files (as they are, still gzipped):\n{placement}",
                fname=name, origin=_KERAS_BUCKET + name,
                cache_subdir=_FASHION_SUBDIR,
            )
    loaded = {
        part: _load_fashion_pair(
            "Fashion-MNIST",
            *(os.path.join(folder, name) for name in _FASHION_FILES[part]),
        )
        for part in parts
    }
    train = loaded.get("train")
    test = loaded.get("test")
    return _finish(train, test, split, size, resample, channels_axis=True)


def cifar10(image_size=32, split="train", *, interpolation="bilinear"):
    """Loads CIFAR-10 (50,000 train + 10,000 test 32x32 RGB images).

    Uses the "python version" archive in Keras' dataset cache
    (`$KERAS_HOME/datasets`, by default `~/.keras/datasets`), laid out as
    `keras.datasets.cifar10` leaves it: the batches in
    `cifar-10-batches-py-target/cifar-10-batches-py/`. If they are missing,
    Keras' downloader fetches (170 MB) and extracts
    `https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz`, or extracts it
    from `cifar-10-batches-py-target_archive` if that file is already there.

    Pixel values `0..255` are mapped linearly to `[-1, 1]`, then the images
    are resized with Pillow to `image_size`. The output is channels-last
    whatever `keras.config.image_data_format()` says. Labels are
    0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse,
    8 ship, 9 truck.

    Args:
        image_size: Positive int (square output) or `(height, width)`; the
            native size is 32.
        split: `"train"` (default), `"test"` or `"all"` (train then test).
        interpolation: Resizing filter: `"bilinear"` (default),
            `"nearest"`, `"bicubic"`, `"lanczos"` or `"area"`.

    Returns:
        A tuple `(x, y)`: `x` a float32 array of shape
        `(n, height, width, 3)` in `[-1, 1]`, `y` an int32 array of shape
        `(n,)` with the class (0-9).

    Raises:
        DatasetDownloadError: If the data is not cached and cannot be
            downloaded; the message says where to put the archive.
    """
    size = _check_image_size(image_size)
    _check_choice("split", split, _SPLITS)
    resample = _check_interpolation(interpolation)
    cache_dir = _keras_cache_dir()
    datadir = os.path.join(cache_dir, "datasets")
    batches = os.path.join(datadir, _CIFAR10_DIRNAME, "cifar-10-batches-py")
    names = {
        "train": [f"data_batch_{i}" for i in range(1, 6)],
        "test": ["test_batch"],
    }
    parts = ("train", "test") if split == "all" else (split,)
    needed = [os.path.join(batches, n) for part in parts for n in names[part]]
    if not all(os.path.exists(p) for p in needed):
        archive = os.path.join(datadir, _CIFAR10_DIRNAME + "_archive")
        _download(
            "CIFAR-10", "cifar10", cache_dir,
            f"save {_CIFAR10_URL}, unchanged, as:\n    {archive}\n"
            "On the next call its SHA-256 is checked before it is extracted "
            f"(it must be {_CIFAR10_HASH}; check a copy with `sha256sum`). "
            "Prefer this to copying extracted batches from elsewhere: those "
            "are not checked, only read without running code.\n",
            fname=_CIFAR10_DIRNAME, origin=_CIFAR10_URL, extract=True,
            file_hash=_CIFAR10_HASH, cache_subdir="datasets",
        )
    loaded = {}
    for part in parts:
        pairs = [_load_cifar_batch("CIFAR-10", os.path.join(batches, n))
                 for n in names[part]]
        loaded[part] = (
            np.concatenate([p[0] for p in pairs], axis=0),
            np.concatenate([p[1] for p in pairs], axis=0),
        )
    return _finish(loaded.get("train"), loaded.get("test"), split, size,
                   resample, channels_axis=False)
