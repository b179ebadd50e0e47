"""Checkpoints for `fit()` users: the callback, finding and restoring them,
and the data order a resumed run repeats."""

import os
import warnings
import zipfile

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans.training import checkpoints
from keras_gans.training.batches import OrderedBatches
from keras_gans.training.batches import epoch_order
from keras_gans.datasets import ring
from toy_models import mlp, optimizers

LATENT = 4
BATCH = 16
SAMPLES = 80  # 5 batches per epoch


def small_gan():
    gan = keras_gans.GAN(mlp(LATENT, 2, width=8), mlp(2, 1, width=8),
                         latent_dim=LATENT, seed=0)
    g_opt, d_opt = optimizers()
    gan.compile(g_optimizer=g_opt, d_optimizer=d_opt, ema=0.9)
    return gan


def numpy_weights(model):
    return [keras.ops.convert_to_numpy(v) for v in model.weights]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A GAN trained 2 epochs (10 steps), checkpointed every 3 steps."""
    directory = tmp_path_factory.mktemp("checkpoints")
    x, _ = ring(SAMPLES, seed=0)
    gan = small_gan()
    callback = checkpoints.Checkpoint(directory, every_steps=3,
                                      every_epochs=0, keep=2)
    gan.fit(x, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
            callbacks=[callback])
    return gan, directory, callback


def test_checkpoints_are_named_by_step_and_the_newest_kept(trained):
    gan, directory, callback = trained
    assert [step for step, _ in callback.saved] == [3, 6, 9]
    assert sorted(os.listdir(directory)) == [
        "step_00000006.keras", "step_00000009.keras"
    ]


def test_a_checkpoint_records_its_position_in_the_data(trained):
    _, directory, _ = trained
    # Step 6 = all 5 batches of epoch 0 and 1 of epoch 1; step 9 = 4 of
    # epoch 1. The position is the next batch to train on.
    position = checkpoints.read_position(directory / "step_00000006.keras")
    assert (position["step"], position["epoch"], position["batch"]) == (
        6, 1, 1)
    position = checkpoints.read_position(directory / "step_00000009.keras")
    assert (position["step"], position["epoch"], position["batch"]) == (
        9, 1, 4)


def test_restore_loads_a_new_gan_with_its_step_and_state(trained):
    _, directory, _ = trained
    restored = checkpoints.restore(directory)
    assert isinstance(restored.gan, keras_gans.GAN)
    assert restored.path.endswith("step_00000009.keras")
    assert (restored.step, restored.epoch, restored.batch) == (9, 1, 4)
    assert restored.gan.steps == 9 and restored.skipped == []
    assert len(restored.gan.ema_weights) == len(
        restored.gan.generator.trainable_variables)


def test_restore_into_an_existing_gan_loads_weights_and_optimizers(trained):
    _, directory, _ = trained
    source = keras.models.load_model(directory / "step_00000009.keras")
    gan = small_gan()
    restored = checkpoints.restore(directory, gan=gan)
    assert restored.gan is gan and gan.steps == 9
    for expected, actual in zip(numpy_weights(source), numpy_weights(gan)):
        np.testing.assert_array_equal(actual, expected)
    for name in ("g_optimizer", "d_optimizer"):
        for expected, actual in zip(getattr(source, name).variables,
                                    getattr(gan, name).variables):
            np.testing.assert_array_equal(
                keras.ops.convert_to_numpy(actual),
                keras.ops.convert_to_numpy(expected))
    np.testing.assert_array_equal(gan.generate(8, seed=1),
                                  source.generate(8, seed=1))


def test_a_truncated_newest_checkpoint_is_skipped_and_named(trained,
                                                            tmp_path):
    _, directory, _ = trained
    for name in os.listdir(directory):
        with open(directory / name, "rb") as source:
            (tmp_path / name).write_bytes(source.read())
    newest = tmp_path / "step_00000009.keras"
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])  # a write cut off halfway
    (tmp_path / ".tmp-123-step_00000012.keras").write_bytes(data[:100])
    lines = []
    restored = checkpoints.restore(tmp_path, echo=lines.append)
    assert restored.path == str(tmp_path / "step_00000006.keras")
    assert restored.gan.steps == 6
    assert [path for path, _ in restored.skipped] == [str(newest)]
    assert len(lines) == 1 and str(newest) in lines[0]
    assert checkpoints.leftover_temporaries(tmp_path) == [
        str(tmp_path / ".tmp-123-step_00000012.keras")]


def test_a_checkpoint_with_a_damaged_member_is_skipped(trained, tmp_path):
    _, directory, _ = trained
    path = tmp_path / "step_00000009.keras"
    data = bytearray((directory / "step_00000009.keras").read_bytes())
    with zipfile.ZipFile(directory / "step_00000009.keras") as archive:
        info = archive.getinfo("model.weights.h5")
    # Flip a byte inside the weights member: the zip opens, its CRC fails.
    middle = info.header_offset + 100 + info.compress_size // 2
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(checkpoints.CheckpointError, match="damaged"):
        checkpoints.check_complete(path)
    assert checkpoints.latest_checkpoint(tmp_path)[0] is None


def test_restore_without_a_complete_checkpoint_says_so(tmp_path):
    (tmp_path / "step_00000004.keras").write_bytes(b"PK\x03\x04 cut")
    with pytest.raises(checkpoints.CheckpointError,
                       match="No complete checkpoint.*step_00000004.keras"):
        checkpoints.restore(tmp_path)


def test_old_epoch_names_are_listed_before_step_names(tmp_path):
    for name in ("epoch_0002.keras", "step_00000100.keras", "epoch_0010.keras",
                 "step_00000020.keras", ".tmp-1-step_00000200.keras",
                 "notes.txt"):
        (tmp_path / name).write_text("")
    assert [os.path.basename(p) for _, p in
            checkpoints.list_checkpoints(tmp_path)] == [
        "epoch_0002.keras", "epoch_0010.keras", "step_00000020.keras",
        "step_00000100.keras"]


# ----------------------------------------------------------------------
# Data order


def test_epoch_order_is_a_seeded_permutation_per_epoch():
    first = epoch_order(7, 0, 50)
    np.testing.assert_array_equal(np.sort(first), np.arange(50))
    np.testing.assert_array_equal(epoch_order(7, 0, 50), first)
    assert not np.array_equal(epoch_order(7, 1, 50), first)
    assert not np.array_equal(epoch_order(8, 0, 50), first)


def test_batches_started_mid_run_continue_the_uninterrupted_sequence():
    x = np.arange(SAMPLES * 2, dtype="float32").reshape(SAMPLES, 2)
    y = np.arange(SAMPLES)
    whole = OrderedBatches(x, y, BATCH, seed=3)
    resumed = OrderedBatches(x, y, BATCH, seed=3, epoch=1, batch=2)
    for index in range(8):  # across the end of epoch 1
        expected = whole[5 + 2 + index]
        actual = resumed[index]
        np.testing.assert_array_equal(actual[0], expected[0])
        np.testing.assert_array_equal(actual[1], expected[1])
    # One epoch visits every sample once, in epoch_order.
    rows = np.concatenate([whole[i][1] for i in range(5)])
    np.testing.assert_array_equal(rows, epoch_order(3, 0, SAMPLES))
    np.testing.assert_array_equal(whole[0][0], x[rows[:BATCH]])


def test_each_process_part_of_a_global_batch_is_its_slice_in_order():
    """Two processes, each fed its part of every global batch (resumed
    mid-run too), see together exactly the batches one process sees:
    process p gets rows p * B/2 .. (p + 1) * B/2 of each."""
    x = np.arange(SAMPLES * 2, dtype="float32").reshape(SAMPLES, 2)
    y = np.arange(SAMPLES)
    whole = OrderedBatches(x, y, BATCH, seed=3, epoch=1, batch=2)
    parts = [OrderedBatches(x, y, BATCH, seed=3, epoch=1, batch=2,
                            part=(index, 2)) for index in range(2)]
    half = BATCH // 2
    for index in range(8):  # across the end of epoch 1
        for p, part in enumerate(parts):
            for got, expected in zip(part[index], whole[index]):
                np.testing.assert_array_equal(
                    got, expected[p * half:(p + 1) * half])
    with pytest.raises(ValueError, match=r"part=\(2, 2\)"):
        OrderedBatches(x, y, BATCH, seed=3, part=(2, 2))


def test_batches_refuse_a_start_outside_the_epoch():
    x = np.zeros((SAMPLES, 2), dtype="float32")
    with pytest.raises(ValueError, match=r"\[0, 5\).*batch=5"):
        OrderedBatches(x, None, BATCH, seed=0, batch=5)


def test_restore_refuses_a_gan_of_another_shape(trained):
    _, directory, _ = trained
    wider = keras_gans.GAN(mlp(LATENT, 2, width=16), mlp(2, 1, width=16),
                           latent_dim=LATENT)
    g_opt, d_opt = optimizers()
    wider.compile(g_optimizer=g_opt, d_optimizer=d_opt, ema=0.9)
    with warnings.catch_warnings(), pytest.raises(
        checkpoints.CheckpointError,
        match=r"step_00000009.keras does not fit this GAN .*shape",
    ):
        warnings.simplefilter("ignore")  # Keras' notes on skipped layers
        checkpoints.restore(directory, gan=wider)


def rewrite_member(source, target, name, change):
    """Copies a `.keras` zip with member `name` replaced by
    `change(bytes)`, every CRC correct: damage the zip layer cannot see."""
    with zipfile.ZipFile(source) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members[name] = change(members[name])
    with zipfile.ZipFile(target, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],          # cut off
    lambda data: data[:40] + b"\xff" * 64 + data[104:],  # HDF5 superblock
], ids=["truncated", "superblock"])
def test_a_valid_zip_with_a_damaged_weights_file_is_skipped(trained,
                                                            tmp_path, damage):
    _, directory, _ = trained
    older = tmp_path / "step_00000006.keras"
    older.write_bytes((directory / "step_00000006.keras").read_bytes())
    newest = tmp_path / "step_00000009.keras"
    rewrite_member(directory / "step_00000009.keras", newest,
                   "model.weights.h5", damage)
    with zipfile.ZipFile(newest) as archive:
        assert archive.testzip() is None
    with pytest.raises(checkpoints.CheckpointError, match="model.weights"):
        checkpoints.check_complete(newest)
    restored = checkpoints.restore(tmp_path)
    assert restored.path == str(older) and restored.step == 6
    assert [path for path, _ in restored.skipped] == [str(newest)]


def test_a_damaged_zip_header_is_skipped_not_raised(trained, tmp_path):
    _, directory, _ = trained
    data = bytearray((directory / "step_00000009.keras").read_bytes())
    # Bit 5 of the flags in the central directory's entry for the weights
    # ("compressed patched data"), which zipfile refuses with
    # NotImplementedError rather than BadZipFile. The entry: signature,
    # two versions, then the flags; its name starts at byte 46.
    entry = data.index(b"PK\x01\x02")
    while data[entry + 46:entry + 62] != b"model.weights.h5":
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 8] |= 0x20
    path = tmp_path / "step_00000009.keras"
    path.write_bytes(bytes(data))
    with pytest.raises(checkpoints.CheckpointError,
                       match="NotImplementedError"):
        checkpoints.check_complete(path)
    found, skipped = checkpoints.latest_checkpoint(tmp_path)
    assert found is None and [p for p, _ in skipped] == [str(path)]


def test_a_file_that_fails_to_load_is_skipped_for_the_one_before(
    trained, tmp_path
):
    _, directory, _ = trained
    for name in ("step_00000006.keras", "step_00000009.keras"):
        (tmp_path / name).write_bytes((directory / name).read_bytes())
    calls = []

    def load(path):
        calls.append(os.path.basename(path))
        if len(calls) == 1:
            raise KeyError("a layer config Keras cannot read")
        return "loaded"

    path, loaded, skipped = checkpoints.load_newest(tmp_path, load)
    assert calls == ["step_00000009.keras", "step_00000006.keras"]
    assert (path, loaded) == (str(tmp_path / "step_00000006.keras"), "loaded")
    assert "KeyError" in skipped[0][1]


def test_pruning_removes_only_this_runs_checkpoints(tmp_path):
    other = tmp_path / "step_00000001.keras"  # another run's, written later
    x, _ = ring(SAMPLES, seed=0)
    gan = small_gan()
    callback = checkpoints.Checkpoint(tmp_path, every_steps=2,
                                      every_epochs=0, keep=1)

    class OtherWriter(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 0:
                other.write_bytes(b"not ours")

    gan.fit(x, batch_size=BATCH, epochs=1, shuffle=False, verbose=0,
            callbacks=[OtherWriter(), callback])
    assert sorted(os.listdir(tmp_path)) == ["step_00000001.keras",
                                            "step_00000004.keras"]
    assert other.read_bytes() == b"not ours"
