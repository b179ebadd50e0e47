"""Files that are not recipes, and recipes with absurd numbers: each is a
usage error (exit 2) naming the file, found before any work."""

import os

import pytest
from click.testing import CliRunner

from keras_gans import cli
from nonblocking import in_thread
from keras_gans.runs import recipe as recipe_module
from keras_gans.runs import recipe_schema as schema
from keras_gans.runs.recipe import RecipeError

VALID = """\
[model]
architecture = "mlp"
latent_dim = 8

[data]
dataset = "ring"

[train]
epochs = 1
"""


def run_command(path, *args):
    return CliRunner().invoke(
        cli.main, ["run", str(path), *map(str, args)],
        catch_exceptions=False,
    )


def refused(path, *args):
    """The CLI's exit code and message for a recipe that must be refused;
    no run directory may appear next to it."""
    runs = os.path.join(os.path.dirname(path), "runs")
    result = run_command(path, "--set", f"output.dir={runs}", *args)
    assert result.exit_code == 2, result.output
    assert f"Invalid recipe {path}" in result.output
    assert "Traceback" not in result.output
    assert not os.path.exists(runs)
    return result.output


def only_problem(path):
    with pytest.raises(RecipeError) as info:
        recipe_module.load(path)
    assert info.value.source == str(path)
    (problem,) = info.value.problems
    return problem


def test_a_binary_file_is_not_a_recipe(tmp_path):
    path = tmp_path / "model.toml"
    path.write_bytes(VALID.encode() + bytes(range(256)))
    offset = len(VALID) + 128  # bytes 0..127 are ASCII
    assert only_problem(path) == (
        f"not a text file: byte {offset:,} (b'\\x80') is not UTF-8; a recipe "
        "is a TOML text file in UTF-8")
    assert "not a text file" in refused(path)


def test_utf16_text_is_named_and_a_utf8_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "windows.toml"
    path.write_bytes(VALID.encode("utf-16"))
    assert "it is UTF-16" in only_problem(path)
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert recipe_module.load(path)["model"]["latent_dim"] == 8


def test_deeply_nested_arrays_are_a_recipe_error_not_a_recursion_error(
        tmp_path):
    path = tmp_path / "deep.toml"
    for depth in (40, 100_000):  # parsed, then refused; too deep to parse
        path.write_text(VALID.replace(
            "latent_dim = 8",
            "latent_dim = 8\nparams = { a = " + "[" * depth + "]" * depth
            + " }"))
        assert "nested more than 32 deep" in only_problem(path)
    assert "nested more than 32 deep" in refused(path)


def test_nesting_a_recipe_needs_is_read(tmp_path):
    path = tmp_path / "nested.toml"
    path.write_text(VALID.replace(
        "latent_dim = 8", "latent_dim = 8\nparams = { width = 8 }") + (
        "callbacks = [{ name = \"evaluation\", metrics = \"fid\" }]\n"))
    assert recipe_module.read(path)["train"]["callbacks"][0]["name"] == (
        "evaluation")


def test_deep_nesting_in_an_override_is_a_recipe_error(tmp_path):
    path = tmp_path / "recipe.toml"
    path.write_text(VALID)
    for value in ("[" * 40 + "]" * 40, "[" * 100_000):
        with pytest.raises(RecipeError) as info:
            recipe_module.load(path, [f"model.params.a={value}"])
        assert "nested more than 32 deep" in str(info.value)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    assert in_thread(only_problem, path, unblock=path) == (
        f"cannot be read: {path} is a FIFO (named pipe), not a regular file")
    in_thread(refused, path, unblock=path)


def test_a_device_and_an_oversized_file_are_refused(tmp_path):
    with pytest.raises(RecipeError, match="is a character device"):
        recipe_module.load("/dev/zero")
    path = tmp_path / "big.toml"
    path.write_text(VALID + "#" * recipe_module.MAX_RECIPE_BYTES)
    assert only_problem(path).startswith("larger than 1,048,576 bytes")
    refused(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_a_usage_error(tmp_path):
    path = tmp_path / "secret.toml"
    path.write_text(VALID)
    path.chmod(0)
    assert only_problem(path) == "cannot be read: Permission denied"
    refused(path)


def test_long_problem_lists_are_cut_with_a_count_of_the_rest(tmp_path):
    path = tmp_path / "keys.toml"
    count = 50_000
    path.write_text(VALID + "".join(f"k{i} = 1\n" for i in range(count)))
    with pytest.raises(RecipeError) as info:
        recipe_module.load(path)
    assert len(info.value.problems) == count
    lines = str(info.value).splitlines()
    shown = recipe_module.MAX_LISTED_PROBLEMS
    assert lines[0] == f"Invalid recipe {path} (50,000 problems):"
    assert lines[1:shown + 1] == [
        f"  - {p}" for p in info.value.problems[:shown]]
    assert lines[shown + 1:] == ["  ... and 49,980 more problems"]
    assert lines[1] == ("  - train.k0: unknown key. Known keys: "
                        + ", ".join(schema.keys(schema.Train)) + ".")
    output = refused(path)
    assert len(output.splitlines()) == shown + 2


def test_a_few_problems_are_all_listed():
    error = RecipeError([f"p{i}" for i in range(20)], "r.toml")
    assert str(error).splitlines()[-1] == "  - p19"
    assert "more problem" not in str(error)
    error = RecipeError([f"p{i}" for i in range(21)], "r.toml")
    assert str(error).splitlines()[-1] == "  ... and 1 more problem"


@pytest.mark.parametrize("key, value, limit", [
    ("model.latent_dim", 1_000_000_000, "from 1 to 1,048,576"),
    ("data.batch_size", 10**12, "from 1 to 1,048,576"),
    ("output.samples", 1_000_000_000, "from 1 to 10,000"),
    ("train.d_steps", 10**6, "from 1 to 100"),
    ("train.seed", 2**32, "from 0 to 2,147,483,647"),
    ("train.epochs", 2**63, "from 1 to 2,147,483,647"),
])
def test_absurd_numbers_are_refused_with_the_limit(tmp_path, key, value,
                                                   limit):
    path = tmp_path / "recipe.toml"
    path.write_text(VALID)
    with pytest.raises(RecipeError) as info:
        recipe_module.load(path, [f"{key}={value}"])
    (problem,) = info.value.problems
    assert problem.startswith(
        f"{key}: expected an integer {limit} (")
    assert problem.endswith(f"), got {value:,}")
    refused(path, "--set", f"{key}={value}")


def test_the_limits_themselves_are_accepted(tmp_path):
    path = tmp_path / "recipe.toml"
    path.write_text(VALID)
    overrides = [f"{key}={limit}" for key, (limit, _) in
                 recipe_module.LIMITS.items() if key != "train.steps"]
    recipe = recipe_module.load(path, overrides)
    assert recipe["model"]["latent_dim"] == 2**20
    assert recipe["output"]["samples"] == 10_000


def test_a_name_too_long_for_a_directory_and_a_nul_in_a_path_are_refused(
        tmp_path):
    path = tmp_path / "recipe.toml"
    path.write_text(VALID)
    overrides = ['name="' + "é" * 101 + '"', 'output.dir="runs\\u0000x"']
    with pytest.raises(RecipeError) as info:
        recipe_module.load(path, overrides)
    assert info.value.problems == [
        "name: expected at most 200 bytes (in UTF-8; it names the run "
        "directory, and file names hold 255), got 202",
        'output.dir: a path cannot contain the NUL character (\\u0000); got '
        '"runs\\u0000x"',
    ]
    output = refused(path, *[a for o in overrides for a in ("--set", o)])
    assert "got 202" in output
    name = 'name="' + "é" * 100 + '"'  # 200 bytes
    assert recipe_module.load(path, [name]).name == "é" * 100
