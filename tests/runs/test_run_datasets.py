"""Every built-in dataset trains through `keras-gans run`, with and without
labels (conditional where the dataset has labels), at tiny sizes.

MNIST, Fashion-MNIST and CIFAR-10 cannot be downloaded here: small files are
planted in a temporary Keras cache (`KERAS_HOME`) in the exact format their
loaders read (as tests/datasets/test_datasets.py does).
"""

import json
import os
import pickle

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from keras_gans import cli
from keras_gans.runs import train as run_module
from keras_gans.runs.recipe import tomllib
from idx_files import write_idx

from paths import REPO
RECIPES = os.path.join(REPO, "recipes")
STEPS = 2
SAMPLES = 8  # per planted dataset: two batches of 4
CLASSES = 3

# A few seconds per run: two steps of batch 4, tiny networks, no pictures.
COMMON = [
    "--set", "data.batch_size=4",
    "--set", "output.samples=4",
    "--set", "output.sample_every=0",
    "--set", "output.log_images_every=0",
    "--set", "output.checkpoint_every=1",
]
TOY = ["--set", "model.params={width = 8, depth = 1}",
       "--set", "model.latent_dim=4", "--set", f"train.steps={STEPS}"]
IMAGES = ["--set", "model.params={width = 4}", "--set", "model.latent_dim=4",
          "--set", "train.epochs=1"]  # SAMPLES / 4: two steps


def _labels():
    return np.arange(SAMPLES) % CLASSES


def _images(shape):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (SAMPLES,) + shape, dtype=np.uint8)


def plant_mnist(home, tmp_path):
    folder = home / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "mnist.npz", x_train=_images((28, 28)),
             y_train=_labels().astype(np.uint8),
             x_test=_images((28, 28))[:2], y_test=np.zeros(2, np.uint8))
    return {}


def plant_fashion_mnist(home, tmp_path):
    folder = home / "datasets" / "fashion-mnist"
    write_idx(folder / "train-images-idx3-ubyte.gz", _images((28, 28)), 2051)
    write_idx(folder / "train-labels-idx1-ubyte.gz", _labels(), 2049)
    return {}


def plant_cifar10(home, tmp_path):
    folder = (home / "datasets" / "cifar-10-batches-py-target"
              / "cifar-10-batches-py")
    folder.mkdir(parents=True)
    images = _images((3, 32, 32)).reshape(SAMPLES, 3072)
    parts = np.array_split(np.arange(SAMPLES), 5)
    names = [f"data_batch_{i}" for i in range(1, 6)]
    for name, rows in zip(names + ["test_batch"], parts + [parts[0]]):
        batch = {b"data": images[rows], b"labels": _labels()[rows].tolist(),
                 b"batch_label": name.encode()}
        with open(folder / name, "wb") as file:
            pickle.dump(batch, file)
    return {}


def plant_image_folder(home, tmp_path, labelled):
    root = tmp_path / "pictures"
    for index, pixels in enumerate(_images((20, 24, 3))):
        folder = root / f"class_{index % CLASSES}" if labelled else root
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(folder / f"{index}.png")
    params = {"path": str(root), "image_size": 28, "channels": 1}
    if labelled:
        params["labels"] = "subfolders"
    return params


def plant_npz(home, tmp_path, labelled):
    path = tmp_path / "images.npz"
    np.savez(path, x=_images((28, 28, 1)), y=_labels())
    params = {"path": str(path)}
    if labelled:
        params["labels_key"] = "y"
    return params


# (id, dataset, planting function or None, data.params, labelled)
DATASETS = [
    # Enough samples that every mode has one: the number of classes is
    # inferred from the labels.
    ("ring", "ring", None, {"num_samples": 256}, True),
    ("grid", "grid", None, {"num_samples": 256}, True),
    ("digits", "digits", None, {"image_size": 28, "split": "test",
                                "test_fraction": 0.0045}, True),
    ("mnist", "mnist", plant_mnist, {}, True),
    ("fashion_mnist", "fashion_mnist", plant_fashion_mnist, {}, True),
    ("cifar10", "cifar10", plant_cifar10, {"image_size": 28}, True),
    ("image_folder", "image_folder",
     lambda home, tmp: plant_image_folder(home, tmp, False), {}, False),
    ("image_folder_subfolders", "image_folder",
     lambda home, tmp: plant_image_folder(home, tmp, True), {}, True),
    ("npz", "npz", lambda home, tmp: plant_npz(home, tmp, False), {}, False),
    ("npz_labels", "npz", lambda home, tmp: plant_npz(home, tmp, True), {},
     True),
]
# Trained on every backend: the MLP and the DCGAN, plain and conditional,
# from arrays and from files. The other datasets' loaders compute in NumPy
# and hand the same arrays to the same training step, so they run through
# `keras-gans run` once, in the backend-independent suite (each run here
# costs 4-8 s; this saved ~70 s of the TensorFlow and JAX suites).
ON_EVERY_BACKEND = {"ring", "digits", "image_folder"}
CASES = [
    pytest.param(dataset, plant, params, conditional,
                 id=f"{name}-{'conditional' if conditional else 'plain'}",
                 marks=() if name in ON_EVERY_BACKEND
                 else pytest.mark.backend_independent)
    for name, dataset, plant, params, labelled in DATASETS
    for conditional in ((False, True) if labelled else (False,))
]


def _toml_table(params):
    """An inline TOML table for `--set data.params=...`."""
    return "{" + ", ".join(f"{key} = {json.dumps(value)}"
                           for key, value in params.items()) + "}"


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras cache; a download attempt fails the test."""
    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))

    def no_download(*args, **kwargs):
        raise AssertionError(f"unexpected download: {kwargs.get('origin')}")

    monkeypatch.setattr(keras.utils, "get_file", no_download)
    return home


@pytest.mark.parametrize("dataset,plant,params,conditional", CASES)
def test_every_builtin_dataset_trains_through_keras_gans_run(
    dataset, plant, params, conditional, keras_home, tmp_path
):
    params = dict(params, **(plant(keras_home, tmp_path) if plant else {}))
    toy = dataset in ("ring", "grid")
    if toy:
        recipe, sizes, architecture = "ring8.toml", TOY, "mlp"
    else:
        recipe, sizes = "dcgan.toml", IMAGES
        architecture = "cdcgan" if conditional else "dcgan"
    directory = tmp_path / "run"
    result = CliRunner().invoke(cli.main, [
        "run", os.path.join(RECIPES, recipe), *COMMON, *sizes,
        "--set", f"model.architecture={architecture}",
        "--set", f"model.conditional={str(conditional).lower()}",
        "--set", f"data.dataset={dataset}",
        "--set", f"data.params={_toml_table(params)}",
        "--output", str(directory),
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output

    metrics = json.loads((directory / "metrics.json").read_text())
    assert metrics["steps"] == STEPS
    assert all(np.isfinite(v) for v in metrics["final_epoch"].values())
    gan = run_module.load_model(directory / "gan.keras")
    assert gan.steps == STEPS and gan.conditional == conditional
    channels = 3 if dataset == "cifar10" else 1
    assert tuple(gan.sample_shape) == ((2,) if toy else (28, 28, channels))
    resolved = tomllib.loads((directory / "recipe.toml").read_text())
    if conditional:
        classes = {"ring": 8, "grid": 25, "digits": 10}.get(dataset, CLASSES)
        assert resolved["model"]["num_classes"] == classes


@pytest.mark.parametrize("dataset", ["ring", "grid"])
def test_toy_data_without_a_seed_is_drawn_from_the_train_seed(dataset):
    from keras_gans import plugins
    from keras_gans.runs import recipe as recipe_module

    def load(train_seed):
        recipe = recipe_module.load(
            os.path.join(RECIPES, "ring8.toml"),
            [f"data.dataset={dataset}", "data.params={num_samples = 64}",
             f"train.seed={train_seed}", "data.batch_size=8"])
        data = run_module.load_data(recipe, plugins.catalogue())
        return recipe, data.x

    recipe, first = load(3)
    _, again = load(3)
    _, other = load(4)
    np.testing.assert_array_equal(first, again)  # same recipe, same data
    assert not np.array_equal(first, other)
    # The resolved recipe (recipe.toml) records the seed used.
    assert recipe.data.params["seed"] == 3
    assert tomllib.loads(recipe.to_toml())["data"]["params"]["seed"] == 3
