"""How much memory there is, and refusing what cannot fit in it.

The limit is the memory available now (`available_memory`: MemAvailable
in /proc/meminfo, capped by a cgroup memory limit, else `os.sysconf`).
Datasets check the arrays their arguments size before allocating them
(`check_argument_fits`); a run checks its whole estimate
(`keras_gans.resources`) with `check_fits`. Pure Python.
"""

import dataclasses
import os

from keras_gans.advice import Advised

__all__ = [
    "BYTES_PER_VALUE",
    "Estimate",
    "MemoryLimitError",
    "available_memory",
    "check_argument_fits",
    "check_fits",
    "format_bytes",
]

BYTES_PER_VALUE = 4  # float32; mixed precision keeps float32 variables


class MemoryLimitError(Advised, ValueError):
    """An estimate above the memory available; the message gives both
    (`problem`), then what to lower (`remedy`)."""


@dataclasses.dataclass(frozen=True)
class Estimate:
    """Bytes a run needs, by part.

    Attributes:
        parts: `{description: bytes}`, for example
            `{"generator: 1.2e+06 parameters x 5 (...)": 24_000_000}`.
    """

    parts: dict

    @property
    def total(self):
        return sum(self.parts.values())

    def describe(self):
        """The parts as `what = size` phrases joined by semicolons."""
        return "; ".join(f"{what} = {format_bytes(size)}"
                         for what, size in self.parts.items())


def format_bytes(count):
    """`1536` -> `"1.5 KiB"`; binary units up to EiB."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024:
            return f"{value:.0f} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} EiB"


# ----------------------------------------------------------------------
# The limit


def available_memory():
    """`(bytes, where the figure comes from)` available now, or None.

    MemAvailable from /proc/meminfo (Linux), else free physical pages from
    `os.sysconf`; a cgroup memory limit (containers) lowers it.
    """
    found = _meminfo_available() or _sysconf_available()
    if found is None:
        return None
    limit = _cgroup_room()
    if limit is not None and limit[0] < found[0]:
        return limit
    return found


def _meminfo_available():
    try:
        with open("/proc/meminfo", encoding="ascii") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    kib = int(line.split()[1])
                    return kib * 1024, "MemAvailable in /proc/meminfo"
    except (OSError, ValueError, IndexError):
        pass
    return None


def _sysconf_available():
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES")
        page = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    if pages <= 0 or page <= 0:
        return None
    return pages * page, "free physical memory (os.sysconf)"


def _cgroup_room():
    """The room left under a cgroup v2 or v1 memory limit, or None."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
         "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            with open(limit_file, encoding="ascii") as file:
                text = file.read().strip()
            if text == "max":
                return None
            with open(usage_file, encoding="ascii") as file:
                used = int(file.read().strip())
            limit = int(text)
        except (OSError, ValueError):
            continue
        if limit >= 2**60:  # cgroup v1 writes "no limit" as a huge number
            return None
        return max(limit - used, 0), f"the cgroup memory limit ({limit_file})"
    return None


def check_fits(estimate, what, advice, available=None):
    """Raises when an estimate is more than the memory available.

    Args:
        estimate: an `Estimate`.
        what: what needs the memory, for the message ("training").
        advice: what to lower, for the message.
        available: `(bytes, source)`; None reads `available_memory()`
            (when that is unknown too, nothing is checked).

    Raises:
        MemoryLimitError: naming the estimate, its parts and the limit.
    """
    available = available or available_memory()
    if available is None or estimate.total <= available[0]:
        return
    limit, source = available
    raise MemoryLimitError(
        f"{what} needs at least {format_bytes(estimate.total)} of memory, "
        f"more than the {format_bytes(limit)} available ({source}): "
        f"{estimate.describe()}.", advice)


def check_argument_fits(size, what, argument, value, subject="The dataset"):
    """Raises a Keras-style ValueError when `size` bytes cannot fit.

    For a factory about to allocate an array whose size an argument
    chose: the message names the argument to lower and ends with
    `Received: argument=value`.

    Args:
        size: bytes about to be allocated.
        what: what they hold ("1,797 images of 64x64x1 float32 values").
        argument: the argument that sets the size.
        value: its value.
        subject: what needs the memory, for the message.

    Raises:
        ValueError: when `size` is more than the memory available.
    """
    try:
        check_fits(Estimate({what: size}), subject, f"Lower `{argument}`.")
    except MemoryLimitError as error:
        raise ValueError(f"{error} Received: {argument}={value!r}") from None
