"""Tests for the image datasets (NumPy and Pillow only; any Keras backend).

Nothing here touches the network: the Keras-hosted datasets are tested with
fake files placed in a temporary Keras cache, and the offline error with a
downloader that fails the way Keras' does without a network.
"""

import os
import pickle
import re
import sys
import urllib.error

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gans.datasets import DatasetDownloadError
from keras_gans.datasets import cifar10
from keras_gans.datasets import digits
from keras_gans.datasets import fashion_mnist
from keras_gans.datasets import image_folder
from keras_gans.datasets import image_folder_classes
from keras_gans.datasets import mnist
from keras_gans.datasets import npz
from idx_files import write_idx

STEP = 1.0 / 127.5  # One uint8 level in [-1, 1] units.


def _sklearn_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    bunch = datasets.load_digits()
    return np.asarray(bunch.images), np.asarray(bunch.target)


def _sorted_rows(x, y):
    """The rows `(label, pixels...)` in lexicographic order (a multiset)."""
    rows = np.concatenate([y[:, None].astype(np.float64),
                           x.reshape(len(x), -1).astype(np.float64)], axis=1)
    return rows[np.lexsort(rows.T[::-1])]


# --------------------------------------------------------------------------
# digits
# --------------------------------------------------------------------------


def test_digits_native_size_is_sklearn_scaled_to_unit_range():
    images, target = _sklearn_digits()
    x, y = digits()
    assert x.shape == (1797, 8, 8, 1) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int32
    # 0..16 maps linearly: 0 -> -1, 8 -> 0, 16 -> 1 (exact in float32).
    np.testing.assert_array_equal(x[..., 0], images / 8.0 - 1.0)
    np.testing.assert_array_equal(y, target)
    assert x.min() == -1.0 and x.max() == 1.0


@pytest.mark.parametrize("image_size", [16, 28, 32, (12, 20)])
def test_digits_resized_shapes_range_and_labels(image_size):
    images, target = _sklearn_digits()
    x, y = digits(image_size=image_size)
    height, width = (
        image_size if isinstance(image_size, tuple) else (image_size,) * 2
    )
    assert x.shape == (1797, height, width, 1) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    np.testing.assert_array_equal(y, target)
    # Resizing preserves each image's mean intensity (in [0, 1] units the
    # bilinear filter's edge effects stay small).
    mean_ref = (images / 8.0 - 1.0).mean(axis=(1, 2))
    np.testing.assert_allclose(x.mean(axis=(1, 2, 3)), mean_ref, atol=0.08)


def test_digits_nearest_doubling_repeats_each_pixel():
    x8, _ = digits()
    x16, _ = digits(image_size=16, interpolation="nearest")
    reference = np.repeat(np.repeat(x8, 2, axis=1), 2, axis=2)
    np.testing.assert_array_equal(x16, reference)


@pytest.mark.parametrize("test_fraction", [0.2, 0.5])
def test_digits_split_is_a_disjoint_stratified_partition(test_fraction):
    x_all, y_all = digits()
    x_tr, y_tr = digits(split="train", test_fraction=test_fraction)
    x_te, y_te = digits(split="test", test_fraction=test_fraction)
    assert len(x_tr) + len(x_te) == 1797
    assert len(y_tr) == len(x_tr) and len(y_te) == len(x_te)
    # Train and test together are exactly the full dataset (as a multiset of
    # (label, image) rows), so no sample is in both or missing.
    np.testing.assert_array_equal(
        _sorted_rows(np.concatenate([x_tr, x_te]),
                     np.concatenate([y_tr, y_te])),
        _sorted_rows(x_all, y_all),
    )
    # Stratified: each class contributes round(fraction * size) test images.
    counts = np.bincount(y_all, minlength=10)
    expected = np.round(test_fraction * counts).astype(int)
    np.testing.assert_array_equal(np.bincount(y_te, minlength=10), expected)
    np.testing.assert_array_equal(np.bincount(y_tr, minlength=10),
                                  counts - expected)


def test_digits_split_is_deterministic_and_seeded():
    x1, y1 = digits(split="test", seed=3)
    x2, y2 = digits(split="test", seed=3)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    x3, _ = digits(split="test", seed=4)
    assert x3.shape == x1.shape and not np.array_equal(x1, x3)


def test_digits_tiny_fraction_still_holds_out_every_class():
    _, y_te = digits(split="test", test_fraction=0.001)
    np.testing.assert_array_equal(np.bincount(y_te, minlength=10), 1)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"split": "val"}, "split"),
        ({"test_fraction": 1.0}, "test_fraction"),
        ({"test_fraction": 0}, "test_fraction"),
        ({"seed": None}, "seed"),
        ({"seed": -1}, "seed"),
        ({"image_size": 0}, "image_size"),
        ({"image_size": (8,)}, "image_size"),
        ({"image_size": True}, "image_size"),
        ({"interpolation": "cubic"}, "interpolation"),
    ],
)
def test_digits_rejects_bad_arguments(kwargs, name):
    value = next(iter(kwargs.values()))
    match = re.escape(f"Received: {name}={value!r}")
    with pytest.raises(ValueError, match=match):
        digits(**kwargs)


def test_digits_without_sklearn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        digits()


# --------------------------------------------------------------------------
# image_folder
# --------------------------------------------------------------------------


def _save(path, array, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path, **kwargs)


def _solid(rgb, height=10, width=10):
    return np.broadcast_to(np.asarray(rgb, np.uint8), (height, width, 3))


def test_image_folder_white_and_black_png_and_jpeg(tmp_path):
    _save(tmp_path / "a_white.png", _solid((255, 255, 255)))
    _save(tmp_path / "b_black.png", _solid((0, 0, 0)))
    _save(tmp_path / "c_white.jpg", _solid((255, 255, 255)), quality=95)
    _save(tmp_path / "d_black.JPEG", _solid((0, 0, 0)), quality=95)
    x, y = image_folder(tmp_path, image_size=6)
    assert y is None
    assert x.shape == (4, 6, 6, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0], 1.0)
    np.testing.assert_array_equal(x[1], -1.0)
    np.testing.assert_allclose(x[2], 1.0, atol=2 * STEP)
    np.testing.assert_allclose(x[3], -1.0, atol=2 * STEP)


def test_image_folder_rgb_versus_grayscale(tmp_path):
    _save(tmp_path / "red.png", _solid((255, 0, 0)))
    _save(tmp_path / "gray.png", np.full((10, 10), 51, np.uint8))
    rgb, _ = image_folder(tmp_path, 4, channels=3)
    gray, _ = image_folder(tmp_path, 4, channels=1)
    assert rgb.shape == (2, 4, 4, 3) and gray.shape == (2, 4, 4, 1)
    # Files load in sorted order: gray.png, then red.png.
    np.testing.assert_allclose(rgb[0], 51 / 127.5 - 1, atol=1e-6)
    np.testing.assert_allclose(rgb[1], np.broadcast_to([1.0, -1.0, -1.0],
                                                       (4, 4, 3)))
    # ITU-R 601-2 luma (Pillow's "L"): 0.299 * 255 = 76.2 -> 76.
    np.testing.assert_allclose(gray[1], 76 / 127.5 - 1, atol=1e-6)
    np.testing.assert_allclose(gray[0], 51 / 127.5 - 1, atol=1e-6)


def test_image_folder_center_crop_versus_plain_resize(tmp_path):
    # 30 wide x 10 high: red, green and blue thirds.
    image = np.zeros((10, 30, 3), np.uint8)
    image[:, :10, 0] = image[:, 10:20, 1] = image[:, 20:, 2] = 255
    _save(tmp_path / "stripes.png", image)
    cropped, _ = image_folder(tmp_path, 10)
    # The centered 10x10 square is the green third, at full resolution.
    np.testing.assert_array_equal(cropped[0], np.broadcast_to(
        np.array([-1.0, 1.0, -1.0], np.float32), (10, 10, 3)))
    stretched, _ = image_folder(tmp_path, 10, crop_to_aspect_ratio=False)
    np.testing.assert_allclose(stretched[0, 5, 0], [1, -1, -1], atol=STEP)
    np.testing.assert_allclose(stretched[0, 5, 5], [-1, 1, -1], atol=STEP)
    np.testing.assert_allclose(stretched[0, 5, 9], [-1, -1, 1], atol=STEP)
    tall, _ = image_folder(tmp_path, (4, 12))  # Crop to 3:1 = everything.
    assert tall.shape == (1, 4, 12, 3)
    np.testing.assert_allclose(tall[0, :, 0], [[1, -1, -1]] * 4, atol=STEP)


def _class_tree(root):
    _save(root / "cat" / "a.png", _solid((10, 10, 10)))
    _save(root / "cat" / "deep" / "er" / "b.png", _solid((20, 20, 20)))
    _save(root / "dog" / "c.bmp", _solid((30, 30, 30)))
    _save(root / "dog" / "d.gif", _solid((40, 40, 40)))
    _save(root / ".cache" / "hidden.png", _solid((99, 99, 99)))
    _save(root / "dog" / ".e.png", _solid((99, 99, 99)))
    (root / "dog" / "notes.txt").write_text("not an image")


def test_image_folder_subfolder_labels_and_recursion(tmp_path):
    _class_tree(tmp_path)
    x, y = image_folder(tmp_path, 5, channels=1, labels="subfolders")
    assert x.shape == (4, 5, 5, 1)
    np.testing.assert_array_equal(y, [0, 0, 1, 1])
    assert y.dtype == np.int32
    # Sorted paths: cat/a, cat/deep/er/b, dog/c, dog/d; hidden ones skipped.
    np.testing.assert_allclose(x[:, 0, 0, 0],
                               np.array([10, 20, 30, 40]) / 127.5 - 1,
                               atol=1e-6)
    assert image_folder_classes(tmp_path) == ["cat", "dog"]
    x_none, y_none = image_folder(tmp_path, 5, channels=1)
    assert y_none is None
    np.testing.assert_array_equal(x_none, x)


def test_image_folder_16_bit_png_and_palette_gif(tmp_path):
    Image.fromarray(np.full((4, 4), 65535, np.uint16)).save(tmp_path / "a.png")
    Image.fromarray(_solid((0, 0, 255), 4, 4).copy()).convert("P").save(
        tmp_path / "b.gif")
    x, _ = image_folder(tmp_path, 4)
    np.testing.assert_array_equal(x[0], 1.0)  # Not clipped or wrapped.
    np.testing.assert_allclose(x[1], np.broadcast_to([-1.0, -1.0, 1.0],
                                                     (4, 4, 3)), atol=STEP)


def test_image_folder_corrupt_file_is_named(tmp_path):
    _save(tmp_path / "good.png", _solid((0, 0, 0)))
    bad = tmp_path / "sub" / "broken.jpg"
    bad.parent.mkdir()
    bad.write_bytes(b"\xff\xd8 this is not really a jpeg")
    with pytest.raises(ValueError, match="Could not read the image file") as e:
        image_folder(tmp_path, 8)
    assert str(bad) in str(e.value)


def test_image_folder_empty_folder_lists_what_was_found(tmp_path):
    (tmp_path / "readme.txt").write_text("hi")
    (tmp_path / "scan.tiff").write_bytes(b"II*\x00")
    with pytest.raises(ValueError, match="No images with extensions") as e:
        image_folder(tmp_path, 8)
    message = str(e.value)
    assert "'readme.txt'" in message and "'scan.tiff'" in message
    assert f"Received: path={str(tmp_path)!r}" in message
    # The listed file types can then be opted in (a .tiff is not readable
    # here, so this now reports that file as corrupt, by name).
    with pytest.raises(ValueError, match="scan.tiff"):
        image_folder(tmp_path, 8, extensions=".tiff")


def test_image_folder_subfolders_rejects_images_at_root(tmp_path):
    _class_tree(tmp_path)
    _save(tmp_path / "stray.png", _solid((0, 0, 0)))
    with pytest.raises(ValueError, match="'stray.png'"):
        image_folder(tmp_path, 4, labels="subfolders")
    x, y = image_folder(tmp_path, 4)  # Fine without labels.
    assert len(x) == 5 and y is None


def test_image_folder_subfolders_rejects_an_empty_class(tmp_path):
    _class_tree(tmp_path)
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(ValueError, match="'empty_class'"):
        image_folder(tmp_path, 4, labels="subfolders")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"channels": 2}, "Received: channels=2"),
        ({"labels": "inferred"}, "Received: labels='inferred'"),
        ({"extensions": ("png",)}, "Received: extensions=\\('png',\\)"),
        ({"image_size": -3}, "Received: image_size=-3"),
        ({"crop_to_aspect_ratio": "yes"}, "Received: crop_to_aspect_ratio"),
    ],
)
def test_image_folder_rejects_bad_arguments(tmp_path, kwargs, match):
    _save(tmp_path / "a.png", _solid((0, 0, 0)))
    kwargs = {"image_size": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        image_folder(tmp_path, **kwargs)


def test_image_folder_missing_path_and_file_path(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        image_folder(tmp_path / "nope", 8)
    archive = tmp_path / "data.npz"
    np.savez(archive, x=np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="keras_gans.datasets.npz"):
        image_folder(archive, 8)
    with pytest.raises(ValueError, match="has no subfolders"):
        image_folder_classes(tmp_path)


# --------------------------------------------------------------------------
# npz
# --------------------------------------------------------------------------


def test_npz_uint8_round_trip_with_labels(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 6, 7, 3), dtype=np.uint8)
    images[0, 0, 0, 0], images[0, 0, 0, 1] = 0, 255
    labels = np.array([[3], [1], [4], [1], [5]], np.int64)
    np.savez(tmp_path / "d.npz", images=images, labels=labels)
    x, y = npz(tmp_path / "d.npz", key="images", labels_key="labels")
    assert x.shape == (5, 6, 7, 3) and x.dtype == np.float32
    np.testing.assert_allclose(x, images / 127.5 - 1.0, atol=1e-6)
    assert x[0, 0, 0, 0] == -1.0 and x[0, 0, 0, 1] == 1.0
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, [3, 1, 4, 1, 5])
    # Back to uint8 exactly.
    np.testing.assert_array_equal(np.round((x + 1) * 127.5), images)


def test_npz_float_and_rank3_inputs(tmp_path):
    rng = np.random.default_rng(1)
    floats = rng.uniform(-1, 1, size=(4, 5, 5)).astype(np.float32)
    np.savez(tmp_path / "f.npz", x=floats)
    x, y = npz(str(tmp_path / "f.npz"))
    assert y is None and x.shape == (4, 5, 5, 1)
    np.testing.assert_array_equal(x[..., 0], floats)  # Kept exactly.

    unit = rng.uniform(0, 1, size=(2, 3, 3, 1))
    np.savez(tmp_path / "u.npz", x=unit)
    x, _ = npz(tmp_path / "u.npz", value_range=(0, 1))
    np.testing.assert_allclose(x, 2 * unit - 1, atol=1e-6)
    with pytest.warns(UserWarning, match="value_range=\\(0, 1\\)"):
        x, _ = npz(tmp_path / "u.npz")
    np.testing.assert_allclose(x, unit, atol=1e-6)

    x, _ = npz(tmp_path / "f.npz", image_size=(2, 10))
    assert x.shape == (4, 2, 10, 1)
    assert x.min() >= -1 and x.max() <= 1


def test_npz_nan_error_names_the_first_bad_index(tmp_path):
    data = np.zeros((4, 3, 3, 1), np.float32)
    data[2, 1, 0, 0] = np.nan
    data[3, 0, 0, 0] = np.inf
    np.savez(tmp_path / "n.npz", x=data)
    with pytest.raises(ValueError, match="NaN or infinite") as e:
        npz(tmp_path / "n.npz")
    assert "index (2, 1, 0, 0) (image 2)" in str(e.value)
    assert "2 NaN or infinite" in str(e.value)


def test_npz_missing_key_lists_the_keys(tmp_path):
    np.savez(tmp_path / "k.npz", images=np.zeros((1, 2, 2), np.uint8),
             labels=np.zeros(1, np.int32))
    with pytest.raises(ValueError, match=r"\['images', 'labels'\]") as e:
        npz(tmp_path / "k.npz")
    assert "Received: key='x'" in str(e.value)
    with pytest.raises(ValueError, match="Received: labels_key='y'"):
        npz(tmp_path / "k.npz", key="images", labels_key="y")


@pytest.mark.parametrize(
    "array, match",
    [
        (np.zeros((4, 4), np.uint8), "rank 4"),
        (np.zeros((1, 2, 2, 1, 1), np.uint8), "rank 4"),
        (np.zeros((0, 4, 4, 3), np.uint8), "is empty"),
        (np.zeros((2, 3, 8, 8), np.uint8), "channels-first"),
        (np.full((1, 2, 2), 255.0), "outside \\[-1, 1\\]"),
        (np.full((1, 2, 2), 300, np.int32), "outside \\[0, 255\\]"),
        (np.zeros((1, 2, 2), bool), "dtype is bool"),
    ],
)
def test_npz_rejects_bad_image_arrays(tmp_path, array, match):
    np.savez(tmp_path / "b.npz", x=array)
    with pytest.raises(ValueError, match=match):
        npz(tmp_path / "b.npz")


def test_npz_out_of_range_error_suggests_value_range(tmp_path):
    data = np.zeros((3, 2, 2), np.float64)
    data[1, 1, 0] = 255.0
    np.savez(tmp_path / "r.npz", x=data)
    with pytest.raises(ValueError) as e:
        npz(tmp_path / "r.npz")
    assert "index (1, 1, 0, 0)" in str(e.value)
    assert "value_range=(0, 255)" in str(e.value)
    x, _ = npz(tmp_path / "r.npz", value_range=(0, 255))
    assert x[1, 1, 0, 0] == 1.0 and x[0, 0, 0, 0] == -1.0


@pytest.mark.parametrize(
    "labels, match",
    [
        (np.array([0, 1]), "shape \\(3,\\)"),
        (np.array([0, -1, 2]), "label 1 is -1"),
        (np.array([0.0, 1.5, 2.0]), "label 1 is 1.5"),
        (np.array(["a", "b", "c"]), "integer class ids"),
    ],
)
def test_npz_rejects_bad_labels(tmp_path, labels, match):
    np.savez(tmp_path / "l.npz", x=np.zeros((3, 2, 2), np.uint8), y=labels)
    with pytest.raises(ValueError, match=match):
        npz(tmp_path / "l.npz", labels_key="y")


def test_npz_rejects_missing_file_and_npy(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        npz(tmp_path / "missing.npz")
    np.save(tmp_path / "single.npy", np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="single array"):
        npz(tmp_path / "single.npy")
    with pytest.raises(ValueError, match="image_folder"):
        npz(tmp_path)


# --------------------------------------------------------------------------
# MNIST / Fashion-MNIST / CIFAR-10 (offline: fake Keras cache)
# --------------------------------------------------------------------------


def _offline_get_file(*args, origin=None, **kwargs):
    # What Keras' get_file raises when the host cannot be resolved.
    raise Exception(
        f"URL fetch failure on {origin}: None -- [Errno -3] Temporary failure "
        "in name resolution"
    )


def test_mnist_offline_error_names_dataset_url_and_path(keras_home,
                                                        monkeypatch):
    monkeypatch.setattr(keras.utils, "get_file", _offline_get_file)
    with pytest.raises(DatasetDownloadError) as e:
        mnist()
    assert isinstance(e.value, OSError)
    message = str(e.value)
    assert "MNIST" in message
    assert ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
            "mnist.npz") in message
    assert str(keras_home / "datasets" / "mnist.npz") in message
    assert "Temporary failure in name resolution" in message


def test_mnist_offline_error_through_the_real_keras_downloader(cache_home,
                                                               monkeypatch):
    # The real `keras.utils.get_file`, with no network under it.
    file_utils = sys.modules.get("keras.src.utils.file_utils")
    if file_utils is None or not hasattr(file_utils, "urlretrieve"):
        pytest.skip("Keras' downloader internals changed")
    keras_home = cache_home

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError("offline (simulated)")

    monkeypatch.setattr(file_utils, "urlretrieve", no_network)
    with pytest.raises(DatasetDownloadError, match="offline \\(simulated\\)"):
        mnist()
    assert not (keras_home / "datasets" / "mnist.npz").exists()


def test_fashion_and_cifar_offline_errors_name_their_files(keras_home,
                                                           monkeypatch):
    monkeypatch.setattr(keras.utils, "get_file", _offline_get_file)
    with pytest.raises(DatasetDownloadError, match="Fashion-MNIST") as e:
        fashion_mnist(split="test")
    target = keras_home / "datasets" / "fashion-mnist"
    assert str(target / "t10k-images-idx3-ubyte.gz") in str(e.value)
    assert str(target / "t10k-labels-idx1-ubyte.gz") in str(e.value)
    with pytest.raises(DatasetDownloadError, match="CIFAR-10") as e:
        cifar10()
    assert "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in str(
        e.value)
    assert str(keras_home / "datasets" / "cifar-10-batches-py-target_archive"
               ) in str(e.value)


def _constant_images(values, shape):
    values = np.asarray(values, np.uint8)
    return np.broadcast_to(values.reshape((-1,) + (1,) * len(shape)),
                           (len(values),) + shape).copy()


def test_mnist_loads_a_file_placed_in_the_keras_cache(keras_home):
    train_values, test_values = [0, 51, 255, 102], [204, 153]
    x_train = _constant_images(train_values, (28, 28))
    x_train[0, 3, 5] = 255  # One white pixel in a black image.
    datasets = keras_home / "datasets"
    datasets.mkdir()
    np.savez(datasets / "mnist.npz",
             x_train=x_train, y_train=np.array([5, 0, 4, 1], np.uint8),
             x_test=_constant_images(test_values, (28, 28)),
             y_test=np.array([7, 2], np.uint8))

    x, y = mnist()
    assert x.shape == (4, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[..., 0], x_train / 127.5 - 1, atol=1e-6)
    assert x[0, 3, 5, 0] == 1.0 and x[0, 0, 0, 0] == -1.0
    np.testing.assert_array_equal(y, [5, 0, 4, 1])
    assert y.dtype == np.int32

    x, y = mnist(image_size=14, split="test")
    assert x.shape == (2, 14, 14, 1)
    # Resizing keeps constant images constant.
    np.testing.assert_allclose(x[:, :, :, 0].reshape(2, -1).T,
                               np.broadcast_to(np.array(test_values) / 127.5
                                               - 1, (196, 2)), atol=1e-5)
    np.testing.assert_array_equal(y, [7, 2])

    x, y = mnist(image_size=32, split="all")
    assert x.shape == (6, 32, 32, 1)
    np.testing.assert_array_equal(y, [5, 0, 4, 1, 7, 2])
    np.testing.assert_allclose(x[1:, 0, 0, 0],
                               np.array([51, 255, 102, 204, 153]) / 127.5 - 1,
                               atol=1e-5)


def test_mnist_corrupt_cache_file_is_named(keras_home):
    datasets = keras_home / "datasets"
    datasets.mkdir()
    np.savez(datasets / "mnist.npz", x_train=np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="missing arrays") as e:
        mnist()
    assert str(datasets / "mnist.npz") in str(e.value)


def test_fashion_mnist_loads_files_placed_in_the_keras_cache(keras_home):
    folder = keras_home / "datasets" / "fashion-mnist"
    images = _constant_images([0, 255, 127], (28, 28))
    images[2, 0, :] = 255
    write_idx(folder / "t10k-images-idx3-ubyte.gz", images, 2051)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz",
               np.array([9, 0, 3], np.uint8), 2049)
    x, y = fashion_mnist(split="test")  # Train files not needed.
    assert x.shape == (3, 28, 28, 1)
    np.testing.assert_allclose(x[..., 0], images / 127.5 - 1, atol=1e-6)
    np.testing.assert_array_equal(y, [9, 0, 3])
    x, _ = fashion_mnist(image_size=7, split="test")
    assert x.shape == (3, 7, 7, 1)
    np.testing.assert_array_equal(x[1], 1.0)


def test_cifar10_loads_batches_placed_in_the_keras_cache(keras_home):
    folder = (keras_home / "datasets" / "cifar-10-batches-py-target"
              / "cifar-10-batches-py")
    folder.mkdir(parents=True)
    # Each batch: one image whose red/green/blue planes are 255/0/k.
    for k, name in enumerate([f"data_batch_{i}" for i in range(1, 6)]
                             + ["test_batch"]):
        planes = np.stack([np.full((32, 32), 255), np.zeros((32, 32)),
                           np.full((32, 32), 51 * k)]).astype(np.uint8)
        batch = {b"data": planes.reshape(1, 3072), b"labels": [k],
                 b"batch_label": name.encode()}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)
    x, y = cifar10()
    assert x.shape == (5, 32, 32, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(y, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(x[..., 0], 1.0)  # Channels-last order.
    np.testing.assert_array_equal(x[..., 1], -1.0)
    np.testing.assert_allclose(x[:, 5, 7, 2], np.arange(5) * 51 / 127.5 - 1,
                               atol=1e-6)
    x, y = cifar10(image_size=16, split="test")
    assert x.shape == (1, 16, 16, 3)
    np.testing.assert_array_equal(y, [5])
    np.testing.assert_allclose(x[0, 3, 3], [1.0, -1.0, 1.0], atol=1e-6)


def test_keras_datasets_reject_bad_arguments(keras_home):
    with pytest.raises(ValueError, match="Received: split='valid'"):
        mnist(split="valid")
    with pytest.raises(ValueError, match="Received: image_size=0"):
        fashion_mnist(image_size=0)
    with pytest.raises(ValueError, match="Received: interpolation='cubic'"):
        cifar10(interpolation="cubic")
    assert not os.path.exists(keras_home / "datasets" / "mnist.npz")
