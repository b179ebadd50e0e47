"""TensorBoard logging: event files written by `callbacks.TensorBoard` and
`keras-gans run`, read back with TensorBoard's own EventAccumulator."""

import io
import os
import subprocess
import sys
import types

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import keras_gans
from keras_gans import cli
from keras_gans import images
from keras_gans import latent
from keras_gans.training.callbacks import TensorBoard
from keras_gans.runs.recipe import RecipeError
from keras_gans.runs.recipe import resolve
from keras_gans.runs.recipe import tomllib
from toy_models import mlp

from paths import REPO
BACKEND = keras.backend.backend()
LOSS_TAGS = {"loss/d", "loss/g", "loss/penalty", "d/real", "d/fake"}
STEP_TAGS = LOSS_TAGS | {"lr/g", "lr/d", "perf/steps_per_sec"}
HISTORY_KEYS = {"loss/d": "d_loss", "loss/g": "g_loss",
                "loss/penalty": "penalty", "d/real": "d_real",
                "d/fake": "d_fake"}


def read(logdir):
    """Everything in `logdir`'s event files (no sampling of the events)."""
    from tensorboard.backend.event_processing import event_accumulator

    accumulator = event_accumulator.EventAccumulator(
        str(logdir),
        size_guidance={kind: 0 for kind in
                       event_accumulator.DEFAULT_SIZE_GUIDANCE},
    )
    accumulator.Reload()
    return accumulator


def scalars(accumulator, tag):
    """`{step: value}` of one scalar tag."""
    return {event.step: event.value for event in accumulator.Scalars(tag)}


def decode(image_event):
    with Image.open(io.BytesIO(image_event.encoded_image_string)) as image:
        return np.asarray(image.convert("RGB"))


def hparams_of(accumulator, kind):
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = accumulator.SummaryMetadata(
        f"_hparams_/{kind}").plugin_data.content
    return getattr(plugin_data_pb2.HParamsPluginData.FromString(content), kind)


class AddMetric(keras.callbacks.Callback):
    """Stands in for a quality-metric callback: adds `name` to epoch logs."""

    def __init__(self, name="fid"):
        super().__init__()
        self.name = name

    def on_epoch_end(self, epoch, logs=None):
        logs[self.name] = epoch + 0.5


# ----------------------------------------------------------------------
# A toy 2-D GAN: 2 epochs of 8 steps, two writers in one fit().

G_SCHEDULE = dict(initial_learning_rate=1e-3, decay_steps=4, decay_rate=0.5)
D_SCHEDULE = dict(initial_learning_rate=2e-3, decay_steps=8, decay_rate=0.5)
RECIPE = {"name": "toy", "train": {"seed": 3, "ema": 0.9, "jit": True,
                                   "g_optimizer": {"name": "adam"}},
          "output": {"dir": None, "callbacks": [1, 2]}}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(256, 2)).astype("float32")
    gan = keras_gans.GAN(mlp(4, 2, 16), mlp(2, 1, 16), latent_dim=4)
    schedules = keras.optimizers.schedules
    gan.compile(
        g_optimizer=keras.optimizers.Adam(
            schedules.ExponentialDecay(**G_SCHEDULE), beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(
            schedules.ExponentialDecay(**D_SCHEDULE), beta_1=0.5),
        penalty="r1", ema=0.9, d_steps=2,
    )
    picture_kwargs = {"reference": x[:200], "centers": [[0.0, 0.0]],
                      "bounds": (-3.0, 3.0)}
    history = gan.fit(
        x, batch_size=32, epochs=2, verbose=0,
        callbacks=[
            AddMetric(),
            TensorBoard(root / "every1", every=1, images_every=0),
            TensorBoard(root / "every3", every=3, images_every=5, samples=16,
                        seed=7, picture_kwargs=picture_kwargs,
                        recipe=RECIPE),
            AddMetric("kid"),  # after the writers: they see it too
        ],
    )
    return types.SimpleNamespace(
        gan=gan, history=history.history, picture_kwargs=picture_kwargs,
        every1=read(root / "every1"), every3=read(root / "every3"),
    )


def test_step_scalars_are_written_every_n_steps(toy):
    assert set(toy.every3.Tags()["scalars"]) >= STEP_TAGS
    for tag in STEP_TAGS - {"perf/steps_per_sec"}:
        assert sorted(scalars(toy.every3, tag)) == [3, 6, 9, 12, 15], tag
        assert sorted(scalars(toy.every1, tag)) == list(range(1, 17)), tag
    # Speed leaves out the first (compiling) step.
    speed = scalars(toy.every1, "perf/steps_per_sec")
    assert sorted(speed) == list(range(2, 17))
    assert all(np.isfinite(v) and v > 0 for v in speed.values())


def test_steps_per_execution_points_at_the_steps_really_made(tmp_path):
    """With 3 steps per call and 7 batches per epoch, calls end at steps
    3, 6, 7 | 10, 13, 14 (Keras reports batch 8 for the epoch's short last
    call): points go where a multiple of 3 is crossed, epochs end at 7
    and 14."""
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(7 * 16, 2)).astype("float32")
    gan = keras_gans.GAN(mlp(4, 2, 8), mlp(2, 1, 8), latent_dim=4)
    gan.compile(g_optimizer="adam", d_optimizer="adam",
                steps_per_execution=3)
    gan.fit(x, batch_size=16, epochs=2, verbose=0, shuffle=False,
            callbacks=[TensorBoard(tmp_path, every=3, images_every=0)])
    assert gan.steps == 14
    events = read(tmp_path)
    assert sorted(scalars(events, "loss/d")) == [3, 6, 10, 13]
    assert sorted(scalars(events, "epoch/loss/d")) == [7, 14]


def test_a_point_is_the_mean_of_the_steps_since_the_previous_one(toy):
    for tag, key in HISTORY_KEYS.items():
        per_step = scalars(toy.every1, tag)
        # Each epoch's log is the mean of its 8 per-step points ...
        for epoch, first in ((0, 1), (1, 9)):
            mean = np.mean([per_step[s] for s in range(first, first + 8)])
            np.testing.assert_allclose(mean, toy.history[key][epoch],
                                       rtol=1e-4, atol=1e-5)
        # ... and every=3 points average three steps, across epoch ends
        # (step 9 averages steps 7 and 8 of epoch 1 with step 1 of epoch 2).
        for step, value in scalars(toy.every3, tag).items():
            window = [per_step[s] for s in range(step - 2, step + 1)]
            np.testing.assert_allclose(value, np.mean(window), rtol=1e-4,
                                       atol=1e-5)


def test_learning_rates_are_the_schedules_at_each_optimizers_step(toy):
    def decayed(schedule, iterations):
        return schedule["initial_learning_rate"] * schedule["decay_rate"] ** (
            iterations / schedule["decay_steps"])

    for step, value in scalars(toy.every1, "lr/g").items():
        np.testing.assert_allclose(value, decayed(G_SCHEDULE, step),
                                   rtol=1e-5)
    # Two discriminator updates per generator step (d_steps=2).
    for step, value in scalars(toy.every1, "lr/d").items():
        np.testing.assert_allclose(value, decayed(D_SCHEDULE, 2 * step),
                                   rtol=1e-5)


def test_epoch_scalars_hold_the_epoch_logs_and_other_metrics(toy):
    for tag, key in HISTORY_KEYS.items():
        values = scalars(toy.every3, f"epoch/{tag}")
        assert sorted(values) == [8, 16]  # the steps the epochs end at
        np.testing.assert_allclose([values[8], values[16]], toy.history[key],
                                   rtol=1e-6)
    for writer in (toy.every1, toy.every3):
        assert scalars(writer, "epoch/fid") == {8: 0.5, 16: 1.5}
        assert scalars(writer, "epoch/kid") == {8: 0.5, 16: 1.5}
    assert sorted(scalars(toy.every3, "epoch/perf/steps_per_sec")) == [8, 16]


def test_scatter_plots_of_raw_and_ema_samples_every_n_steps(toy):
    assert set(toy.every3.Tags()["images"]) == {"samples/raw", "samples/ema"}
    assert toy.every1.Tags()["images"] == []  # images_every=0
    last = {}
    for tag, use_ema in (("samples/raw", False), ("samples/ema", True)):
        events = toy.every3.Images(tag)
        # Every 5 steps, and once more at the end of training (step 16).
        assert [e.step for e in events] == [5, 10, 15, 16]
        for event in events:
            pixels = decode(event)
            assert pixels.shape == (event.height, event.width, 3)
            assert (event.width, event.height) == (images.SCATTER_SIZE,) * 2
        # The last frame is the fixed latent batch drawn by the final G.
        expected = images.picture(
            toy.gan.generate(16, seed=7, use_ema=use_ema),
            **toy.picture_kwargs)
        last[tag] = decode(events[-1])
        np.testing.assert_array_equal(last[tag], np.asarray(expected))
    assert not np.array_equal(last["samples/raw"], last["samples/ema"])


def test_recipe_is_written_as_text_and_hparams(toy):
    from tensorboard.plugins.hparams import api_pb2

    assert "recipe" in toy.every3.Tags()["tensors"]
    text = toy.every3.Tensors("recipe")[0].tensor_proto.string_val[0].decode()
    assert "    seed = 3\n" in text and '    name = "toy"' in text

    start = hparams_of(toy.every3, "session_start_info")
    values = {name: value.WhichOneof("kind") and getattr(
        value, value.WhichOneof("kind")) for name, value in
        start.hparams.items()}
    assert values == {
        "name": "toy", "train.seed": 3.0, "train.ema": 0.9,
        "train.jit": True, "train.g_optimizer.name": "adam",
        "output.callbacks": "[1, 2]",
    }
    experiment = hparams_of(toy.every3, "experiment")
    assert {info.name for info in experiment.hparam_infos} == set(values)
    metrics = {info.name.tag for info in experiment.metric_infos}
    assert {"epoch/loss/d", "epoch/fid", "epoch/kid"} <= metrics
    end = hparams_of(toy.every3, "session_end_info")
    assert end.status == api_pb2.STATUS_SUCCESS


def test_a_resumed_run_replaces_the_points_after_its_checkpoint(tmp_path):
    x = np.random.default_rng(1).normal(size=(128, 2)).astype("float32")
    gan = keras_gans.GAN(mlp(2, 2, 8), mlp(2, 1, 8), latent_dim=2)
    gan.compile(g_optimizer="adam", d_optimizer="adam")

    def fit(epochs):
        gan.fit(x, batch_size=16, epochs=epochs, verbose=0, callbacks=[
            TensorBoard(tmp_path, every=4, images_every=0)])
        return {tag: [(e.step, e.value) for e in read(tmp_path).Scalars(tag)]
                for tag in ("loss/g", "epoch/loss/g")}

    first = fit(epochs=2)  # steps 1..16
    assert [step for step, _ in first["loss/g"]] == [4, 8, 12, 16]
    # As if killed after step 16 and restored from a checkpoint at step 8:
    # the second run's points replace those after step 8.
    gan.g_optimizer.iterations.assign(8)
    second = fit(epochs=1)  # steps 9..16
    assert [step for step, _ in second["loss/g"]] == [4, 8, 12, 16]
    assert second["loss/g"][:2] == first["loss/g"][:2]
    assert second["loss/g"][2][1] != first["loss/g"][2][1]
    assert [step for step, _ in second["epoch/loss/g"]] == [8, 16]
    assert second["epoch/loss/g"][1] != first["epoch/loss/g"][1]


# ----------------------------------------------------------------------
# A tiny conditional image GAN: 8x8 gray images, 3 classes.


def conditional_image_gan(latent_dim=4, classes=3):
    z = keras.Input((latent_dim,))
    label = keras.Input((), dtype="int32")
    h = keras.layers.Concatenate()(
        [z, keras.layers.Embedding(classes, 4)(label)])
    h = keras.layers.Reshape((2, 2, 2))(keras.layers.Dense(8)(h))
    h = keras.layers.Conv2DTranspose(4, 3, strides=4, padding="same")(h)
    image = keras.layers.Conv2D(1, 3, padding="same", activation="tanh")(h)
    generator = keras.Model([z, label], image)

    x = keras.Input((8, 8, 1))
    d_label = keras.Input((), dtype="int32")
    h = keras.layers.Conv2D(4, 3, strides=4, padding="same")(x)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Concatenate()(
        [h, keras.layers.Embedding(classes, 4)(d_label)])
    discriminator = keras.Model([x, d_label], keras.layers.Dense(1)(h))
    gan = keras_gans.GAN(generator, discriminator, latent_dim=latent_dim)
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-3),
                d_optimizer=keras.optimizers.Adam(1e-3))
    return gan


def test_image_grid_of_a_conditional_gan_uses_fixed_labels(tmp_path):
    gan = conditional_image_gan()
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(64, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 3, size=64)
    labels = np.arange(6) % 3
    gan.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[
        TensorBoard(tmp_path, every=2, images_every=2, samples=6, seed=1,
                    labels=labels),
    ])
    accumulator = read(tmp_path)
    assert accumulator.Tags()["images"] == ["samples/raw"]  # no EMA
    assert sorted(scalars(accumulator, "loss/d")) == [2, 4]
    events = accumulator.Images("samples/raw")
    assert [e.step for e in events] == [2, 4]
    # 6 samples: 2 rows of 3 cells of 8 pixels, 2 pixels of padding.
    rows, columns = images.grid_shape(6)
    size = (columns * 10 + 2, rows * 10 + 2)
    for event in events:
        assert (event.width, event.height) == size
        with Image.open(io.BytesIO(event.encoded_image_string)) as image:
            assert image.size == size and image.mode == "L"
    final = decode(events[-1])
    same = images.image_grid(gan.generate(6, seed=1, labels=labels))
    other = images.image_grid(gan.generate(6, seed=1, labels=(labels + 1) % 3))
    np.testing.assert_array_equal(final, np.asarray(same.convert("RGB")))
    assert not np.array_equal(final, np.asarray(other.convert("RGB")))


def test_a_conditional_gan_without_labels_is_refused_before_training(
        tmp_path):
    gan = conditional_image_gan()
    x = np.zeros((16, 8, 8, 1), "float32")
    with pytest.raises(ValueError, match="conditional: pass `labels`"):
        gan.fit(x, np.zeros(16, "int64"), batch_size=16, verbose=0,
                callbacks=[TensorBoard(tmp_path)])
    assert gan.steps == 0


@pytest.mark.parametrize("arguments, message", [
    ({"every": -1}, "`every` must be a number of generator steps"),
    ({"images_every": 2.5}, "`images_every` must be a number"),
    ({"samples": 0}, "`samples` must be a positive int"),
    ({"samples": 4, "labels": [0, 1]}, "`labels` must be an int or 4 ints"),
])
def test_bad_arguments_are_refused(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=message):
        TensorBoard(tmp_path, **arguments)


# ----------------------------------------------------------------------
# keras-gans run


def test_recipe_log_intervals_are_validated():
    base = {"model": {"architecture": "mlp"}, "data": {"dataset": "ring"},
            "train": {"epochs": 1}}
    assert resolve(base)["output"]["log_every"] == 50
    assert resolve(base)["output"]["log_images_every"] == 500
    with pytest.raises(RecipeError) as error:
        resolve(dict(base, output={"log_every": -1,
                                   "log_images_every": "often"}))
    assert "output.log_every" in str(error.value)
    assert "output.log_images_every" in str(error.value)


def run_ring8(directory, **settings):
    """`keras-gans run recipes/ring8.toml`, cut down, with `--set`s."""
    settings = {"data.params.num_samples": 2048, "model.params.width": 16,
                **settings}
    overrides = [part for key, value in settings.items()
                 for part in ("--set", f"{key}={value}")]
    result = CliRunner().invoke(cli.main, [
        "run", os.path.join(REPO, "recipes", "ring8.toml"), *overrides,
        "--output", str(directory),
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_run_command_logs_to_tensorboard(tmp_path):
    directory = tmp_path / "run"
    result = run_ring8(directory, **{
        "output.samples": 100, "train.steps": 12, "output.log_every": 4,
        "output.log_images_every": 8})
    logs = directory / "logs"
    # Said before training starts, and again at the end.
    first_line = f"tensorboard --logdir {logs}"
    assert result.output.index(first_line) < result.output.index("Epoch 1")

    accumulator = read(logs)
    for tag in STEP_TAGS - {"perf/steps_per_sec"}:
        assert sorted(scalars(accumulator, tag)) == [4, 8, 12], tag
    assert sorted(scalars(accumulator, "epoch/loss/d")) == [8, 12]
    for tag in ("samples/raw", "samples/ema"):
        events = accumulator.Images(tag)
        assert [e.step for e in events] == [8, 12]
        assert events[-1].width == events[-1].height == images.SCATTER_SIZE

    saved = tomllib.loads((directory / "recipe.toml").read_text())
    text = accumulator.Tensors("recipe")[0].tensor_proto.string_val[0].decode()
    assert "    steps = 12\n" in text
    start = hparams_of(accumulator, "session_start_info")
    assert start.hparams["train.steps"].number_value == 12
    assert start.hparams["train.penalty.name"].string_value == "r1"
    assert start.hparams["data.batch_size"].number_value == (
        saved["data"]["batch_size"])


def test_conditional_run_logs_pictures_with_its_fixed_labels(tmp_path):
    directory = tmp_path / "run"
    run_ring8(directory, **{
        "model.conditional": "true", "train.steps": 8,
        "output.log_every": 4, "output.log_images_every": 4})
    accumulator = read(directory / "logs")
    assert [e.step for e in accumulator.Images("samples/ema")] == [4, 8]
    start = hparams_of(accumulator, "session_start_info")
    assert start.hparams["model.conditional"].bool_value is True


@pytest.mark.skipif(BACKEND == "tensorflow",
                    reason="TensorFlow is the selected backend here")
def test_writing_events_does_not_import_tensorflow(tmp_path):
    code = (
        "import sys, numpy as np, keras, keras_gans\n"
        "from keras_gans.training.callbacks import TensorBoard\n"
        "from toy_models import mlp\n"
        "gan = keras_gans.GAN(mlp(2, 2, 8), mlp(2, 1, 8), latent_dim=2)\n"
        "gan.compile(g_optimizer='adam', d_optimizer='adam', ema=0.9)\n"
        "gan.fit(np.zeros((8, 2), 'float32'), batch_size=4, verbose=0,\n"
        f"        callbacks=[TensorBoard({str(tmp_path)!r}, every=1,\n"
        "                               images_every=1, recipe={'a': 1})])\n"
        "print('tensorflow' in sys.modules)\n"
    )
    env = dict(os.environ, KERAS_BACKEND=BACKEND, PYTHONPATH=os.pathsep.join(
        [REPO, os.path.join(REPO, "tests"), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"
    accumulator = read(tmp_path)
    assert sorted(scalars(accumulator, "loss/g")) == [1, 2]
    assert [e.step for e in accumulator.Images("samples/ema")] == [1, 2]


# ----------------------------------------------------------------------
# Latent walks


def walk_cells(strip, rows, columns, size=8, padding=2):
    """The `(rows, columns, size, size)` gray cells of a walk strip."""
    return np.stack([np.stack([
        strip[padding + r * (size + padding):][:size,
              padding + c * (size + padding):][:, :size, 0]
        for c in range(columns)]) for r in range(rows)])


def test_walk_frames_are_the_generators_samples_along_great_circles(
        tmp_path):
    from toy_models import image_mlp
    from toy_models import optimizers

    gan = keras_gans.GAN(*image_mlp(4, (8, 8, 1), width=8), latent_dim=4,
                         seed=0)
    # Eager on TensorFlow, where XLA would spend longer compiling this tiny
    # step than running it; jit on JAX, whose eager ops compile one by one.
    gan.compile(*optimizers(), ema=0.5,
                jit_compile="auto" if BACKEND == "jax" else False)
    x = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1))
    gan.fit(x.astype("float32"), batch_size=16, epochs=1, verbose=0,
            callbacks=[TensorBoard(tmp_path, every=0, images_every=0,
                                   seed=3, walk_every=2, walk_frames=5,
                                   walk_points=3, walks=2)])
    accumulator = read(tmp_path)
    assert accumulator.Tags()["images"] == ["samples/walk"]
    events = accumulator.Images("samples/walk")
    assert [event.step for event in events] == [2, 4]  # the end: no repeat
    # Two walks through 3 latents of the seed-3 draw; 5 frames put the
    # visited latents at frames 0, 2, 4 and the great-circle midpoints
    # (slerp at t = 1/2, written out here) at frames 1 and 3.
    anchors = latent.prior_noise(6, 4, seed=3).astype("float64")
    anchors = anchors.reshape(2, 3, 4)

    def midpoint(a, b):
        omega = np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
        return (a + b) * np.sin(omega / 2) / np.sin(omega)

    expected = [[a[0], midpoint(a[0], a[1]), a[1], midpoint(a[1], a[2]),
                 a[2]] for a in anchors]  # (walks, frames, latent_dim)
    z = np.asarray(expected, "float32").reshape(10, 4)
    samples = images.to_uint8(gan.generate(z=z)[..., 0]).reshape(2, 5, 8, 8)
    cells = walk_cells(decode(events[-1]), rows=2, columns=5)
    np.testing.assert_array_equal(cells, samples)
    # The step-2 walk came from other weights: the pictures moved.
    assert not np.array_equal(walk_cells(decode(events[0]), 2, 5), cells)


def conditional_dense_gan(latent_dim=4, classes=3):
    """`[z, label]` -> 8x8 gray images through Dense layers (cheap to
    compile on JAX, unlike `conditional_image_gan`'s convolutions)."""
    def joined(inputs):
        label = keras.Input((), dtype="int32")
        embedded = keras.layers.Embedding(classes, 4)(label)
        return label, keras.layers.Concatenate()([inputs, embedded])

    z = keras.Input((latent_dim,))
    label, h = joined(z)
    image = keras.layers.Reshape((8, 8, 1))(
        keras.layers.Dense(64, activation="tanh")(h))
    x = keras.Input((8, 8, 1))
    d_label, h = joined(keras.layers.Flatten()(x))
    gan = keras_gans.GAN(keras.Model([z, label], image),
                         keras.Model([x, d_label], keras.layers.Dense(1)(h)),
                         latent_dim=latent_dim)
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-3),
                d_optimizer=keras.optimizers.Adam(1e-3),
                jit_compile="auto" if BACKEND == "jax" else False)
    return gan


def test_walks_of_a_conditional_gan_keep_one_class_per_row(tmp_path):
    gan = conditional_dense_gan()
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(32, 8, 8, 1)).astype("float32")
    labels = np.array([2, 0, 1, 2])
    gan.fit(x, rng.integers(0, 3, size=32), batch_size=16, epochs=1,
            verbose=0, callbacks=[
                TensorBoard(tmp_path, every=0, images_every=0, samples=4,
                            labels=labels, walk_every=5, walk_frames=2,
                            walk_points=2, walks=3)])
    (event,) = read(tmp_path).Images("samples/walk")  # at the end only
    assert event.step == 2
    z = latent.prior_noise(6, 4, seed=0).reshape(3, 2, 4)
    cells = walk_cells(decode(event), rows=3, columns=2)
    for row, label in enumerate(labels[:3]):
        expected = gan.generate(z=z[row], labels=int(label))[..., 0]
        np.testing.assert_array_equal(cells[row], images.to_uint8(expected))


@pytest.mark.parametrize("arguments, message", [
    ({"walk_every": -1}, "`walk_every` must be a number of generator steps"),
    ({"walk_frames": 1}, "`walk_frames` must be an int >= 2"),
    ({"walk_points": True}, "`walk_points` must be an int >= 2"),
    ({"walks": 0}, "`walks` must be an int >= 1"),
])
def test_bad_walk_arguments_are_refused(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=message):
        TensorBoard(tmp_path, **arguments)


def test_recipe_walk_keys_are_validated():
    base = {"model": {"architecture": "mlp"}, "data": {"dataset": "ring"},
            "train": {"epochs": 1}}
    with pytest.raises(RecipeError) as error:
        resolve(dict(base, output={"log_walk_every": -2, "walk_frames": 1,
                                   "walks": 101}))
    assert str(error.value).splitlines()[1:] == [
        "  - output.log_walk_every: expected an integer >= 0, got -2",
        "  - output.walk_frames: expected an integer >= 2, got 1",
        "  - output.walks: expected an integer from 1 to 100 (a walk "
        "picture holds at most 100 x 100 frames), got 101",
    ]
