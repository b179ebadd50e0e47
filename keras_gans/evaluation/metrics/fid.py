"""Frechet distance between feature sets (FID when the features are
InceptionV3's), in float64 and bounded memory.

`FID = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))` with the sample
covariances of `np.cov(rowvar=False)` (divided by n - 1).

The matrix square root comes from two symmetric eigen-decompositions,
never from `scipy.linalg.sqrtm` (whose `disp` argument is gone in SciPy
1.18, and which returned large imaginary parts in SciPy 1.11.2-1.12):
`A = S1^(1/2)` from `eigh(S1)`, then `Tr((S1 S2)^(1/2))` is the sum of the
square roots of the eigenvalues of the symmetric `A S2 A` (similar to
`S1 S2`), clipped at 0 against rounding.

Means and covariances are accumulated batch by batch (`GaussianStats`,
Chan et al.'s pairwise update, in float64), so 50,000 x 2,048 float32
features need only the features themselves plus a few 2,048 x 2,048
float64 matrices (32 MiB each).
"""

import dataclasses
import warnings

import numpy as np

from keras_gans.arguments import positive_int
from keras_gans.evaluation.metrics.base import FeatureMetric
from keras_gans.evaluation.metrics.distances import as_features
from keras_gans.evaluation.metrics.distances import same_dim

__all__ = ["FID", "FewSamplesWarning", "GaussianStats", "fid",
           "frechet_distance"]

BATCH_ROWS = 4096


class FewSamplesWarning(UserWarning):
    """Fewer samples than feature dimensions: the covariance is singular."""


@dataclasses.dataclass
class GaussianStats:
    """Running mean and covariance of feature batches, in float64.

    Example:

    >>> stats = GaussianStats.of(np.eye(3))
    >>> stats.count, stats.mean.round(3).tolist()
    (3, [0.333, 0.333, 0.333])
    """

    count: int = 0
    mean: np.ndarray | None = None
    scatter: np.ndarray | None = None  # sum of centred outer products

    def update(self, batch):
        """Adds a `(rows, dim)` batch (any real dtype)."""
        batch = np.asarray(batch, dtype=np.float64)
        rows = len(batch)
        if rows == 0:
            return self
        batch_mean = batch.mean(axis=0)
        centred = batch - batch_mean
        batch_scatter = centred.T @ centred
        if self.count == 0:
            self.count, self.mean = rows, batch_mean
            self.scatter = batch_scatter
            return self
        total = self.count + rows
        delta = batch_mean - self.mean
        self.scatter += batch_scatter
        self.scatter += np.outer(delta, delta) * (self.count * rows / total)
        self.mean = self.mean + delta * (rows / total)
        self.count = total
        return self

    @property
    def covariance(self):
        """The unbiased covariance, as `np.cov(x, rowvar=False)`."""
        if self.count < 2:
            raise ValueError(
                "A covariance needs at least 2 samples. Received: "
                f"{self.count} samples"
            )
        return self.scatter / (self.count - 1)

    @classmethod
    def of(cls, features, batch_rows=BATCH_ROWS):
        """Statistics of a `(n, dim)` array, read `batch_rows` at a time."""
        stats = cls()
        for start in range(0, len(features), batch_rows):
            stats.update(features[start : start + batch_rows])
        return stats


def _sqrt_psd(matrix):
    """Square root of a symmetric positive semi-definite matrix (eigh)."""
    values, vectors = np.linalg.eigh(matrix)
    roots = np.sqrt(np.clip(values, 0.0, None))
    return (vectors * roots) @ vectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2), float64.

    Args:
        mu1, mu2: Means, shape `(dim,)`.
        sigma1, sigma2: Covariances, shape `(dim, dim)`, symmetric
            positive semi-definite (singular is fine).

    Returns:
        A float >= 0 (up to rounding: tiny negatives are clipped to 0).
    """
    mu1, mu2 = (np.asarray(m, dtype=np.float64) for m in (mu1, mu2))
    sigma1, sigma2 = (np.asarray(s, dtype=np.float64)
                      for s in (sigma1, sigma2))
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    middle = (middle + middle.T) / 2.0  # symmetric up to rounding
    eigenvalues = np.linalg.eigvalsh(middle)
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt
    return float(max(value, 0.0))


def _check_count(name, features):
    count, dim = features.shape
    if count < 2:
        raise ValueError(
            f"FID needs at least 2 samples in `{name}`. "
            f"Received: {name}.shape={features.shape}"
        )
    if count <= dim:
        warnings.warn(
            f"FID with {count} samples of {dim} features: the covariance of "
            f"`{name}` is singular (rank <= {count - 1}) and the score is "
            f"biased upwards. Use more than {dim} samples (typically 10,000 "
            "or more) or features of lower dimension.",
            FewSamplesWarning,
            stacklevel=3,
        )


def fid(real, fake):
    """Frechet distance between two feature sets, in float64.

    Args:
        real: `(num_real, dim)` features of real samples.
        fake: `(num_fake, dim)` features of generated samples.

    Returns:
        The distance, a float >= 0.

    Warns:
        FewSamplesWarning: when a set has no more samples than dimensions.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(5000, 4))
    >>> round(fid(x, x + 1.0), 6)  # shifted by 1 in 4 dimensions
    4.0
    """
    real = as_features("real", real, keep_float32=True)
    fake = as_features("fake", fake, keep_float32=True)
    same_dim("real", real, "fake", fake)
    _check_count("real", real)
    _check_count("fake", fake)
    real_stats = GaussianStats.of(real)
    fake_stats = GaussianStats.of(fake)
    return frechet_distance(
        real_stats.mean, real_stats.covariance,
        fake_stats.mean, fake_stats.covariance,
    )


class FID(FeatureMetric):
    """Frechet distance between real and generated features (FID)."""

    def __init__(self, min_ratio=1):
        self.min_ratio = positive_int("min_ratio", min_ratio)

    def min_samples(self, dim):
        """More samples than dimensions, else the covariance is singular."""
        return self.min_ratio * dim + 1

    def __call__(self, real, fake):
        return {"fid": fid(real, fake)}
