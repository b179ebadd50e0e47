"""`train.init_from` / `keras-gans run --init-from`: a new run starts from
saved weights (G, D, EMA), at step 0, checked against the recipe's model
before training; `--resume` restores the run's own checkpoint.

Runs are the ring recipe cut to an MLP of width 16 and a few steps.
"""

import os
import shutil

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import keras_gans
from keras_gans import cli
from keras_gans.runs import api
from keras_gans.runs import train as train_module
from keras_gans.runs.recipe import RecipeError
import small_ring

RING8 = small_ring.RING8
SMALL = small_ring.SMALL


def values(variables):
    return [keras.ops.convert_to_numpy(v.value) for v in variables]


def assert_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        np.testing.assert_array_equal(a, b)


def prepared(overrides, output):
    """The run `keras_gans.train` would start, before its first step."""
    recipe = api.load_recipe(RING8, overrides)
    ready = train_module.prepare(recipe, output=output)
    ready.claim.release()
    return ready


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A trained run (8 steps, EMA) to start from; its `gan.keras`."""
    directory = tmp_path_factory.mktemp("init") / "source"
    keras_gans.train(RING8, SMALL, output=directory)
    return directory


def test_a_fine_tuned_run_starts_at_step_0_with_the_source_s_weights(
        source, tmp_path):
    saved = keras.models.load_model(source / "gan.keras")
    assert saved.steps == 8
    ready = prepared(dict(SMALL, **{"train.init_from": str(source)}),
                     tmp_path / "tuned")
    gan = ready.gan
    assert gan.steps == 0
    assert_equal(values(gan.generator.weights),
                 values(saved.generator.weights))
    assert_equal(values(gan.discriminator.weights),
                 values(saved.discriminator.weights))
    assert_equal(values(gan.ema_weights), values(saved.ema_weights))
    # The EMA is not the raw generator: both were taken, each from its own.
    assert any(np.abs(a - b).max() > 1e-4 for a, b in zip(
        values(gan.ema_weights), values(gan.generator.trainable_variables)))
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == 0
    assert ready.notes[0] == (
        f"Starting from the generator, discriminator and EMA weights of "
        f"{source / 'gan.keras'} (step 8); the optimizers and the step "
        "count start fresh (step 0).")


def test_a_generator_only_source_keeps_a_fresh_discriminator(source,
                                                              tmp_path):
    generator = keras.models.load_model(source / "generator.keras")
    fresh = prepared(SMALL, tmp_path / "fresh").gan
    ready = prepared(dict(SMALL, **{"train.init_from": str(
        source / "generator.keras")}), tmp_path / "tuned")
    gan = ready.gan
    assert_equal(values(gan.generator.weights), values(generator.weights))
    assert_equal(values(gan.discriminator.weights),
                 values(fresh.discriminator.weights))
    # The EMA starts from the generator it averages.
    assert_equal(values(gan.ema_weights),
                 values(gan.generator.trainable_variables))
    assert (f"Note: {source / 'generator.keras'} holds a generator only: the "
            "discriminator starts from the recipe's fresh weights."
            ) in ready.notes


def test_a_shape_mismatch_is_named_before_training(source, tmp_path):
    output = tmp_path / "wider"
    wider = dict(SMALL, **{"model.params.width": 32,
                           "train.init_from": str(source)})
    with pytest.raises(RecipeError) as error:
        keras_gans.train(RING8, wider, output=output)
    problems = error.value.problems
    where = source / "gan.keras"
    # G: 4 -> 32 -> 32 -> 2 against 4 -> 16 -> 16 -> 2; every variable but
    # the last bias differs, in G, in its EMA and in D (2 -> ... -> 1).
    assert len(problems) == 15, problems
    assert problems[0].startswith(
        "train.init_from: generator variable 0 (")
    assert problems[0].endswith(
        f"/kernel): the recipe's model expects shape (4, 32), {where} has "
        "(4, 16)")
    assert any(p.startswith("train.init_from: discriminator variable 2 (")
               and p.endswith(f"/kernel): the recipe's model expects shape "
                              f"(32, 32), {where} has (16, 16)")
               for p in problems), problems
    assert not output.exists()

    result = CliRunner().invoke(cli.main, [
        "run", RING8, "--set", "model.params.width=32", "--set",
        "data.params.num_samples=512", "--init-from", str(source),
        "--output", str(output)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "Invalid recipe" in result.output
    assert "train.init_from: generator variable 0 (" in result.output
    assert not output.exists()


def test_a_source_that_is_no_model_is_refused_before_any_work(tmp_path):
    output = tmp_path / "run"
    result = CliRunner().invoke(cli.main, [
        "run", RING8, "--init-from", str(tmp_path / "nothing"),
        "--output", str(output)], catch_exceptions=False)
    assert result.exit_code == 2
    assert (f"train.init_from: {tmp_path / 'nothing'} does not exist: "
            "expected a run directory") in result.output
    assert not output.exists()


def test_resuming_a_fine_tuned_run_restores_its_own_checkpoint(source,
                                                               tmp_path):
    # A copy of the source, removed before the resume: a resume that
    # read init_from again would fail (or load the source's weights).
    start = tmp_path / "start.keras"
    shutil.copy(source / "gan.keras", start)
    tuned = dict(SMALL, **{"train.init_from": str(start)})
    whole = keras_gans.train(RING8, dict(tuned, **{"train.steps": 16}),
                             output=tmp_path / "whole")
    first = keras_gans.train(RING8, tuned, output=tmp_path / "parts")
    assert first.steps == 8  # counted from 0, not from the source's 8
    os.remove(start)
    result = CliRunner().invoke(cli.main, [
        "run", RING8, *sum((["--set", f"{k}={str(v).lower()}"]
                            for k, v in SMALL.items()
                            if k != "train.steps"), []),
        "--set", "train.steps=16", "--init-from", str(start),
        "--output", str(tmp_path / "parts"), "--resume"],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Resuming from" in result.output
    assert "Starting from" not in result.output
    resumed = keras.models.load_model(tmp_path / "parts" / "gan.keras")
    assert resumed.steps == whole.steps == 16
    assert_equal(values(resumed.weights), values(whole.gan.weights))
