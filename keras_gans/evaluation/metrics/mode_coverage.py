"""Mode coverage metrics for GANs trained on mixtures of Gaussians.

Implements the protocol commonly used for the 2-D ring / grid benchmarks
(e.g. VEEGAN, PacGAN): every generated sample is assigned to its nearest
mode center; it is "high quality" when it lies within `threshold * std`
of that center. From the high-quality samples we report how many modes
were captured and the reverse KL divergence between their mode histogram
and the uniform distribution over modes.

This module is pure NumPy: it imports neither Keras nor any backend.
"""

import dataclasses

import numpy as np

from keras_gans.arguments import positive_float

__all__ = ["ModeCoverage", "mode_coverage"]

# Upper bound on the number of float64 elements in one (chunk, k, d)
# difference tensor: 2**22 elements = 32 MiB.
_MAX_CHUNK_ELEMENTS = 2**22


@dataclasses.dataclass(frozen=True)
class ModeCoverage:
    """Result of `mode_coverage`.

    Attributes:
        modes: Number of modes that are the nearest center of at least one
            high-quality sample.
        high_quality: Fraction (in `[0, 1]`) of samples that are within
            `threshold * std` of their nearest center.
        reverse_kl: `KL(p || uniform)` where `p` is the normalized
            histogram of high-quality samples over the modes; `inf` when
            there are no high-quality samples.
        num_modes: Total number of modes (number of centers).
    """

    modes: int
    high_quality: float
    reverse_kl: float
    num_modes: int

    def as_dict(self):
        """Returns the fields as a plain `dict` (e.g. for logging)."""
        return dataclasses.asdict(self)


def _to_numpy(x):
    # Duck-typed support for torch tensors (possibly on GPU / requiring
    # grad) without importing torch; everything else goes through
    # `np.asarray` (NumPy, TF eager tensors, JAX arrays, lists...).
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _as_real_2d(name, x):
    try:
        arr = _to_numpy(x)
    except Exception as e:  # noqa: BLE001 - re-raised with context.
        raise ValueError(
            f"Argument `{name}` must be convertible to a NumPy array. "
            f"Received: {name} of type {type(x).__name__} ({e})"
        ) from e
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer)
        or np.issubdtype(arr.dtype, np.floating)
    ):
        raise ValueError(
            f"Argument `{name}` must hold real numbers. "
            f"Received: {name} with dtype={arr.dtype}"
        )
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"Argument `{name}` must be a non-empty 2-D array of shape "
            f"(num_{name}, dim). Received: {name}.shape={arr.shape}"
        )
    return arr.astype(np.float64, copy=False)


def _nearest_centers(samples, centers):
    """Returns `(index, distance)` of each sample's nearest center."""
    n = samples.shape[0]
    k, d = centers.shape
    chunk = max(1, _MAX_CHUNK_ELEMENTS // (k * d))
    index = np.empty(n, dtype=np.int64)
    distance = np.empty(n, dtype=np.float64)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        diff = samples[start:stop, None, :] - centers[None, :, :]
        dist = np.sqrt(np.einsum("nkd,nkd->nk", diff, diff))
        # Non-finite samples get a NaN/inf distance; they are never
        # high quality (NaN <= x is False), whatever index they get.
        idx = np.argmin(np.where(np.isnan(dist), np.inf, dist), axis=1)
        index[start:stop] = idx
        distance[start:stop] = dist[np.arange(stop - start), idx]
    return index, distance


def mode_coverage(samples, centers, std, threshold=3.0):
    """Computes mode coverage statistics of samples from a Gaussian mixture.

    Each sample is assigned to its nearest center (Euclidean distance;
    ties go to the lowest center index). A sample is *high quality* when
    that distance is `<= threshold * std`. A mode is *captured* when it is
    the nearest center of at least one high-quality sample. With `p` the
    normalized histogram of high-quality samples over the `K` centers, the
    reverse KL is `sum_k p_k * log(p_k / (1 / K))` (with `0 log 0 = 0`):
    `0` for perfectly balanced modes and `log(K)` when all high-quality
    samples sit on a single mode. Samples containing NaN or inf are never
    high quality.

    Distances are computed in chunks, so memory stays bounded for large
    sample counts (e.g. 1e6 samples x 25 centers).

    Args:
        samples: Array-like of shape `(num_samples, dim)`: generated
            samples. NumPy arrays, lists or backend tensors (anything
            `np.asarray` accepts) are fine.
        centers: Array-like of shape `(num_modes, dim)`: the mode centers,
            e.g. `keras_gans.datasets.ring_centers()`.
        std: Positive float, the standard deviation of the real data's
            Gaussians.
        threshold: Positive float, the high-quality radius in units of
            `std`.

    Returns:
        A `ModeCoverage` with fields `modes` (int), `high_quality` (float
        fraction in `[0, 1]`), `reverse_kl` (float, `inf` if no sample is
        high quality) and `num_modes` (int).

    Example:

    >>> from keras_gans.datasets import ring, ring_centers
    >>> x, _ = ring(num_samples=10_000, std=0.02, seed=0)
    >>> result = mode_coverage(x, ring_centers(), std=0.02)
    >>> result.modes, result.num_modes
    (8, 8)
    >>> result.high_quality > 0.98
    True
    """
    samples = _as_real_2d("samples", samples)
    centers = _as_real_2d("centers", centers)
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(
            "Arguments `samples` and `centers` must have the same number of "
            f"columns (dimension). Received: samples.shape={samples.shape}, "
            f"centers.shape={centers.shape}"
        )
    if not np.all(np.isfinite(centers)):
        raise ValueError(
            "Argument `centers` must only contain finite values. "
            f"Received: centers={centers!r}"
        )
    std = positive_float("std", std)
    threshold = positive_float("threshold", threshold)

    num_samples = samples.shape[0]
    num_modes = centers.shape[0]
    index, distance = _nearest_centers(samples, centers)
    is_hq = distance <= threshold * std
    num_hq = int(np.count_nonzero(is_hq))
    counts = np.bincount(index[is_hq], minlength=num_modes)
    modes = int(np.count_nonzero(counts))

    if num_hq == 0:
        reverse_kl = float("inf")
    else:
        p = counts[counts > 0] / num_hq
        reverse_kl = float(np.sum(p * np.log(p * num_modes)))
        # Guard against tiny negative values from rounding.
        reverse_kl = max(reverse_kl, 0.0)

    return ModeCoverage(
        modes=modes,
        high_quality=num_hq / num_samples,
        reverse_kl=reverse_kl,
        num_modes=num_modes,
    )
