"""The import contract (pyproject.toml, `[tool.importlinter]`) and the
paths modules are imported by.

- One direction of dependency: cli > runs > training | evaluation >
  architectures | datasets | saving > gan > losses, penalties > backend >
  layers > the catalogue > utilities.
- click only under `keras_gans.cli`.
- No import cycles among the modules of any package.

import-linter checks them on the import graph (imports inside functions
included); a violation planted in a copy of the package must break each.
Old module paths (`keras_gans.compat.ALIASES`) stay importable for users,
but keras-gans' own code imports the new ones only, or the graph would
miss the edge.
"""

import ast
import importlib
import os
import shutil
import subprocess
import sys

import pytest

from keras_gans import compat

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(REPO, "keras_gans")

pytest.importorskip("importlinter")


def lint(root):
    """`lint-imports` on the package under `root`: (exit code, output)."""
    code = ("import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command(['--no-cache']))")
    env = dict(os.environ, PYTHONPATH=str(root))
    result = subprocess.run([sys.executable, "-c", code], cwd=root, env=env,
                            capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


def test_the_import_contract_holds():
    code, output = lint(REPO)
    assert code == 0, output
    assert "3 kept, 0 broken" in output, output


@pytest.mark.parametrize("contract, module, planted, expected", [
    ("One direction of dependency", "gan.py",
     "import keras_gans.runs.recipe",
     "keras_gans.gan -> keras_gans.runs.recipe"),
    ("click is imported only under keras_gans.cli", "training/guards.py",
     "import click", "keras_gans.training.guards -> click"),
    ("No import cycles", "runs/directory.py",
     "import keras_gans.runs.train",
     "No cycles are allowed in keras_gans.runs."),
])
def test_a_planted_violation_breaks_its_contract(tmp_path, contract, module,
                                                 planted, expected):
    shutil.copytree(PACKAGE, tmp_path / "keras_gans",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(REPO, "pyproject.toml"), tmp_path)
    with open(tmp_path / "keras_gans" / module, "a") as file:
        file.write(f"\n{planted}  # planted\n")

    code, output = lint(tmp_path)

    assert code == 1, output
    broken = [line for line in output.splitlines() if "BROKEN" in line]
    # An import up the layers also closes a cycle, so that contract may
    # break with it.
    assert any(line.startswith(contract) for line in broken), output
    assert expected in output, output


def _imported_names(path):
    """Every module path a file imports, at any depth (functions too)."""
    with open(path, encoding="utf-8") as file:
        tree = ast.parse(file.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and (
                node.level == 0):
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def test_keras_gans_imports_no_old_path():
    finder = compat.AliasFinder(compat.ALIASES)
    found = []
    for folder, _, names in os.walk(PACKAGE):
        for name in names:
            if not name.endswith(".py") or name == "compat.py":
                continue
            path = os.path.join(folder, name)
            for line, module in _imported_names(path):
                if finder.target(module) is not None:
                    found.append(f"{os.path.relpath(path, REPO)}:{line} "
                                 f"imports {module}")
    assert found == []


@pytest.mark.parametrize("old, new", sorted(compat.ALIASES.items()))
def test_an_old_path_is_the_new_module(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)
