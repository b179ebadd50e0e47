"""Scaffolding of new plugin packages (`keras-gans new-plugin NAME`).

`scaffold_plugin("my-losses")` writes `keras-gans-my-losses/`: a
distribution with the `keras_gans` entry point, a hook registering one
example loss and a passing test, from the templates in
`keras_gans/plugins/templates/plugin/`. In the templates, a path component
`__package__` becomes the package name, a `.tmpl` suffix is dropped and
`{{placeholder}}` fields are filled in.
"""

import importlib.resources
import pathlib
import re
import shutil

__all__ = ["scaffold_plugin", "plugin_names"]

TEMPLATE = ("templates", "plugin")
PACKAGE_PLACEHOLDER = "__package__"
SUFFIX = ".tmpl"

_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
_PREFIXES = ("keras-gans-", "keras_gans_")
_FIELD = re.compile(r"\{\{(\w+)\}\}")


def plugin_names(name):
    """The names derived from a plugin name, after validating it.

    Args:
        name: lowercase letters, digits and single hyphens or underscores
            between them, starting with a letter, e.g. `"my-losses"`. A
            leading `keras-gans-` is dropped.

    Returns:
        A dict with `name` (`my-losses`), `distribution`
        (`keras-gans-my-losses`), `package` (`keras_gans_my_losses`),
        `entry_point` (`my_losses`) and `loss_name` (`my_losses_hinge`).

    Raises:
        ValueError: for a name that cannot name a distribution and a
            Python package.
    """
    if not isinstance(name, str):
        raise ValueError(
            f"The plugin name must be a string. Received: name={name!r}"
        )
    short = name.strip()
    for prefix in _PREFIXES:
        if short.startswith(prefix):
            short = short[len(prefix):]
            break
    if not _NAME.fullmatch(short):
        raise ValueError(_name_problem(name, short))
    snake = short.replace("-", "_")
    return {
        "name": snake.replace("_", "-"),
        "distribution": "keras-gans-" + snake.replace("_", "-"),
        "package": f"keras_gans_{snake}",
        "entry_point": snake,
        "loss_name": f"{snake}_hinge",
    }


def _name_problem(name, short):
    expected = (
        "The plugin name must be lowercase letters and digits, starting "
        "with a letter, with single hyphens or underscores between words "
        "(e.g. 'my-losses')"
    )
    if not short:
        why = "; it is empty"
    elif short != short.lower() and _NAME.fullmatch(short.lower()):
        why = f"; use {short.lower()!r}"
    elif short[0].isdigit():
        why = "; it starts with a digit"
    else:
        bad = sorted(
            {c for c in short if not (c.isascii() and (c.isalnum() or c in "-_"))}
        )
        if bad:
            why = f"; it contains {', '.join(repr(c) for c in bad)}"
        else:
            why = "; hyphens and underscores must sit between letters or digits"
    return f"{expected}{why}. Received: name={name!r}"


def scaffold_plugin(name, destination="."):
    """Creates a new plugin package `keras-gans-<name>/` in `destination`.

    The package holds `pyproject.toml` (with the `keras_gans` entry point),
    `src/keras_gans_<name>/__init__.py`, `src/keras_gans_<name>/plugin.py`
    (a hook registering the loss `<name>_hinge`), `tests/test_plugin.py`
    (passing tests of that loss and hook) and `README.md`.

    Args:
        name: the plugin's name, e.g. `"my-losses"` (see `plugin_names`).
        destination: the directory to create the package in; created if
            missing.

    Returns:
        The `pathlib.Path` of the new package directory.

    Raises:
        ValueError: for an invalid name.
        FileExistsError: when the package directory already exists; nothing
            is overwritten.

    Example:

    ```python
    path = scaffold_plugin("my-losses", "plugins")
    # plugins/keras-gans-my-losses; then: pip install -e plugins/keras-gans-my-losses
    ```
    """
    from keras_gans import __version__

    fields = plugin_names(name)
    fields["keras_gans_version"] = ".".join(__version__.split(".")[:2])
    destination = pathlib.Path(destination)
    target = destination / fields["distribution"]
    if destination.exists() and not destination.is_dir():
        raise FileExistsError(
            f"The destination {destination} is a file, not a directory. "
            f"Received: destination={str(destination)!r}"
        )
    destination.mkdir(parents=True, exist_ok=True)
    # Creating the folder is the check that it is new: mkdir is atomic, so
    # a folder another process makes meanwhile is never written into.
    try:
        target.mkdir()
    except FileExistsError:
        raise FileExistsError(
            f"{target} already exists; choose another name or destination, "
            f"or remove it first. Received: name={name!r}, "
            f"destination={str(destination)!r}"
        ) from None
    try:
        package = importlib.resources.files("keras_gans.plugins")
        template = package.joinpath(*TEMPLATE)
        _render_tree(template, target, fields)
    except BaseException:
        # A failure leaves no half-written package behind.
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _render_tree(source, target, fields):
    for item in source.iterdir():
        if item.name == "__pycache__":
            continue
        name = item.name.replace(PACKAGE_PLACEHOLDER, fields["package"])
        if item.is_dir():
            (target / name).mkdir()
            _render_tree(item, target / name, fields)
        elif name.endswith(SUFFIX):
            text = _render(item.read_text(encoding="utf-8"), fields, item.name)
            (target / name[: -len(SUFFIX)]).write_text(text, encoding="utf-8")


def _render(text, fields, template_name):
    def fill(match):
        key = match.group(1)
        if key not in fields:
            raise KeyError(
                f"Unknown field {{{{{key}}}}} in template {template_name}. "
                f"Known fields: {', '.join(sorted(fields))}"
            )
        return fields[key]

    return _FIELD.sub(fill, text)
