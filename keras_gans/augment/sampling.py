"""Resampling a batch of images at new coordinates, in `keras.ops` only.

A geometric augmentation maps every output pixel to a point of its input
image; `affine` reads the input there by bilinear interpolation, with the
image extended by whole-sample mirror reflection (`d c b | a b c d | c b
a`, the `reflect` padding of PyTorch and ADA, `mirror` in scipy.ndimage),
so that rotated or shrunk images show no black corners for D to spot.
The result is linear in the pixel values, so gradients flow to them (and
through them to the generator) on every backend.
"""

from keras import ops


def mirror(index, size):
    """Folds integer indices into `[0, size)` by whole-sample reflection.

    Args:
        index: an int32 tensor of indices, any of them out of range.
        size: the length of the axis (a Python int).

    Returns:
        Indices in range: `-1 -> 1`, `size -> size - 2`.
    """
    if size == 1:
        return ops.zeros_like(index)
    period = 2 * (size - 1)
    index = ops.mod(index, period)
    return ops.where(index < size, index, period - index)


def bilinear(images, rows, cols):
    """Reads `images` at fractional `(rows, cols)`, mirrored at the edges.

    Args:
        images: `(batch, height, width, channels)` float tensor.
        rows, cols: `(batch, out_height, out_width)` float coordinates in
            input pixels (0 is the centre of the first pixel).

    Returns:
        `(batch, out_height, out_width, channels)`.
    """
    batch, height, width, channels = images.shape
    flat = ops.reshape(images, (-1, height * width, channels))
    row0 = ops.floor(rows)
    col0 = ops.floor(cols)
    row_weight = ops.expand_dims(rows - row0, -1)
    col_weight = ops.expand_dims(cols - col0, -1)
    row0 = ops.cast(row0, "int32")
    col0 = ops.cast(col0, "int32")
    out_shape = tuple(rows.shape[1:])

    def read(row, col):
        index = mirror(row, height) * width + mirror(col, width)
        index = ops.reshape(index, (-1, out_shape[0] * out_shape[1], 1))
        index = ops.broadcast_to(
            index, (ops.shape(flat)[0], out_shape[0] * out_shape[1], channels)
        )
        values = ops.take_along_axis(flat, index, axis=1)
        return ops.reshape(values, (-1,) + out_shape + (channels,))

    top = (read(row0, col0) * (1.0 - col_weight)
           + read(row0, col0 + 1) * col_weight)
    bottom = (read(row0 + 1, col0) * (1.0 - col_weight)
              + read(row0 + 1, col0 + 1) * col_weight)
    return top * (1.0 - row_weight) + bottom * row_weight


def affine(images, matrix):
    """Warps each image by a 3x3 matrix from output to input coordinates.

    Coordinates are `(x, y, 1)` in pixels from the image centre, x along
    the width (columns) and y along the height (rows), so a flip, a
    90-degree rotation of a square image or an integer translation moves
    pixels exactly onto pixels.

    Args:
        images: `(batch, height, width, channels)` float tensor.
        matrix: `(batch, 3, 3)`: row `i` of `matrix @ (x, y, 1)` gives the
            input point read for the output pixel at `(x, y)`.

    Returns:
        The warped images, same shape.
    """
    _, height, width, _ = images.shape
    cx = (width - 1) / 2.0
    cy = (height - 1) / 2.0
    ys, xs = ops.meshgrid(
        ops.arange(height, dtype="float32") - cy,
        ops.arange(width, dtype="float32") - cx,
        indexing="ij",
    )
    grid = ops.stack([xs, ys, ops.ones_like(xs)], axis=-1)
    points = ops.einsum("bij,hwj->bhwi", ops.cast(matrix, "float32"), grid)
    return bilinear(images, points[..., 1] + cy, points[..., 0] + cx)
