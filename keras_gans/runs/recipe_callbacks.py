"""A recipe's `[[train.callbacks]]`: registered names or import paths.

Each entry names a callback registered by keras-gans or a plugin
(`keras-gans list callbacks`), or any `keras.callbacks.Callback`
subclass by its import path, with its arguments beside the name:

```toml
[[train.callbacks]]
name = "keras.callbacks.CSVLogger"    # module.Class: imported, not registered
filename = "log.csv"                  # -> <run directory>/log.csv
```

A name with a dot is an import path (registered names have none). Both
kinds are checked when the recipe is (`check`, from
`runs.recipe.check_names`), before any work: a path that does not import
or is not a Callback subclass, and arguments that do not fit the
callback's signature (an unknown one, with the nearest known name, or a
required one missing) are recipe problems with their dotted path.

Relative file arguments go inside the run directory: the values of the
arguments named in `FILE_ARGUMENTS` (`filename`, `filepath`, `log_dir`,
...) that are relative paths are joined to the run directory when the
callback is made (`create`); absolute paths are kept. The process's
working directory is never changed (other threads and the dataset's own
relative paths depend on it).
"""

import difflib
import importlib
import inspect
import json
import os

__all__ = ["FILE_ARGUMENTS", "check", "create", "import_callback",
           "is_import_path"]

# Arguments that name a file or folder a callback writes, by Keras' and
# common callbacks' conventions (CSVLogger, ModelCheckpoint, TensorBoard,
# BackupAndRestore).
FILE_ARGUMENTS = ("filename", "filepath", "log_dir", "backup_dir",
                  "directory", "path")
EXPECTED = ("the import path of a keras.callbacks.Callback subclass "
            "(module.Class) or a registered callback (keras-gans list "
            "callbacks)")


def is_import_path(name):
    """Whether a callback entry's `name` is an import path."""
    return isinstance(name, str) and "." in name


def import_callback(path):
    """The `keras.callbacks.Callback` subclass at the import path `path`.

    The longest importable module prefix is imported and the rest looked
    up as attributes (`keras.callbacks.CSVLogger`, `pkg.mod.Outer.Inner`).

    Raises:
        ValueError: naming what failed (no such module, no such attribute
            with the nearest one, not a Callback subclass).
    """
    import keras

    parts = path.split(".")
    if not all(parts):
        raise ValueError(f"{json.dumps(path)} is not an import path; "
                         f"expected {EXPECTED}")
    module, rest, missing = None, [], None
    for split in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:split])
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name and not name.startswith(error.name):
                raise ValueError(_import_failed(path, error)) from None
            missing = missing or error.name
            continue
        except Exception as error:  # the module itself raised
            raise ValueError(_import_failed(path, error)) from None
        rest = parts[split:]
        break
    if module is None:
        raise ValueError(f"cannot import {json.dumps(path)}: no module named "
                         f"{json.dumps(missing or parts[0])}; expected "
                         f"{EXPECTED}")
    value, owner = module, ".".join(parts[: len(parts) - len(rest)])
    for attribute in rest:
        if not hasattr(value, attribute):
            close = difflib.get_close_matches(
                attribute, [n for n in dir(value) if not n.startswith("_")],
                n=1)
            hint = f" (did you mean {json.dumps(close[0])}?)" if close else ""
            raise ValueError(
                f"cannot import {json.dumps(path)}: {json.dumps(owner)} has "
                f"no attribute {json.dumps(attribute)}{hint}; expected "
                f"{EXPECTED}")
        value = getattr(value, attribute)
        owner = f"{owner}.{attribute}"
    if not (isinstance(value, type)
            and issubclass(value, keras.callbacks.Callback)):
        what = (f"the class {value.__name__}" if isinstance(value, type)
                else f"a {type(value).__name__}")
        raise ValueError(f"{json.dumps(path)} is {what}, not a "
                         "keras.callbacks.Callback subclass; expected "
                         f"{EXPECTED}")
    return value


def _import_failed(path, error):
    return (f"importing {json.dumps(path)} failed: {type(error).__name__}: "
            f"{error}")


def check(item, path, catalogue, check_params):
    """The problems of one `[[train.callbacks]]` entry.

    Args:
        item: the entry (`recipe_schema.Callback`).
        path: its dotted path, `train.callbacks[0]`.
        catalogue: the plugin catalogue, for registered names.
        check_params: `runs.recipe._check_params`, the one check of
            parameters against a signature.

    Returns:
        A list of `path: message` problems.
    """
    if not is_import_path(item.name):
        try:
            entry = catalogue.get("callbacks", item.name, "callback")
        except Exception as error:  # CatalogueError; plugin code may raise
            return [f"{path}.name: {error}"]
        return check_params(entry.factory, item.params, path,
                            f"callback {entry.name!r}")
    try:
        cls = import_callback(item.name)
    except ValueError as error:
        return [f"{path}.name: {error}"]
    what = f"callback {item.name!r}"
    problems = check_params(cls, item.params, path, what)
    if not problems:
        try:
            inspect.signature(cls).bind(**item.params)
        except TypeError as error:  # positional-only, and the like
            problems.append(f"{path}: the arguments do not fit {what}: "
                            f"{error}")
        except ValueError:
            pass  # no signature to check against
    return problems


def create(item, catalogue, run_directory):
    """Makes the callback of one entry, relative file arguments inside
    `run_directory` (see the module docstring)."""
    params = in_run_directory(item.params, run_directory)
    if is_import_path(item.name):
        return import_callback(item.name)(**params)
    return catalogue.create("callbacks", item.name, "callback", **params)


def in_run_directory(params, run_directory):
    """`params` with the relative paths of `FILE_ARGUMENTS` joined to
    `run_directory`."""
    placed = dict(params)
    for name in FILE_ARGUMENTS:
        value = placed.get(name)
        if isinstance(value, str) and value and not os.path.isabs(value):
            placed[name] = os.path.join(os.fspath(run_directory), value)
    return placed
