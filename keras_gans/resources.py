"""The memory a training run needs, estimated from its numbers alone.

Building a network is the allocation: a Dense layer from a latent vector of
10^9 values holds 10^9 x width weights the moment it exists. So a recipe
is checked with arithmetic first: the parameter count of each built-in
architecture has a closed form in its arguments (`parameter_counts`), and a
run keeps, per parameter, the weight, its gradient, the optimizer's
moments and, for the generator, the EMA average (`training_memory`). The
fixed sample grid and one batch of z, real and generated samples come on
top. Activations are not counted, so the figure is a lower bound: a run
refused by it cannot fit, and one accepted may still not.

The limit is the memory available now (`available_memory`: MemAvailable
in /proc/meminfo, capped by a cgroup memory limit, else `os.sysconf`). On
a GPU the model must also fit the device's memory, which is not checked
here. Datasets check the arrays their arguments size the same way, before
allocating them (`check_argument_fits`).

Pure Python arithmetic; `parameter_counts` imports the architectures (and
so Keras) only to recognise the factory it is given.
"""

import dataclasses
import inspect
import math
import os

__all__ = [
    "Estimate",
    "MemoryLimitError",
    "available_memory",
    "check_argument_fits",
    "check_fits",
    "format_bytes",
    "optimizer_slots",
    "parameter_counts",
    "sample_grid_memory",
    "training_memory",
]

BYTES_PER_VALUE = 4  # float32; mixed precision keeps float32 variables
# Moment vectors an optimizer keeps per parameter; names not listed count 2.
OPTIMIZER_SLOTS = {"adam": 2, "adamw": 2, "adamax": 2, "nadam": 2,
                   "adadelta": 2, "ftrl": 2, "lamb": 2, "adagrad": 1,
                   "lion": 1, "adafactor": 1, "sgd": 0, "rmsprop": 1}
DEFAULT_SLOTS = 2


class MemoryLimitError(ValueError):
    """An estimate above the memory available; the message gives both."""


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


# ----------------------------------------------------------------------
# Parameter counts of the built-in architectures


def _dense(inputs, units, bias=True):
    return inputs * units + (units if bias else 0)


def _mlp(latent_dim, sample_shape, num_classes, width, depth, **_):
    from keras_gans.architectures.mlp import LABEL_EMBEDDING_DIM

    (size,) = sample_shape
    label = LABEL_EMBEDDING_DIM if num_classes else 0
    embedding = (num_classes or 0) * label

    def hidden(inputs):
        return _dense(inputs, width) + (depth - 1) * _dense(width, width)

    generator = embedding + hidden(latent_dim + label) + _dense(width, size)
    discriminator = embedding + hidden(size + label) + _dense(width, 1)
    return generator, discriminator


def _dcgan_layout(sample_shape, width):
    """`(start size, upsamplings, channels of the first map)` of a DCGAN."""
    height, _, _ = sample_shape
    start = 7 if height == 28 else 4
    upsamplings = int(math.log2(height // start))
    return start, upsamplings, width * 2 ** (upsamplings - 1)


def _dcgan_generator(inputs, sample_shape, width):
    start, upsamplings, channels = _dcgan_layout(sample_shape, width)
    batch_norm = 4  # scale, offset, moving mean, moving variance
    count = _dense(inputs, start * start * channels, bias=False)
    count += batch_norm * channels
    for _ in range(upsamplings - 1):
        count += 16 * channels * (channels // 2) + batch_norm * (channels // 2)
        channels //= 2
    return count + 16 * channels * sample_shape[-1] + sample_shape[-1]


def _dcgan_discriminator_body(sample_shape, width):
    """`(parameters, flattened features)` of DCGAN's discriminator body."""
    start, downsamplings, _ = _dcgan_layout(sample_shape, width)
    count, inputs, channels = 0, sample_shape[-1], width
    for index in range(downsamplings):
        count += 16 * inputs * channels
        count += channels if index == 0 else 4 * channels  # bias or BN
        inputs, channels = channels, channels * 2
    return count, start * start * inputs


def _dcgan(latent_dim, sample_shape, width, **_):
    body, features = _dcgan_discriminator_body(sample_shape, width)
    return (_dcgan_generator(latent_dim, sample_shape, width),
            body + _dense(features, 1))


def _cdcgan(latent_dim, sample_shape, num_classes, width, embedding_dim, **_):
    body, features = _dcgan_discriminator_body(sample_shape, width)
    generator = num_classes * embedding_dim + _dcgan_generator(
        latent_dim + embedding_dim, sample_shape, width)
    return generator, body + _dense(features, 1) + num_classes * features


def _sngan_resnet(latent_dim, sample_shape, num_classes, width, **_):
    w, channels = width, sample_shape[-1]
    if num_classes:  # moving statistics, per-class scale and offset
        batch_norm = 2 * w + 2 * num_classes * w
    else:
        batch_norm = 4 * w
    conv3 = 9 * w * w + w
    up_block = _dense(w, w) + 2 * batch_norm + 2 * conv3
    generator = (_dense(latent_dim, 16 * w) + 3 * up_block + 4 * w
                 + 9 * w * channels + channels)

    # Spectral normalization keeps a vector u of the kernel's output size.
    def sn_conv(inputs, size):
        return size * size * inputs * w + w + w

    discriminator = (
        sn_conv(channels, 1) + sn_conv(channels, 3) + sn_conv(w, 3)  # block 0
        + sn_conv(w, 1) + 2 * sn_conv(w, 3)                          # block 1
        + 4 * sn_conv(w, 3)                                          # 2 and 3
        + _dense(w, 1) + 1
    )
    if num_classes:
        discriminator += num_classes * w + w
    return generator, discriminator


def _formulas():
    from keras_gans import architectures

    return {
        architectures.mlp: _mlp,
        architectures.dcgan: _dcgan,
        architectures.cdcgan: _cdcgan,
        architectures.sngan_resnet: _sngan_resnet,
    }


def parameter_counts(factory, **arguments):
    """Parameters of the networks a built-in architecture factory would build.

    Counts every weight (trainable or not) as Keras' `count_params()` does,
    from the arguments alone: nothing is built.

    Args:
        factory: the architecture factory (`keras_gans.architectures.mlp`,
            ...), as registered in the catalogue.
        **arguments: the arguments it would be called with (`latent_dim`,
            `sample_shape`, `num_classes`, its own parameters); the
            factory's defaults fill in the rest.

    Returns:
        `(generator parameters, discriminator parameters)`, or None for a
        factory without a formula (a plugin's) or arguments it would
        refuse (it raises the clear error when called).
    """
    formula = _formulas().get(factory)
    if formula is None:
        return None
    try:
        bound = inspect.signature(factory).bind(**arguments)
    except TypeError:
        return None
    bound.apply_defaults()
    values = dict(bound.arguments)
    if not _plausible(values):
        return None
    try:
        return formula(**values)
    except (TypeError, ValueError, KeyError):
        return None


def _plausible(values):
    """Whether the numbers a formula reads have the types it needs."""
    shape = values.get("sample_shape")
    if not isinstance(shape, tuple) or not all(_is_count(s) for s in shape):
        return False
    for key in ("latent_dim", "width", "depth", "embedding_dim"):
        if key in values and not _is_count(values[key]):
            return False
    classes = values.get("num_classes")
    return classes is None or _is_count(classes)


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and (
        value >= 1)


# ----------------------------------------------------------------------
# Bytes


def optimizer_slots(config):
    """Moment vectors per parameter of an optimizer `{name, ...}` table.

    SGD keeps one with momentum; RMSprop one more each for `momentum` and
    `centered`; Adam-like ones one more with `amsgrad`. Unknown names count
    as two (Adam's).
    """
    name = str(config.get("name", "adam")).lower()
    slots = OPTIMIZER_SLOTS.get(name, DEFAULT_SLOTS)
    if name == "sgd" and config.get("momentum"):
        slots += 1
    if name == "rmsprop":
        slots += bool(config.get("momentum")) + bool(config.get("centered"))
    if config.get("amsgrad"):
        slots += 1
    return slots


def training_memory(generator_params, discriminator_params, *, latent_dim,
                    sample_shape, batch_size, samples, g_slots=2, d_slots=2,
                    ema=True):
    """The bytes a training run holds at least.

    Per parameter: the weight and its gradient, `g_slots` / `d_slots`
    optimizer moments and, for the generator with an EMA, the average
    (left out when the counts are None: an architecture without a formula).
    Then one batch of z with its real and generated samples, and the
    sample grid (`sample_grid_memory`). Activations are not counted.

    Args:
        generator_params: from `parameter_counts`, or None.
        discriminator_params: from `parameter_counts`, or None.
        latent_dim: size of z.
        sample_shape: shape of one sample.
        batch_size: training batch size.
        samples: samples in each picture (`output.samples`).
        g_slots: `optimizer_slots` of G's optimizer.
        d_slots: `optimizer_slots` of D's optimizer.
        ema: whether the generator keeps a moving average.

    Returns:
        An `Estimate`.
    """
    parts = {}
    for network, count, slots, average in (
        ("generator", generator_params, g_slots, ema),
        ("discriminator", discriminator_params, d_slots, False),
    ):
        if count is None:
            continue
        copies = 2 + slots + int(average)
        what = ["weights", "gradients"]
        if slots:
            what.append(f"{slots} optimizer moments")
        if average:
            what.append("EMA")
        parts[f"{network}: {count:,} parameters x {copies} "
              f"({', '.join(what)})"] = count * copies * BYTES_PER_VALUE
    size = math.prod(sample_shape)
    parts[f"a batch of {batch_size:,} z, real and generated samples"] = (
        batch_size * (latent_dim + 2 * size) * BYTES_PER_VALUE)
    parts.update(sample_grid_memory(samples, latent_dim, sample_shape).parts)
    return Estimate(parts)


def sample_grid_memory(samples, latent_dim, sample_shape):
    """The bytes drawing `samples` samples takes: z, the float32 samples
    (twice while the batches are joined) and the 8-bit picture."""
    size = math.prod(sample_shape)
    per_sample = (latent_dim + 2 * size) * BYTES_PER_VALUE + size
    return Estimate({f"{samples:,} samples drawn at once":
                     samples * per_sample})


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
        f"{estimate.describe()}. {advice}"
    )


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
