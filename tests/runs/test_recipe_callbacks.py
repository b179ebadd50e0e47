"""Callbacks in a recipe by import path (`runs.recipe_callbacks`): Keras'
CSVLogger writes its log into the run directory; a bad path or argument
is a recipe problem before any work."""

import csv
import json

import pytest
from click.testing import CliRunner

import keras_gans
import small_ring
from keras_gans import cli
from keras_gans.runs import recipe as recipe_module
from keras_gans.runs.recipe import RecipeError
from keras_gans.runs.recipe_callbacks import in_run_directory

# Two epochs of 8 steps.
SMALL = dict(small_ring.SMALL, **{"train.steps": 16})
CSV_LOGGER = "keras.callbacks.CSVLogger"


def with_callbacks(*callbacks):
    raw = recipe_module.read(small_ring.RING8)
    raw["train"]["callbacks"] = list(callbacks)
    return raw


def test_csv_logger_by_import_path_logs_each_epoch_in_the_run(tmp_path,
                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)  # a log.csv here would be the wrong place
    output = tmp_path / "run"
    result = keras_gans.train(
        with_callbacks({"name": CSV_LOGGER, "filename": "log.csv"}), SMALL,
        output=output)
    assert result.epochs == 2
    assert not (tmp_path / "log.csv").exists()
    with open(output / "log.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    final = json.loads((output / "metrics.json").read_text())["final_epoch"]
    assert set(final) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    # Keras' CSVLogger adds a val_ column per metric, "NA" without
    # validation data.
    names = sorted(final)
    assert list(rows[0]) == ["epoch", *names, *(f"val_{k}" for k in names)]
    assert {row[f"val_{k}"] for row in rows for k in names} == {"NA"}
    assert [row["epoch"] for row in rows] == ["0", "1"]
    for key, value in final.items():
        assert float(rows[-1][key]) == pytest.approx(value, rel=1e-6)
    assert float(rows[0]["g_loss"]) != float(rows[1]["g_loss"])
    written = recipe_module.read(output / "recipe.toml")
    assert written["train"]["callbacks"] == [
        {"name": CSV_LOGGER, "filename": "log.csv"}]


def test_bad_callback_paths_and_arguments_are_recipe_problems(tmp_path):
    output = tmp_path / "run"
    recipe = with_callbacks(
        {"name": CSV_LOGGER, "filenme": "log.csv"},
        {"name": "keras.callbacks.CSVLoger", "filename": "log.csv"},
        {"name": "os.path.join"},
        {"name": "keras_gans_nowhere.Logger"},
    )
    with pytest.raises(RecipeError) as error:
        keras_gans.train(recipe, SMALL, output=output)
    expected = "the import path of a keras.callbacks.Callback subclass"
    assert error.value.problems == [
        "train.callbacks[0].filenme: unknown parameter of callback "
        "'keras.callbacks.CSVLogger'; did you mean \"filename\"? Its "
        "parameters: filename, separator, append.",
        "train.callbacks[0].filename: required by callback "
        "'keras.callbacks.CSVLogger', but missing",
        'train.callbacks[1].name: cannot import "keras.callbacks.CSVLoger":'
        ' "keras.callbacks" has no attribute "CSVLoger" (did you mean '
        f'"CSVLogger"?); expected {expected} (module.Class) or a registered '
        "callback (keras-gans list callbacks)",
        'train.callbacks[2].name: "os.path.join" is a function, not a '
        f"keras.callbacks.Callback subclass; expected {expected} "
        "(module.Class) or a registered callback (keras-gans list "
        "callbacks)",
        'train.callbacks[3].name: cannot import "keras_gans_nowhere.Logger": '
        f'no module named "keras_gans_nowhere"; expected {expected} '
        "(module.Class) or a registered callback (keras-gans list "
        "callbacks)",
    ]
    assert not output.exists()

    path = tmp_path / "bad.toml"
    text = open(small_ring.RING8).read()
    path.write_text(text + '\n[[train.callbacks]]\nname = "keras.callbacks.'
                    'CSVLogger"\nappend = true\n')
    result = CliRunner().invoke(cli.main, [
        "run", str(path), "--output", str(output)], catch_exceptions=False)
    assert result.exit_code == 2
    assert (f"Invalid recipe {path} (1 problem):\n  - train.callbacks[0]."
            "filename: required by callback 'keras.callbacks.CSVLogger', "
            "but missing") in result.output
    assert not output.exists()


def test_relative_file_arguments_go_in_the_run_directory():
    assert in_run_directory(
        {"filename": "log.csv", "log_dir": "tb", "filepath": "/abs/c.keras",
         "separator": ";", "path": ""}, "runs/x") == {
        "filename": "runs/x/log.csv", "log_dir": "runs/x/tb",
        "filepath": "/abs/c.keras", "separator": ";", "path": ""}
