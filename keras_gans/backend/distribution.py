"""How a training run is spread over devices and processes.

Backend-agnostic: each backend module's `distribute()` sets up its own
engine (JAX's `keras.distribution`, a `tf.distribute` strategy, a
`torch.distributed` process group) and describes the result with a
`Distribution`, which the run layer reads without knowing the backend.
"""

import contextlib
import dataclasses
from typing import Callable

import numpy as np

MODES = ("data_parallel", "model_parallel")


@dataclasses.dataclass
class Distribution:
    """The devices and processes a run trains on.

    Attributes:
        mode: "single" (one device), "data_parallel" or "model_parallel".
        devices: names of the devices this process drives.
        replicas: data-parallel replicas over all processes; the global
            batch is split into this many equal parts.
        process_index: this process's rank (0 is the chief, which alone
            writes checkpoints, samples, logs and metrics).
        process_count: processes taking part.
        scope: a function returning the context in which the GAN must be
            built, compiled, loaded and trained (a `tf.distribute`
            strategy's scope; a null context elsewhere).
        local_rows: True when each process's `fit()` is fed only its own
            rows of every global batch (a local batch of
            `global_batch // process_count` rows, process `p` taking rows
            `p * local` to `(p + 1) * local`); False when the process is
            fed the global batch and the backend splits it.
        synchronize: a function of a built (or loaded) model that makes
            every process hold the chief's values of its variables, called
            before training (PyTorch broadcasts from rank 0; engines that
            keep one global copy need nothing).
        gather: None, or a function of a NumPy array (the same shape in
            every process) returning the arrays of all processes
            concatenated on axis 0 in process order. With it, work that
            splits by rows (generating samples for evaluation and their
            features) is shared out with `shard`; without it, every process
            computes all of it (one process, or engines whose programs span
            the processes and must be run by all of them alike).
        close: releases what `distribute` set up (a process group).
    """

    mode: str = "single"
    devices: tuple = ()
    replicas: int = 1
    process_index: int = 0
    process_count: int = 1
    scope: Callable = contextlib.nullcontext
    local_rows: bool = False
    synchronize: Callable = lambda model: None
    gather: Callable = None
    close: Callable = lambda: None

    @property
    def is_chief(self):
        """Whether this process writes the run's files."""
        return self.process_index == 0

    def shard(self, count):
        """`(start, stop)`: the rows of `count` this process computes when
        work is shared out (`gather` set): equal blocks of
        `ceil(count / process_count)` rows in process order, the last
        process's cut short; `(0, count)` when it is not."""
        if self.gather is None:
            return 0, count
        block = -(-count // self.process_count)
        start = min(count, self.process_index * block)
        return start, min(count, start + block)

    def gather_rows(self, rows, count):
        """The `count` rows of every process's `shard`, in order, from this
        process's `rows` (`rows` itself when work is not shared out)."""
        if self.gather is None:
            return rows
        block = -(-count // self.process_count)
        padded = np.zeros((block,) + rows.shape[1:], rows.dtype)
        padded[:len(rows)] = rows
        return self.gather(padded)[:count]

    def check_batch_size(self, batch_size):
        """Raises ValueError unless `batch_size` (the global batch) splits
        evenly over the replicas; returns the per-replica batch."""
        if batch_size % self.replicas:
            lower = batch_size - batch_size % self.replicas
            sizes = (f"{lower} or {lower + self.replicas}" if lower
                     else f"{self.replicas} or a multiple of it")
            raise ValueError(
                f"The global batch size must divide by the {self.replicas} "
                f"data-parallel replicas. Received: batch_size={batch_size}. "
                f"Use {sizes}."
            )
        return batch_size // self.replicas

    def describe(self, batch_size=None):
        """One line: mode, devices, processes and the per-device batch."""
        if self.mode == "single":
            return f"Training on one device ({', '.join(self.devices)})."
        line = (f"Training {self.mode.replace('_', '-')} on "
                f"{self.replicas} replicas")
        if self.process_count > 1:
            line += f" in {self.process_count} processes"
        line += f" ({', '.join(self.devices)} in this process)"
        if batch_size is not None:
            line += (f"; global batch {batch_size}, "
                     f"{batch_size // self.replicas} per replica")
        return line + "."


def choose_devices(available, requested):
    """The device names to use out of `available` (in order).

    Args:
        available: names of the devices the backend sees, in its order.
        requested: "all", a positive count (the first that many) or a
            list of names.

    Raises:
        ValueError: for a count above what is available, an unknown name,
            or a value of another kind.
    """
    available = list(available)
    if requested == "all":
        return available
    if isinstance(requested, int) and not isinstance(requested, bool):
        if not 1 <= requested <= len(available):
            raise ValueError(
                f"Asked for {requested} devices but this process sees "
                f"{len(available)}: {', '.join(available)}. Ask for at most "
                f"{len(available)}, or \"all\". Received: devices={requested}"
            )
        return available[:requested]
    if isinstance(requested, (list, tuple)) and requested and all(
            isinstance(name, str) for name in requested):
        unknown = [name for name in requested if name not in available]
        if unknown:
            raise ValueError(
                f"Unknown devices {', '.join(unknown)}: this process sees "
                f"{', '.join(available)}. Received: devices={list(requested)}"
            )
        return list(requested)
    raise ValueError(
        'devices must be "all", a positive number of devices or a list of '
        f"device names. Received: devices={requested!r}"
    )


_active = None


def active():
    """The `Distribution` of the run in progress in this process, or None
    (set by `keras_gans.backend.distribute`, cleared by its `close`)."""
    return _active


def activate(distribution):
    """Records `distribution` as `active()` until its `close` is called."""
    global _active
    close = distribution.close

    def close_and_clear():
        global _active
        try:
            close()
        finally:
            if _active is distribution:
                _active = None

    distribution.close = close_and_clear
    _active = distribution
    return distribution
