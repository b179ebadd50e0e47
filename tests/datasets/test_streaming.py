"""Streamed image folders (`image_folder(stream=True)`, `packed`): the same
batches as the in-memory folder, an index that notices changed files and
reports bad ones before training, and an exact resume after SIGKILL.

Tiny folders: 24 PNGs of 10..17 pixels a side in two class folders.
"""

import os
import shutil
import signal
import warnings

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from keras_gans import cli
from keras_gans.datasets import SkippedFilesWarning
from keras_gans.datasets import image_folder
from keras_gans.datasets import packed
from keras_gans.datasets import index as index_module
from keras_gans.datasets import streaming
from keras_gans.datasets.image_files import decoder as image_decoder
from keras_gans.training.batches import OrderedBatches
from keras_gans.training.batches import epoch_flips
from keras_gans.training.batches import epoch_order
import image_mlp_runs
from checkpoint_waits import wait_for_checkpoints

from paths import TESTS
DCGAN = os.path.join(os.path.dirname(TESTS), "recipes", "dcgan.toml")
COUNT = 24
BATCH = 5  # 5 batches an epoch, the last one of 4


def _write_folder(root, count=COUNT, seed=0):
    rng = np.random.default_rng(seed)
    for i in range(count):
        folder = root / ("cat" if i % 3 else "dog")
        folder.mkdir(parents=True, exist_ok=True)
        height, width = rng.integers(10, 18, size=2)
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:02d}.png")
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return _write_folder(tmp_path_factory.mktemp("images") / "pictures")


@pytest.fixture(autouse=True)
def index_cache(tmp_path, monkeypatch):
    """Index caches go to the test's own folder, not ~/.cache."""
    monkeypatch.setenv("KERAS_GANS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _batches(x, y, flip, workers=1, epoch=0, batch=0, count=12):
    data = OrderedBatches(x, y, BATCH, seed=3, epoch=epoch, batch=batch,
                          flip=flip, workers=workers)
    return [data[i] for i in range(count)]


def _assert_same_batches(actual, expected):
    assert len(actual) == len(expected)
    for (x, y), (x_ref, y_ref) in zip(actual, expected):
        assert x.dtype == x_ref.dtype == np.float32
        np.testing.assert_array_equal(x, x_ref)
        np.testing.assert_array_equal(y, y_ref)


@pytest.mark.parametrize("flip", [False, True])
def test_a_streamed_folder_gives_the_in_memory_folders_batches(folder, flip):
    x, y = image_folder(folder, 8, labels="subfolders", stream=False)
    streamed_x, streamed_y = image_folder(folder, 8, labels="subfolders",
                                          stream=True)
    assert isinstance(x, np.ndarray)
    assert streaming.is_streamed(streamed_x)
    assert streamed_x.shape == x.shape and len(streamed_x) == COUNT
    # 12 batches: two epochs and a bit, so two orders (and flips) are used.
    _assert_same_batches(_batches(streamed_x, streamed_y, flip, workers=2),
                         _batches(x, y, flip))
    np.testing.assert_array_equal(np.asarray(streamed_x), x)


def test_prepare_data_packs_the_pixels_the_folder_decodes(folder, tmp_path):
    output = tmp_path / "packed" / "pictures.npy"
    result = CliRunner().invoke(cli.main, [
        "prepare-data", str(folder), "--image-size", "8", "--labels",
        "subfolders", "-o", str(output)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Wrote {COUNT} images of 8x8x3 uint8" in result.output
    stored = np.load(output)
    assert stored.dtype == np.uint8 and stored.shape == (COUNT, 8, 8, 3)
    x, y = image_folder(folder, 8, labels="subfolders", stream=False)
    packed_x, packed_y = packed(output)
    assert isinstance(packed_x.pixels, np.memmap)
    _assert_same_batches(_batches(packed_x, packed_y, True),
                         _batches(x, y, True))


def test_flips_are_a_function_of_seed_epoch_and_sample(folder):
    x, _ = image_folder(folder, 8, stream=False)
    flipped = _batches(x, None, True, count=10)
    for item, (batch,) in enumerate(flipped):
        epoch, position = divmod(item, 5)
        rows = epoch_order(3, epoch, COUNT)[position * BATCH:
                                            (position + 1) * BATCH]
        expected = x[rows].copy()
        chosen = epoch_flips(3, epoch, COUNT)[rows]
        expected[chosen] = np.flip(expected[chosen], axis=2)
        np.testing.assert_array_equal(batch, expected)
    # A dataset started at epoch 1, batch 2 (a resume) flips the same way.
    resumed = _batches(x, None, True, epoch=1, batch=2, count=3)
    for (a,), (b,) in zip(resumed, flipped[7:10]):
        np.testing.assert_array_equal(a, b)


def test_the_index_cache_notices_added_changed_and_removed_files(
        folder, tmp_path, index_cache):
    root = tmp_path / "copy"
    shutil.copytree(folder, root)
    decoder = image_decoder(8)

    def index():
        return index_module.index_folder(str(root), "none", decoder)

    assert index().checked == COUNT
    assert os.listdir(index_cache / "index")  # the cache was written
    assert index().checked == 0  # every check from the cache

    Image.new("RGB", (9, 9), (1, 2, 3)).save(root / "cat" / "new.png")
    added = index()
    assert added.checked == 1 and os.path.join("cat", "new.png") in (
        added.files)

    changed = root / "dog" / "00.png"
    info = os.stat(changed)
    Image.new("RGB", (11, 11), (4, 5, 6)).save(changed)
    os.utime(changed, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))
    assert index().checked == 1

    # Same size, newer mtime, and no longer an image: checked again.
    changed.write_bytes(b"\0" * os.path.getsize(changed))
    with pytest.raises(ValueError, match="00.png"):
        index()

    changed.unlink()
    removed = index()
    assert removed.checked == 0 and len(removed) == COUNT
    assert os.path.join("dog", "00.png") not in removed.files


def test_indexing_a_large_folder_reports_progress_on_stderr(
        folder, monkeypatch, capsys):
    monkeypatch.setattr(index_module, "PROGRESS_FILES", 10)
    monkeypatch.setattr(index_module, "_CHECK_CHUNK", 5)
    index_module.index_folder(str(folder), "none", image_decoder(8))
    lines = capsys.readouterr().err.splitlines()
    # Not a terminal: a line every 10 % (every chunk of 5 files here).
    assert [line.split(": ", 1)[1].split(" files")[0] for line in lines] == [
        "5/24", "10/24", "15/24", "20/24", "24/24"]
    assert lines[0].startswith(f"Indexing {folder}: ")


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_bad_file_is_reported_when_the_folder_is_indexed(folder, tmp_path,
                                                           suffix):
    root = tmp_path / "copy"
    shutil.copytree(folder, root)
    bad = root / "cat" / f"bad{suffix}"
    Image.fromarray(np.random.default_rng(1).integers(
        0, 256, (64, 64, 3), dtype=np.uint8)).save(bad)
    bad.write_bytes(bad.read_bytes()[:300])  # cut off
    with pytest.raises(ValueError, match=f"Could not read the image file "
                       f"'{bad}'.*on_bad_image='skip'"):
        image_folder(root, 8, stream=True)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x, _ = image_folder(root, 8, stream=True, on_bad_image="skip")
    skipped = [w.message for w in caught
               if isinstance(w.message, SkippedFilesWarning)]
    assert [name for name, _ in skipped[0].files] == [str(bad)]
    assert len(x) == COUNT
    assert x[np.arange(COUNT)].shape == (COUNT, 8, 8, 3)


def test_auto_streams_above_a_gibibyte_of_float32_images():
    limit = streaming.STREAM_ABOVE_BYTES // 4  # float32 values
    assert not streaming.should_stream("auto", (1, limit, 1, 1))
    assert streaming.should_stream("auto", (1, limit + 1, 1, 1))
    with pytest.raises(ValueError, match="Received: stream='yes'"):
        streaming.should_stream("yes", (1, 1, 1, 1))


# ----------------------------------------------------------------------
# keras-gans run on a streamed folder: SIGKILL, then --resume

STEPS = 30
EVERY = 5  # checkpoints at steps 5, 10, 15, ...: 6 steps an epoch


def _run_arguments(folder, directory):
    params = (f'{{path = "{folder}", image_size = 8, channels = 1, '
              'stream = true}')
    return [
        "run", DCGAN, "--output", str(directory),
        "--set", "model.architecture=image_mlp",
        "--set", "data.dataset=image_folder",
        "--set", f"data.params={params}",
        "--set", "data.batch_size=4",
        "--set", "data.workers=2",
        "--set", "data.flip=true",
        "--set", "model.params={width = 8}",
        "--set", "model.latent_dim=4",
        "--set", "train.penalty=false",
        "--set", f"train.epochs={STEPS // 6}",
        "--set", "output.samples=4",
        "--set", "output.sample_every=0",
        "--set", "output.log_images_every=0",
        "--set", "output.checkpoint_every=0",
        "--set", f"output.checkpoint_every_steps={EVERY}",
    ]


def _weights(directory):
    gan = keras.models.load_model(os.path.join(directory, "gan.keras"))
    return gan.steps, [keras.ops.convert_to_numpy(v) for v in gan.weights]


def test_a_streamed_run_killed_mid_epoch_resumes_to_the_same_weights(
        folder, tmp_path, monkeypatch):
    image_mlp_runs.use(monkeypatch)
    invoke = CliRunner().invoke
    expected_dir = tmp_path / "uninterrupted"
    result = invoke(cli.main, _run_arguments(folder, expected_dir),
                    catch_exceptions=False)
    assert result.exit_code == 0, result.output
    expected = _weights(expected_dir)

    directory = tmp_path / "killed"
    log_path = tmp_path / "killed.log"
    process = image_mlp_runs.start(_run_arguments(folder, directory),
                                   log_path)
    wait_for_checkpoints(process, directory, 2, log_path)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=120) == -signal.SIGKILL
    assert not (directory / "gan.keras").exists()

    resumed = invoke(cli.main, _run_arguments(folder, directory)
                     + ["--resume"], catch_exceptions=False)
    assert resumed.exit_code == 0, resumed.output
    step = int(resumed.output.split("Resuming from ", 1)[1].split(
        "(step ", 1)[1].split(":", 1)[0])
    assert step % 6, "expected a mid-epoch checkpoint"
    steps, weights = _weights(directory)
    assert steps == expected[0] == STEPS
    for actual, reference in zip(weights, expected[1]):
        np.testing.assert_allclose(actual, reference, rtol=0, atol=1e-6)


def test_flipping_samples_that_are_not_images_is_refused(tmp_path):
    ring8 = os.path.join(os.path.dirname(TESTS), "recipes", "ring8.toml")
    result = CliRunner().invoke(cli.main, [
        "run", ring8, "--set", "data.flip=true", "--output",
        str(tmp_path / "run")], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert ("data.flip: flips images (height, width, channels), but "
            "dataset 'ring' gives samples of shape (2,)") in result.output
    assert not (tmp_path / "run").exists()
