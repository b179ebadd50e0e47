"""Precision, recall, density and coverage of generated samples (k-NN balls).

- Precision and recall (Kynkaanniemi et al. 2019, k = 3): each real sample
  gets a ball reaching its k-th nearest real neighbour. Precision is the
  share of generated samples inside at least one real ball; recall is the
  share of real samples inside at least one ball of the generated set
  (generated balls reach each generated sample's k-th nearest generated
  neighbour).
- Density and coverage (Naeem et al. 2020, k = 5): density counts, for
  each generated sample, the real balls containing it, divided by k and
  averaged (about 1 when both sets come from one distribution, above 1
  when samples crowd where real samples are dense); coverage is the share
  of real samples whose ball contains at least one generated sample.

"Inside" is a strict `distance < radius`, as in the reference code of
Naeem et al. Every value comes from one blocked pass over the real x
generated distance matrix plus the k-NN radii, so memory stays bounded
(`keras_gans.evaluation.metrics.distances`). Pure NumPy, float64.
"""

import dataclasses

import numpy as np

from keras_gans.arguments import positive_int
from keras_gans.evaluation.metrics.base import FeatureMetric
from keras_gans.evaluation.metrics.distances import as_features
from keras_gans.evaluation.metrics.distances import distance_blocks
from keras_gans.evaluation.metrics.distances import kth_neighbour_distances
from keras_gans.evaluation.metrics.distances import same_dim

__all__ = [
    "PRDC",
    "prdc",
    "precision_recall",
    "density_coverage",
    "PrecisionRecall",
    "DensityCoverage",
]


@dataclasses.dataclass(frozen=True)
class PRDC:
    """Result of `prdc`; a field is None when it was not computed."""

    precision: float | None
    recall: float | None
    density: float | None
    coverage: float | None
    k: int

    def as_dict(self):
        return {k: v for k, v in dataclasses.asdict(self).items()
                if v is not None}


def prdc(real, fake, k=5, *, with_recall=True):
    """Precision, recall, density and coverage with one neighbourhood size.

    Args:
        real: `(num_real, dim)` features of real samples.
        fake: `(num_fake, dim)` features of generated samples.
        k: Positive int, the neighbour that sets each ball's radius.
        with_recall: False skips recall, and with it one of the three
            distance passes (the k-NN radii of the generated set).

    Returns:
        A `PRDC` with values in [0, 1] (density may exceed 1).

    Example:

    >>> rng = np.random.default_rng(0)
    >>> real, fake = rng.normal(size=(2, 2000, 8))
    >>> result = prdc(real, fake, k=5)
    >>> 0.7 < result.precision <= 1 and 0.9 < result.coverage <= 1
    True
    """
    k = positive_int("k", k)
    real = as_features("real", real)
    fake = as_features("fake", fake)
    same_dim("real", real, "fake", fake)
    real_radii = kth_neighbour_distances(real, k)
    fake_radii = kth_neighbour_distances(fake, k) if with_recall else None

    in_real_ball = np.zeros(len(fake), dtype=bool)
    real_balls_hit = np.zeros(len(fake), dtype=np.int64)
    nearest_fake = np.full(len(real), np.inf)
    recalled = np.zeros(len(real), dtype=bool)
    for start, stop, block in distance_blocks(fake, real):
        inside = block < real_radii[None, :]  # (fakes, reals)
        in_real_ball[start:stop] = inside.any(axis=1)
        real_balls_hit[start:stop] = inside.sum(axis=1)
        np.minimum(nearest_fake, block.min(axis=0), out=nearest_fake)
        if fake_radii is not None:
            recalled |= (block < fake_radii[start:stop, None]).any(axis=0)

    return PRDC(
        precision=float(in_real_ball.mean()),
        recall=float(recalled.mean()) if with_recall else None,
        density=float(real_balls_hit.mean() / k),
        coverage=float((nearest_fake < real_radii).mean()),
        k=k,
    )


def precision_recall(real, fake, k=3):
    """Precision and recall (Kynkaanniemi et al. 2019): `(precision, recall)`.

    See `prdc` for the arguments; k = 3 is the paper's choice.
    """
    result = prdc(real, fake, k)
    return result.precision, result.recall


def density_coverage(real, fake, k=5):
    """Density and coverage (Naeem et al. 2020): `(density, coverage)`.

    See `prdc` for the arguments; k = 5 is the paper's choice.
    """
    result = prdc(real, fake, k, with_recall=False)
    return result.density, result.coverage


class _KNNMetric(FeatureMetric):
    """A metric with k-NN balls: needs more than k samples per set."""

    def __init__(self, k):
        self.k = positive_int("k", k)

    def min_samples(self, dim):
        return self.k + 1


class PrecisionRecall(_KNNMetric):
    """Precision and recall with k-NN balls (k = 3) on features."""

    def __init__(self, k=3):
        super().__init__(k)

    def __call__(self, real, fake):
        precision, recall = precision_recall(real, fake, self.k)
        return {"precision": precision, "recall": recall}


class DensityCoverage(_KNNMetric):
    """Density and coverage with k-NN balls (k = 5) on features."""

    def __init__(self, k=5):
        super().__init__(k)

    def __call__(self, real, fake):
        density, coverage = density_coverage(real, fake, self.k)
        return {"density": density, "coverage": coverage}
