"""Atomic file writes: a file is either the old one or the new one.

Every file keras-gans writes into a run directory (checkpoints, models,
pictures, JSON and TOML) goes through `replacing(path)`: the content is
written to a temporary file beside `path`, flushed to disk with fsync and
renamed over `path` (`os.replace` is atomic on POSIX and Windows). A crash
or a full disk leaves the old file as it was, and a write that fails
removes its temporary file instead of leaving it behind.

The temporary name is `.tmp-<pid>-<name>`: hidden, unique to the writing
process, and ending like the real name (Keras insists on `.keras`).
"""

import contextlib
import os

__all__ = ["TEMPORARY_PREFIX", "WriteError", "fsync_directory", "replacing",
           "toml_text", "without_none", "write_text"]

TEMPORARY_PREFIX = ".tmp-"


class WriteError(OSError):
    """Writing a file failed. `filename` is the file meant (never a
    temporary name), `strerror` the system's reason; the file's previous
    content, if any, is intact."""

    @classmethod
    def naming(cls, error, path):
        """`error` (an OSError) as a WriteError naming `path`: a full disk,
        or a failed write to a temporary file, names no file of its own."""
        return cls(error.errno, error.strerror or str(error), path)


@contextlib.contextmanager
def replacing(path):
    """Yields a temporary path to write; renames it over `path` on success.

    Args:
        path: the file to (re)place. Its folder is created if missing.

    Yields:
        The temporary path to write the new content to.

    Raises:
        WriteError: when writing, syncing or renaming fails (its `filename`
            is `path`); the temporary file is gone.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(
        directory, f"{TEMPORARY_PREFIX}{os.getpid()}-{os.path.basename(path)}"
    )
    try:
        yield temporary
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as error:
        # Name the file the caller wanted, with the system's reason.
        raise WriteError.naming(error, path) from error
    finally:
        _remove_quietly(temporary)
    fsync_directory(directory)


def write_text(path, text):
    """Writes `text` (UTF-8) to `path` atomically (see `replacing`)."""
    with replacing(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)


def fsync_directory(directory):
    """Makes a rename durable (POSIX); a no-op where directories can't open."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _remove_quietly(path):
    """Removes `path` if it is there; a failure here must not hide the
    error that made the write fail."""
    try:
        os.remove(path)
    except OSError:  # FileNotFoundError included: nothing to remove.
        pass


def toml_text(data, header=()):
    """TOML text for a nested dict, preceded by `# ` comment lines.

    TOML has no null: keys whose value is None are left out.

    Args:
        data: a dict of TOML values (tables, arrays, numbers, strings).
        header: lines to write first, as comments.

    Returns:
        The text.
    """
    import tomli_w

    lines = "".join(f"# {line}\n" for line in header)
    return lines + tomli_w.dumps(without_none(data))


def without_none(value):
    """`value` with every dict entry whose value is None left out, at any
    depth (what TOML can hold)."""
    if isinstance(value, dict):
        return {k: without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [without_none(v) for v in value]
    return value
