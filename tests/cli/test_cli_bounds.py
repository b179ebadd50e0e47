"""`keras-gans sample` and `evaluate` with out-of-range numbers and output
paths that are not files: usage errors before any work, never a traceback
or a replaced device."""

import os
import stat

import keras
import pytest
from click.testing import CliRunner
from PIL import Image

from keras_gans import cli
from keras_gans.cli import backend as cli_backend
from keras_gans.runs import evaluate as evaluate_module
from keras_gans import memory
from nonblocking import in_thread

LATENT = 4
CLASSES = 3
DIGITS_RECIPE = """
[model]
architecture = "dcgan"
latent_dim = 4

[data]
dataset = "digits"

[data.params]
image_size = 8
"""


def invoke(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args],
                              catch_exceptions=False)


@pytest.fixture(scope="module")
def generators(tmp_path_factory):
    """A 2-D generator, and a conditional 8x8 one with 3 classes beside a
    digits recipe (the classes come from its label embedding)."""
    directory = tmp_path_factory.mktemp("generators")
    points = keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(2)])
    points.save(directory / "points.keras")
    z = keras.Input((LATENT,))
    labels = keras.Input((), dtype="int32")
    image = keras.layers.Add()([keras.layers.Dense(64)(z),
                                keras.layers.Embedding(CLASSES, 64)(labels)])
    image = keras.layers.Reshape((8, 8, 1))(
        keras.layers.Activation("tanh")(image))
    conditional = directory / "conditional"
    conditional.mkdir()
    keras.Model([z, labels], image).save(conditional / "generator.keras")
    (conditional / "recipe.toml").write_text(DIGITS_RECIPE)
    return {"points": directory / "points.keras",
            "conditional": conditional / "generator.keras"}


@pytest.mark.parametrize("args, message", [
    (["-n", 10**9], "1000000000 is not in the range 1<=x<=10000"),
    (["--seed", -1], "-1 is not in the range x>=0"),
    (["--columns", 10**9], "1000000000 is not in the range 1<=x<=10000"),
])
def test_sample_refuses_numbers_out_of_range(generators, tmp_path, args,
                                             message):
    out = tmp_path / "x.png"
    result = invoke("sample", generators["points"], "-o", out, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_more_columns_than_samples_draw_one_row(generators, tmp_path):
    paths = []
    for columns in (4, 10_000):
        paths.append(tmp_path / f"{columns}.png")
        result = invoke("sample", generators["conditional"], "-n", 4,
                        "--columns", columns, "-o", paths[-1])
        assert result.exit_code == 0, result.output
    with Image.open(paths[0]) as four, Image.open(paths[1]) as many:
        assert many.size == four.size == (4 * 10 + 2, 10 + 2)


@pytest.mark.parametrize("labels, message", [
    ("0,3", "class ids are 0 to 2; got 3"),
    ("99999999", "class ids are 0 to 2; got 99999999"),
    ("-1", "class ids are 0 to 2; got -1"),
])
def test_sample_refuses_labels_outside_the_classes(generators, tmp_path,
                                                   labels, message):
    out = tmp_path / "x.png"
    result = invoke("sample", generators["conditional"], "--labels", labels,
                    "-o", out)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_sample_does_not_replace_a_fifo_named_as_its_output(generators,
                                                            tmp_path):
    fifo = tmp_path / "grid.png"
    os.mkfifo(fifo)
    result = invoke("sample", generators["points"], "-o", fifo)
    assert result.exit_code == 2, result.output
    assert "is a FIFO (named pipe); writing the output would replace it" in (
        result.output)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_sample_that_cannot_be_written_is_a_clear_error(generators,
                                                          tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = invoke("sample", generators["points"], "-o",
                    blocker / "grid.png")
    assert result.exit_code == 1, result.output
    assert f"Could not write {blocker / 'grid.png'}:" in result.output


def test_evaluate_refuses_a_sample_count_that_cannot_fit(
        generators, monkeypatch):
    # Tiny sample and feature sizes, so the estimate is exact.
    budget = (50_000, "the test's limit")
    monkeypatch.setattr(memory, "available_memory", lambda: budget)
    directory = generators["conditional"].parent
    # Per 8x8 sample: float32 z (4) and the sample twice (64 each), the
    # 8-bit picture (64 bytes) and 64 float32 pixel features.
    per_sample = (LATENT + 2 * 64) * 4 + 64 + 64 * 4
    assert 200 * per_sample == 169_600  # 165.6 KiB
    result = CliRunner().invoke(cli.main, [
        "evaluate", str(directory), "--features", "pixels", "--metrics",
        "kid", "-n", "200"])
    assert result.exit_code == 2, result.output
    assert ("Evaluating 200 samples needs at least 165.6 KiB of memory, more "
            "than the 48.8 KiB available (the test's limit)") in result.output


def test_evaluate_refuses_a_fifo_as_output_before_any_work(generators,
                                                           tmp_path,
                                                           monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("evaluate started working")

    monkeypatch.setattr(evaluate_module, "resolve_metrics", never)
    fifo = tmp_path / "metrics.json"
    os.mkfifo(fifo)
    result = CliRunner().invoke(cli.main, [
        "evaluate", str(generators["conditional"].parent), "-o", str(fifo)])
    assert result.exit_code == 2, result.output
    assert "is a FIFO (named pipe)" in result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    result = CliRunner().invoke(cli.main, [
        "evaluate", str(generators["conditional"].parent), "--seed", "-3"])
    assert result.exit_code == 2
    assert "-3 is not in the range x>=0" in result.output



def test_a_recipe_toml_beside_a_model_that_is_not_a_recipe_is_ignored(
        generators, tmp_path):
    directory = tmp_path / "run"
    directory.mkdir()
    (directory / "generator.keras").write_bytes(
        generators["points"].read_bytes())
    (directory / "recipe.toml").write_text(
        "[model]\nparams = { a = " + "[" * 100_000 + " }\n")
    result = invoke("sample", directory, "-n", 4, "-o", tmp_path / "x.png")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "x.png") as image:
        assert image.size == (512, 512)  # a scatter plot of 2-D points


def test_a_keras_json_that_is_a_fifo_does_not_block(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    home.mkdir()
    os.mkfifo(home / "keras.json")
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert in_thread(cli_backend._keras_config_backend,
                     unblock=home / "keras.json") is None
