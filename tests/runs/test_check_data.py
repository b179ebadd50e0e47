"""`keras-gans check-data` and the checks and cleaning before every run,
on a folder and an npz file with planted problems: each is listed (the
indices and files planted), clean data gives nothing, a run refuses NaN
and out-of-range values before creating anything, and with `data.clean`
the run trains on exactly the images left, on every backend.
"""

import json
import os
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from keras_gans import cli
from keras_gans.cli.check_data import FOUND
from keras_gans.datasets import image_folder
from keras_gans.runs import recipe as recipe_module
from keras_gans.runs import train as train_module
from keras_gans.runs.directory import RunDirectory
from smooth_images import smooth_images

CLEAN = 12  # distinct images a00.png .. a11.png: indices 0..11
BATCH = 4
# What is planted after them, in sorted file order (the dataset's order).
PLANTED = {
    "b_copy_of_a00.png": ("duplicate", 0),
    "c_brighter_a03.png": ("near_duplicate", 3),
    "d_reencoded_a07.jpg": ("near_duplicate", 7),
    "e_blank.png": ("blank", None),
}
CORRUPT = "f_corrupt.png"


def plant_folder(folder, problems=True):
    folder.mkdir()
    x = smooth_images(CLEAN, size=32, channels=3, seed=3)
    pixels = np.rint((x + 1) * 127.5).astype(np.uint8)
    for i, image in enumerate(pixels):
        Image.fromarray(image).save(folder / f"a{i:02d}.png")
    if not problems:
        return folder
    shutil.copyfile(folder / "a00.png", folder / "b_copy_of_a00.png")
    brighter = np.clip(pixels[3].astype(int) + 12, 0, 255).astype(np.uint8)
    Image.fromarray(brighter).save(folder / "c_brighter_a03.png")
    Image.fromarray(pixels[7]).save(folder / "d_reencoded_a07.jpg",
                                    quality=90)
    Image.fromarray(np.full((32, 32, 3), 90, np.uint8)).save(
        folder / "e_blank.png")
    (folder / CORRUPT).write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    return folder


def write_recipe(tmp_path, dataset, params, clean=None):
    table = ", ".join(f"{k} = {json.dumps(v)}" for k, v in params.items())
    text = f"""
[model]
architecture = "mlp"  # tiny and quick on every backend; images in tanh
latent_dim = 4
params = {{ width = 8, depth = 1, output_activation = "tanh" }}

[data]
dataset = "{dataset}"
batch_size = {BATCH}
params = {{ {table} }}
"""
    if clean:
        text += "clean = { " + ", ".join(
            f"{key} = true" for key in clean) + " }\n"
    text += f"""
[train]
epochs = 1

[output]
dir = "{tmp_path / 'runs'}"
samples = 4
sample_every = 0
log_images_every = 0
"""
    path = tmp_path / f"{dataset}.toml"
    path.write_text(text)
    return path


def folder_params(folder):
    return {"path": str(folder), "image_size": 32, "on_bad_image": "skip"}


def check_data(*args):
    return CliRunner().invoke(cli.main, ["check-data", *map(str, args)])


def test_check_data_lists_each_planted_problem_in_a_folder(tmp_path):
    folder = plant_folder(tmp_path / "images")
    recipe = write_recipe(tmp_path, "image_folder", {
        "path": str(folder), "image_size": 32})  # errors, unless checked
    result = check_data(recipe, "--json")
    assert result.exit_code == FOUND, result.output
    report = json.loads(result.output)
    names = sorted(os.listdir(folder))
    names.remove(CORRUPT)
    index = {name: i for i, name in enumerate(names)}
    assert report["names"] == names and report["count"] == CLEAN + 4
    assert report["duplicates"] == [[0, index["b_copy_of_a00.png"]]]
    assert [(p["first"], p["second"]) for p in report["near_duplicates"]] \
        == [(3, index["c_brighter_a03.png"]),
            (7, index["d_reencoded_a07.jpg"])]
    assert report["blank"] == [index["e_blank.png"]]
    assert [u["file"] for u in report["unreadable"]] == [
        str(folder / CORRUPT)]
    assert report["nonfinite"] == report["out_of_range"] == []
    assert report["expected_range"] == [-1.0, 1.0]
    assert "tanh" in report["range_source"]
    assert report["refused"] == []

    text = check_data(recipe).output
    assert "c_brighter_a03.png" in text and CORRUPT in text


def test_check_data_finds_nothing_in_clean_images(tmp_path):
    folder = plant_folder(tmp_path / "images", problems=False)
    recipe = write_recipe(tmp_path, "image_folder", folder_params(folder))
    result = check_data(recipe)
    assert result.exit_code == 0, result.output
    assert "Nothing found." in result.output


def test_the_range_comes_from_the_generator_output_activation(tmp_path):
    """A sigmoid generator cannot make [-1, 1] images: every image is out
    of its range; a linear one bounds nothing."""
    folder = plant_folder(tmp_path / "images", problems=False)
    recipe = write_recipe(tmp_path, "image_folder", folder_params(folder))
    result = check_data(recipe, "--json", "--set",
                        'model.params.output_activation="sigmoid"')
    assert result.exit_code == FOUND
    report = json.loads(result.output)
    assert report["expected_range"] == [0.0, 1.0]
    assert report["out_of_range"] == list(range(CLEAN))
    assert "sigmoid" in report["range_source"] and report["refused"]
    result = check_data(recipe, "--json", "--set",
                        'model.params.output_activation="linear"')
    report = json.loads(result.output)
    assert result.exit_code == 0, report
    assert report["expected_range"] is None
    assert "linear activation" in report["range_source"]


def plant_npz(path):
    x = smooth_images(10, size=28, channels=1, seed=5)
    x[2, 0, 0, 0] = 1.5
    x[4, 3, 3, 0] = np.nan
    x[6, 1, 2, 0] = -np.inf
    x[8, 7, 7, 0] = -1.2
    np.savez(path, x=x)
    return path


def test_npz_values_are_listed_and_refuse_the_run(tmp_path):
    """Each NaN, infinite and out-of-range image by index; `run` refuses
    them (exit 2) before creating a run directory."""
    data = plant_npz(tmp_path / "bad.npz")
    recipe = write_recipe(tmp_path, "npz", {"path": str(data)})
    result = check_data(recipe, "--json")
    assert result.exit_code == FOUND
    report = json.loads(result.output)
    assert report["nonfinite"] == [4, 6]
    assert report["out_of_range"] == [2, 8]
    assert len(report["refused"]) == 2

    result = CliRunner().invoke(cli.main, ["run", str(recipe)])
    assert result.exit_code == 2
    assert "4, 6" in result.output and "2, 8" in result.output
    assert "data.clean.drop_nonfinite" in result.output
    assert not (tmp_path / "runs").exists() or not os.listdir(
        tmp_path / "runs")


def test_a_bad_recipe_exits_2(tmp_path):
    recipe = tmp_path / "bad.toml"
    recipe.write_text('[model]\narchitecture = "dcgan"\n[data]\n'
                      'dataset = "digits"\nclean = { drop_dupes = true }\n'
                      "[train]\nepochs = 1\n")
    result = check_data(recipe)
    assert result.exit_code == 2
    assert 'did you mean "drop_duplicates"' in result.output


def test_cleaning_trains_on_what_is_left_and_lists_what_it_removed(
        tmp_path):
    """The run trains on the 12 clean images, exactly (compared with the
    folder holding only them), one epoch of 3 batches, and its
    removed_samples.json names each planted image and its original."""
    folder = plant_folder(tmp_path / "images")
    recipe_path = write_recipe(
        tmp_path, "image_folder", folder_params(folder),
        clean=("drop_duplicates", "drop_near_duplicates", "drop_blank"))
    recipe = recipe_module.load(recipe_path)
    output = tmp_path / "run"
    prepared = train_module.prepare(recipe, output=output)
    reference = plant_folder(tmp_path / "clean", problems=False)
    expected, _ = image_folder(reference, 32)
    np.testing.assert_array_equal(np.asarray(prepared.data.x), expected)
    result = train_module.run(prepared, echo=lambda line: None, verbose=0)
    assert result.metrics["steps"] == CLEAN // BATCH

    run_dir = RunDirectory(output)
    with open(run_dir.removed_samples_path) as file:
        removed = json.load(file)
    assert {row["file"]: (row["reason"], row.get("duplicate_of"))
            for row in removed} == PLANTED
    with open(run_dir.data_checks_path) as file:
        checked = json.load(file)
    assert checked["count"] == CLEAN + len(PLANTED)
    with open(run_dir.skipped_files_path) as file:
        assert CORRUPT in file.read()


@pytest.mark.skipif(os.environ.get("KERAS_BACKEND", "") not in ("", "torch"),
                    reason="a resume's data path is backend-free; one "
                           "backend is enough")
def test_a_resumed_run_sees_the_same_cleaned_data(tmp_path):
    folder = plant_folder(tmp_path / "images")
    recipe_path = write_recipe(
        tmp_path, "image_folder", folder_params(folder),
        clean=("drop_duplicates", "drop_near_duplicates", "drop_blank"))
    output = tmp_path / "run"
    first = train_module.prepare(recipe_module.load(recipe_path),
                                 output=output)
    x = np.asarray(first.data.x)
    train_module.run(first, echo=lambda line: None, verbose=0)
    again = train_module.prepare(
        recipe_module.load(recipe_path, ["train.epochs=2"]), output=output,
        resume=True)
    try:
        assert again.checkpoint is not None
        np.testing.assert_array_equal(np.asarray(again.data.x), x)
    finally:
        again.claim.release()


def test_cleaning_removes_nan_and_out_of_range_images_of_an_npz(tmp_path):
    data = plant_npz(tmp_path / "bad.npz")
    recipe_path = write_recipe(tmp_path, "npz", {"path": str(data)},
                               clean=("drop_nonfinite", "drop_out_of_range"))
    recipe = recipe_module.load(recipe_path, ["data.drop_remainder=false"])
    prepared = train_module.prepare(recipe, output=tmp_path / "run")
    try:
        with np.load(data) as arrays:
            expected = arrays["x"][[0, 1, 3, 5, 7, 9]]
        np.testing.assert_array_equal(prepared.data.x, expected)
        assert [(row["index"], row["reason"])
                for row in prepared.data.removed] == [
            (2, "out_of_range"), (4, "nonfinite"), (6, "nonfinite"),
            (8, "out_of_range")]
    finally:
        prepared.claim.abandon()


def test_a_run_with_nothing_left_after_cleaning_is_refused(tmp_path):
    np.savez(tmp_path / "blank.npz", x=np.full((6, 28, 28, 1), -0.5,
                                               np.float32))
    recipe = write_recipe(tmp_path, "npz",
                          {"path": str(tmp_path / "blank.npz")},
                          clean=("drop_blank",))
    result = check_data(recipe, "--json")
    assert result.exit_code == FOUND
    report = json.loads(result.output)
    assert report["blank"] == list(range(6))
    assert report["duplicates"] == [list(range(6))]
    assert [r["reason"] for r in report["removed"]] == ["blank"] * 6
    assert report["refused"] == [
        "data: no sample of dataset 'npz' is left after cleaning (6 removed "
        "by data.clean)"]
    result = CliRunner().invoke(cli.main, ["run", str(recipe)])
    assert result.exit_code == 2 and "no sample" in result.output
