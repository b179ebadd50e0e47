"""`keras-gans compare` end to end on two tiny ring runs: compare.md's table
and compare.json read back against `keras_gans.evaluate` of each run under
the same protocol, compare.png opened, and runs on different data (or
things that are not runs) refused before any work.

The runs are the ring recipes cut down to 16 and 8 steps of MLPs of
width 16: two GANs from two seeds (one shape: JAX compiles the second
run's step from its cache) and a VAE, so each trains in seconds.
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
from keras_gans.evaluation.metrics import mode_coverage
from keras_gans.datasets import ring_centers
from keras_gans.runs.compare import CompareError

from paths import REPO

RING8 = os.path.join(REPO, "recipes", "ring8.toml")
VAE_RING8 = os.path.join(REPO, "recipes", "vae_ring8.toml")
TINY = {
    "data.params.num_samples": 512,
    "data.batch_size": 64,
    "model.latent_dim": 4,
    "model.params.depth": 2,
    "model.params.width": 16,
    "output.samples": 64,
    "output.sample_every": 0,
    "output.checkpoint_every": 0,
    "output.log_every": 0,
    "output.log_images_every": 0,
    # TensorFlow's XLA takes 8 s to compile what runs in 2 s; JAX runs
    # these steps faster jitted (16 s for both GAN runs against 35 s).
    "train.jit_compile": "auto" if keras.backend.backend() == "jax" else False,
}
# R1's second-order step compiles slowly on JAX.
GAN = dict(TINY, **{"train.penalty": False})
RUNS = {"seed0": (RING8, dict(GAN, **{"train.seed": 0, "train.steps": 16})),
        "seed1": (RING8, dict(GAN, **{"train.seed": 1, "train.steps": 8})),
        "vae": (VAE_RING8, dict(TINY, **{"train.steps": 16}))}
SAMPLES, SEED = 300, 2


def invoke(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two GAN runs on the ring that differ in their seed and length, and
    a VAE run."""
    parent = tmp_path_factory.mktemp("runs")
    for name, (recipe, settings) in RUNS.items():
        keras_gans.train(recipe, settings, output=parent / name)
    return parent


@pytest.fixture(scope="module")
def compared(runs):
    """`keras-gans compare seed0 seed1 vae` and its output folder."""
    out = runs / "compared"
    result = invoke("compare", *(runs / name for name in RUNS), "-o", out,
                    "-n", SAMPLES, "--seed", SEED)
    assert result.exit_code == 0, result.output
    return out, result.output


def table(markdown):
    """compare.md's table as `{run: {column: cell}}`."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in lines[2:]]
    return {row[0]: dict(zip(header, row)) for row in rows}


def cell(value):
    """A number as the table shows it: 4 significant digits, whole from
    10,000 up."""
    return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"


def mlp_parameters(latent, width, depth, kind, size=2):
    """Weights and biases of the `mlp` architecture's networks, counted by
    hand: G (a VAE's decoder) Dense(latent->w), (depth-1) x Dense(w->w),
    Dense(w->size); D the same from `size` to one logit, a VAE's encoder
    to a mean and a log-variance per latent dimension, and the VAE's
    learned observation variance (one number)."""
    hidden = (depth - 1) * (width * width + width)
    generator = latent * width + width + hidden + width * size + size
    body = size * width + width + hidden
    if kind == "vae":
        encoder = body + width * 2 * latent + 2 * latent
        return generator, generator + encoder + 1
    return generator, generator + body + width + 1


def test_compare_scores_each_run_as_evaluate_does(runs, compared):
    out, output = compared
    assert f"Wrote {out / 'compare.md'}" in output
    written = json.loads((out / "compare.json").read_text())
    rows = table((out / "compare.md").read_text())
    assert list(rows) == list(RUNS)
    assert [row["name"] for row in written["runs"]] == list(RUNS)
    for row in written["runs"]:
        name = row["name"]
        evaluation = keras_gans.evaluate(runs / name, num_samples=SAMPLES,
                                         seed=SEED, write=False, verbose=0)
        # The same samples, features and real data: the same numbers.
        assert row["metrics"] == evaluation.values
        expected_protocol = dict(evaluation.protocol)
        expected_protocol.pop("model")
        assert {key: written["protocol"][key]
                for key in expected_protocol} == expected_protocol
        cells = rows[name]
        kind = "vae" if name == "vae" else "gan"
        assert cells["kind"] == row["kind"] == kind
        assert cells["FID"] == cell(evaluation.values["fid"])
        assert cells["KID x1e3"] == cell(evaluation.values["kid"] * 1e3)
        for column in ("precision", "recall", "density", "coverage",
                       "memorization"):
            assert cells[column] == cell(evaluation.values[column])

        # Mode coverage of the same samples, drawn by keras_gans.sample.
        drawn = keras_gans.sample(runs / name, SAMPLES, seed=SEED).samples
        coverage = mode_coverage(drawn, ring_centers(), std=0.02)
        assert row["mode_coverage"] == coverage.as_dict()
        assert cells["modes"] == str(coverage.modes)
        assert cells["HQ %"] == f"{100 * coverage.high_quality:.1f}"

        generator, total = mlp_parameters(4, 16, 2, kind)
        assert row["parameters"] == {"generator": generator, "total": total}
        assert cells["G params"] == f"{generator:,}"
        assert cells["total params"] == f"{total:,}"
        recorded = json.loads((runs / name / "metrics.json").read_text())
        assert row["training"]["fit_time_s"] == recorded["fit_time_s"]
        steps = RUNS[name][1]["train.steps"]
        assert row["training"]["steps"] == steps
        assert cells["steps"] == str(steps)
        assert row["generation"]["batch_size"] == 256
        assert row["generation"]["samples_per_s"] > 0
    protocol = written["protocol"]
    assert (protocol["num_samples"], protocol["seed"]) == (SAMPLES, SEED)
    assert protocol["extractor"] == "pixels"
    assert protocol["mode_coverage"]["num_modes"] == 8
    assert written["versions"]["backend"] == keras.backend.backend()
    markdown = (out / "compare.md").read_text()
    assert (f"{SAMPLES} generated samples (seed {SEED}) against the "
            "training data") in markdown


def test_compare_png_holds_the_scatter_plots_side_by_side(compared):
    out, _ = compared
    with Image.open(out / "compare.png") as picture:
        picture.load()
        size, pixels = picture.size, np.asarray(picture.convert("RGB"))
    # Three 320-pixel panels with 8-pixel gaps, under a 20-pixel caption.
    assert size == (3 * 320 + 4 * 8, 320 + 20 + 8)
    # Each panel shows generated points (blue) over real ones (gray).
    for left in (8, 8 + 328, 8 + 2 * 328):
        panel = pixels[20:340, left:left + 320].reshape(-1, 3)
        assert (panel == (31, 119, 180)).all(axis=1).any()
        assert (panel == (170, 170, 170)).all(axis=1).any()


def test_the_python_api_returns_what_compare_writes(runs, tmp_path):
    comparison = keras_gans.compare([runs / "seed1", runs / "seed0"],
                                    output=tmp_path / "api",
                                    metrics="fid", num_samples=100,
                                    verbose=0)
    written = json.loads((tmp_path / "api" / "compare.json").read_text())
    assert [row["name"] for row in comparison.runs] == ["seed1", "seed0"]
    assert [row["metrics"] for row in comparison.runs] == [
        row["metrics"] for row in written["runs"]]
    assert set(comparison.runs[0]["metrics"]) == {"fid"}
    assert comparison.picture_path == str(tmp_path / "api" / "compare.png")


def write_run(directory, **params):
    """A run directory holding only a ring recipe, with these data.params."""
    directory.mkdir()
    lines = ['name = "r"', "[model]", 'architecture = "mlp"', "[data]",
             'dataset = "ring"', "[data.params]"]
    lines += [f"{key} = {value!r}" for key, value in params.items()]
    (directory / "recipe.toml").write_text("\n".join(lines) + "\n")
    return directory


def test_runs_on_different_data_are_refused_naming_the_keys(runs, tmp_path):
    other = write_run(tmp_path / "other", num_samples=512, std=0.05, seed=0)
    out = tmp_path / "never"
    result = invoke("compare", runs / "seed0", other, "-o", out)
    assert result.exit_code == 2, result.output
    assert "The runs trained on different data" in result.output
    assert "data.params.std (seed0: 0.02, other: 0.05)" in result.output
    assert "num_samples" not in result.output  # the same in both
    assert not out.exists()

    # A default filled in is the same data: radius 2.0 is ring's default.
    same = write_run(tmp_path / "same", num_samples=512, std=0.02, seed=0,
                     radius=2.0)
    from keras_gans.runs.compare import _check_same_data
    from keras_gans.runs.directory import RunDirectory

    _check_same_data(["seed0", "same"], [
        RunDirectory(runs / "seed0").read_recipe(),
        RunDirectory(same).read_recipe()])


def test_another_dataset_is_refused_by_name(runs, tmp_path):
    grid = tmp_path / "grid"
    grid.mkdir()
    (grid / "recipe.toml").write_text(
        'name = "g"\n[model]\narchitecture = "mlp"\n[data]\n'
        'dataset = "grid"\n')
    with pytest.raises(CompareError, match=r"data\.dataset \(seed0: 'ring', "
                       r"grid: 'grid'\)"):
        keras_gans.compare([runs / "seed0", grid], output=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_sources_that_are_not_runs_are_refused(runs, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    model = runs / "seed0" / "gan.keras"
    result = invoke("compare", runs / "seed0", empty, model)
    assert result.exit_code == 2, result.output
    assert f"{empty} holds no recipe.toml" in result.output
    assert f"{model} is a file, not a run directory" in result.output
    result = invoke("compare", runs / "seed0")
    assert result.exit_code == 2
    assert "Compare needs at least two runs" in result.output


def test_image_runs_are_drawn_after_a_grid_of_real_images(tmp_path):
    """Two runs holding bare generators of 8x8 digits (no training: the
    picture and the table's gaps are what is checked)."""
    from keras_gans import images
    from keras_gans.datasets import digits

    recipe = ('name = "d"\n[model]\narchitecture = "dcgan"\nlatent_dim = 4\n'
              '[data]\ndataset = "digits"\n[data.params]\nimage_size = 8\n'
              'split = "train"\n')
    runs = []
    for name in ("first", "second"):
        run = tmp_path / name
        run.mkdir()
        keras.Sequential([
            keras.Input((4,)), keras.layers.Dense(64, activation="tanh"),
            keras.layers.Reshape((8, 8, 1)),
        ]).save(run / "generator.keras")
        (run / "recipe.toml").write_text(recipe)
        runs.append(run)
    out = tmp_path / "out"
    result = invoke("compare", *runs, "-o", out, "-n", 100, "--features",
                    "pixels", "--metrics", "fid")
    assert result.exit_code == 0, result.output
    rows = table((out / "compare.md").read_text())
    # A bare generator: its own weights, no discriminator, no metrics.json.
    assert rows["first"]["G params"] == f"{4 * 64 + 64:,}"
    assert rows["first"]["total params"] == "n/a"
    assert rows["first"]["train s"] == rows["first"]["steps"] == "n/a"
    assert "modes" not in rows["first"]

    with Image.open(out / "compare.png") as picture:
        picture.load()
        size, mode, pixels = picture.size, picture.mode, np.asarray(picture)
    assert mode == "L"  # grayscale images, a grayscale picture
    # Real digits, then each run: 8x8 grids of 8x8 images (82 pixels with
    # the padding) shown 3 times larger, 8 pixels apart, under captions.
    assert size == (3 * 246 + 4 * 8, 246 + 20 + 8)
    held_out, _ = digits(image_size=8, split="test")
    real = images.image_grid(held_out[:64]).resize((246, 246),
                                                   Image.NEAREST)
    np.testing.assert_array_equal(pixels[20:266, 8:254],
                                  np.asarray(real))
