"""`keras-gans run --data DIR`: training on a folder of images without a
recipe file (`keras_gans.runs.folder_recipe`)."""

import os

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from keras_gans import cli
from keras_gans.datasets import image_folder
from keras_gans.runs import recipe as recipe_module
from keras_gans.runs import train as run_module
from keras_gans.runs.folder_recipe import FolderError
from keras_gans.runs.folder_recipe import folder_recipe

from paths import REPO

# Two steps of batch 4 on a width-4 DCGAN, without the default R1 penalty
# (whose second-order step takes long to compile under XLA and JAX).
TINY = ["--steps", "2", "--set", "model.params={width = 4}",
        "--set", "train.penalty=false",
        "--set", "model.latent_dim=4", "--set", "data.batch_size=4",
        "--set", "output.samples=4", "--set", "output.log_images_every=0",
        "--set", "output.log_walk_every=2", "--set", "output.walk_frames=2",
        "--set", "output.walks=1"]


def write_images(folder, sizes, mode="L", seed=0):
    """One PNG of random pixels per `(width, height)` in `sizes`."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index, (width, height) in enumerate(sizes):
        shape = (height, width) if mode == "L" else (height, width, 3)
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        Image.fromarray(pixels, mode).save(folder / f"{index:03d}.png")
    return folder


def run(*arguments):
    return CliRunner().invoke(cli.main, ["run", *map(str, arguments)],
                              catch_exceptions=False)


def weights(path):
    return run_module.load_model(path).get_weights()


def test_run_data_trains_and_its_recipe_toml_repeats_the_run(tmp_path):
    folder = write_images(tmp_path / "faces", [(28, 28)] * 8)
    first = tmp_path / "first"
    result = run("--data", folder, *TINY, "--output", first)
    assert result.exit_code == 0, result.output
    recipe_path = first / "recipe.toml"
    assert result.output.endswith(
        f"Repeat this run with:\n  keras-gans run {recipe_path}\n")
    gan = run_module.load_model(first / "gan.keras")
    assert gan.steps == 2 and tuple(gan.sample_shape) == (28, 28, 1)
    # The recipe written is the one built, key by key ...
    built = folder_recipe(folder, steps=2, overrides=TINY[2:][1::2])
    written = recipe_module.load(recipe_path)
    assert written.to_dict() == built.to_dict()
    assert written.data.params == {"path": str(folder), "image_size": 28,
                                   "channels": 1}
    assert written.model.architecture == "dcgan"
    # ... and it trains the same weights again. Checked on PyTorch only:
    # a second run costs 5-10 s of tracing and compiling on TensorFlow and
    # JAX, where tests/runs/test_api.py shows that one resolved recipe
    # trains the same weights through either entry point.
    if keras.backend.backend() == "torch":
        second = tmp_path / "second"
        again = run(recipe_path, "--output", second)
        assert again.exit_code == 0, again.output
        for ours, theirs in zip(weights(first / "generator.keras"),
                                weights(second / "generator.keras")):
            np.testing.assert_array_equal(ours, theirs)
    # The walk keys reach the run's TensorBoard callback.
    from tensorboard.backend.event_processing import event_accumulator

    events = event_accumulator.EventAccumulator(str(first / "logs"))
    events.Reload()
    assert [e.step for e in events.Images("samples/walk")] == [2]


def test_the_folder_decides_size_channels_batch_and_architecture(tmp_path):
    color = write_images(tmp_path / "color", [(32, 32)] * 3, mode="RGB")
    recipe = folder_recipe(color)
    assert recipe.model.architecture == "dcgan"
    assert recipe.data.params == {"path": str(color), "image_size": 32,
                                  "channels": 3}
    assert recipe.data.batch_size == 3  # all of a folder under 64 images
    assert recipe.train.steps == 5_000 and recipe.name == "color"
    mixed = write_images(tmp_path / "mixed", [(40, 30), (90, 90)] * 40)
    recipe = folder_recipe(mixed, image_size=64, steps=7,
                           architecture="sngan_resnet")
    assert recipe.data.params["image_size"] == 64
    assert recipe.data.params["channels"] == 1
    assert recipe.data.batch_size == 64
    assert recipe.model.architecture == "sngan_resnet"  # as asked
    # 80 images are one step of 64 a epoch: a grid every 500 epochs.
    assert recipe.output.sample_every == 500
    # The dataset trains at the size chosen: crops and resizes.
    x, _ = image_folder(mixed, 64, channels=1)
    assert x.shape == (80, 64, 64, 1)


def dataset_message(path):
    with pytest.raises(ValueError) as error:
        image_folder(path, 28)
    return str(error.value)


def test_bad_folders_are_refused_with_the_image_datasets_messages(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("not an image")
    (tmp_path / "file.png").write_bytes(b"")
    broken = write_images(tmp_path / "broken", [(28, 28)])
    (broken / "001.png").write_bytes(b"not a png")
    for path in (tmp_path / "missing", tmp_path / "file.png",
                 tmp_path / "notes", broken):
        result = run("--data", path, "--output", tmp_path / "out")
        assert result.exit_code == 2, result.output
        assert result.output.endswith(
            f"Error: Invalid value for '--data': {dataset_message(path)}\n")
    assert not (tmp_path / "out").exists()  # refused before any work


@pytest.mark.parametrize("sizes, options, message", [
    ([(28, 28), (40, 30), (40, 30)], [],
     "The images in '{path}' have 2 different sizes: 40x30 (2 images, e.g. "
     "'001.png'), 28x28 (1 image, e.g. '000.png'). Pass --image-size N "
     "(e.g. --image-size 28): every image is then center-cropped to a "
     "square and resized."),
    ([(64, 48)], [],
     "The images in '{path}' are 64x48, not square. Pass --image-size N "
     "(e.g. --image-size 32): every image is then center-cropped to a "
     "square and resized."),
    ([(100, 100)], [],
     "No default architecture makes 100x100 images, the size to train on "
     "the images of '{path}': dcgan makes squares of 28, 32 or 64 pixels. "
     "Pass --image-size 64 (the images are center-cropped "
     "and resized), or --architecture NAME, a registered architecture that "
     "makes this size."),
])
def test_sizes_the_defaults_cannot_train_say_which_flag_to_pass(
        tmp_path, sizes, options, message):
    folder = write_images(tmp_path / "images", sizes)
    result = run("--data", folder, *options)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert text.endswith(message.format(path=folder))


def test_bad_values_get_the_messages_a_recipe_file_gets(tmp_path):
    folder = write_images(tmp_path / "images", [(28, 28)] * 4)
    result = run("--data", folder, "--steps", "0", "--set", "train.ema=2",
                 "--set", "data.batch_sise=8")
    assert result.exit_code == 2, result.output
    raw = recipe_module.read(os.path.join(REPO, "recipes", "dcgan.toml"))
    raw["train"].update(steps=0, ema=2)
    raw["train"].pop("epochs")
    raw["data"]["batch_sise"] = 8
    with pytest.raises(recipe_module.RecipeError) as error:
        recipe_module.resolve(raw)
    assert error.value.problems == [
        line[4:] for line in result.output.splitlines()[1:]]
    assert result.output.startswith(
        f"Invalid recipe image folder {folder} (3 problems):\n")


@pytest.mark.parametrize("arguments, message", [
    (["recipes/dcgan.toml", "--data", "x"],
     "Pass either RECIPE.toml or --data, not both"),
    (["recipes/dcgan.toml", "--image-size", "64"],
     "--image-size only go with --data DIR"),
    ([], "Pass a RECIPE.toml, or --data DIR"),
    (["--data", "x", "--resume", "--output", "y"],
     "--resume continues a run from its own recipe"),
])
def test_options_that_do_not_go_together_are_usage_errors(
        arguments, message, monkeypatch):
    monkeypatch.chdir(REPO)
    result = run(*arguments)
    assert result.exit_code == 2 and message in result.output, result.output


def test_a_folder_error_is_a_value_error_for_python_callers(tmp_path):
    with pytest.raises(FolderError, match="not square") as error:
        folder_recipe(write_images(tmp_path / "wide", [(64, 48)]))
    assert isinstance(error.value, ValueError)
    assert "image_size=32" in str(error.value)  # the library's words
