"""Every Python name and file path README.md documents still resolves.

Modules moved in issue 10 (`keras_gans.callbacks` to
`keras_gans.training.callbacks`, ...); the README shows the new paths and
names some old ones, which `keras_gans.compat` keeps importable. A name
here is a dotted path starting at `keras_gans` (the longest importable
module, then attributes), an `import` line of a README code block, or a
`keras_gans/...` file path.
"""

import importlib
import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(REPO, "README.md"), encoding="utf-8") as _file:
    README = _file.read()

# `keras_gans.json` is the member of a checkpoint zip, not a module.
NOT_NAMES = {"keras_gans.json"}
NAMES = sorted(
    set(re.findall(r"\bkeras_gans(?:\.[A-Za-z_][A-Za-z0-9_]*)+", README))
    - NOT_NAMES
)
IMPORTS = sorted(set(re.findall(
    r"^\s*((?:from keras_gans[\w.]* import [\w, ]+)|(?:import keras_gans"
    r"[\w.]*))\s*$", README, flags=re.MULTILINE)))
PATHS = sorted(set(re.findall(r"\bkeras_gans/[\w/]+\.py\b", README)))


def resolve(dotted):
    """The object a dotted path names: a module, then attributes."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:end]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[end:]:
            value = getattr(value, attribute)
        return value
    raise ModuleNotFoundError(dotted)


def test_the_readme_names_something():
    assert "keras_gans.train" in NAMES and IMPORTS and PATHS


@pytest.mark.parametrize("name", NAMES)
def test_a_documented_name_resolves(name):
    assert resolve(name) is not None


@pytest.mark.parametrize("line", IMPORTS)
def test_a_documented_import_runs(line):
    exec(line, {})


@pytest.mark.parametrize("path", PATHS)
def test_a_documented_file_exists(path):
    assert os.path.isfile(os.path.join(REPO, path)), path
