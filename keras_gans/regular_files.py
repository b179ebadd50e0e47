"""Paths a user names that may not be regular files: reading, replacing.

`open()` on a FIFO waits for a writer, forever if none comes, and reading a
device such as /dev/zero never ends. The loaders that read a path the user
named (a recipe, an image) open it with `O_NONBLOCK`, which returns at once
for a FIFO, and then check on the open descriptor (so the check and the
read concern the same file) that it is a regular file.

Outputs are written atomically: a temporary file renamed over the target.
A rename replaces whatever the name held, so `-o /dev/null` run as root
would put a PNG where the device was; `check_replaceable` refuses such a
target before any work.
"""

import os
import stat

__all__ = ["NotRegularFileError", "check_replaceable", "file_kind",
           "open_regular", "read_regular"]


class NotRegularFileError(OSError):
    """A path that names a FIFO, a device, a socket or a folder."""


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode):
    """What a `st_mode` describes, in words ("a FIFO (named pipe)", ...)."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def open_regular(path):
    """Opens a regular file for binary reading, never blocking on a FIFO.

    Symbolic links are followed.

    Args:
        path: the file.

    Returns:
        A binary file object, positioned at the start.

    Raises:
        NotRegularFileError: when `path` is not a regular file, naming what
            it is.
        OSError: when it cannot be opened (missing, no permission).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(
        os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(
                f"{path} is {file_kind(mode)}, not a regular file"
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular(path, limit):
    """The bytes of a regular file of at most `limit` bytes.

    Returns:
        `(data, complete)`: at most `limit` bytes, and False when the file
        holds more (the rest is not read).

    Raises:
        NotRegularFileError, OSError: as `open_regular`.
    """
    with open_regular(path) as file:
        data = file.read(limit + 1)
    return data[:limit], len(data) <= limit


def check_replaceable(path):
    """Refuses an output path that exists and is not a regular file.

    Links are followed: a link to a regular file may be replaced (the link
    is, not its target); a link to a device may not.

    Raises:
        NotRegularFileError: naming what the path is.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:  # missing (fine), or the write will say why not
        return
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(
            f"{path} is {file_kind(mode)}; writing the output would replace "
            "it. Choose the name of a regular file."
        )
