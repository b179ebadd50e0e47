"""Datasets read from files a user or an attacker placed: pickles that would
run code, FIFOs, symbolic links, unreadable images."""

import io
import os
import pickle
import struct
import warnings

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from keras_gans import cli
from keras_gans import memory
from keras_gans.datasets import SkippedFilesWarning
from keras_gans.datasets import cifar10
from keras_gans.datasets import image_folder
from keras_gans.datasets import image_folder_classes
from keras_gans.datasets import pickles

from nonblocking import in_thread

from paths import REPO
DCGAN = os.path.join(REPO, "recipes", "dcgan.toml")
CIFAR_NAMES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


# --------------------------------------------------------------------------
# CIFAR-10's pickled batches
# --------------------------------------------------------------------------


def _py2_string(data):
    """SHORT_BINSTRING or BINSTRING: how Python 2 pickled a `str`."""
    if len(data) < 256:
        return b"U" + bytes([len(data)]) + data
    return b"T" + struct.pack("<i", len(data)) + data


def _py2_int(value):
    if 0 <= value < 256:
        return b"K" + bytes([value])
    return b"J" + struct.pack("<i", value)


def _py2_uint8_array(array):
    """A 2-D uint8 array as Python 2 with numpy 1 pickled it (protocol 2):
    `_reconstruct(ndarray, (0,), 'b')`, then BUILD with (version, shape,
    dtype('u1', 0, 1) with its own BUILD state, fortran flag, raw bytes)."""
    dtype = (b"cnumpy\ndtype\n" + _py2_string(b"u1") + _py2_int(0)
             + _py2_int(1) + b"\x87R(" + _py2_int(3) + _py2_string(b"|")
             + b"NNN" + b"J\xff\xff\xff\xff" * 2 + _py2_int(0) + b"tb")
    return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
            + _py2_int(0) + b"\x85" + _py2_string(b"b") + b"\x87R"
            + b"(" + _py2_int(1) + _py2_int(array.shape[0])
            + _py2_int(array.shape[1]) + b"\x86" + dtype + b"\x89"
            + _py2_string(array.tobytes()) + b"tb")


def py2_batch(data, labels, name):
    """A CIFAR-10 batch in the format of the official python archive: a
    protocol-2 dict of Python 2 strings, built opcode by opcode."""
    labels_list = b"](" + b"".join(_py2_int(k) for k in labels) + b"e"
    files = b"](" + b"".join(_py2_string(f"img{k}.png".encode())
                             for k in range(len(labels))) + b"e"
    return (b"\x80\x02}(" + _py2_string(b"batch_label")
            + _py2_string(name.encode()) + _py2_string(b"labels")
            + labels_list + _py2_string(b"data") + _py2_uint8_array(data)
            + _py2_string(b"filenames") + files + b"u.")


def cifar_folder(home):
    folder = (home / "datasets" / "cifar-10-batches-py-target"
              / "cifar-10-batches-py")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def planes(k):
    """One image whose red/green/blue planes are 255/0/51k, as CIFAR's
    (n, 3072) rows store it: all red, then all green, then all blue."""
    return np.stack([np.full((32, 32), 255), np.zeros((32, 32)),
                     np.full((32, 32), 51 * k)]).astype(np.uint8).reshape(
                         1, 3072)


def test_batches_in_the_python2_format_of_the_archive_load(keras_home):
    folder = cifar_folder(keras_home)
    for k, name in enumerate(CIFAR_NAMES):
        (folder / name).write_bytes(py2_batch(planes(k), [k], name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # numpy.core
        reference = pickle.loads(py2_batch(planes(3), [3], "x"),
                                 encoding="bytes")
    np.testing.assert_array_equal(reference[b"data"], planes(3))
    x, y = cifar10()
    np.testing.assert_array_equal(y, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(x[..., 0], 1.0)
    np.testing.assert_array_equal(x[..., 1], -1.0)
    np.testing.assert_allclose(x[:, 5, 7, 2], np.arange(5) * 51 / 127.5 - 1,
                               atol=1e-6)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_batches_python3_pickled_load(keras_home, protocol):
    folder = cifar_folder(keras_home)
    for k, name in enumerate(CIFAR_NAMES):
        with open(folder / name, "wb") as file:
            pickle.dump({b"data": planes(k), b"labels": [k],
                         b"batch_label": name.encode()}, file,
                        protocol=protocol)
    x, y = cifar10(split="test")
    np.testing.assert_array_equal(y, [5])
    np.testing.assert_allclose(x[0, 0, 0], [1.0, -1.0, 255 / 127.5 - 1],
                               atol=1e-6)


class Planted:
    """Unpickling this calls os.mkdir(marker): code run from the cache."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


class PlantedExec:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').close()",)


@pytest.mark.parametrize("where", ["labels", "whole file", "exec"])
def test_a_planted_payload_does_not_run(keras_home, tmp_path, where):
    folder = cifar_folder(keras_home)
    marker = tmp_path / "payload_ran"
    for k, name in enumerate(CIFAR_NAMES):
        batch = {b"data": planes(k), b"labels": [k]}
        if name == "data_batch_3":
            if where == "labels":
                batch[b"labels"] = Planted(marker)
            elif where == "whole file":
                batch = Planted(marker)
            else:
                batch[b"batch_label"] = PlantedExec(marker)
        with open(folder / name, "wb") as file:
            pickle.dump(batch, file, protocol=2)
    with pytest.raises(ValueError) as info:
        cifar10()
    assert not marker.exists()
    message = str(info.value)
    # Protocol 2 writes Python 2's module names (builtins is __builtin__).
    named = ("__builtin__.exec" if where == "exec"
             else f"{os.mkdir.__module__}.mkdir")
    assert (f"{folder / 'data_batch_3'}' is not a CIFAR-10 batch: it refers "
            f"to {named}") in message
    assert "nothing in it was run" in message
    assert "SHA-256 is checked" in message


def test_the_unpickler_admits_arrays_and_plain_data_only():
    plain = {"a": [1, 2.5, b"x", None, True], "b": (np.arange(3),)}
    loaded = pickles.load(_as_file(pickle.dumps(plain)))
    assert loaded["a"] == plain["a"]
    np.testing.assert_array_equal(loaded["b"][0], np.arange(3))
    for forbidden in (os.system, np.float32(1.0), Planted("m")):
        with pytest.raises(pickles.ForbiddenPickleError):
            pickles.load(_as_file(pickle.dumps(forbidden)))


def _as_file(data):
    return io.BytesIO(data)


def test_a_batch_of_the_wrong_content_is_named(keras_home):
    folder = cifar_folder(keras_home)
    for k, name in enumerate(CIFAR_NAMES):
        batch = {b"data": planes(k).astype(np.float64), b"labels": [k]}
        with open(folder / name, "wb") as file:
            pickle.dump(batch, file)
    with pytest.raises(ValueError, match="expected `data`, a uint8 array"):
        cifar10()


def test_the_offline_message_says_how_to_place_the_archive_safely(
        keras_home, monkeypatch):
    def offline(*args, origin=None, **kwargs):
        raise Exception(f"URL fetch failure on {origin}")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(OSError) as info:
        cifar10()
    message = str(info.value)
    archive = (keras_home / "datasets"
               / "cifar-10-batches-py-target_archive")
    assert f"save https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz, "\
        f"unchanged, as:\n    {archive}" in message
    assert ("its SHA-256 is checked before it is extracted (it must be "
            "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
            ) in message
    assert "extract it yourself" not in message


# --------------------------------------------------------------------------
# Image folders: FIFOs, links, unreadable images
# --------------------------------------------------------------------------


def save_png(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((4, 4, 3), value, np.uint8)).save(path)


def load_in_thread(*args, unblock=None, **kwargs):
    """image_folder and its warnings, failing the test if it blocks."""
    def load():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = image_folder(*args, **kwargs)
        return value, caught

    return in_thread(load, unblock=unblock)


def skipped_of(caught):
    found = [w.message for w in caught
             if isinstance(w.message, SkippedFilesWarning)]
    return [(os.path.basename(p), reason) for w in found for p, reason in
            w.files]


def test_a_fifo_named_like_an_image_is_skipped_and_said(tmp_path):
    save_png(tmp_path / "a.png", 255)
    os.mkfifo(tmp_path / "b.png")
    os.mkfifo(tmp_path / "notes.txt")  # not an image name: not opened
    (x, _), caught = load_in_thread(tmp_path, 4, unblock=tmp_path / "b.png")
    assert x.shape == (1, 4, 4, 3)
    np.testing.assert_array_equal(x, 1.0)
    assert skipped_of(caught) == [
        ("b.png", "a FIFO (named pipe), not a regular file")]


def test_a_class_folder_that_is_a_link_is_a_class_with_its_images(tmp_path):
    elsewhere = tmp_path / "elsewhere" / "dogs"
    save_png(elsewhere / "d0.png", 0)
    save_png(elsewhere / "d1.png", 0)
    root = tmp_path / "pets"
    save_png(root / "cats" / "c0.png", 255)
    os.symlink(elsewhere, root / "dogs")
    save_png(tmp_path / "outside.png", 128)
    os.symlink(tmp_path / "outside.png", root / "cats" / "linked.png")
    assert image_folder_classes(root) == ["cats", "dogs"]
    x, y = image_folder(root, 4, labels="subfolders")
    np.testing.assert_array_equal(y, [0, 0, 1, 1])
    np.testing.assert_array_equal(x[0], 1.0)                 # cats/c0.png
    np.testing.assert_allclose(x[1], 128 / 127.5 - 1, atol=1e-6)  # linked
    np.testing.assert_array_equal(x[2:], -1.0)               # dogs
    x, y = image_folder(root, 4)
    assert len(x) == 4 and y is None


def test_a_link_to_a_folder_that_contains_it_is_not_followed_again(
        tmp_path):
    save_png(tmp_path / "cats" / "c0.png", 255)
    os.symlink(tmp_path, tmp_path / "cats" / "loop")
    (x, _), caught = load_in_thread(tmp_path, 4)
    assert len(x) == 1
    assert skipped_of(caught) == [("loop", "a link to a folder that "
                                   "contains it")]


def write_bad_image(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n not really")


def test_unreadable_images_are_an_error_or_skipped_and_listed(tmp_path):
    save_png(tmp_path / "a" / "0.png", 255)
    write_bad_image(tmp_path / "a" / "1.png")
    save_png(tmp_path / "b" / "2.png", 0)
    write_bad_image(tmp_path / "b" / "3.png")
    with pytest.raises(ValueError, match="on_bad_image='skip'") as info:
        image_folder(tmp_path, 4, labels="subfolders")
    assert str(tmp_path / "a" / "1.png") in str(info.value)

    with pytest.warns(SkippedFilesWarning) as caught:
        x, y = image_folder(tmp_path, 4, labels="subfolders",
                            on_bad_image="skip")
    np.testing.assert_array_equal(y, [0, 1])
    np.testing.assert_array_equal(x[0], 1.0)
    np.testing.assert_array_equal(x[1], -1.0)
    (warning,) = caught
    assert str(warning.message).startswith(
        f"Skipped 2 image files that could not be read in {str(tmp_path)!r}"
        ": 'a/1.png (UnidentifiedImageError")
    assert [p for p, _ in warning.message.files] == [
        str(tmp_path / "a" / "1.png"), str(tmp_path / "b" / "3.png")]


def test_a_folder_of_only_unreadable_images_is_still_an_error(tmp_path):
    write_bad_image(tmp_path / "1.png")
    with pytest.raises(ValueError, match="None of the 1 image files"):
        image_folder(tmp_path, 4, on_bad_image="skip")
    with pytest.raises(ValueError, match="Received: on_bad_image='ignore'"):
        image_folder(tmp_path, 4, on_bad_image="ignore")


def class_folders(folder):
    """Two classes of two images each (labelled: `keras-gans run` trains an
    unlabelled folder only once issue 20's item 1 is merged)."""
    for index in range(4):
        save_png(folder / "ab"[index // 2] / f"{index}.png", 60 * index)


def image_folder_run(folder, output, *more):
    return CliRunner().invoke(cli.main, [
        "run", DCGAN, "--set", "data.dataset=image_folder",
        "--set", f"data.params={{path = '{folder}', image_size = 28, "
                 f"channels = 1, labels = 'subfolders'{''.join(more)}}}",
        "--set", "data.batch_size=2", "--set", "model.params.width=2",
        "--set", "model.latent_dim=4", "--set", "train.epochs=1",
        "--set", "output.samples=4", "--set", "output.sample_every=0",
        "--set", "output.log_images_every=0", "--set", "train.ema=false",
        "--output", str(output)], catch_exceptions=False)


def test_a_run_refuses_a_bad_image_before_making_its_directory(tmp_path):
    folder = tmp_path / "images"
    class_folders(folder)
    write_bad_image(folder / "b" / "9.png")
    result = image_folder_run(folder, tmp_path / "run")
    assert result.exit_code == 2, result.output
    bad = str(folder / "b" / "9.png")
    assert f"Could not read the image file {bad!r}" in result.output
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(keras.backend.backend() == "jax",
                    reason="a DCGAN step takes ~40 s to compile on JAX's CPU "
                    "backend; the listing is the same on every backend")
def test_a_run_lists_skipped_images_in_its_directory(tmp_path):
    folder = tmp_path / "images"
    class_folders(folder)
    bad, fifo = folder / "a" / "8.png", folder / "b" / "9.png"
    write_bad_image(bad)
    os.mkfifo(fifo)
    output = tmp_path / "run"
    result = image_folder_run(folder, output, ", on_bad_image = 'skip'")
    assert result.exit_code == 0, result.output
    listing = output / "skipped_files.txt"
    lines = listing.read_text().splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(fifo), str(bad)]
    assert lines[0].endswith("\ta FIFO (named pipe), not a regular file")
    assert lines[1].split("\t")[1].startswith("UnidentifiedImageError")
    assert (f"The dataset skipped 2 file(s) it could not use ({fifo}, "
            f"{bad}); all are listed in {listing}.") in result.output
    assert (output / "gan.keras").exists()


# --------------------------------------------------------------------------
# Sizes that cannot fit, and cache files that are not files
# --------------------------------------------------------------------------


@pytest.fixture
def small_memory(monkeypatch):
    """The memory available is 1 MiB (what keras_gans.memory reports)."""
    budget = (2**20, "the test's 1 MiB")
    monkeypatch.setattr(memory, "available_memory", lambda: budget)
    return budget


def test_a_resize_that_cannot_fit_is_refused_before_allocating(small_memory):
    from keras_gans.datasets import digits

    with pytest.raises(ValueError) as info:
        digits(image_size=(64, 32))
    assert str(info.value) == (
        "The dataset needs at least 14.0 MiB of memory, more than the 1.0 MiB "
        "available (the test's 1 MiB): 1,797 images of 64x32x1 float32 "
        "values = 14.0 MiB. Lower `image_size`. Received: image_size=(64, "
        "32)")
    assert digits(image_size=8)[0].shape == (1797, 8, 8, 1)  # no resize


def test_an_image_folder_that_cannot_fit_is_refused_before_decoding(
        tmp_path, small_memory, monkeypatch):
    from keras_gans.datasets import image_files

    save_png(tmp_path / "a.png", 0)

    def never(*args):
        raise AssertionError("decoded")

    monkeypatch.setattr(image_files, "_decode", never)
    with pytest.raises(ValueError, match="1 images of 1000x1000x3 float32"):
        image_folder(tmp_path, 1000)


def test_a_huge_image_size_exits_2_with_the_figure(tmp_path):
    result = CliRunner().invoke(cli.main, [
        "run", DCGAN, "--set", "data.params.image_size=100000",
        "--output", str(tmp_path / "run")], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert ("data.params: dataset 'digits' rejected its parameters: The "
            "dataset needs at least 65.4 TiB of memory") in result.output
    assert not (tmp_path / "run").exists()


def test_an_npz_path_that_is_a_fifo_is_named(tmp_path):
    from keras_gans.datasets import npz

    fifo = tmp_path / "data.npz"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="is a FIFO \\(named pipe\\)"):
        in_thread(npz, fifo, unblock=fifo)


def test_cache_files_that_are_fifos_do_not_block(keras_home):
    from keras_gans.datasets import fashion_mnist
    from keras_gans.datasets import mnist

    (keras_home / "datasets" / "fashion-mnist").mkdir(parents=True)
    fifo = keras_home / "datasets" / "mnist.npz"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="is a FIFO"):
        in_thread(mnist, unblock=fifo)
    folder = keras_home / "datasets" / "fashion-mnist"
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        os.mkfifo(folder / name)
    with pytest.raises(ValueError, match="is a FIFO"):
        in_thread(fashion_mnist, split="test",
                  unblock=folder / "t10k-labels-idx1-ubyte.gz")


def test_a_fashion_file_that_inflates_beyond_the_dataset_is_refused(
        keras_home):
    import gzip

    from keras_gans.datasets import fashion_mnist

    folder = keras_home / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    limit = 8 + 60_000 * 28 * 28
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(bytes(limit + 1), compresslevel=1))
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(ValueError,
                       match=f"it inflates to more than {limit:,} bytes"):
        fashion_mnist(split="test")


def test_only_the_decoders_of_the_extensions_open_a_file(tmp_path,
                                                         monkeypatch):
    from PIL import EpsImagePlugin

    calls = []

    def ghostscript(*args, **kwargs):
        calls.append(args)
        raise OSError("Ghostscript ran")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", ghostscript)
    save_png(tmp_path / "a.png", 255)
    (tmp_path / "b.png").write_text(
        "%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with Image.open(tmp_path / "b.png") as image:
        assert image.format == "EPS"  # what Pillow alone would decode
    with pytest.warns(SkippedFilesWarning) as caught:
        x, _ = image_folder(tmp_path, 4, on_bad_image="skip")
    assert len(x) == 1 and not calls
    (warning,) = caught
    assert warning.message.files[0][1].startswith("UnidentifiedImageError")
    # A JPEG named .png is still read: every listed format is tried.
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(
        tmp_path / "b.png", format="JPEG")
    assert len(image_folder(tmp_path, 4)[0]) == 2
    with pytest.raises(ValueError, match="no image format with the "
                       "extension '.notanimage'"):
        image_folder(tmp_path, 4, extensions=(".png", ".notanimage"))


def test_a_toy_draw_that_cannot_fit_is_refused_before_drawing(small_memory):
    from keras_gans.datasets import grid
    from keras_gans.datasets import ring

    # 48 bytes a sample: int64 label, float64 noise and sample (2-D), the
    # sample's float32 copy: 21,845 samples fit in 1 MiB, 21,846 do not.
    assert len(grid(num_samples=21_845, seed=0)[0]) == 21_845
    with pytest.raises(ValueError) as info:
        grid(num_samples=21_846)
    assert str(info.value) == (
        "The dataset needs at least 1.0 MiB of memory, more than the 1.0 MiB "
        "available (the test's 1 MiB): 21,846 2-D samples drawn in float64 = "
        "1.0 MiB. Lower `num_samples`. Received: num_samples=21846")
    with pytest.raises(ValueError, match="Lower `num_modes`"):
        ring(num_samples=10, num_modes=10**6)


def test_the_toy_draw_estimate_is_a_lower_bound_of_the_peak():
    import tracemalloc

    from keras_gans.datasets import ring
    from keras_gans.datasets import toy

    tracemalloc.start()
    try:
        ring(num_samples=100_000, seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = 100_000 * toy._BYTES_PER_DRAW
    # numpy 2.4: peak 5.62 MB here (estimate / peak 0.85), 6.54 MB on the
    # first draw of a fresh process (0.73).
    assert 0.6 * peak <= estimate <= peak
