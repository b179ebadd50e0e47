"""Kernel Inception Distance (Binkowski et al. 2018) on any features.

KID is the unbiased estimate of the squared maximum mean discrepancy
(MMD^2) between real and generated features under the cubic polynomial
kernel `k(x, y) = (x.y / d + 1)^3`, with `d` the feature dimension. As in
torch-fidelity, it is averaged over `subsets` random subsets of
`subset_size` samples drawn without replacement from each set (a fresh
draw per subset, from a seeded generator), and reported with the standard
deviation over the subsets (`np.std`, ddof 0).

For subsets `X` and `Y` of m samples each:

    MMD^2 = sum_{i != j} k(x_i, x_j) / (m (m - 1))
          + sum_{i != j} k(y_i, y_j) / (m (m - 1))
          - 2 sum_{i, j} k(x_i, y_j) / m^2

Unlike FID it is unbiased, so it can be compared across sample sizes, and
can be slightly negative when the two distributions are equal. Pure NumPy,
float64; memory grows with `subset_size^2`, not with the number of
samples.
"""

import dataclasses

import numpy as np

from keras_gans.arguments import positive_int
from keras_gans.evaluation.metrics.base import FeatureMetric
from keras_gans.evaluation.metrics.distances import as_features
from keras_gans.evaluation.metrics.distances import same_dim

__all__ = ["KID", "KIDResult", "kid", "polynomial_mmd2"]


@dataclasses.dataclass(frozen=True)
class KIDResult:
    """Result of `kid`: the mean and standard deviation over subsets."""

    mean: float
    std: float
    subsets: int
    subset_size: int

    def as_dict(self):
        return dataclasses.asdict(self)


def _cubic_kernel(a, b):
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def polynomial_mmd2(x, y):
    """Unbiased MMD^2 of two equal-size float64 sets, cubic kernel."""
    m = len(x)
    k_xx = _cubic_kernel(x, x)
    k_yy = _cubic_kernel(y, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy))
    between = _cubic_kernel(x, y).sum()
    return within / (m * (m - 1)) - 2.0 * between / (m * m)


def kid(real, fake, subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance between two feature sets.

    Args:
        real: `(num_real, dim)` features of real samples.
        fake: `(num_fake, dim)` features of generated samples.
        subsets: Positive int, the number of random subsets.
        subset_size: Positive int, samples per subset from each set. When
            a set is smaller, the subsets take all of the smaller set's
            size (at least 2 are needed); the result says what was used.
        seed: Seed of the subset draws (same seed, same value).

    Returns:
        A `KIDResult(mean, std, subsets, subset_size)`.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(2, 500, 16))
    >>> abs(kid(x, y, subsets=10, subset_size=200).mean) < 0.01
    True
    """
    real = as_features("real", real)
    fake = as_features("fake", fake)
    same_dim("real", real, "fake", fake)
    subsets = positive_int("subsets", subsets)
    size = min(positive_int("subset_size", subset_size), len(real), len(fake))
    if size < 2:
        raise ValueError(
            "KID needs at least 2 samples in each set. Received: "
            f"real.shape={real.shape}, fake.shape={fake.shape}"
        )
    rng = np.random.default_rng(seed)
    values = np.empty(subsets, dtype=np.float64)
    for i in range(subsets):
        x = real[rng.choice(len(real), size, replace=False)]
        y = fake[rng.choice(len(fake), size, replace=False)]
        values[i] = polynomial_mmd2(x, y)
    return KIDResult(float(values.mean()), float(values.std()), subsets, size)


class KID(FeatureMetric):
    """Kernel Inception Distance (unbiased MMD^2, cubic kernel) on features."""

    def __init__(self, subsets=100, subset_size=1000, seed=0):
        self.subsets = positive_int("subsets", subsets)
        self.subset_size = positive_int("subset_size", subset_size)
        self.seed = seed

    def __call__(self, real, fake):
        result = kid(real, fake, self.subsets, self.subset_size, self.seed)
        return {"kid": result.mean, "kid_std": result.std,
                "kid_subset_size": result.subset_size}
