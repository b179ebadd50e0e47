"""Choosing the Keras backend before Keras is imported.

Keras reads `KERAS_BACKEND` once, when it is first imported, so no module
of the command line imports Keras at module level: each command first
settles the backend (`--backend`, else `KERAS_BACKEND`, else Keras' own
`keras.json`; an installed one when that names a backend that is not
installed) and only then imports what needs Keras.
"""

import importlib.util
import json
import os
import sys

import click

from keras_gans.regular_files import read_regular

BACKENDS = ("tensorflow", "jax", "torch")


def _installed(backend):
    return importlib.util.find_spec(backend) is not None


def _keras_config_backend():
    """The backend named in Keras' `keras.json`, or None."""
    home = os.environ.get("KERAS_HOME")
    if not home:
        base = os.path.expanduser("~")
        if not os.access(base, os.W_OK):
            base = "/tmp"
        home = os.path.join(base, ".keras")
    try:  # read_regular: a FIFO there would block every command
        data, _ = read_regular(os.path.join(home, "keras.json"), 1 << 20)
        backend = json.loads(data).get("backend")
    except (OSError, ValueError, AttributeError, RecursionError):
        return None
    return backend if isinstance(backend, str) else None


def resolve_backend(option=None):
    """Chooses the Keras backend without importing Keras.

    Args:
        option: the `--backend` value, or None.

    Returns:
        `(backend, note)`: the backend to use and, when it is not the one
        asked for, a sentence saying why (else None).

    Raises:
        click.ClickException: for an explicit `--backend` that is not
            installed, or when no backend is installed.
    """
    if option:
        if not _installed(option):
            raise click.ClickException(
                f"The {option} backend is not installed. Install it (for "
                f"example pip install 'keras-gans[{option}]') or choose "
                f"another with --backend."
            )
        return option, None
    source = "KERAS_BACKEND"
    wanted = os.environ.get("KERAS_BACKEND")
    if not wanted:
        wanted = _keras_config_backend()
        source = "Keras' keras.json"
    if not wanted:
        wanted, source = "tensorflow", "Keras' default"
    if wanted in BACKENDS and _installed(wanted):
        return wanted, None
    for backend in BACKENDS:
        if _installed(backend):
            reason = ("is not installed" if wanted in BACKENDS
                      else "cannot train GANs")
            return backend, (
                f"The {wanted} backend (from {source}) {reason}; "
                f"using {backend}."
            )
    raise click.ClickException(
        "No Keras backend is installed: install one of tensorflow, jax or "
        "torch (for example pip install 'keras-gans[jax]')."
    )


def setup_backend(option=None):
    """Settles the backend in `os.environ` before Keras is imported.

    Returns:
        The backend's name.
    """
    backend, note = resolve_backend(option)
    if note:
        click.echo(note, err=True)
    if "keras" in sys.modules:
        # In-process use (tests, notebooks): Keras is loaded already and
        # cannot change backend.
        import keras

        current = keras.backend.backend()
        if current != backend:
            raise click.ClickException(
                f"Keras is already loaded with the {current} backend in this "
                f"process and cannot switch to {backend}."
            )
        return backend
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return backend


def backend_option(function):
    """The `--backend` option of the group and of each command."""
    return click.option(
        "--backend",
        type=click.Choice(BACKENDS),
        default=None,
        help="Keras backend (default: KERAS_BACKEND, else Keras' keras.json).",
    )(function)


def chosen(ctx, option):
    """The command's `--backend`, else the group's (`keras-gans --backend
    B run ...`), else None."""
    return option or (ctx.obj or {}).get("backend")


def setup(ctx, option=None):
    """`setup_backend` with the command's or the group's `--backend`."""
    return setup_backend(chosen(ctx, option))
