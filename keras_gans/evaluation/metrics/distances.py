"""Blocked Euclidean distances between feature sets, in bounded memory.

The k-NN metrics (precision/recall, density/coverage, memorization) need
distances between every pair of samples: 50,000 x 50,000 float64 would be
20 GB. These helpers compute the distance matrix a block of rows at a time
(at most `BLOCK_ELEMENTS` float64 values, 64 MiB, per block) and reduce
each block right away, so memory grows with one block, not with n^2.

Squared distances use `|a|^2 + |b|^2 - 2 a.b` (one matrix product per
block), computed in float64 and clipped at 0 against rounding.

Pure NumPy: imports no Keras.
"""

import numpy as np

from keras_gans.evaluation.metrics.mode_coverage import _as_real_2d

# float64 elements in one block of the distance matrix: 2**23 = 64 MiB.
BLOCK_ELEMENTS = 2**23


def as_features(name, x, keep_float32=False):
    """`x` as a finite float64 array `(n, dim)`, or a ValueError naming it.

    `keep_float32=True` returns a float32 numpy array as it is, without a
    float64 copy (for FID, which casts batch by batch).
    """
    if (keep_float32 and isinstance(x, np.ndarray) and x.dtype == np.float32
            and x.ndim == 2 and x.size):
        features = x
    else:
        features = _as_real_2d(name, x)
    if not np.all(np.isfinite(features)):
        bad = int(np.count_nonzero(~np.isfinite(features).all(axis=1)))
        raise ValueError(
            f"Argument `{name}` must only hold finite numbers; {bad} of its "
            f"{len(features)} rows contain NaN or inf. Received: "
            f"{name}.shape={features.shape}"
        )
    return features


def same_dim(first_name, first, second_name, second):
    """Raises unless two feature arrays have the same number of columns."""
    if first.shape[1] != second.shape[1]:
        raise ValueError(
            f"Arguments `{first_name}` and `{second_name}` must have the same "
            f"feature dimension. Received: {first_name}.shape={first.shape}, "
            f"{second_name}.shape={second.shape}"
        )


def row_blocks(num_rows, num_columns):
    """`(start, stop)` row ranges whose distance blocks fit BLOCK_ELEMENTS."""
    size = max(1, BLOCK_ELEMENTS // max(1, num_columns))
    for start in range(0, num_rows, size):
        yield start, min(start + size, num_rows)


def squared_distances(a, b, b_norms=None):
    """Squared Euclidean distances `(len(a), len(b))` between rows, >= 0."""
    if b_norms is None:
        b_norms = np.einsum("ij,ij->i", b, b)
    a_norms = np.einsum("ij,ij->i", a, a)
    out = a @ b.T
    out *= -2.0
    out += a_norms[:, None]
    out += b_norms[None, :]
    np.maximum(out, 0.0, out=out)
    return out


def distance_blocks(a, b):
    """Yields `(start, stop, distances)`: rows `start:stop` of the
    `(len(a), len(b))` Euclidean distance matrix, one bounded block at a
    time."""
    b_norms = np.einsum("ij,ij->i", b, b)
    for start, stop in row_blocks(len(a), len(b)):
        block = squared_distances(a[start:stop], b, b_norms)
        yield start, stop, np.sqrt(block, out=block)


def kth_neighbour_distances(x, k):
    """Distance from each row of `x` to its k-th nearest other row.

    The row itself (distance 0) is not counted: `k=1` is the nearest
    neighbour. Needs `len(x) > k`.
    """
    if len(x) <= k:
        raise ValueError(
            f"k-nearest-neighbour radii with k={k} need more than {k} "
            f"samples. Received: {len(x)} samples"
        )
    radii = np.empty(len(x), dtype=np.float64)
    for start, stop, block in distance_blocks(x, x):
        rows = np.arange(stop - start)
        block[rows, rows + start] = -1.0  # self first after sorting
        radii[start:stop] = np.partition(block, k, axis=1)[:, k]
    return radii


def nearest_distances(a, b):
    """Distance from each row of `a` to its nearest row of `b`."""
    nearest = np.empty(len(a), dtype=np.float64)
    for start, stop, block in distance_blocks(a, b):
        nearest[start:stop] = block.min(axis=1)
    return nearest
