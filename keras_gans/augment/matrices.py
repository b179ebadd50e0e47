"""Batches of 3x3 (geometric) and 4x4 (colour) matrices from parameters.

Every builder takes `(batch,)` float tensors and returns `(batch, n, n)`
matrices, so ADA composes all its geometric transforms into one matrix
and all its colour transforms into another and applies each once.
"""

import math

from keras import ops

# The luma axis of RGB, as ADA takes it: the grey diagonal.
LUMA = (1.0 / math.sqrt(3.0),) * 3


def _from_rows(rows):
    """`rows` of `(batch,)` tensors or floats -> `(batch, n, n)`."""
    batch = next(ops.shape(v)[0] for row in rows for v in row
                 if not isinstance(v, (int, float)))
    ones = ops.ones((batch,), dtype="float32")
    columns = [
        ops.stack([v * ones if isinstance(v, (int, float)) else
                   ops.cast(v, "float32") for v in row], axis=-1)
        for row in rows
    ]
    return ops.stack(columns, axis=1)


def translate2d(tx, ty):
    """Adds `(tx, ty)` to a point."""
    return _from_rows([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def scale2d(sx, sy):
    """Multiplies x by `sx` and y by `sy`."""
    return _from_rows([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]])


def rotate2d(theta):
    """Rotates by `theta` radians (x towards y)."""
    cos, sin = ops.cos(theta), ops.sin(theta)
    return _from_rows([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]])


def translate3d(shift):
    """Adds `shift` to each of R, G and B."""
    return _from_rows([[1.0, 0.0, 0.0, shift], [0.0, 1.0, 0.0, shift],
                       [0.0, 0.0, 1.0, shift], [0.0, 0.0, 0.0, 1.0]])


def scale3d(factor):
    """Multiplies R, G and B by `factor`."""
    return _from_rows([[factor, 0.0, 0.0, 0.0], [0.0, factor, 0.0, 0.0],
                       [0.0, 0.0, factor, 0.0], [0.0, 0.0, 0.0, 1.0]])


def _luma_outer():
    v = ops.convert_to_tensor(LUMA + (0.0,), dtype="float32")
    return ops.outer(v, v)


def luma_flip(flip):
    """Reflects colours through the plane orthogonal to the luma axis
    where `flip` is 1 (`I - 2 v v^T`); the identity where it is 0."""
    flip = ops.reshape(ops.cast(flip, "float32"), (-1, 1, 1))
    return ops.eye(4) - 2.0 * _luma_outer() * flip


def rotate_hue(theta):
    """Rotates colours by `theta` radians about the luma axis (Rodrigues)."""
    cos = ops.reshape(ops.cos(theta), (-1, 1, 1))
    sin = ops.reshape(ops.sin(theta), (-1, 1, 1))
    a = LUMA[0]
    cross = ops.convert_to_tensor(
        [[0.0, -a, a, 0.0], [a, 0.0, -a, 0.0], [-a, a, 0.0, 0.0],
         [0.0, 0.0, 0.0, 0.0]], dtype="float32")
    outer = _luma_outer()
    linear = ops.convert_to_tensor(
        [[1.0, 1.0, 1.0, 0.0]] * 3 + [[0.0, 0.0, 0.0, 0.0]], dtype="float32")
    identity3 = ops.eye(4) * linear
    corner = ops.eye(4) - identity3
    return (cos * identity3 + sin * cross + (1.0 - cos) * outer + corner)


def saturate(factor):
    """Scales the colour's distance from the luma axis by `factor`."""
    factor = ops.reshape(ops.cast(factor, "float32"), (-1, 1, 1))
    outer = _luma_outer()
    rgb = ops.eye(4) - outer
    corner = ops.convert_to_tensor(
        [[0.0] * 4] * 3 + [[0.0, 0.0, 0.0, 1.0]], dtype="float32")
    return outer + (rgb - corner) * factor + corner


def apply_color(images, matrix):
    """Applies `(batch, 4, 4)` colour matrices to NHWC images.

    Three channels: `rgb' = M[:3, :3] rgb + M[:3, 3]`. One channel (grey),
    as ADA does: the mean of `M[:3, :3]`'s row sums scales the value and
    the mean of `M[:3, 3]` is added, so hue and saturation leave grey
    images unchanged and a luma flip negates them.

    Raises:
        ValueError: for a channel count other than 1 or 3.
    """
    channels = images.shape[-1]
    linear = matrix[:, :3, :3]
    offset = matrix[:, :3, 3]
    if channels == 3:
        out = ops.einsum("bij,bhwj->bhwi", linear, images)
        return out + ops.reshape(offset, (-1, 1, 1, 3))
    if channels == 1:
        gain = ops.mean(ops.sum(linear, axis=2), axis=1)
        shift = ops.mean(offset, axis=1)
        return (images * ops.reshape(gain, (-1, 1, 1, 1))
                + ops.reshape(shift, (-1, 1, 1, 1)))
    raise ValueError(
        "Colour augmentations need images with 1 (grey) or 3 (RGB) "
        f"channels, channels last. Received: images of shape "
        f"{tuple(images.shape)}"
    )
