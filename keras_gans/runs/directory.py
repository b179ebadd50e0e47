"""A run directory: its layout, and one process holding it at a time.

`RunDirectory` is the only code that knows where a run keeps its files:

- `recipe.toml`: the resolved recipe the run started with (overrides and
  defaults applied); a resume never rewrites it.
- `.keras-gans.lock`: locked by the process training in the directory, for
  the whole run (`claim` below).
- `checkpoints/step_00001200.keras`: the full GAN and the data position,
  written atomically (`keras_gans.training.checkpoints` names the files in
  the folder); `resume=True` continues from the newest complete one.
- `samples/epoch_0001.png`: samples from one fixed latent batch per epoch
  (an image grid, or a scatter plot over the real data for 2-D data).
- `skipped_files.txt`: only when the dataset left files out: path, tab,
  reason.
- `data_checks.json`: what the data checks found before training
  (`keras_gans.datasets.checks`), when `data.check` is on.
- `removed_samples.json`: only when `data.clean` removed samples: each
  one's index (and file), reason, and the sample it duplicates.
- `logs/`: TensorBoard scalars, sample pictures and the recipe.
- `generator.keras`: the final generator, with the EMA weights when the
  recipe uses an EMA (the weights `GAN.generate()` samples with).
- `gan.keras`: the final full GAN, for sampling and resuming.
- `metrics.json`: final losses, steps, wall time, backend, mode coverage
  for the 2-D toy datasets, `resumes`, `rollbacks`, and the `evaluation`
  block that evaluating the run adds.

Holding a run directory

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

import datetime
import errno
import json
import os
import shutil

from keras_gans.runs.errors import RunError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

__all__ = ["LOCK_NAME", "Claim", "RunDirectory", "RunDirectoryError", "claim",
           "create_unique", "holder_pid"]

LOCK_NAME = ".keras-gans.lock"
# Refuse to start on a disk with less room than this: the first checkpoint
# would fail anyway, after the data is loaded and the model built.
MIN_FREE_BYTES = 16 * 2**20
# msvcrt locks byte ranges; lock one far past the PID so it stays readable.
_WINDOWS_LOCK_OFFSET = 2**30
_HELD = (errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK,
         getattr(errno, "EDEADLOCK", errno.EDEADLK))


class RunDirectory:
    """One run's folder; the only code that knows its layout.

    Creating one does no I/O; `new` creates a fresh folder.

    Args:
        path: the run directory.
    """

    RECIPE = "recipe.toml"
    CHECKPOINTS = "checkpoints"
    SAMPLES = "samples"
    LOGS = "logs"
    GAN = "gan.keras"
    GENERATOR = "generator.keras"
    METRICS = "metrics.json"
    SKIPPED_FILES = "skipped_files.txt"
    DATA_CHECKS = "data_checks.json"
    REMOVED_SAMPLES = "removed_samples.json"
    LOCK = LOCK_NAME
    SAMPLE_NAME = "epoch_{epoch:04d}.png"

    def __init__(self, path):
        self.path = os.fspath(path)

    def __repr__(self):
        return f"RunDirectory({self.path!r})"

    def __fspath__(self):
        return self.path

    def __eq__(self, other):
        return isinstance(other, RunDirectory) and other.path == self.path

    def __hash__(self):
        return hash(self.path)

    @classmethod
    def new(cls, parent, name, now=None):
        """Creates `<parent>/<name>-<YYYYmmdd-HHMMSS>` (`-2`, `-3`, ...
        when taken, atomically) with `name` made safe for a file name.

        Raises:
            RunDirectoryError: when it cannot be created.
        """
        now = now or datetime.datetime.now()
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        return cls(create_unique(
            os.path.join(os.fspath(parent), f"{safe}-{now:%Y%m%d-%H%M%S}")))

    @classmethod
    def of_model(cls, model_path):
        """The run a `.keras` file belongs to (its folder or the one above
        holds a recipe.toml: `gan.keras`, a checkpoint), or None."""
        parent = os.path.dirname(os.path.abspath(model_path))
        for candidate in (parent, os.path.dirname(parent)):
            if os.path.isfile(os.path.join(candidate, cls.RECIPE)):
                return cls(candidate)
        return None

    def _join(self, name):
        return os.path.join(self.path, name)

    @property
    def recipe_path(self):
        return self._join(self.RECIPE)

    @property
    def checkpoints(self):
        return self._join(self.CHECKPOINTS)

    @property
    def samples(self):
        return self._join(self.SAMPLES)

    @property
    def logs(self):
        return self._join(self.LOGS)

    @property
    def gan_path(self):
        return self._join(self.GAN)

    @property
    def generator_path(self):
        return self._join(self.GENERATOR)

    @property
    def metrics_path(self):
        return self._join(self.METRICS)

    @property
    def skipped_files_path(self):
        return self._join(self.SKIPPED_FILES)

    @property
    def data_checks_path(self):
        return self._join(self.DATA_CHECKS)

    @property
    def removed_samples_path(self):
        return self._join(self.REMOVED_SAMPLES)

    def is_run(self):
        """Whether the folder holds a run's recipe.toml."""
        return os.path.isfile(self.recipe_path)

    def read_recipe(self):
        """The run's recipe.toml as a dict, or None when there is none or
        it is not a recipe file (`runs.recipe.read`'s checks)."""
        from keras_gans.runs.recipe import RecipeError
        from keras_gans.runs.recipe import read

        if not os.path.isfile(self.recipe_path):
            return None
        try:
            return read(self.recipe_path)
        except RecipeError:
            return None

    def model_paths(self):
        """Where a saved model may be, best first: `gan.keras`, the
        checkpoints folder, `generator.keras` (see `runs.sample`)."""
        return self.gan_path, self.checkpoints, self.generator_path

    def newest_sample(self):
        """The newest sample picture's path, or None."""
        try:
            names = sorted(os.listdir(self.samples))
        except OSError:
            return None
        return os.path.join(self.samples, names[-1]) if names else None

    def read_metrics(self):
        """metrics.json as a dict (empty when missing or unreadable)."""
        try:
            with open(self.metrics_path, encoding="utf-8") as file:
                value = json.load(file)
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def outputs(self):
        """`(label, path)` of what a finished run holds, to show a user."""
        newest = self.newest_sample()
        rows = [
            ("recipe", self.recipe_path),
            ("samples", newest),
            ("checkpoints", self.checkpoints + os.sep),
            ("generator", self.generator_path),
            ("full GAN", self.gan_path),
            ("metrics", self.metrics_path),
        ]
        return [(label, path) for label, path in rows if path]


class RunDirectoryError(RunError):
    """A run directory that cannot be used: in use by another process,
    not empty for a new run, missing for a resume, or not writable.

    `reason` says which: `"is_file"`, `"missing"`, `"not_empty"`,
    `"in_use"`, `"disk_full"` or `"not_writable"`.
    """


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
            f"The run directory {directory} is a file, not a directory.",
            "Choose another output directory.", reason="is_file")
    if resume and not os.path.isdir(directory):
        raise RunDirectoryError(
            f"No checkpoint to resume from: the run directory {directory} "
            "does not exist.",
            "Check the output directory, or start a new run.",
            reason="missing")
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
                    f"{', ...' if len(others) > 5 else ''}).",
                    "Resume it (resume=True), or choose another output "
                    "directory.", reason="not_empty")
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
            f"process ({holder}).",
            "Wait for it to finish or stop it, or choose another output "
            "directory.", reason="in_use") from None
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
            f"{MIN_FREE_BYTES // 2**20} MiB for its checkpoints and logs.",
            "Free some space or choose another output directory.",
            reason="disk_full")


def _not_writable(directory, error):
    reason = error.strerror or str(error)
    where = f" ({error.filename})" if error.filename else ""
    return RunDirectoryError(
        f"Cannot write to the run directory {directory}: {reason}{where}.",
        "Choose another output directory, or fix its permissions.",
        reason="not_writable")
