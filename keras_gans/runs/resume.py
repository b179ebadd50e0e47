"""Resuming a run exactly where it stopped (`keras-gans run --resume`).

What makes a resumed run end with the same weights as an uninterrupted one:

- the checkpoint holds the whole training state (see
  `keras_gans.training.checkpoints`): weights, optimizer states, EMA weights, the
  step counter and the GAN's random stream;
- the data order of epoch `e` is a pure function of `(train.seed, e)`
  (`keras_gans.training.batches`), and the position `(epoch, batch)` follows from
  the step, so the resumed run trains on the batches the uninterrupted run
  would have: first the rest of the interrupted epoch (one short `fit()`),
  then the remaining epochs (a second `fit()`).

Datasets that are not arrays (a `tf.data.Dataset`, a generator or
`PyDataset` from a plugin) cannot be started in the middle: a run resumed
from a mid-epoch checkpoint continues with the right weights and step
count, but the data restarts at the beginning of the dataset's pass.

Changing the recipe's model section between runs is refused (the
checkpoint could not be loaded into the recipe's model, or would silently
ignore it); changing the loss, penalty, EMA or optimizers gives a note, as
the checkpoint's compiled settings are what train; changing the data or
the seed gives a note that the data order will differ.
"""

import contextlib
import dataclasses
import signal
import threading

from keras_gans.runs.directory import RunDirectory
from keras_gans.training.batches import OrderedBatches

__all__ = [
    "Interrupted",
    "Segment",
    "checkpoint_on_interrupt",
    "model_differences",
    "recipe_notes",
    "resume_position",
    "segments",
]

# What a resumed run takes from its checkpoint rather than from the recipe.
COMPILED = (
    ("train", "loss"),
    ("train", "penalty"),
    ("train", "d_steps"),
    ("train", "ema"),
    ("train", "augment"),
    ("train", "g_optimizer"),
    ("train", "d_optimizer"),
    ("train", "optimizer"),
)
# What decides the data order.
DATA_ORDER = (
    ("data", "dataset"),
    ("data", "batch_size"),
    ("data", "drop_remainder"),
    ("data", "flip"),
    ("data", "params"),
    ("train", "seed"),
)


class Interrupted(Exception):
    """Training stopped on Ctrl-C after writing a checkpoint.

    Attributes:
        step: the step the checkpoint was taken after.
        path: the checkpoint written (None if none could be written).
    """

    def __init__(self, step, path):
        self.step = step
        self.path = path
        super().__init__(f"Interrupted after step {step}.")


# ----------------------------------------------------------------------
# Recipe changes


def differences(old, new, prefix):
    """Dotted paths where two nested tables differ, with both values."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            found += differences(old.get(key), new.get(key),
                                 f"{prefix}.{key}")
        return found
    if old != new:
        return [(prefix, old, new)]
    return []


def model_differences(saved_model, model):
    """Lines naming each difference between two `model` sections."""
    return [
        f"  {path}: {_show(old)} in the checkpoint, {_show(new)} in the recipe"
        for path, old, new in differences(saved_model, model, "model")
    ]


def _show(value):
    return "(not set)" if value is None else repr(value)


def _section(recipe, path):
    value = recipe
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


CONSEQUENCES = (
    (COMPILED, "the checkpoint's loss, penalty, EMA and optimizers (with "
               "their learning rates) are used."),
    (DATA_ORDER, "the data order will not be the one the interrupted run "
                 "would have used."),
)


def recipe_notes(saved, current):
    """Notes on recipe values that differ from the run's saved recipe."""
    notes = []
    for paths, consequence in CONSEQUENCES:
        changed = [".".join(p) for p in paths
                   if _section(saved, p) != _section(current, p)]
        if changed:
            verb = "differs" if len(changed) == 1 else "differ"
            notes.append(f"Note: {', '.join(changed)} {verb} from the run's "
                         f"{RunDirectory.RECIPE}; {consequence}")
    return notes


# ----------------------------------------------------------------------
# Position and fit() calls


def resume_position(step, info, steps_per_epoch):
    """`(epoch, batch)` to continue at: the next batch to train on.

    With a known epoch length the position follows from the step (every
    epoch has `steps_per_epoch` batches); otherwise the checkpoint's record
    is used.
    """
    if steps_per_epoch:
        return divmod(step, steps_per_epoch)
    return int(info.get("epoch") or 0), int(info.get("batch") or 0)


@dataclasses.dataclass
class Segment:
    """One `fit()` call: its data and the arguments that place it."""

    x: object
    y: object
    arguments: dict

    def fit_arguments(self):
        # The data orders itself (OrderedBatches) or is a dataset Keras
        # cannot shuffle; `shuffle=False` says so instead of a warning.
        arguments = dict(self.arguments, x=self.x, shuffle=False)
        if self.y is not None:
            arguments["y"] = self.y
        return arguments


def segments(data, batch_size, seed, epoch, batch, epochs, part=(0, 1)):
    """The `fit()` calls that train from `(epoch, batch)` to `epochs`.

    `batch_size` is the global batch and `(epoch, batch)` counts global
    batches, on any number of devices; `part` `(index, count)`: the part of
    each global batch this process is fed (`OrderedBatches`), `(0, 1)` the
    whole batch.

    Array data: an `OrderedBatches` per call; the first call finishes a
    partly trained epoch with `steps_per_epoch` shortened to what is left.
    Other data is passed as it is; a partly trained epoch then takes the
    first batches of a fresh pass (the dataset cannot start elsewhere), or,
    when the dataset has no length, is trained again from its start.
    """
    per_epoch = data.steps_per_epoch
    plan = []
    if data.is_array:
        # Streamed images: `workers` threads decode batches ahead.
        options = dict(flip=data.flip, workers=data.workers,
                       max_queue_size=2 * data.workers, part=part)
        if batch:
            plan.append(Segment(
                OrderedBatches(data.x, data.y, batch_size, seed, epoch, batch,
                               **options),
                None,
                dict(initial_epoch=epoch, epochs=epoch + 1,
                     steps_per_epoch=per_epoch - batch),
            ))
            epoch += 1
        if epoch < epochs:
            plan.append(Segment(
                OrderedBatches(data.x, data.y, batch_size, seed, epoch, 0,
                               **options),
                None,
                dict(initial_epoch=epoch, epochs=epochs,
                     steps_per_epoch=per_epoch),
            ))
        return plan
    if batch and per_epoch:
        plan.append(Segment(data.x, None, dict(
            initial_epoch=epoch, epochs=epoch + 1,
            steps_per_epoch=per_epoch - batch,
        )))
        epoch += 1
    if epoch < epochs:
        plan.append(Segment(data.x, None,
                            dict(initial_epoch=epoch, epochs=epochs)))
    return plan


def position_note(data, batch):
    """What a resumed run of non-array data cannot restore, or None."""
    if data.is_array or not batch:
        return None
    if data.steps_per_epoch:
        return (
            f"Note: the dataset is not an array, so it cannot start at batch "
            f"{batch} of the interrupted epoch; the rest of that epoch takes "
            "the first batches of a fresh pass (weights and step count are "
            "restored exactly, the data order is not)."
        )
    return (
        "Note: the dataset is not an array and has no length, so the "
        f"interrupted epoch is trained again from its start ({batch} batches "
        "of it are seen twice)."
    )


# ----------------------------------------------------------------------
# Ctrl-C


@contextlib.contextmanager
def checkpoint_on_interrupt(checkpoint, echo):
    """Turns the first Ctrl-C into "finish this step, checkpoint, stop".

    `checkpoint.stop_requested` is set; the `Checkpoint` callback saves
    after the step in progress and stops `fit()`. A second Ctrl-C
    interrupts at once (the previous handler is back). Outside the main
    thread (where Python delivers signals) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def request_stop(signum, frame):
        checkpoint.stop_requested = True
        signal.signal(signal.SIGINT, previous)
        echo("\nInterrupted: finishing this step and writing a checkpoint "
             "(press Ctrl-C again to stop at once, without one).")

    signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
