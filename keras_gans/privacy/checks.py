"""What DP-SGD on the discriminator cannot train, refused at compile time.

Each check raises a `ValueError` saying what is wrong and what to use
instead, before any step runs.
"""

import numpy as np

import keras
from keras import ops


def check_discriminator(discriminator):
    """Refuses layers that mix the examples of a batch.

    A per-example gradient is undefined when examples share batch
    statistics (BatchNormalization); Opacus refuses it for the same reason.
    """
    mixing = [
        layer.name
        for layer in discriminator._flatten_layers(include_self=True)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    if mixing:
        raise ValueError(
            "Training with privacy clips each example's gradient, which is "
            "undefined when the examples of a batch share statistics, as "
            "they do in BatchNormalization. Use "
            "keras.layers.LayerNormalization or GroupNormalization in the "
            "discriminator, or no normalization. Received: a discriminator "
            f"with BatchNormalization layers {mixing}"
        )


def check_loss(gan_loss):
    """Refuses a discriminator loss that is not a mean over examples.

    Checked on random logits: the loss of a batch must equal the mean of
    the losses of its examples taken one at a time. Relativistic losses,
    which compare each example with the batch's mean, fail this.
    """
    rng = np.random.default_rng(0)
    real = rng.normal(size=(4, 1)).astype("float32")
    fake = rng.normal(size=(4, 1)).astype("float32")
    whole = float(ops.convert_to_numpy(
        gan_loss.discriminator_loss(ops.convert_to_tensor(real),
                                    ops.convert_to_tensor(fake))))
    ones = np.mean([
        float(ops.convert_to_numpy(gan_loss.discriminator_loss(
            ops.convert_to_tensor(real[i:i + 1]),
            ops.convert_to_tensor(fake[i:i + 1]))))
        for i in range(4)
    ])
    if not np.isclose(whole, ones, rtol=1e-5, atol=1e-6):
        raise ValueError(
            "Training with privacy needs a discriminator loss that is a "
            "mean of one term per example, so each example's gradient can "
            "be clipped; this loss couples the examples of a batch (its "
            f"value on a batch, {whole:.6g}, is not the mean of its values "
            f"on single examples, {ones:.6g}). Use non_saturating, minimax, "
            "wasserstein, hinge or least_squares. "
            f"Received: loss={gan_loss!r}"
        )


def check_penalty(penalty):
    """Refuses a penalty that cannot be evaluated at pre-drawn points.

    Random draws cannot happen inside the per-example transform, so the
    penalty's points are drawn for the whole batch first (`points`) and
    each example's term is evaluated at its own point (`at`).
    """
    if penalty is None:
        return
    if not (callable(getattr(penalty, "points", None))
            and callable(getattr(penalty, "at", None))):
        raise ValueError(
            "Training with privacy evaluates the penalty one example at a "
            "time at points drawn for the whole batch first, which needs "
            "the penalty's methods `points(real, fake, seed)` and "
            "`at(discriminator, points)` (as keras_gans.penalties.WGANGP "
            f"and R1 have). Received: penalty={penalty!r}"
        )


def check_augment(augment):
    """Refuses an augmentation that adapts to D's outputs on real data.

    ADA's probability p follows the sign of D's logits on real images,
    computed outside the private mechanism, so it would leak them.
    """
    if augment is None:
        return
    # Whether a subclass overrides the base class's no-op `observe`
    # (keras_gans.augment is this module's sibling: it is not imported).
    defining = [cls for cls in type(augment).__mro__
                if "observe" in vars(cls)]
    observes = len(defining) > 1
    adaptive = getattr(augment, "target", True) is not None
    if observes and adaptive:
        raise ValueError(
            "Training with privacy cannot use an augmentation that adapts "
            "to the discriminator's outputs on real data (outside the "
            "private mechanism, they would leak it). Use a fixed "
            "augmentation such as keras_gans.augment.DiffAugment(), or "
            "ADA(target=None) with a fixed p. "
            f"Received: augment={augment!r}"
        )


def check_float16(uses_float16):
    """Refuses float16, whose loss scaling would scale what is clipped."""
    if uses_float16:
        raise ValueError(
            "Training with privacy does not support float16: its loss "
            "scaling multiplies each example's gradient before the clip to "
            "l2_norm_clip, and float16 gradients overflow unscaled. Use "
            "the float32 policy or mixed_bfloat16. Received: a float16 "
            "compute dtype"
        )

