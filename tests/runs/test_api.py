"""The Python API (`keras_gans.train`, `evaluate`, `sample`) against the
command line on the same recipe, in the same process and backend.

The ring recipe is cut down to 16 or 24 steps of an MLP of width 16, so
each run takes seconds. The same program on the same backend gives the
same numbers, so weights are compared exactly.
"""

import json
import os

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import keras_gans
from keras_gans import cli
from keras_gans.runs.errors import RunError
from keras_gans.runs.recipe import RecipeError
from keras_gans.runs.sample import SampleError

from paths import REPO
RING8 = os.path.join(REPO, "recipes", "ring8.toml")
SMALL = {
    "data.params.num_samples": 512,
    "data.batch_size": 64,
    "model.params.width": 16,
    "model.latent_dim": 4,
    "output.samples": 64,
    "output.sample_every": 0,
    "output.checkpoint_every": 0,
    "output.checkpoint_every_steps": 8,
    "output.log_every": 0,
    "output.log_images_every": 0,
    "train.steps": 16,
}


def strings(settings):
    return [f"{key}={value}" for key, value in settings.items()]


def cli_run(directory, settings, *extra):
    args = ["run", RING8]
    for override in strings(settings):
        args += ["--set", override]
    result = CliRunner().invoke(
        cli.main, [*args, "--output", str(directory), *extra],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def weights(path):
    gan = keras.models.load_model(path)
    return gan.steps, [keras.ops.convert_to_numpy(v) for v in gan.weights]


def assert_same(a, b):
    assert a[0] == b[0]
    assert len(a[1]) == len(b[1])
    for x, y in zip(a[1], b[1]):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def api_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("api") / "run"
    result = keras_gans.train(RING8, strings(SMALL), output=directory)
    return directory, result


def test_train_gives_the_cli_s_weights_and_files(api_run, tmp_path):
    directory, result = api_run
    cli_run(tmp_path / "cli", SMALL)

    assert result.steps == 16
    assert result.directory.path == str(directory)
    assert result.gan.steps == 16
    assert_same(weights(directory / "gan.keras"),
                weights(tmp_path / "cli" / "gan.keras"))
    ours = json.loads((directory / "metrics.json").read_text())
    theirs = json.loads((tmp_path / "cli" / "metrics.json").read_text())
    assert set(ours) == set(theirs)
    assert ours["steps"] == theirs["steps"] == 16
    assert result.metrics["mode_coverage"] == ours["mode_coverage"]
    assert result.final_logs == ours["final_epoch"]
    assert result.resumed_from_step is None
    assert (directory / "recipe.toml").read_text() == (
        tmp_path / "cli" / "recipe.toml").read_text()


def test_a_dict_recipe_python_values_and_a_recipe_object_train_the_same(
        api_run, tmp_path):
    from keras_gans.runs import recipe as recipe_module

    directory, _ = api_run
    # Python values for the overrides, a recipe dict for the recipe.
    raw = recipe_module.read(RING8)
    from_dict = keras_gans.train(raw, dict(SMALL), output=tmp_path / "dict")
    assert_same(weights(tmp_path / "dict" / "gan.keras"),
                weights(directory / "gan.keras"))
    assert from_dict.steps == 16
    recipe = recipe_module.load(RING8, strings(SMALL))
    keras_gans.train(recipe, output=tmp_path / "object")
    assert_same(weights(tmp_path / "object" / "gan.keras"),
                weights(directory / "gan.keras"))


def test_train_resumes_to_the_weights_of_one_longer_run(tmp_path):
    longer = dict(SMALL, **{"train.steps": 24})
    keras_gans.train(RING8, longer, output=tmp_path / "whole")
    first = keras_gans.train(RING8, SMALL, output=tmp_path / "parts")
    assert first.steps == 16
    resumed = keras_gans.train(RING8, longer, output=tmp_path / "parts",
                               resume=True)

    assert resumed.resumed_from_step == 16
    assert resumed.steps == 24
    assert_same(weights(tmp_path / "parts" / "gan.keras"),
                weights(tmp_path / "whole" / "gan.keras"))
    # The CLI resumes the API's run the same way.
    cli_run(tmp_path / "parts", dict(longer, **{"train.steps": 32}),
            "--resume")
    assert weights(tmp_path / "parts" / "gan.keras")[0] == 32


def test_sample_equals_generate_and_the_cli_s_picture(api_run, tmp_path):
    directory, result = api_run
    drawn = keras_gans.sample(directory, 6, seed=1,
                              output=tmp_path / "api.png")
    gan = keras.models.load_model(directory / "gan.keras")
    np.testing.assert_array_equal(drawn.samples, gan.generate(6, seed=1))
    assert drawn.model_path == str(directory / "gan.keras")
    assert drawn.labels is None
    out = CliRunner().invoke(cli.main, [
        "sample", str(directory), "-n", "6", "--seed", "1", "-o",
        str(tmp_path / "cli.png")], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    ours = np.asarray(Image.open(tmp_path / "api.png"))
    theirs = np.asarray(Image.open(tmp_path / "cli.png"))
    np.testing.assert_array_equal(ours, theirs)


def test_evaluate_gives_the_values_the_cli_writes(api_run, tmp_path):
    directory, _ = api_run
    before = (directory / "metrics.json").read_text()
    unwritten = keras_gans.evaluate(directory, metrics="fid,kid",
                                    features="pixels", num_samples=200,
                                    write=False, verbose=0)
    assert unwritten.path is None
    assert (directory / "metrics.json").read_text() == before
    assert set(unwritten.values) >= {"fid", "kid", "kid_std"}
    assert unwritten.protocol["num_samples"] == 200

    out = CliRunner().invoke(cli.main, [
        "evaluate", str(directory), "--metrics", "fid,kid", "--features",
        "pixels", "-n", "200", "-o", str(tmp_path / "cli.json")],
        catch_exceptions=False)
    assert out.exit_code == 0, out.output
    written = json.loads((tmp_path / "cli.json").read_text())["evaluation"]
    assert written["metrics"] == pytest.approx(unwritten.values, rel=0,
                                               abs=0)
    assert unwritten.as_dict()["protocol"] == written["protocol"]


def test_errors_are_exceptions_worded_for_the_library(api_run, tmp_path):
    directory, _ = api_run
    with pytest.raises(RunError) as error:
        keras_gans.train(RING8, strings(SMALL), resume=True)
    assert "--" not in str(error.value)
    with pytest.raises(RecipeError) as error:
        keras_gans.train(RING8, {"train.epochz": 3}, output=tmp_path / "r")
    assert "train.epochz" in str(error.value)
    assert not (tmp_path / "r").exists()
    with pytest.raises(SampleError) as error:
        keras_gans.sample(directory, 4, labels=[1])
    assert "--" not in str(error.value)
    assert "Received: labels=[1]" in str(error.value)
