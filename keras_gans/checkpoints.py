"""Checkpoints: the full GAN saved atomically, found again after a crash.

A checkpoint is a `.keras` file holding the whole GAN: both networks, both
optimizers, the EMA weights, the step counter (the generator optimizer's
`iterations`) and the model's random stream. Beside the Keras members the
zip holds `keras_gans.json`, the training position: the step, the epoch and
the batch within it, the data-order seed, and what the caller adds (the
recipe's model section, for `keras-gans run`).

- `atomic_save` writes a model so that a crash leaves either the old file or
  the new one, never half of one (temporary name, fsync, rename).
- `Checkpoint` is the callback: every N steps and/or every N epochs, keeping
  the newest K, named by step (`step_00001200.keras`) so that mid-epoch
  checkpoints sort in training order.
- `latest_checkpoint` finds the newest checkpoint that opens as a complete
  `.keras` zip, skipping (and naming) ones cut off mid-write; `restore`
  loads it and says where training stopped.

Example, for `fit()` users:

```python
from keras_gans import checkpoints

callback = checkpoints.Checkpoint("ckpt", every_steps=500, keep=3)
gan.fit(x, batch_size=64, epochs=10, callbacks=[callback])
# ... after a crash:
restored = checkpoints.restore("ckpt")      # or restore("ckpt", gan=gan)
gan = restored.gan
restored.step, restored.epoch, restored.batch
```
"""

import dataclasses
import json
import os
import re
import zipfile

import keras

from keras_gans import files

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "CheckpointMismatch",
    "Restored",
    "atomic_save",
    "checkpoint_path",
    "latest_checkpoint",
    "list_checkpoints",
    "load_newest",
    "read_position",
    "restore",
]

STEP_PATTERN = re.compile(r"^step_(\d+)\.keras$")
EPOCH_PATTERN = re.compile(r"^epoch_(\d+)\.keras$")  # before step names
POSITION_MEMBER = "keras_gans.json"
KERAS_MEMBERS = ("config.json", "metadata.json")
TEMPORARY_PREFIX = files.TEMPORARY_PREFIX


class CheckpointError(RuntimeError):
    """No usable checkpoint: none written yet, or every one is damaged."""


class CheckpointMismatch(CheckpointError):
    """A checkpoint that does not fit the GAN it is loaded into."""


def atomic_save(model, path, extra=None):
    """Saves a Keras model so that `path` is never left half written.

    The model is saved to a temporary name in the same directory, flushed to
    disk with fsync, then renamed over `path` with `os.replace` (atomic on
    POSIX and Windows). A crash leaves either the old file or the new one;
    a failed write removes its temporary file (`keras_gans.files`).

    Args:
        model: the model to save.
        path: the `.keras` file to write.
        extra: a JSON-able dict stored in the zip as `keras_gans.json`
            (Keras ignores the member when loading).

    Returns:
        `path`.

    Raises:
        OSError: when the file cannot be written (its `filename` is
            `path`); an older file at `path` is left as it was.
    """
    path = os.fspath(path)
    with files.replacing(path) as temporary:
        model.save(temporary)
        if extra is not None:
            with zipfile.ZipFile(temporary, "a") as archive:
                archive.writestr(POSITION_MEMBER, json.dumps(extra, indent=1))
    return path


# ----------------------------------------------------------------------
# Finding checkpoints


def checkpoint_path(directory, step):
    """`<directory>/step_00001200.keras` for the checkpoint after step 1200."""
    return os.path.join(directory, f"step_{int(step):08d}.keras")


def list_checkpoints(directory):
    """`[(number, path), ...]` of the checkpoints in `directory`, oldest first.

    `number` is the step of `step_*.keras` files and the epoch of the
    `epoch_*.keras` files older versions wrote (those sort first: a run
    resumed with this version writes step names after them). Nothing is
    opened; `latest_checkpoint` checks that a file is complete.
    """
    if not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        for rank, pattern in enumerate((EPOCH_PATTERN, STEP_PATTERN)):
            match = pattern.match(name)
            if match:
                number = int(match.group(1))
                found.append((rank, number, os.path.join(directory, name)))
    return [(number, path) for _, number, path in sorted(found)]


def check_complete(path):
    """Raises `CheckpointError` unless `path` is a complete `.keras` file.

    A file cut off mid-write has no zip directory at its end; a damaged one
    has members whose CRC does not match, or headers `zipfile` cannot read;
    a zip rewritten around a damaged member has a weights file that HDF5
    cannot read or JSON that does not parse. All of these are caught
    without loading Keras state.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = [m for m in KERAS_MEMBERS if m not in names]
            if missing or not any(n.startswith("model.weights") for n in names):
                raise CheckpointError(
                    f"{path} lacks the Keras members "
                    f"{', '.join(missing) or 'model.weights.*'}"
                )
            damaged = archive.testzip()
            if damaged is not None:
                raise CheckpointError(f"{path}: member {damaged} is damaged")
            for name in sorted(names):
                try:
                    _check_member(archive, name)
                except Exception as error:
                    raise CheckpointError(
                        f"{path}: member {name} is damaged "
                        f"({type(error).__name__}: {error})") from error
    except CheckpointError:
        raise
    except Exception as error:  # zipfile raises more than BadZipFile
        raise CheckpointError(f"{path} is not a complete .keras file: "
                              f"{type(error).__name__}: {error}") from error


def _check_member(archive, name):
    """Reads a member the way loading will: JSON parsed, HDF5 datasets
    read (raising on damage)."""
    if name.endswith(".json"):
        json.loads(archive.read(name))
    elif name.endswith(".h5"):
        import h5py

        def read(_, item):
            if isinstance(item, h5py.Dataset):
                item[()]

        with archive.open(name) as member, h5py.File(member, "r") as file:
            file.visititems(read)


def read_position(path):
    """The `keras_gans.json` dict of a checkpoint; `{}` for older files."""
    with zipfile.ZipFile(path) as archive:
        if POSITION_MEMBER not in archive.namelist():
            return {}
        return json.loads(archive.read(POSITION_MEMBER))


def latest_checkpoint(directory, echo=None):
    """The newest complete checkpoint in `directory`, or None.

    Damaged files (a write cut off by a crash or a full disk) are skipped
    with a message naming them; leftover temporary files are never
    considered.

    Args:
        directory: the checkpoint directory.
        echo: called with one line per skipped file (default: no output).

    Returns:
        `(path, skipped)`: the path (None when there is no complete
        checkpoint) and the list of skipped paths with their reasons.
    """
    path, _, skipped = load_newest(directory, lambda path: None, echo)
    return path, skipped


def load_newest(directory, load, echo=None):
    """Loads the newest checkpoint in `directory` that is complete and loads.

    Newest first, each file is checked (`check_complete`) and handed to
    `load`; a file that fails either is skipped as damaged, with a message
    naming it, and the one before it is tried.

    Args:
        directory: the checkpoint directory.
        load: called with a path; returns what it loaded. Any error it
            raises marks the file damaged, except `CheckpointMismatch`,
            which is raised (an older file would not fit either).
        echo: called with one line per skipped file (default: no output).

    Returns:
        `(path, loaded, skipped)`: the path (None when no file loads), what
        `load` returned, and the skipped paths with their reasons.
    """
    skipped = []
    for _, path in reversed(list_checkpoints(directory)):
        try:
            check_complete(path)
            return path, load(path), skipped
        except CheckpointMismatch:
            raise
        except Exception as error:  # whatever a damaged file makes Keras raise
            reason = str(error) if isinstance(error, CheckpointError) else (
                f"{path} could not be loaded: {type(error).__name__}: "
                f"{' '.join(str(error).split())[:300]}")
            skipped.append((path, reason))
            if echo is not None:
                echo(f"Skipping the damaged checkpoint {path} ({reason}); "
                     "using the one before it.")
    return None, None, skipped


def leftover_temporaries(directory):
    """Temporary files a crashed `atomic_save` left in `directory`."""
    if not os.path.isdir(directory):
        return []
    return sorted(
        os.path.join(directory, name) for name in os.listdir(directory)
        if name.startswith(TEMPORARY_PREFIX)
    )


@dataclasses.dataclass
class Restored:
    """A GAN loaded from a checkpoint, and where its training stopped.

    `epoch` (from 0) and `batch` are the next batch to train on: batch
    `batch` of epoch `epoch`. `skipped` lists the damaged newer checkpoints
    passed over, as `(path, reason)`.
    """

    gan: object
    path: str
    step: int
    epoch: int | None
    batch: int | None
    info: dict
    skipped: list


def restore(directory, gan=None, echo=None):
    """Loads the newest complete checkpoint of `directory`.

    Args:
        directory: a checkpoint directory (as given to `Checkpoint`).
        gan: None loads a new GAN from the file; a compiled GAN of the same
            architecture gets the weights, optimizer states, EMA weights,
            step counter and random stream loaded into it instead.
        echo: called with a line for each damaged checkpoint skipped.

    Returns:
        A `Restored`.

    Raises:
        CheckpointError: when the directory holds no checkpoint that loads.
        CheckpointMismatch: when `gan` does not match the newest one.
    """
    if gan is None:
        from keras_gans.catalogue_api import load_model as load
    else:
        def load(path):
            _load_into(gan, path)
            return gan
    path, gan, skipped = load_newest(directory, load, echo=echo)
    if path is None:
        found = ", ".join(os.path.basename(p) for p, _ in skipped)
        raise CheckpointError(
            f"No complete checkpoint in {directory}"
            + (f" (damaged: {found}; the newest: {skipped[0][1]})." if found
               else " (expected files like step_00001000.keras).")
        )
    info = read_position(path)
    step = gan.steps
    return Restored(gan, path, step, info.get("epoch"), info.get("batch"),
                    info, skipped)


def _load_into(gan, path):
    """Loads a checkpoint's state into `gan`, refusing one that differs."""
    try:
        gan.load_weights(path)
    except ValueError as error:
        reason = " ".join(str(error).split())
        raise CheckpointMismatch(
            f"The checkpoint {path} does not fit this GAN (another "
            "architecture, latent size or EMA setting): "
            f"{reason[:400]} Pass gan=None to load the GAN it holds."
        ) from error


# ----------------------------------------------------------------------
# The callback


class StepCounting(keras.callbacks.Callback):
    """A callback that knows the run's step (generator updates) and epoch.

    The counter is read from the model once per `fit()`; after that the
    batch indices Keras passes give it, with no device sync.
    """

    step = 0
    epoch = 0
    _epoch_start_step = 0

    def on_train_begin(self, logs=None):
        self.step = self.model.steps

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._epoch_start_step = self.step

    def count_steps(self, batch):
        """Moves the step to the end of batch `batch` of this epoch (with
        `steps_per_execution`, Keras passes the last batch it ran)."""
        self.step = self._epoch_start_step + batches_done(batch, self.params)


def batches_done(batch, params):
    """How many batches of the epoch have run when Keras reports `batch`.

    With `steps_per_execution = k`, Keras reports the index of the k-th
    batch of each call, also for an epoch's last call that runs fewer
    (7 batches, k = 3: it reports 2, 5 and 8); the epoch length in the
    callbacks' `params["steps"]` bounds it.
    """
    done = batch + 1
    steps = (params or {}).get("steps")
    return min(done, steps) if steps else done


def crossed_multiple(interval, before, after):
    """Whether a multiple of `interval` lies in `(before, after]` (several
    steps pass at once with `steps_per_execution`); never for interval 0."""
    return bool(interval) and after // interval > before // interval


class Checkpoint(StepCounting):
    """Saves the full GAN every N steps and/or epochs, keeping the last K.

    Each file is named by the step it was taken after, and records the
    training position (see the module docstring). A `guard` (a
    `keras_gans.guards.DivergenceGuard`) is asked before every save: a
    checkpoint is never written once a loss or a weight is NaN or infinite,
    so the newest checkpoint is always a good one.

    Args:
        directory: where `step_00000100.keras`, ... go.
        every_steps: save after steps `every_steps`, `2 * every_steps`, ...
            (counted over the whole run); None or 0 for none.
        every_epochs: save after epochs `every_epochs`, `2 *
            every_epochs`, ...; None or 0 for none.
        keep: how many of the newest checkpoints to keep. Only checkpoints
            found in `directory` when the callback is made and those it
            writes are ever removed.
        last_epoch: the run's final epoch (counted from 1; always saved).
        steps_per_epoch: batches per epoch, to record the position as
            `(epoch, batch)`; by default the `steps` of `fit()`.
        guard: a `DivergenceGuard` checked before each save, or None.
        extra: a JSON-able dict stored with every checkpoint.
    """

    def __init__(self, directory, every_steps=None, every_epochs=1, keep=3,
                 last_epoch=None, steps_per_epoch=None, guard=None,
                 extra=None):
        super().__init__()
        self.directory = os.fspath(directory)
        self.every_steps = int(every_steps or 0)
        self.every_epochs = int(every_epochs or 0)
        self.keep = int(keep)
        if self.keep < 1:
            raise ValueError(f"`keep` must be at least 1. Received: "
                             f"keep={keep!r}")
        self.last_epoch = last_epoch
        self.steps_per_epoch = steps_per_epoch
        self.guard = guard
        self.extra = dict(extra or {})
        self.saved = []
        self.stop_requested = False
        self.interrupted_at = None
        # Pruning removes only this run's files: those here now (a resumed
        # run's earlier checkpoints) and those this callback writes.
        self._own = {path for _, path in list_checkpoints(self.directory)}

    def position(self, epoch_end=False):
        """`(epoch, batch)`: the next batch to train on, epoch from 0."""
        if self.steps_per_epoch:
            return divmod(self.step, self.steps_per_epoch)
        per_epoch = (self.params or {}).get("steps")
        done = self.step - self._epoch_start_step
        if epoch_end or (per_epoch and done >= per_epoch):
            return self.epoch + 1, 0
        return self.epoch, done

    # Saving -----------------------------------------------------------

    def on_train_batch_end(self, batch, logs=None):
        before = self.step
        self.count_steps(batch)
        if self.stop_requested:
            self.interrupted_at = self.step
            self.model.stop_training = True
            self.save(logs)
        elif crossed_multiple(self.every_steps, before, self.step):
            self.save(logs)

    def on_epoch_end(self, epoch, logs=None):
        number = epoch + 1
        if number == self.last_epoch or (
            self.every_epochs and number % self.every_epochs == 0
        ):
            self.save(logs, epoch_end=True)

    def save(self, logs=None, epoch_end=False):
        """Saves a checkpoint now, unless training has diverged.

        Returns:
            The path written, or None (already saved at this step, or a
            non-finite loss or weight).
        """
        if self.saved and self.saved[-1][0] == self.step:
            return None
        if self.guard is not None and not self.guard.safe_to_save(
            self.model, logs, self.step
        ):
            return None
        epoch, batch = self.position(epoch_end)
        extra = dict(self.extra, step=self.step, epoch=epoch, batch=batch,
                     steps_per_epoch=self.steps_per_epoch)
        path = atomic_save(self.model,
                           checkpoint_path(self.directory, self.step), extra)
        self.saved.append((self.step, path))
        self._own.add(path)
        own = [old for _, old in list_checkpoints(self.directory)
               if old in self._own]
        for old in own[: -self.keep]:
            if old != path:
                self._own.discard(old)
                try:
                    os.remove(old)
                except FileNotFoundError:
                    pass
        return path

