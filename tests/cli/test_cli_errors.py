"""The one mapping from library exceptions to command-line messages
(`keras_gans/cli/errors.py`).

Library messages are worded for Python callers and name no flag of the
command line; where their remedy is a flag, the command line says it in its
own words, found by the exception's `reason`. Every reason the library
raises has that wording, and every wording a reason that is raised.
"""

import ast
import os
import re

import click
import source_strings

from keras_gans import cli
from keras_gans.cli import errors
from keras_gans.runs import directory as run_directory

from paths import REPO
PACKAGE = os.path.join(REPO, "keras_gans")
CLI = os.path.join(PACKAGE, "cli")

# Strings that name a flag on purpose: the resolved recipe.toml records a
# run's overrides as the `--set` lines that gave them (the Python API's
# overrides become the same lines), and the schema module's own `python -m`
# options.
WRITTEN_ON_PURPOSE = {
    ("runs/recipe_schema.py", "--set "),  # the recipe.toml header
    ("runs/recipe_schema.py", "--markdown"),
    ("runs/recipe_schema.py", "--json-schema"),
    ("runs/recipe_schema.py", "--markdown | --json-schema\n"),
}


def _library_files():
    for folder, _, names in os.walk(PACKAGE):
        if os.path.commonpath([folder, CLI]) == CLI:
            continue
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def _strings(path):
    """String constants of a module that are not docstrings. A piece of an
    f-string right after a `{value}` is given from its first space: `"-d"`
    in `f"{dim}-d"` continues the value, it is no flag."""
    with open(path, encoding="utf-8") as file:
        tree = ast.parse(file.read(), path)
    docstrings = source_strings.docstrings(tree)
    after_value = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for before, part in zip(node.values, node.values[1:]):
                if isinstance(before, ast.FormattedValue):
                    after_value.add(id(part))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings):
            text = node.value
            if id(node) in after_value:
                text = text[len(text.split(" ")[0]):]
            yield node.lineno, text


def _flags():
    """Every option of every command, e.g. `--resume`, `-n`."""
    flags = set()
    for command in cli.main.commands.values():
        for param in command.params:
            if isinstance(param, click.Option):
                flags.update(param.opts + param.secondary_opts)
    return flags


def test_library_messages_name_no_flag_of_the_command_line():
    flags = _flags()
    assert {"--resume", "--output", "--set", "--dataset", "-n"} <= flags
    pattern = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
    found = []
    for path in _library_files():
        relative = os.path.relpath(path, PACKAGE)
        for line, text in _strings(path):
            named = [m for m in pattern.findall(text) if m in flags]
            if named and (relative, text) not in WRITTEN_ON_PURPOSE:
                found.append(f"{relative}:{line}: {text!r}")
    assert found == []


def _raised_reasons():
    """The `reason="..."` keywords of the library's exceptions."""
    reasons = set()
    for path in _library_files():
        with open(path, encoding="utf-8") as file:
            tree = ast.parse(file.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "reason" and isinstance(
                            keyword.value, ast.Constant):
                        reasons.add(keyword.value.value)
    return reasons


def test_every_reason_has_the_command_lines_words_and_back():
    worded = set(errors.CLI_REMEDIES) | set(errors.CLI_MESSAGES)
    assert _raised_reasons() == worded


def test_the_command_line_keeps_the_problem_and_words_the_remedy(tmp_path):
    directory = tmp_path / "run"
    (directory / "logs").mkdir(parents=True)
    try:
        run_directory.claim(directory, resume=False)
    except run_directory.RunDirectoryError as raised:
        error = raised
    problem = (f"The run directory {directory} already exists and is not "
               "empty (it holds logs).")
    assert str(error) == (f"{problem} Resume it (resume=True), or choose "
                          "another output directory.")
    assert errors.message(error) == (
        f"{problem} Pass --resume to continue it, or choose another "
        "--output.")


def test_a_remedy_with_values_is_filled_in():
    from keras_gans.runs.errors import RunError

    error = RunError("Could not write x: full. The last good checkpoint is "
                     "kept: c;", "resume the run once the disk has room.",
                     reason="write_failed",
                     when="once the disk has room.")
    assert errors.message(error) == (
        "Could not write x: full. The last good checkpoint is kept: c; "
        "continue with --resume once the disk has room.")
