"""`keras-gans schema`: the JSON Schema an editor checks recipes with."""

import glob
import json
import os

import pytest
from click.testing import CliRunner

from keras_gans import cli

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

jsonschema = pytest.importorskip("jsonschema")

from paths import REPO
RECIPES = sorted(glob.glob(os.path.join(REPO, "recipes", "*.toml")))


def _schema(*args):
    result = CliRunner().invoke(cli.main, ["schema", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _read(path):
    with open(path, "rb") as file:
        return tomllib.load(file)


def test_the_printed_schema_accepts_every_recipe_and_refuses_a_typo():
    document = json.loads(_schema())
    jsonschema.Draft202012Validator.check_schema(document)
    validator = jsonschema.Draft202012Validator(document)
    assert len(RECIPES) >= 8
    for path in RECIPES:
        errors = [e.message for e in validator.iter_errors(_read(path))]
        assert errors == [], path
    recipe = _read(os.path.join(REPO, "recipes", "dcgan.toml"))
    recipe["model"]["latent_dimm"] = 64
    recipe["data"]["batch_size"] = 0
    found = sorted(validator.iter_errors(recipe), key=lambda e: list(e.path))
    assert [(list(e.path), e.validator) for e in found] == [
        (["data", "batch_size"], "minimum"),
        (["model"], "additionalProperties")]


def test_the_schema_written_to_a_file_is_the_printed_one(tmp_path):
    path = tmp_path / "recipe.schema.json"
    result = CliRunner().invoke(cli.main, ["schema", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == _schema()
    result = CliRunner().invoke(cli.main, ["schema", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "is a directory" in result.output
