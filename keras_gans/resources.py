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

The limit is the memory available now (`keras_gans.memory`, which the
datasets use too, to check the arrays their arguments size). On a GPU the
model must also fit the device's memory, which is not checked here.

Pure Python arithmetic; `parameter_counts` imports the architectures (and
so Keras) only to recognise the factory it is given.
"""

import inspect
import math

from keras_gans.memory import BYTES_PER_VALUE
from keras_gans.memory import Estimate
from keras_gans.memory import MemoryLimitError
from keras_gans.memory import available_memory
from keras_gans.memory import check_argument_fits
from keras_gans.memory import check_fits
from keras_gans.memory import format_bytes

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

# Moment vectors an optimizer keeps per parameter; names not listed count 2.
OPTIMIZER_SLOTS = {"adam": 2, "adamw": 2, "adamax": 2, "nadam": 2,
                   "adadelta": 2, "ftrl": 2, "lamb": 2, "adagrad": 1,
                   "lion": 1, "adafactor": 1, "sgd": 0, "rmsprop": 1}
DEFAULT_SLOTS = 2

# ----------------------------------------------------------------------
# Parameter counts of the built-in architectures


def _dense(inputs, units, bias=True):
    return inputs * units + (units if bias else 0)


def _mlp(latent_dim, sample_shape, num_classes, width, depth, kind="gan",
         label_mode="index", **_):
    from keras_gans.architectures.mlp import LABEL_EMBEDDING_DIM

    size = math.prod(sample_shape)
    one_hot = bool(num_classes) and label_mode == "one_hot_concat"
    label = LABEL_EMBEDDING_DIM if num_classes and not one_hot else 0
    embedding = (num_classes or 0) * label
    # One-hot labels join z, and each sample's last axis (its channels).
    z_extra = num_classes if one_hot else 0
    x_extra = size // sample_shape[-1] * num_classes if one_hot else 0
    head = 2 * latent_dim if kind == "vae" else 1

    def hidden(inputs):
        return _dense(inputs, width) + (depth - 1) * _dense(width, width)

    generator = (embedding + hidden(latent_dim + z_extra + label)
                 + _dense(width, size))
    discriminator = (embedding + hidden(size + x_extra + label)
                     + _dense(width, head))
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


def _conv(latent_dim, sample_shape, num_classes, width, kind, label_mode,
          embedding_dim, **_):
    if kind != "vae":  # dcgan, or cdcgan for labels by index
        if num_classes and label_mode != "one_hot_concat":
            return _cdcgan(latent_dim, sample_shape, num_classes, width,
                           embedding_dim)
        extra = num_classes if num_classes else 0
        generator, discriminator = _dcgan(latent_dim + extra, sample_shape,
                                          width)
        if extra:  # D reads the one-hot channels too
            body, features = _dcgan_discriminator_body(
                sample_shape[:2] + (sample_shape[2] + extra,), width)
            discriminator = body + _dense(features, 1)
        return generator, discriminator
    one_hot = bool(num_classes) and label_mode == "one_hot_concat"
    by_index = bool(num_classes) and not one_hot
    extra = num_classes if one_hot else 0
    label = embedding_dim if by_index else 0
    embedding = num_classes * embedding_dim if by_index else 0
    decoder = embedding + _dcgan_generator(latent_dim + extra + label,
                                           sample_shape, width)
    body, features = _dcgan_discriminator_body(
        sample_shape[:2] + (sample_shape[2] + extra,), width)
    encoder = embedding + body + _dense(features + label, 2 * latent_dim)
    return decoder, encoder


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
        architectures.conv: _conv,
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
