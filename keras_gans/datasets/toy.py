"""Toy 2-D mixture-of-Gaussians datasets for mode-collapse experiments.

This module is pure NumPy: it imports neither Keras nor any backend, so it
can be used to generate data (and reference mode centers for
`keras_gans.metrics.mode_coverage`) anywhere. A draw that cannot fit in
memory is refused before it starts (`keras_gans.resources`).
"""

import itertools

import numpy as np

from keras_gans import resources
from keras_gans.arguments import positive_float
from keras_gans.arguments import positive_int

__all__ = ["ring_centers", "grid_centers", "ring", "grid"]


def ring_centers(num_modes=8, radius=2.0):
    """Returns the centers of `num_modes` modes evenly spaced on a circle.

    Mode `k` sits at angle `2 * pi * k / num_modes`, so the first mode is
    at `(radius, 0)` and no two modes coincide.

    Args:
        num_modes: Positive integer, number of modes on the ring.
        radius: Positive float, radius of the ring.

    Returns:
        A float32 NumPy array of shape `(num_modes, 2)`.

    Example:

    >>> centers = ring_centers(num_modes=4, radius=1.0)
    >>> centers.shape
    (4, 2)
    """
    num_modes = positive_int("num_modes", num_modes)
    radius = positive_float("radius", radius)
    angles = 2.0 * np.pi * np.arange(num_modes, dtype=np.float64) / num_modes
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return centers.astype(np.float32)


def grid_centers(values=(-4, -2, 0, 2, 4)):
    """Returns the centers of a square grid of modes.

    The centers are all pairs `(x, y)` with `x` and `y` taken from
    `values`, ordered with `x` varying slowest (row-major, like
    `itertools.product(values, values)`).

    Args:
        values: Non-empty 1-D sequence of distinct finite numbers, the
            coordinates of the grid lines on each axis.

    Returns:
        A float32 NumPy array of shape `(len(values) ** 2, 2)`; `(25, 2)`
        with the default values.

    Example:

    >>> grid_centers().shape
    (25, 2)
    >>> grid_centers(values=(0, 1)).tolist()
    [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if (
        arr is None
        or arr.ndim != 1
        or arr.size == 0
        or not np.all(np.isfinite(arr))
        or np.unique(arr).size != arr.size
    ):
        raise ValueError(
            "Argument `values` must be a non-empty 1-D sequence of distinct "
            f"finite numbers. Received: values={values!r}"
        )
    centers = np.array(list(itertools.product(arr, arr)), dtype=np.float64)
    return centers.astype(np.float32)


# Bytes per sample alive together while drawing (a lower bound): the
# int64 labels, the float64 noise and samples (2-D), and the samples'
# float32 copy.
_BYTES_PER_DRAW = 8 + 2 * 2 * 8 + 2 * 4


def _check_draw(num_samples):
    """Refuses a draw that cannot fit in memory, before drawing."""
    resources.check_argument_fits(
        num_samples * _BYTES_PER_DRAW,
        f"{num_samples:,} 2-D samples drawn in float64", "num_samples",
        num_samples)


def _sample_mixture(centers, num_samples, std, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, centers.shape[0], size=num_samples)
    noise = rng.standard_normal((num_samples, centers.shape[1]))
    samples = centers.astype(np.float64)[labels] + std * noise
    return samples.astype(np.float32), labels.astype(np.int32)


def ring(num_samples=10_000, std=0.02, seed=None, num_modes=8, radius=2.0):
    """Samples from a ring of isotropic 2-D Gaussians.

    Each sample picks a mode uniformly at random among the
    `ring_centers(num_modes, radius)` and adds `std * N(0, I)` noise.

    Args:
        num_samples: Positive integer, number of samples to draw.
        std: Positive float, standard deviation of each Gaussian.
        seed: Seed passed to `np.random.default_rng` (an int, `None` for
            fresh entropy, or a `np.random.Generator`).
        num_modes: Positive integer, number of modes on the ring.
        radius: Positive float, radius of the ring.

    Returns:
        A tuple `(samples, labels)`: `samples` is a float32 array of shape
        `(num_samples, 2)` and `labels` an int32 array of shape
        `(num_samples,)` holding the index of the mode each sample was
        drawn from (an index into `ring_centers(num_modes, radius)`).

    Example:

    >>> x, y = ring(num_samples=1000, seed=0)
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((1000, 2), dtype('float32'), (1000,), dtype('int32'))
    """
    num_samples = positive_int("num_samples", num_samples)
    std = positive_float("std", std)
    _check_draw(num_samples)
    # Per mode: an angle, its cosine and sine, the float64 and float32
    # coordinates.
    modes = positive_int("num_modes", num_modes)
    resources.check_argument_fits(modes * 7 * 8, f"{modes:,} mode centers",
                                  "num_modes", num_modes)
    centers = ring_centers(num_modes=num_modes, radius=radius)
    return _sample_mixture(centers, num_samples, std, seed)


def grid(num_samples=10_000, std=0.05, seed=None):
    """Samples from a 5x5 grid of isotropic 2-D Gaussians.

    Each sample picks a mode uniformly at random among the 25
    `grid_centers()` (coordinates in `{-4, -2, 0, 2, 4}`) and adds
    `std * N(0, I)` noise.

    Args:
        num_samples: Positive integer, number of samples to draw.
        std: Positive float, standard deviation of each Gaussian.
        seed: Seed passed to `np.random.default_rng` (an int, `None` for
            fresh entropy, or a `np.random.Generator`).

    Returns:
        A tuple `(samples, labels)`: `samples` is a float32 array of shape
        `(num_samples, 2)` and `labels` an int32 array of shape
        `(num_samples,)` holding the index of the mode each sample was
        drawn from (an index into `grid_centers()`).

    Example:

    >>> x, y = grid(num_samples=1000, seed=0)
    >>> x.shape, int(y.max()) < 25
    ((1000, 2), True)
    """
    num_samples = positive_int("num_samples", num_samples)
    std = positive_float("std", std)
    _check_draw(num_samples)
    return _sample_mixture(grid_centers(), num_samples, std, seed)
