"""The `keras-gans` command line, in process (CliRunner) and as a subprocess."""

import json
import os
import re
import shutil
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
from keras_gans.cli import backend as cli_backend
from keras_gans.cli import completion

from paths import REPO
RING8 = os.path.join(REPO, "recipes", "ring8.toml")
BACKEND = keras.backend.backend()

# recipes/ring8.toml, cut down to a few seconds: 8 steps per epoch.
SMALL_RING = [
    "--set", "data.params.num_samples=2048",
    "--set", "model.params.width=32",
    "--set", "model.latent_dim=8",
    "--set", "output.samples=64",
    "--set", "output.checkpoint_every=1",
    "--set", "output.keep_checkpoints=2",
]
FIRST_STEPS = 12   # epochs 1 (8 steps) and 2 (4 steps, then stop)
TOTAL_STEPS = 20   # resumed: epoch 3 (8 steps)


def invoke(*args, catch_exceptions=False):
    return CliRunner().invoke(
        cli.main, [str(a) for a in args], catch_exceptions=catch_exceptions
    )


def subprocess_env():
    root = os.path.dirname(os.path.dirname(keras_gans.__file__))
    return dict(
        os.environ,
        KERAS_BACKEND=BACKEND,
        PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
        TF_CPP_MIN_LOG_LEVEL="3",
    )


def keras_gans_command(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "keras_gans.cli", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=subprocess_env(),
        timeout=300,
    )


# ----------------------------------------------------------------------
# A short ring run, resumed: shared by the tests that read its outputs.


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ring") / "run"
    first = invoke("run", RING8, *SMALL_RING,
                   "--set", f"train.steps={FIRST_STEPS}", "--output", directory)
    assert first.exit_code == 0, first.output
    first_recipe = (directory / "recipe.toml").read_text()
    first_metrics = json.loads((directory / "metrics.json").read_text())
    resumed = invoke("run", RING8, *SMALL_RING,
                     "--set", f"train.steps={TOTAL_STEPS}",
                     "--output", directory, "--resume")
    assert resumed.exit_code == 0, resumed.output
    return types.SimpleNamespace(
        directory=directory,
        first=first,
        first_recipe=first_recipe,
        first_metrics=first_metrics,
        resumed=resumed,
    )


def test_run_says_where_its_outputs_went(ring_run):
    output = ring_run.first.output
    assert f"Run directory: {ring_run.directory}" in output
    assert f"tensorboard --logdir {ring_run.directory / 'logs'}" in output
    assert "Mode coverage:" in output
    # How the step was compiled, and why (keras-gans' log line).
    assert f"keras-gans: {BACKEND} training step" in output


def test_run_prints_its_speed_and_time_left_after_each_epoch(ring_run):
    # Epoch 1 is 8 of the 12 steps; the line comes before epoch 2.
    assert re.search(r"^step 8/12, [0-9.e+]+ steps/s, about \d+s left$",
                     ring_run.first.output, re.MULTILINE), (
        ring_run.first.output)


def test_set_overrides_are_saved_in_the_resolved_recipe(ring_run):
    from keras_gans.runs.recipe import tomllib

    saved = tomllib.loads(ring_run.first_recipe)
    assert saved["train"]["steps"] == FIRST_STEPS
    assert saved["model"]["latent_dim"] == 8
    assert saved["model"]["params"] == {"width": 32, "depth": 2}
    assert saved["data"]["params"]["num_samples"] == 2048
    assert saved["train"]["penalty"] == {"name": "r1", "weight": 1.0}
    assert "# --set model.latent_dim=8" in ring_run.first_recipe
    # --resume leaves the run's recipe as it started; metrics.json records
    # what the resume changed.
    assert (ring_run.directory / "recipe.toml").read_text() == (
        ring_run.first_recipe)
    metrics = json.loads((ring_run.directory / "metrics.json").read_text())
    (resume,) = metrics["resumes"]
    assert resume["step"] == FIRST_STEPS
    assert resume["backend"] == BACKEND
    assert resume["overrides"][-1] == f"train.steps={TOTAL_STEPS}"
    assert resume["changes"] == [
        {"key": "train.steps", "run": FIRST_STEPS, "resume": TOTAL_STEPS}]


def test_first_run_stops_at_the_recipe_steps(ring_run):
    metrics = ring_run.first_metrics
    assert metrics["steps"] == FIRST_STEPS and metrics["epochs"] == 2
    assert metrics["backend"] == BACKEND
    assert set(metrics["final_epoch"]) == {
        "d_loss", "g_loss", "penalty", "d_real", "d_fake"
    }
    coverage = metrics["mode_coverage"]
    assert coverage["num_modes"] == 8 and coverage["samples"] == 2500
    assert 0 <= coverage["modes"] <= 8


def test_resume_continues_to_the_recipe_total(ring_run):
    assert "Resuming from" in ring_run.resumed.output
    metrics = json.loads((ring_run.directory / "metrics.json").read_text())
    # The first run stopped 4 batches into epoch 2: the resumed run
    # finishes that epoch, then trains epoch 3.
    assert metrics["resumed_from_epoch"] == 1
    assert metrics["resumed_from_step"] == FIRST_STEPS
    assert metrics["epochs"] == 3
    assert metrics["steps"] == TOTAL_STEPS
    assert metrics["wall_time_s"] > 0


def test_checkpoints_keep_the_last_ones_and_load_back(ring_run):
    checkpoints = ring_run.directory / "checkpoints"
    # Named by step: the ends of epochs 2 (step 16) and 3 (step 20).
    assert sorted(os.listdir(checkpoints)) == [
        "step_00000016.keras", "step_00000020.keras"
    ]
    gan = keras.models.load_model(checkpoints / "step_00000020.keras")
    assert gan.steps == TOTAL_STEPS
    samples = gan.generate(10, seed=3)
    assert samples.shape == (10, 2) and np.all(np.isfinite(samples))
    final = keras.models.load_model(ring_run.directory / "gan.keras")
    np.testing.assert_allclose(final.generate(10, seed=3), samples, atol=1e-5)


def test_generator_keras_holds_the_weights_generate_uses(ring_run):
    gan = keras.models.load_model(ring_run.directory / "gan.keras")
    generator = keras.models.load_model(ring_run.directory / "generator.keras")
    z = np.random.default_rng(5).standard_normal((16, 8), dtype=np.float32)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(generator(z)),
        gan.generate(16, seed=5),
        atol=1e-5,
    )


def test_gan_call_generate_generator_keras_and_export_agree_on_the_ema(
        ring_run, tmp_path):
    from keras_gans.runs import export

    gan = keras.models.load_model(ring_run.directory / "gan.keras")
    z = np.random.default_rng(11).standard_normal((32, 8), dtype=np.float32)
    expected = gan.generate(z=z)
    # 20 steps with EMA 0.99: the averages stay far from the raw weights
    # (0.93 apart in the outputs on PyTorch), so the raw ones would fail.
    raw = keras.ops.convert_to_numpy(gan.generator(z))
    assert np.abs(expected - raw).max() > 1e-2
    exported = export.export(ring_run.directory, "keras",
                             tmp_path / "exported.keras")
    for model in (gan, keras.models.load_model(
            ring_run.directory / "generator.keras"),
            keras.models.load_model(exported.path)):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(model(z)),
                                   expected, atol=1e-5)


def test_sample_pictures_are_written_every_epoch(ring_run):
    samples = ring_run.directory / "samples"
    assert sorted(os.listdir(samples)) == [
        "epoch_0001.png", "epoch_0002.png", "epoch_0003.png"
    ]
    with Image.open(samples / "epoch_0003.png") as image:
        assert image.size == (512, 512) and image.mode == "RGB"
        pixels = np.asarray(image)
    # Blue generated points on white: the plot is not empty.
    assert np.sum(np.all(pixels == (31, 119, 180), axis=-1)) > 100


def test_tensorboard_logs_hold_the_losses_per_epoch(ring_run):
    from tensorboard.backend.event_processing import event_accumulator

    accumulator = event_accumulator.EventAccumulator(
        str(ring_run.directory / "logs")
    )
    accumulator.Reload()
    tags = set(accumulator.Tags()["scalars"])
    assert {"epoch/loss/d", "epoch/loss/g", "epoch/loss/penalty",
            "epoch/d/real", "epoch/d/fake"} <= tags
    events = accumulator.Scalars("epoch/loss/d")
    # At the step each epoch ends at: 8 steps per epoch, to the total.
    steps = [e.step for e in events]
    assert steps[0] == 8 and steps[-1] == TOTAL_STEPS
    assert steps == sorted(set(steps))
    assert all(np.isfinite(e.value) for e in events)


def test_sample_command_draws_a_scatter_plot_of_toy_data(ring_run, tmp_path):
    out = tmp_path / "ring.png"
    result = invoke("sample", ring_run.directory, "-n", 300, "-o", out)
    assert result.exit_code == 0, result.output
    assert f"to {out}" in result.output
    with Image.open(out) as image:
        assert image.size == (512, 512)


def test_an_existing_run_is_not_overwritten(ring_run):
    result = invoke("run", RING8, "--output", ring_run.directory)
    assert result.exit_code == 1
    assert "already exists" in result.output and "--resume" in result.output


def test_resume_without_a_checkpoint_fails(tmp_path):
    result = invoke("run", RING8, "--output", tmp_path / "empty", "--resume")
    assert result.exit_code == 1
    assert "No checkpoint to resume from" in result.output
    assert not (tmp_path / "empty").exists()


# ----------------------------------------------------------------------
# Invalid recipes


THREE_MISTAKES = """\
[model]
architecture = "mlpp"
latnet_dim = 8

[data]
dataset = "ring"

[train]
epochs = 1
d_optimizer = {{ name = "adam", learning_rate = "fast" }}

[output]
dir = "{runs}"
"""


def test_invalid_recipe_reports_every_mistake_and_exits_2(tmp_path):
    runs = tmp_path / "runs"
    recipe = tmp_path / "bad.toml"
    recipe.write_text(THREE_MISTAKES.format(runs=runs.as_posix()))
    result = keras_gans_command("run", recipe, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "(3 problems)" in result.stderr
    lines = [l.strip() for l in result.stderr.splitlines()]
    assert any(l.startswith(
        '- model.latnet_dim: unknown key; did you mean "latent_dim"?')
        for l in lines), result.stderr
    assert any(l.startswith("- model.architecture: Unknown architecture "
                            "'mlpp'") and "Did you mean 'mlp'?" in l
               for l in lines), result.stderr
    assert any(l == '- train.d_optimizer.learning_rate: expected a number, '
                    'got "fast"' for l in lines), result.stderr
    assert not runs.exists()
    assert "Traceback" not in result.stderr


def test_invalid_override_exits_2_without_a_run_directory(tmp_path):
    result = invoke("run", RING8, "--set", "train.steps=-3",
                    "--set", "output.dir=" + (tmp_path / "runs").as_posix(),
                    "--set", "model.params.depht=2")
    assert result.exit_code == 2
    assert "train.steps: expected an integer >= 1, got -3" in result.output
    assert ('model.params.depht: unknown parameter of architecture \'mlp\'; '
            'did you mean "depth"?') in result.output
    assert not (tmp_path / "runs").exists()


def test_values_a_factory_rejects_exit_2_before_the_run_directory(tmp_path):
    result = invoke("run", RING8, "--set", "data.params.std=-1",
                    "--output", tmp_path / "run")
    assert result.exit_code == 2
    assert "data.params: dataset 'ring' rejected its parameters" in (
        result.output)
    assert not (tmp_path / "run").exists()


# ----------------------------------------------------------------------
# Listing


def test_list_shows_built_in_names_with_their_plugin():
    result = invoke("list", "architectures")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "PLUGIN", "DESCRIPTION"]
    rows = {line.split()[0]: line.split()[1] for line in lines[1:] if line}
    for name in ("mlp", "dcgan", "cdcgan", "sngan_resnet"):
        assert rows[name] == "keras_gans"


@pytest.mark.parametrize("kind,names", [
    ("losses", {"non_saturating", "hinge", "wasserstein"}),
    ("penalties", {"r1", "wgan_gp"}),
    ("datasets", {"ring", "grid", "digits", "mnist", "image_folder"}),
])
def test_list_json(kind, names):
    result = invoke("list", kind, "--json")
    rows = json.loads(result.output)
    assert names <= {row["name"] for row in rows}
    assert all(row["plugin"] and row["description"] for row in rows)


def test_list_rejects_an_unknown_kind():
    result = invoke("list", "architecture")
    assert result.exit_code == 2
    assert "'architecture' is not one of" in result.output


def test_plugins_json_lists_keras_gans_as_ok(tmp_path):
    result = keras_gans_command("plugins", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    infos = {info["name"]: info for info in json.loads(result.stdout)}
    builtin = infos["keras_gans"]
    assert builtin["status"] == "ok" and builtin["error"] is None
    assert builtin["version"] == keras_gans.__version__
    assert "dcgan" in builtin["registered"]["architectures"]
    assert "r1" in builtin["registered"]["penalties"]


def test_plugins_text_output():
    result = invoke("plugins")
    assert result.exit_code == 0
    assert f"keras_gans {keras_gans.__version__}  [ok]" in result.output
    assert "architectures: cdcgan, conv, dcgan, mlp, sngan_resnet" in result.output


# ----------------------------------------------------------------------
# Sampling a saved model


@pytest.fixture(scope="module")
def saved_image_gans(tmp_path_factory):
    """A tiny untrained DCGAN and conditional DCGAN, saved."""
    directory = tmp_path_factory.mktemp("image_gans")
    paths = {}
    for name, classes in (("dcgan", None), ("cdcgan", 10)):
        params = {"num_classes": classes} if classes else {}
        generator, discriminator = keras_gans.build_architecture(
            name, latent_dim=8, sample_shape=(28, 28, 1), width=4, **params
        )
        gan = keras_gans.GAN(generator, discriminator, latent_dim=8)
        gan.compile(g_optimizer="adam", d_optimizer="adam")
        paths[name] = directory / f"{name}.keras"
        gan.save(paths[name])
        paths[f"{name}_generator"] = directory / f"{name}_generator.keras"
        generator.save(paths[f"{name}_generator"])
    return paths


@pytest.mark.parametrize("model", ["dcgan", "dcgan_generator"])
def test_sample_writes_a_grid_of_the_requested_size(saved_image_gans,
                                                    tmp_path, model):
    out = tmp_path / "grid.png"
    result = invoke("sample", saved_image_gans[model], "-n", 16, "-o", out,
                    "--seed", 3)
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        # 4 x 4 images of 28 x 28 with 2 pixels of padding around each.
        assert image.size == (4 * 30 + 2, 4 * 30 + 2)
        assert image.mode == "L"


def test_sample_from_generator_and_gan_agree(saved_image_gans, tmp_path):
    # generator.keras has no EMA here, so both draw the same z and images.
    for model in ("dcgan", "dcgan_generator"):
        invoke("sample", saved_image_gans[model], "-n", 4, "-o",
               tmp_path / f"{model}.png", "--columns", 4)
    with Image.open(tmp_path / "dcgan.png") as a, \
            Image.open(tmp_path / "dcgan_generator.png") as b:
        assert a.size == (4 * 30 + 2, 30 + 2)
        difference = np.abs(np.asarray(a, "int16") - np.asarray(b, "int16"))
        assert difference.max() <= 1


def test_sample_conditional_with_labels(saved_image_gans, tmp_path):
    out = tmp_path / "labels.png"
    result = invoke("sample", saved_image_gans["cdcgan"], "-n", 10,
                    "-o", out, "--labels", "0,1,2")
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.size == (4 * 30 + 2, 3 * 30 + 2)


def test_sample_refuses_labels_for_an_unconditional_model(saved_image_gans,
                                                         tmp_path):
    result = invoke("sample", saved_image_gans["dcgan"], "--labels", "1",
                    "-o", tmp_path / "x.png")
    assert result.exit_code == 2
    assert "unconditional" in result.output
    result = invoke("sample", saved_image_gans["cdcgan"], "--labels", "one",
                    "-o", tmp_path / "x.png")
    assert result.exit_code == 2
    assert "comma-separated integers" in result.output


# ----------------------------------------------------------------------
# Backend choice


def other_backend():
    return next(b for b in cli_backend.BACKENDS if b != BACKEND)


def test_a_backend_that_is_not_installed_falls_back(monkeypatch):
    wanted = other_backend()
    real_find_spec = cli_backend.importlib.util.find_spec

    def find_spec(name, *args):
        if name in cli_backend.BACKENDS and name != BACKEND:
            return None
        return real_find_spec(name, *args)

    monkeypatch.setattr(cli_backend.importlib.util, "find_spec", find_spec)
    monkeypatch.setenv("KERAS_BACKEND", wanted)
    result = CliRunner().invoke(cli.main, ["list", "penalties"])
    assert result.exit_code == 0, result.output
    assert (f"The {wanted} backend (from KERAS_BACKEND) is not installed; "
            f"using {BACKEND}.") in result.output
    assert "wgan_gp" in result.output
    assert os.environ["KERAS_BACKEND"] == wanted  # monkeypatch restores it


def test_backend_resolution_order(monkeypatch, tmp_path):
    monkeypatch.setattr(cli_backend, "_installed", lambda name: True)
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "torch"}))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert cli_backend.resolve_backend("tensorflow") == ("tensorflow", None)
    assert cli_backend.resolve_backend(None) == ("jax", None)
    monkeypatch.delenv("KERAS_BACKEND")
    assert cli_backend.resolve_backend(None) == ("torch", None)
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "numpy"}))
    backend, note = cli_backend.resolve_backend(None)
    assert backend == "tensorflow"
    assert note == ("The numpy backend (from Keras' keras.json) cannot train "
                    "GANs; using tensorflow.")


def test_an_explicit_backend_that_is_not_installed_is_an_error(monkeypatch):
    monkeypatch.setattr(cli_backend, "_installed", lambda name: name != "jax")
    result = CliRunner().invoke(cli.main, ["run", RING8, "--backend", "jax"])
    assert result.exit_code == 1
    assert "The jax backend is not installed" in result.output


# ----------------------------------------------------------------------
# new-plugin


def test_new_plugin_calls_the_scaffold(monkeypatch, tmp_path):
    calls = []
    fake = types.ModuleType("keras_gans.plugins.scaffold")

    def scaffold_plugin(name, destination):
        calls.append((name, destination))
        return os.path.join(destination, name)

    fake.scaffold_plugin = scaffold_plugin
    monkeypatch.setitem(sys.modules, "keras_gans.plugins.scaffold", fake)
    result = invoke("new-plugin", "gans-zoo", "--directory", tmp_path)
    assert result.exit_code == 0, result.output
    assert calls == [("gans-zoo", str(tmp_path))]
    assert f"pip install -e '{tmp_path / 'gans-zoo'}[test]'" in result.output


def test_new_plugin_errors_are_user_errors(monkeypatch, tmp_path):
    fake = types.ModuleType("keras_gans.plugins.scaffold")

    def scaffold_plugin(name, destination):
        raise FileExistsError(f"{destination}/{name} already exists")

    fake.scaffold_plugin = scaffold_plugin
    monkeypatch.setitem(sys.modules, "keras_gans.plugins.scaffold", fake)
    result = invoke("new-plugin", "x", "-d", tmp_path)
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_set_completion_offers_recipe_keys():
    items = completion.complete_set(None, None, "train.d_")
    assert [item.value for item in items] == [
        "train.d_optimizer=", "train.d_optimizer.beta_1=",
        "train.d_optimizer.beta_2=", "train.d_optimizer.learning_rate=",
        "train.d_optimizer.name=", "train.d_steps=",
    ]
    items = completion.complete_set(None, None, "train.penalty=w")
    assert [item.value for item in items] == ["train.penalty=wgan_gp"]


def test_resume_refuses_a_model_change_and_notes_a_training_change(
    ring_run, tmp_path
):
    # ring_run resumed with the same model: no note.
    assert "from the run's recipe.toml" not in ring_run.resumed.output
    copy = tmp_path / "run"
    shutil.copytree(ring_run.directory, copy)
    refused = invoke("run", RING8, *SMALL_RING,
                     "--set", f"train.steps={TOTAL_STEPS}",
                     "--set", "model.params.width=64",
                     "--output", copy, "--resume")
    assert refused.exit_code == 1, refused.output
    assert "The recipe's model differs from the one in the checkpoint" in (
        refused.output)
    assert ("model.params.width: 32 in the checkpoint, 64 in the recipe"
            in refused.output)
    noted = invoke("run", RING8, *SMALL_RING,
                   "--set", f"train.steps={TOTAL_STEPS}",
                   "--set", "train.g_optimizer.learning_rate=0.01",
                   "--output", copy, "--resume")
    assert noted.exit_code == 0, noted.output
    assert "The run is already complete (3 of 3 epochs)" in noted.output
    assert ("Note: train.g_optimizer differs from the run's recipe.toml; the "
            "checkpoint's loss, penalty, EMA and optimizers (with their "
            "learning rates) are used.") in noted.output
