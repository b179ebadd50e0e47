"""A run spread over several devices or processes (`[distribution]`).

The backend sets up its own engine (`keras_gans.backend.distribute`) and
describes it with a `Distribution`; this module is what the run layer does
with that description, without knowing the backend:

- `launch`: the processes a backend trains in (PyTorch), started by the
  command line before anything else;
- `start`: the recipe's `[distribution]` table handed to the backend,
  first of all (before the data or any model touches it), its refusals
  turned into recipe problems;
- `check_requested`, `check`, `check_data`: the global batch must split
  evenly over the replicas (and the last batch of an epoch too), and a
  process that is fed only its own rows needs array data; refused before
  any work;
- `Workspace`: where a process other than the chief writes. Only the
  chief (process 0) writes the run directory. The others run exactly the
  same program (the collectives of every step, and of every sample the
  callbacks draw, must line up), so they write the same files into a
  temporary folder of their own, removed when the run ends, and, resuming,
  read the chief's newest checkpoint from the run directory without
  claiming it.

A run resumed on several devices continues at the same position as on one:
the epoch order and the batch index count global batches, and a process fed
its own rows (`Distribution.local_rows`) takes its part of each global
batch (`keras_gans.training.batches.OrderedBatches`, `part`).
"""

import os
import shutil
import tempfile

from keras_gans.runs.errors import RunError
from keras_gans.runs.recipe import RecipeError

__all__ = ["Workspace", "check", "check_data", "check_requested", "launch",
           "needs_output", "start"]


def start(recipe):
    """Sets up the devices and processes the recipe asks for.

    Returns:
        The backend's `keras_gans.backend.distribution.Distribution`.

    Raises:
        RecipeError: for devices (or a mode) this process cannot have,
            naming `distribution.devices` (or `distribution`).
    """
    from keras_gans import backend

    section = recipe.distribution
    try:
        return backend.distribute(section.devices, mode=section.mode,
                                  mesh=section.mesh,
                                  layout=section.layout)
    except ValueError as error:
        key = ("distribution.devices" if section.mode == "data_parallel"
               else "distribution")
        raise RecipeError([f"{key}: {error}"]) from error


def launch(recipe, argv):
    """Starts the processes the backend trains in, where it trains in
    several (PyTorch: one per device, `backend.launch`), each running the
    command line `argv`, once a batch the recipe's devices cannot split is
    refused. One device starts nothing.

    Returns:
        Their exit status, or None when this process trains.

    Raises:
        RecipeError: as `check_requested`.
    """
    if recipe.distribution.devices == 1:
        return None
    from keras_gans import backend

    check_requested(recipe)
    return backend.launch(recipe.distribution.devices, argv)


def check_requested(recipe):
    """Refuses a global batch that cannot split over the devices the
    recipe names by count or by name, before the backend sets anything up
    (or starts processes, `backend.launch`): the replicas are those devices
    (or, over several hosts, a multiple of them), so a batch the count does
    not divide is refused by `check` later anyway.

    Raises:
        RecipeError: as `check`.
    """
    from keras_gans.backend.distribution import Distribution

    devices = recipe.distribution.devices
    if recipe.distribution.mode != "data_parallel" or devices == "all":
        return
    count = devices if isinstance(devices, int) else len(devices)
    check(Distribution(replicas=count), recipe)


def check(distribution, recipe):
    """Refuses a recipe this distribution cannot train, before any work.

    Raises:
        RecipeError: for a global batch (`data.batch_size`) that does not
            split evenly over the replicas (naming the replicas and the
            two nearest sizes that do).
    """
    batch_size, replicas = recipe.data.batch_size, distribution.replicas
    if batch_size < replicas:
        raise RecipeError(
            [f"data.batch_size: the global batch of {batch_size} cannot be "
             f"split over {replicas} data-parallel replicas (each needs at "
             f"least one row); use {replicas} or a multiple of it, or fewer "
             "devices"])
    try:
        distribution.check_batch_size(batch_size)
    except ValueError as error:
        raise RecipeError([f"data.batch_size: {error}"]) from None


def check_data(distribution, recipe, data):
    """Refuses data that cannot be split over the replicas, once it is
    batched (`runs.train.batch_data`).

    Raises:
        RecipeError: for a dataset that is not an array when each process
            reads its own rows, or a partial last batch that does not split
            evenly over the replicas.
    """
    replicas = distribution.replicas
    if distribution.local_rows and not data.is_array:
        raise RecipeError(
            [f"data.dataset: {recipe.data.dataset!r} is not an array, so it "
             f"cannot be split over the {distribution.process_count} "
             "processes (each reads its own rows of every batch); train on "
             "one process, or use an array dataset"])
    if not data.is_array or replicas == 1:
        return
    last = data.num_samples % recipe.data.batch_size
    if last % replicas:
        raise RecipeError(
            [f"data.drop_remainder: the last batch of each epoch has {last} "
             f"samples, which do not split over the {replicas} replicas; "
             "set data.drop_remainder = true"])


def needs_output(distribution, output):
    """Refuses a multi-process run without a named run directory: every
    process must name the same run.

    Raises:
        RunError: `reason="distributed_needs_output"`.
    """
    if distribution.process_count > 1 and output is None:
        raise RunError(
            f"A run in {distribution.process_count} processes needs `output`, "
            "the run directory, named the same in every process.",
            "Pass the same output directory to every process.",
            reason="distributed_needs_output")


def describe(distribution, batch_size):
    """The line the run's log gets: devices, processes and the batch per
    device; None on one device in one process."""
    if distribution.mode == "single" and distribution.process_count == 1:
        return None
    return distribution.describe(batch_size)


def record(distribution):
    """What metrics.json records of the distribution, or None on one
    device in one process."""
    if distribution.mode == "single" and distribution.process_count == 1:
        return None
    return {"mode": distribution.mode, "replicas": distribution.replicas,
            "processes": distribution.process_count}


class Workspace:
    """The temporary folder a process other than the chief writes its
    copies of the run's files to; removed when the run ends.

    Held in `Prepared.claim` in place of the chief's `runs.directory.Claim`
    (same `release` and `abandon`).

    Attributes:
        directory: the temporary folder.
        run_directory: the run the chief writes (what a resume reads).
    """

    def __init__(self, run_directory, process_index):
        self.run_directory = os.fspath(run_directory)
        self.directory = tempfile.mkdtemp(
            prefix=f"keras-gans-process{process_index}-")

    def release(self):
        """Removes the folder and everything written to it."""
        shutil.rmtree(self.directory, ignore_errors=True)

    abandon = release
