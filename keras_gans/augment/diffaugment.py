"""DiffAugment (Zhao et al. 2020): the same differentiable transforms on
real and fake images, in both the D and the G update.

Each transform is a pure function of the images and explicit random
parameters; `DiffAugment` draws the parameters. Keeping the two apart lets
a test hand every backend the same draws. Ranges are the paper's (images
in [-1, 1]): brightness + U[-0.5, 0.5], saturation x U[0, 2], contrast x
U[0.5, 1.5], translation by up to 1/8 of the image size with zero padding,
cutout of a square half the image size.
"""

import keras
from keras import ops

from keras_gans.augment.base import Augmentation, check_images

POLICIES = ("color", "translation", "cutout")
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def brightness(images, shift):
    """Adds `shift` (`(batch,)`) to every pixel of each image."""
    return images + ops.reshape(shift, (-1, 1, 1, 1))


def saturation(images, factor):
    """Scales each pixel's distance from its channel mean by `factor`."""
    mean = ops.mean(images, axis=-1, keepdims=True)
    return (images - mean) * ops.reshape(factor, (-1, 1, 1, 1)) + mean


def contrast(images, factor):
    """Scales each image's distance from its overall mean by `factor`."""
    mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    return (images - mean) * ops.reshape(factor, (-1, 1, 1, 1)) + mean


def color(images, shift, saturation_factor, contrast_factor):
    """Brightness, then saturation, then contrast, as the paper does."""
    images = brightness(images, shift)
    images = saturation(images, saturation_factor)
    return contrast(images, contrast_factor)


def _shift_matrix(shift, size):
    """`(batch, size, size)` one-hot rows: row i picks input i + shift;
    rows past the edge are zero (zero padding)."""
    positions = ops.arange(size, dtype="int32")
    source = ops.expand_dims(positions, 0) + ops.expand_dims(
        ops.cast(shift, "int32"), -1)
    return ops.cast(
        ops.equal(ops.expand_dims(source, -1),
                  ops.reshape(positions, (1, 1, size))),
        "float32",
    )


def translation(images, rows, cols):
    """Shifts each image by whole pixels, filling with zeros.

    Output pixel `(i, j)` is input pixel `(i + rows, j + cols)`, or 0
    where that lies outside the image. Written as two matrix products
    with one-hot shift matrices, so it is linear in the pixels.

    Args:
        images: `(batch, height, width, channels)`.
        rows, cols: `(batch,)` integer shifts.
    """
    _, height, width, _ = images.shape
    images = ops.einsum("bih,bhwc->biwc", _shift_matrix(rows, height),
                        images)
    return ops.einsum("bjw,biwc->bijc", _shift_matrix(cols, width), images)


def cutout_size(height, width):
    """The side of DiffAugment's cutout square: half the image, rounded."""
    return (int(height * CUTOUT_RATIO + 0.5), int(width * CUTOUT_RATIO + 0.5))


def cutout(images, top, left):
    """Zeroes a square of `cutout_size` with corner `(top, left)` per image.

    The corner may lie outside the image (the square is then clipped), as
    in the paper, where the square's centre is uniform over the image.

    Args:
        images: `(batch, height, width, channels)`.
        top, left: `(batch,)` integer corners.
    """
    _, height, width, _ = images.shape
    size_h, size_w = cutout_size(height, width)

    def inside(start, length, size):
        positions = ops.expand_dims(ops.arange(size, dtype="int32"), 0)
        start = ops.expand_dims(ops.cast(start, "int32"), -1)
        return ops.logical_and(positions >= start, positions < start + length)

    hole = ops.logical_and(
        ops.expand_dims(inside(top, size_h, height), 2),
        ops.expand_dims(inside(left, size_w, width), 1),
    )
    return images * ops.expand_dims(1.0 - ops.cast(hole, "float32"), -1)


@keras.saving.register_keras_serializable(package="keras_gans")
class DiffAugment(Augmentation):
    """DiffAugment (Zhao et al. 2020): color, translation and cutout on real and fake.

    Args:
        policy: comma-separated transforms, applied in this order:
            `color`, `translation`, `cutout`. The paper's default for
            small data is all three.
        p: probability that each transform is applied to each image
            (1 in the paper).
    """

    def __init__(self, policy="color,translation,cutout", p=1.0, *,
                 name=None, dtype=None, trainable=True):
        # No **kwargs: a recipe's misspelt parameter is reported by name.
        super().__init__(name=name, dtype=dtype, trainable=trainable)
        names = [n.strip() for n in str(policy).split(",") if n.strip()]
        unknown = [n for n in names if n not in POLICIES]
        if not names or unknown:
            raise ValueError(
                "`policy` must name one or more of "
                f"{', '.join(POLICIES)}, separated by commas. "
                f"Received: policy={policy!r}"
            )
        if not 0.0 <= p <= 1.0:
            raise ValueError(
                f"`p` must be a probability in [0, 1]. Received: p={p!r}"
            )
        self.policy = ",".join(names)
        self._names = names
        self._p = float(p)

    @property
    def p(self):
        return self._p

    def call(self, images, seed):
        check_images(images)
        batch = ops.shape(images)[0]
        _, height, width, _ = images.shape
        for name in self._names:
            if name == "color":
                draws = [
                    keras.random.uniform((batch,), -0.5, 0.5, seed=seed),
                    keras.random.uniform((batch,), 0.0, 2.0, seed=seed),
                    keras.random.uniform((batch,), 0.5, 1.5, seed=seed),
                ]
                identity = [0.0, 1.0, 1.0]
                draws = [self._maybe(d, i, seed) for d, i in
                         zip(draws, identity)]
                images = color(images, *draws)
            elif name == "translation":
                shifts = []
                for size in (height, width):
                    limit = int(size * TRANSLATION_RATIO + 0.5)
                    shift = keras.random.randint(
                        (batch,), -limit, limit + 1, seed=seed)
                    shifts.append(self._maybe(shift, 0, seed))
                images = translation(images, *shifts)
            else:
                corners = []
                for size, side in zip((height, width),
                                      cutout_size(height, width)):
                    centre = keras.random.randint(
                        (batch,), 0, size + (1 - side % 2), seed=seed)
                    corners.append(centre - side // 2)
                # A corner past the image cuts nothing.
                far = ops.full((batch,), max(height, width) * 4, "int32")
                top = self._maybe(corners[0], far, seed)
                images = cutout(images, top, corners[1])
        return images

    def _maybe(self, value, identity, seed):
        """`value` with probability p per image, else `identity`."""
        if self._p >= 1.0:
            return value
        keep = keras.random.uniform(ops.shape(value), seed=seed) < self._p
        return ops.where(keep, value, ops.cast(identity, value.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(policy=self.policy, p=self._p)
        return config
