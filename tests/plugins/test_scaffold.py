"""`keras_gans.plugins.scaffold`: a new plugin package whose own tests pass."""

import os
import pathlib
import subprocess
import sys

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

from keras_gans.plugins import scaffold
from keras_gans.plugins.scaffold import scaffold_plugin
import paths

REPO = pathlib.Path(paths.REPO)


def test_scaffold_writes_the_package_and_its_tests_pass(tmp_path):
    path = scaffold_plugin("my-losses", tmp_path)

    assert path == tmp_path / "keras-gans-my-losses"
    files = sorted(
        str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()
    )
    assert files == [
        "README.md",
        "pyproject.toml",
        "src/keras_gans_my_losses/__init__.py",
        "src/keras_gans_my_losses/plugin.py",
        "tests/test_plugin.py",
    ]
    # Nothing is left next to it (no staging directory).
    assert [p.name for p in tmp_path.iterdir()] == ["keras-gans-my-losses"]
    for file in path.rglob("*"):
        if file.is_file():
            assert "{{" not in file.read_text(), file

    project = tomllib.loads((path / "pyproject.toml").read_text())
    assert project["project"]["name"] == "keras-gans-my-losses"
    assert project["project"]["entry-points"]["keras_gans"] == {
        "my_losses": "keras_gans_my_losses.plugin"
    }
    assert any(d.startswith("keras-gans") for d in project["project"]["dependencies"])
    assert "my_losses_hinge" in (path / "README.md").read_text()

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(path / "src"), str(REPO), env.get("PYTHONPATH", "")]
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests"],
        cwd=path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout, result.stdout


def test_new_plugin_prints_the_readme_steps_whose_extra_brings_pytest(
    tmp_path,
):
    from click.testing import CliRunner

    from keras_gans import cli

    result = CliRunner().invoke(
        cli.main, ["new-plugin", "zoo", "--directory", str(tmp_path)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    path = tmp_path / "keras-gans-zoo"
    steps = result.output.split("Next:\n", 1)[1].splitlines()
    assert [line.strip() for line in steps] == [
        f"pip install -e '{path}[test]'",
        f"pytest {path}",
        "keras-gans plugins",
    ]
    # The same steps as the generated README, from the plugin's folder ...
    readme = (path / "README.md").read_text()
    develop = readme.split("## Develop", 1)[1].split("```bash\n", 1)[1]
    assert develop.split("```", 1)[0].splitlines() == [
        'pip install -e ".[test]"', "pytest"]
    # ... and the `test` extra installs pytest.
    project = tomllib.loads((path / "pyproject.toml").read_text())
    test_extra = project["project"]["optional-dependencies"]["test"]
    assert any(d.split(">")[0].split("=")[0].strip() == "pytest"
               for d in test_extra), test_extra


def test_generated_hook_registers_its_loss_in_the_catalogue(tmp_path, monkeypatch):
    """The generated plugin, found through a fake installed entry point."""
    import importlib

    from keras_gans import plugins

    path = scaffold_plugin("margins", tmp_path)
    site = path / "src"
    info = site / "keras_gans_margins-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: keras-gans-margins\nVersion: 0.1.0\n"
    )
    project = tomllib.loads((path / "pyproject.toml").read_text())
    lines = [f"{k} = {v}" for k, v in project["project"]["entry-points"]
             ["keras_gans"].items()]
    (info / "entry_points.txt").write_text("[keras_gans]\n" + "\n".join(lines))

    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv(plugins.LOAD_PLUGINS_ENV, "margins")
    importlib.invalidate_caches()
    try:
        catalogue = plugins.load_catalogue()
        assert catalogue.plugins["margins"].status == "ok"
        assert catalogue.plugins["margins"].version == "0.1.0"
        entry = catalogue.get("losses", "margins_hinge")
        assert entry.plugin == "margins"
        assert entry.factory(margin=2.0).margin == 2.0
    finally:
        sys.modules.pop("keras_gans_margins.plugin", None)
        sys.modules.pop("keras_gans_margins", None)
        plugins._catalogue = None


@pytest.mark.parametrize(
    "name, expected",
    [
        ("my-losses", ("keras-gans-my-losses", "keras_gans_my_losses", "my_losses")),
        ("my_losses", ("keras-gans-my-losses", "keras_gans_my_losses", "my_losses")),
        ("keras-gans-wgan", ("keras-gans-wgan", "keras_gans_wgan", "wgan")),
        ("gan2", ("keras-gans-gan2", "keras_gans_gan2", "gan2")),
    ],
)
def test_plugin_names(name, expected):
    names = scaffold.plugin_names(name)
    assert (names["distribution"], names["package"], names["entry_point"]) == expected


@pytest.mark.parametrize(
    "name, why",
    [
        ("", "it is empty"),
        ("keras-gans-", "it is empty"),
        ("MyLosses", "use 'mylosses'"),
        ("2fast", "starts with a digit"),
        ("my losses", "contains ' '"),
        ("my.losses", "contains '.'"),
        ("ré", "contains 'é'"),
        ("my--losses", "between letters or digits"),
        ("losses-", "between letters or digits"),
        ("_private", "between letters or digits"),
        (None, "must be a string"),
    ],
)
def test_invalid_names_are_refused(tmp_path, name, why):
    with pytest.raises(ValueError, match="Received: name=") as info:
        scaffold_plugin(name, tmp_path)
    assert why in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_existing_directory_is_not_overwritten(tmp_path):
    existing = tmp_path / "keras-gans-mine"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="already exists"):
        scaffold_plugin("mine", tmp_path)
    assert [p.name for p in existing.iterdir()] == ["keep.txt"]
    assert (existing / "keep.txt").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["keras-gans-mine"]


def test_destination_is_created_but_must_not_be_a_file(tmp_path):
    assert scaffold_plugin("deep", tmp_path / "a" / "b").is_dir()
    file = tmp_path / "file"
    file.write_text("")
    with pytest.raises(FileExistsError, match="is a file"):
        scaffold_plugin("x", file)


def test_templates_are_shipped_as_package_data():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    package_data = project["tool"]["setuptools"]["package-data"]
    patterns = package_data["keras_gans.plugins"]
    package = REPO / "keras_gans" / "plugins"
    template = package / "templates" / "plugin"
    shipped = {
        p for pattern in patterns for p in package.glob(pattern)
        if p.is_file()
    }
    files = {p for p in template.rglob("*.tmpl")}
    assert files and files <= shipped


def test_the_package_folder_is_taken_before_it_is_written(tmp_path,
                                                          monkeypatch):
    # No check-then-create: while the files are written, the folder exists
    # already, so a second `new-plugin mine` running at the same moment
    # finds it taken instead of writing into (or over) it.
    target = tmp_path / "keras-gans-mine"
    render = scaffold._render_tree
    seen = []

    def render_and_look(source, folder, fields):
        if not seen:
            seen.append(target.is_dir())
            with pytest.raises(FileExistsError, match="already exists"):
                scaffold_plugin("mine", tmp_path)
        render(source, folder, fields)

    monkeypatch.setattr(scaffold, "_render_tree", render_and_look)
    assert scaffold_plugin("mine", tmp_path) == target
    assert seen == [True]
    assert (target / "pyproject.toml").is_file()
