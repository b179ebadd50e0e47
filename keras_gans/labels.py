"""How class labels enter a conditional GAN's networks (`GAN(label_mode=...)`).

Two layouts are in common use, and `GAN` trains both:

- `"index"`: the networks take labels as a second input, `G([z, labels])`
  and `D([x, labels])`, with int32 class ids of shape `(batch,)` (usually
  fed to an `Embedding`). Inferred from a generator with two inputs.
- `"one_hot_concat"`: the layout of the keras-io `conditional_gan` example.
  Both networks take one input: G reads `concat([z, one_hot(labels)])` of
  size `latent_dim + num_classes`, D reads the samples with `num_classes`
  one-hot channels appended on the last (channels) axis, each constant over
  the other axes (for images: tiled over height and width). The data may
  give class ids or one-hot rows.

`VAE` joins labels the same way: its decoder reads them as a generator
does, its encoder as a discriminator does.

Everything here is written with `keras.ops`, so it runs inside the
compiled training step on every backend. Keras is imported inside the
functions: recipes check `label_mode` against `LABEL_MODES` without it.
"""

from keras_gans.arguments import is_positive_int

__all__ = ["INDEX", "ONE_HOT_CONCAT", "LABEL_MODES", "resolve", "requested"]

INDEX = "index"
ONE_HOT_CONCAT = "one_hot_concat"
LABEL_MODES = (INDEX, ONE_HOT_CONCAT)


def resolve(label_mode, num_classes, conditional, generator, latent_dim,
            network="generator"):
    """Settles the label layout of a GAN or a VAE from its arguments.

    `label_mode=None` keeps the historical inference: a generator with two
    inputs is conditional in `"index"` mode. A single-input generator whose
    declared input has exactly `latent_dim + num_classes` features is
    `"one_hot_concat"` when `num_classes` is given (nothing else fits).

    Args:
        label_mode: None, `"index"` or `"one_hot_concat"`.
        num_classes: None or the number of classes. For `"one_hot_concat"`
            it may be left out when the generator declares its input size
            (it is then that size minus `latent_dim`).
        conditional: None (infer), True or False.
        generator: the network reading z (a GAN's generator, a VAE's
            decoder), whose inputs are inspected.
        latent_dim: the size of z.
        network: what messages call that network.

    Returns:
        `(conditional, label_mode, num_classes)`: label_mode is None for an
        unconditional GAN.

    Raises:
        ValueError: for an unknown mode, contradicting arguments, or a
            generator whose input does not fit the mode.
    """
    if label_mode is not None and label_mode not in LABEL_MODES:
        raise ValueError(
            f"`label_mode` must be None, {INDEX!r} (G([z, labels]), "
            f"D([x, labels])) or {ONE_HOT_CONCAT!r} (one-hot labels "
            "concatenated to z and to the samples' channels). "
            f"Received: label_mode={label_mode!r}"
        )
    if num_classes is not None and not is_positive_int(num_classes):
        raise ValueError(
            "`num_classes` must be None or a positive integer. "
            f"Received: num_classes={num_classes!r}"
        )
    inputs = number_of_inputs(generator)
    declared = declared_input_size(generator)
    if label_mode is None:
        if conditional is False:
            return False, None, num_classes
        if inputs == 1 and num_classes is not None and (
            declared == latent_dim + num_classes
        ):
            return True, ONE_HOT_CONCAT, int(num_classes)
        if inputs == 2 or conditional:
            return True, INDEX, num_classes
        return False, None, num_classes
    if conditional is False:
        raise ValueError(
            f"label_mode={label_mode!r} is for conditional GANs, but "
            "`conditional` is False. Leave `conditional` out (or True), or "
            "drop `label_mode`. "
            f"Received: conditional=False, label_mode={label_mode!r}"
        )
    if label_mode == INDEX:
        return True, INDEX, num_classes
    if inputs != 1:
        raise ValueError(
            f"With label_mode={ONE_HOT_CONCAT!r} the {network} takes one "
            "input, concat([z, one_hot(labels)]); this one has "
            f"{inputs} inputs. For a {network} taking [z, labels] use "
            f"label_mode={INDEX!r}. Received: label_mode={label_mode!r}"
        )
    if num_classes is None:
        if declared is None or declared <= latent_dim:
            raise ValueError(
                f"With label_mode={ONE_HOT_CONCAT!r} pass `num_classes`: "
                f"the {network} does not declare an input larger than "
                f"latent_dim={latent_dim} to infer it from. "
                f"Received: num_classes=None, {network} input size={declared}"
            )
        num_classes = declared - latent_dim
    elif declared is not None and declared != latent_dim + num_classes:
        raise ValueError(
            f"With label_mode={ONE_HOT_CONCAT!r} the {network}'s input is "
            "z joined with the one-hot labels, of size latent_dim + "
            f"num_classes = {latent_dim} + {num_classes} = "
            f"{latent_dim + num_classes}. Received: a {network} input of "
            f"size {declared}, latent_dim={latent_dim}, "
            f"num_classes={num_classes}"
        )
    return True, ONE_HOT_CONCAT, int(num_classes)


def requested(n, labels, conditional, num_classes, model="GAN"):
    """The class ids `generate(n, labels=...)` asks for, checked.

    Args:
        n: the number of samples asked for.
        labels: None, an int (every sample) or a sequence of `n` ints.
        conditional: whether the model takes labels.
        num_classes: None or the number of classes ids are checked against.
        model: what messages call the model (`"GAN"`, `"VAE"`).

    Returns:
        None for an unconditional model, else int32 ids of shape `(n,)`.

    Raises:
        ValueError: for labels given to an unconditional model, missing
            labels, or labels of another shape, type or range.
    """
    import numpy as np

    if not conditional:
        if labels is not None:
            raise ValueError(
                f"This {model} is unconditional and takes no labels. "
                f"Received: labels={_short(labels)}"
            )
        return None
    if labels is None:
        raise ValueError(
            f"This {model} is conditional: pass `labels`, an int or one int "
            "per sample. Received: labels=None"
        )
    labels = np.asarray(labels)
    if labels.ndim == 0:
        labels = np.full((n,), labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"`labels` must be an int or {n} ints, one per sample. "
            f"Received: labels={_short(labels)}"
        )
    if num_classes is not None and (
        labels.min() < 0 or labels.max() >= num_classes
    ):
        raise ValueError(
            f"`labels` must be class ids in [0, {num_classes}). "
            f"Received: labels={_short(labels)}"
        )
    return labels.astype("int32")


def _short(value):
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def encode(labels, label_mode, num_classes):
    """Labels in the form the networks read.

    Args:
        labels: int class ids of shape `(batch,)` (or `(batch, 1)`); in
            `"one_hot_concat"` mode also one-hot (or soft) rows of shape
            `(batch, num_classes)`.
        label_mode: `"index"`, `"one_hot_concat"`, or None (an
            unconditional model: `labels` come back unchanged).
        num_classes: the number of classes (`"one_hot_concat"` only).

    Returns:
        int32 ids of shape `(batch,)` (`"index"`), or float32 rows of shape
        `(batch, num_classes)` (`"one_hot_concat"`).

    Raises:
        ValueError: for labels of another shape.
    """
    if label_mode is None:
        return labels
    from keras import ops

    shape = tuple(labels.shape)
    if len(shape) == 2 and shape[1] == 1:
        labels = ops.squeeze(labels, axis=1)
        shape = shape[:1]
    if label_mode == ONE_HOT_CONCAT:
        if len(shape) == 2 and shape[1] == num_classes:
            return ops.cast(labels, "float32")
        if len(shape) == 1:
            return ops.one_hot(ops.cast(labels, "int32"), num_classes,
                               dtype="float32")
        raise ValueError(
            "`labels` must be class ids of shape (batch,) or one-hot rows "
            f"of shape (batch, {num_classes}). Received: labels of shape "
            f"{shape}"
        )
    if len(shape) != 1:
        raise ValueError(
            "`labels` must be integer class ids of shape (batch,), not "
            "one-hot vectors (for a generator that takes z joined with "
            f"one-hot labels, use label_mode={ONE_HOT_CONCAT!r}). "
            f"Received: labels of shape {shape}"
        )
    return ops.cast(labels, "int32")


def generator_inputs(z, labels, label_mode):
    """What the generator is called on: z, `[z, labels]` or the concat."""
    from keras import ops

    if label_mode is None:
        return z
    if label_mode == INDEX:
        return [z, labels]
    z = ops.convert_to_tensor(z)
    return ops.concatenate([z, ops.cast(labels, z.dtype)], axis=-1)


def discriminator_inputs(x, labels, label_mode):
    """What the discriminator is called on: x, `[x, labels]` or x with the
    one-hot labels appended as constant channels (last axis)."""
    from keras import ops

    if label_mode is None:
        return x
    if label_mode == INDEX:
        return [x, labels]
    x = ops.convert_to_tensor(x)
    rank = len(x.shape)
    num_classes = labels.shape[-1]
    per_sample = ops.reshape(
        ops.cast(labels, x.dtype), (-1,) + (1,) * (rank - 2) + (num_classes,)
    )
    # ones (batch, ..., 1) * (batch, 1, ..., classes): tiled over every
    # axis but the batch and the channels, without a dynamic shape.
    tiled = ops.ones_like(x[..., :1]) * per_sample
    return ops.concatenate([x, tiled], axis=-1)


def number_of_inputs(model):
    """How many inputs a functional model declares (1 when it cannot tell)."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return 1
    return len(inputs) if isinstance(inputs, (list, tuple)) else 1


def declared_input_size(model):
    """The feature size of a model's single `(batch, n)` input, if declared."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    shape = inputs[0].shape
    return shape[-1] if len(shape) == 2 else None


def declared_channels(model):
    """The last-axis size of a single-input model's declared input, if any."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs or len(inputs) != 1:
        return None
    return inputs[0].shape[-1]
