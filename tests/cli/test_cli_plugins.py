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

from paths import REPO
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


# -- listing imports no backend ----------------------------------------------
#
# `keras-gans list` and `keras-gans plugins` run in a fresh interpreter, with
# the installed plugins (such as keras-gans-example) and a fake one; the test
# looks at what that interpreter imported.

BACKEND_MODULES = ("keras", "tensorflow", "jax", "torch")

# Runs the listing commands in-process, then reports their output and which
# of the backend modules the interpreter holds.
LISTING = """
import contextlib, io, json, sys
from keras_gans.cli import main

outputs = {}
for args in [["list", kind, "--json"] for kind in %(kinds)r] + [
    ["plugins", "--json"]
]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main(args, standalone_mode=False)
    outputs[" ".join(args[:2])] = json.loads(buffer.getvalue())
print(json.dumps({
    "outputs": outputs,
    "imported": [m for m in %(modules)r if m in sys.modules],
    "fake_factory_imported": "kg_lazy_factories" in sys.modules,
}))
"""


def _python_with_site(code, site, **env):
    """Runs `code` in a fresh interpreter seeing the plugins in `site`."""
    root = os.path.dirname(os.path.dirname(keras_gans.__file__))
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **env)
    environment.pop("KERAS_GANS_LOAD_PLUGINS", None)
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(site), root, environment.get("PYTHONPATH")) if p
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True,
        text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_list_and_plugins_import_no_backend(tmp_path):
    site = tmp_path / "site"
    _add_plugin(
        site,
        "lazy",
        """
        import keras_gans

        @keras_gans.hookimpl
        def register_losses(register):
            register("lazy_hinge", "kg_lazy_factories:LazyHinge",
                     description="A hinge loss imported on first use.")
        """,
    )
    (site / "kg_lazy_factories.py").write_text(
        "import keras\nLazyHinge = object\n"
    )
    kinds = ["architectures", "losses", "penalties", "datasets", "metrics",
             "features", "callbacks"]
    code = LISTING % {"kinds": kinds, "modules": BACKEND_MODULES}
    report = json.loads(
        _python_with_site(code, site, KERAS_BACKEND=keras.backend.backend())
    )

    assert report["imported"] == []
    assert report["fake_factory_imported"] is False
    outputs = report["outputs"]
    names = {
        kind: {row["name"]: row for row in outputs[f"list {kind}"]}
        for kind in kinds
    }
    assert {"mlp", "dcgan", "cdcgan", "sngan_resnet"} <= set(
        names["architectures"]
    )
    assert names["architectures"]["dcgan"]["description"] == (
        "Builds a DCGAN generator and discriminator."
    )
    assert names["losses"]["lazy_hinge"] == {
        "name": "lazy_hinge",
        "description": "A hinge loss imported on first use.",
        "plugin": "lazy",
    }
    plugins = {p["name"]: p for p in outputs["plugins --json"]}
    assert plugins["lazy"]["status"] == "ok"
    assert plugins["lazy"]["registered"] == {"losses": ["lazy_hinge"]}
    assert plugins["keras_gans"]["registered"]["penalties"] == ["r1", "wgan_gp"]


def test_a_plugin_importing_keras_loads_it_with_the_chosen_backend(tmp_path):
    # Such a plugin makes listing as slow as importing Keras, but Keras
    # must come up with the backend the command settled (--backend here,
    # overriding a KERAS_BACKEND naming another one).
    site = tmp_path / "site"
    _add_plugin(
        site,
        "eager",
        """
        import keras
        import keras_gans

        @keras_gans.hookimpl
        def register_losses(register):
            register("eager_loss", object,
                     description=f"backend {keras.backend.backend()}")
        """,
    )
    backend = keras.backend.backend()
    other = "torch" if backend != "torch" else "jax"
    code = (
        "from keras_gans.cli import main\n"
        f"main(['--backend', {backend!r}, 'list', 'losses', '--json'], "
        "standalone_mode=False)\n"
    )
    rows = json.loads(_python_with_site(code, site, KERAS_BACKEND=other))
    row = next(r for r in rows if r["name"] == "eager_loss")
    assert row["description"] == f"backend {backend}"
