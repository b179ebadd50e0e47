"""A run directory, held by one process at a time and checked writable.

Two processes writing one run directory replace each other's checkpoints,
and a resume deletes the other's half-written one. `claim()` therefore
creates the directory (or opens it, to resume), takes an exclusive lock on
the file `.keras-gans.lock` inside it and writes this process's PID there,
and only then looks at what the directory holds. The lock is an OS lock
(`fcntl.flock` on POSIX, `msvcrt.locking` on Windows): the OS drops it when
the process ends in any way, SIGKILL included, so no stale lock is ever
left; the file itself stays, harmless, with the last holder's PID.

Claiming also proves that the directory can be written (a lock file is
created and synced there) and that its disk has room, before any data is
loaded or model built.
"""

import errno
import os
import shutil

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

__all__ = ["LOCK_NAME", "Claim", "RunDirectoryError", "claim", "create_unique",
           "holder_pid"]

LOCK_NAME = ".keras-gans.lock"
# Refuse to start on a disk with less room than this: the first checkpoint
# would fail anyway, after the data is loaded and the model built.
MIN_FREE_BYTES = 16 * 2**20
# msvcrt locks byte ranges; lock one far past the PID so it stays readable.
_WINDOWS_LOCK_OFFSET = 2**30
_HELD = (errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK,
         getattr(errno, "EDEADLOCK", errno.EDEADLK))


class RunDirectoryError(RuntimeError):
    """A run directory that cannot be used: in use by another process,
    not empty for a new run, missing for a resume, or not writable."""


class Claim:
    """This process's hold on a run directory (see `claim`).

    Attributes:
        directory: the run directory.
        created: whether `claim` created it (a failed start removes it).
    """

    def __init__(self, directory, descriptor, created):
        self.directory = directory
        self.created = created
        self._descriptor = descriptor

    @property
    def held(self):
        return self._descriptor is not None

    def release(self):
        """Drops the lock (closing the file releases it)."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def abandon(self):
        """Releases the lock and, when `claim` created the directory and
        nothing but the lock file was written, removes it again."""
        self.release()
        if not self.created:
            return
        try:
            if os.listdir(self.directory) == [LOCK_NAME]:
                os.remove(os.path.join(self.directory, LOCK_NAME))
                os.rmdir(self.directory)
        except OSError:
            pass

    def __del__(self):
        self.release()


def claim(directory, resume=False, created=False):
    """Locks `directory` for this process, creating it for a new run.

    Args:
        directory: the run directory.
        resume: True to continue a run: the directory must exist. False for
            a new run: it is created, or must hold nothing but a lock file.
        created: whether the caller has just created it (atomically, with
            `os.mkdir`).

    Returns:
        A `Claim`; call `release()` when the run ends (or `abandon()` when
        it fails to start).

    Raises:
        RunDirectoryError: naming the directory, what is wrong, and what to
            do (for a directory in use: the PID that holds it).
    """
    directory = os.fspath(directory)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise RunDirectoryError(
            f"The run directory {directory} is a file, not a directory. "
            "Choose another --output."
        )
    if resume and not os.path.isdir(directory):
        raise RunDirectoryError(
            f"No checkpoint to resume from: the run directory {directory} "
            "does not exist. Check --output, or start a new run without "
            "--resume."
        )
    if not resume and not created:
        try:
            os.makedirs(directory)
            created = True
        except FileExistsError:
            pass  # Checked below, under the lock.
        except OSError as error:
            raise _not_writable(directory, error) from error
    descriptor = _lock(directory)
    held = Claim(directory, descriptor, created)
    try:
        if not resume:
            others = sorted(set(os.listdir(directory)) - {LOCK_NAME})
            if others:
                raise RunDirectoryError(
                    f"The run directory {directory} already exists and is "
                    f"not empty (it holds {', '.join(others[:5])}"
                    f"{', ...' if len(others) > 5 else ''}). Pass --resume to "
                    "continue it, or choose another --output."
                )
        _check_free_space(directory)
    except BaseException:
        held.abandon()
        raise
    return held


def create_unique(base):
    """Creates the folder `base`, or `base-2`, `base-3`, ... when taken.

    The final `mkdir` is atomic, so two processes starting at the same
    second never get the same folder (no check-then-create).

    Returns:
        The path created.

    Raises:
        RunDirectoryError: when the folder cannot be created.
    """
    path, counter = base, 2
    while True:
        try:
            os.makedirs(path)
            return path
        except FileExistsError:
            path, counter = f"{base}-{counter}", counter + 1
        except OSError as error:
            raise _not_writable(path, error) from error


def holder_pid(directory):
    """The PID written in `directory`'s lock file, or None."""
    try:
        with open(os.path.join(directory, LOCK_NAME), "rb") as file:
            text = file.read(32).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _lock(directory):
    """Opens and locks the lock file; writes this process's PID into it."""
    path = os.path.join(directory, LOCK_NAME)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise _not_writable(directory, error) from error
    try:
        _try_lock(descriptor)
    except OSError as error:
        os.close(descriptor)
        if error.errno not in _HELD:
            raise _not_writable(directory, error) from error
        pid = holder_pid(directory)
        holder = f"PID {pid}" if pid else "its PID is not written yet"
        raise RunDirectoryError(
            f"The run directory {directory} is in use by another keras-gans "
            f"process ({holder}). Wait for it to finish or stop it, or "
            "choose another --output."
        ) from None
    try:
        os.ftruncate(descriptor, 0)
        os.lseek(descriptor, 0, os.SEEK_SET)
        os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))
        os.fsync(descriptor)
    except OSError as error:
        os.close(descriptor)
        raise _not_writable(directory, error) from error
    return descriptor


def _try_lock(descriptor):
    """Takes the lock without waiting; OSError (EWOULDBLOCK, EACCES) when
    another process holds it."""
    if fcntl is not None:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:
        os.lseek(descriptor, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)


def _check_free_space(directory):
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        return  # Not detectable here; a write that fails is reported.
    if free < MIN_FREE_BYTES:
        raise RunDirectoryError(
            f"The disk of the run directory {directory} is full: "
            f"{free / 2**20:.1f} MiB free, and a run needs at least "
            f"{MIN_FREE_BYTES // 2**20} MiB for its checkpoints and logs. "
            "Free some space or choose another --output."
        )


def _not_writable(directory, error):
    reason = error.strerror or str(error)
    where = f" ({error.filename})" if error.filename else ""
    return RunDirectoryError(
        f"Cannot write to the run directory {directory}: {reason}{where}. "
        "Choose another --output, or fix its permissions."
    )
