"""Plugins through the real `keras-gans` command, in fresh processes."""

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap

import keras
import pytest

import keras_gans

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RING8 = os.path.join(REPO, "recipes", "ring8.toml")
EXAMPLE_RECIPE = os.path.join(
    REPO, "plugins", "keras-gans-example", "recipes", "example.toml"
)
SHORT_RING = [
    "--set", "data.params.num_samples=1024",
    "--set", "model.params.width=16",
    "--set", "train.steps=4",
    "--set", "output.samples=16",
]


def keras_gans_command(*args, extra_path=None, cwd=None):
    root = os.path.dirname(os.path.dirname(keras_gans.__file__))
    paths = [str(p) for p in (extra_path, root, os.environ.get("PYTHONPATH")) if p]
    env = dict(
        os.environ,
        KERAS_BACKEND=keras.backend.backend(),
        PYTHONPATH=os.pathsep.join(paths),
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    return subprocess.run(
        [sys.executable, "-m", "keras_gans.cli", *map(str, args)],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
    )


@pytest.fixture
def broken_plugin_site(tmp_path):
    """A site dir with an installed plugin whose module fails to import."""
    site = tmp_path / "site"
    info = site / "keras_gans_broken-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: keras-gans-broken\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        "[keras_gans]\nbroken = keras_gans_broken_plugin\n"
    )
    (site / "keras_gans_broken_plugin.py").write_text(
        textwrap.dedent(
            """
            import a_module_that_is_not_installed  # fails at import
            """
        )
    )
    return site


def test_broken_plugin_is_listed_while_another_recipe_runs(
    broken_plugin_site, tmp_path
):
    listed = keras_gans_command(
        "plugins", "--json", extra_path=broken_plugin_site
    )
    assert listed.returncode == 0, listed.stderr
    plugins = {p["name"]: p for p in json.loads(listed.stdout)}
    assert plugins["broken"]["status"] == "broken"
    assert "a_module_that_is_not_installed" in plugins["broken"]["error"]
    assert plugins["keras_gans"]["status"] == "ok"

    run_dir = tmp_path / "run"
    ran = keras_gans_command(
        "run", RING8, *SHORT_RING, "--output", run_dir,
        extra_path=broken_plugin_site,
    )
    assert ran.returncode == 0, ran.stderr
    assert (run_dir / "gan.keras").exists()
    assert json.loads((run_dir / "metrics.json").read_text())["steps"] == 4

    # A recipe that needs a name nobody provides fails, naming the plugin.
    missing = keras_gans_command(
        "run", RING8, "--set", "model.architecture=broken_mlp",
        "--output", tmp_path / "never", extra_path=broken_plugin_site,
    )
    assert missing.returncode == 2
    assert "broken" in missing.stderr + missing.stdout
    assert not (tmp_path / "never").exists()


def _add_plugin(site, name, body):
    info = site / f"keras_gans_{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: keras-gans-{name}\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        f"[keras_gans]\n{name} = keras_gans_{name}_plugin\n"
    )
    (site / f"keras_gans_{name}_plugin.py").write_text(textwrap.dedent(body))


DUPLICATE_LOSS = """
    import keras_gans
    from keras_gans.losses import Hinge

    @keras_gans.hookimpl
    def register_losses(register):
        register("shared_hinge", Hinge, description="the same name twice")
    """


def test_duplicate_name_is_rejected_naming_both_plugins(tmp_path):
    site = tmp_path / "site"
    _add_plugin(site, "alpha", DUPLICATE_LOSS)
    _add_plugin(site, "beta", DUPLICATE_LOSS)

    listed = keras_gans_command("plugins", "--json", extra_path=site)
    assert listed.returncode == 0, listed.stderr
    plugins = {p["name"]: p for p in json.loads(listed.stdout)}
    for name in ("alpha", "beta"):
        (conflict,) = plugins[name]["conflicts"]
        assert "'alpha'" in conflict and "'beta'" in conflict

    ran = keras_gans_command(
        "run", RING8, *SHORT_RING, "--set", "train.loss=shared_hinge",
        "--output", tmp_path / "never", extra_path=site,
    )
    assert ran.returncode == 2
    output = ran.stderr + ran.stdout
    assert "train.loss" in output
    assert "'alpha'" in output and "'beta'" in output
    assert not (tmp_path / "never").exists()


def _example_installed():
    return any(
        ep.name == "example"
        for ep in importlib.metadata.entry_points(group="keras_gans")
    )


@pytest.mark.skipif(
    not _example_installed(), reason="plugins/keras-gans-example not installed"
)
def test_example_plugin_recipe_runs_through_the_cli(tmp_path):
    run_dir = tmp_path / "run"
    ran = keras_gans_command(
        "run", EXAMPLE_RECIPE,
        "--set", "train.steps=4",
        "--set", "data.params.num_samples=1024",
        "--set", "output.samples=16",
        "--output", run_dir,
    )
    assert ran.returncode == 0, ran.stderr
    recipe = (run_dir / "recipe.toml").read_text()
    for name in ("example_mlp", "example_spiral",
                 "example_least_squares_symmetric"):
        assert name in recipe
    loaded = keras_gans.load_model(run_dir / "gan.keras")
    assert loaded.generate(5, seed=0).shape == (5, 2)
