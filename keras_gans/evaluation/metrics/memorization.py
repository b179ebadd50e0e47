"""Memorization: the share of generated samples that copy a training sample.

The rule (in feature space, Euclidean distances):

1. For every training sample, the distance to its nearest *other*
   training sample; `typical` is the median of these distances: how close
   training samples are to each other.
2. `threshold = fraction * typical` (default `fraction = 0.25`).
3. A generated sample is *memorized* when its nearest training sample is
   closer than `threshold`: four times closer than training samples
   typically are to each other.

`memorization` returns the share of memorized samples together with the
threshold and the typical distance, so a reader can judge the rule. A
model that reproduces its training set (exact copies, or copies with small
noise) scores the share of copies; fresh samples from the data
distribution score about 0 (the held-out digits score 0.0 against the
training digits in pixel space, at 8x8 and at 28x28).

Blocked distances keep memory bounded (`keras_gans.evaluation.metrics.distances`).
Pure NumPy, float64.
"""

import dataclasses

import numpy as np

from keras_gans.arguments import positive_float
from keras_gans.evaluation.metrics.base import FeatureMetric
from keras_gans.evaluation.metrics.distances import as_features
from keras_gans.evaluation.metrics.distances import kth_neighbour_distances
from keras_gans.evaluation.metrics.distances import nearest_distances
from keras_gans.evaluation.metrics.distances import same_dim

__all__ = ["Memorization", "MemorizationResult", "memorization"]


@dataclasses.dataclass(frozen=True)
class MemorizationResult:
    """Result of `memorization`.

    Attributes:
        share: Fraction of generated samples closer than `threshold` to
            their nearest training sample.
        count: Number of such samples.
        threshold: `fraction * typical_distance`.
        typical_distance: Median distance from a training sample to its
            nearest other training sample.
        fraction: The `fraction` used.
    """

    share: float
    count: int
    threshold: float
    typical_distance: float
    fraction: float

    def as_dict(self):
        return dataclasses.asdict(self)


def memorization(train, fake, fraction=0.25):
    """Share of generated samples much closer to a training sample than
    training samples are to each other.

    Args:
        train: `(num_train, dim)` features of the training set (at least 2).
        fake: `(num_fake, dim)` features of generated samples.
        fraction: Positive float: the threshold as a fraction of the median
            nearest-neighbour distance within the training set.

    Returns:
        A `MemorizationResult`.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> train = rng.normal(size=(1000, 8))
    >>> fake = np.concatenate([train[:100], rng.normal(size=(300, 8))])
    >>> memorization(train, fake).share  # the 100 copies of 400
    0.25
    """
    train = as_features("train", train)
    fake = as_features("fake", fake)
    same_dim("train", train, "fake", fake)
    fraction = positive_float("fraction", fraction)
    typical = float(np.median(kth_neighbour_distances(train, 1)))
    threshold = fraction * typical
    count = int(np.count_nonzero(nearest_distances(fake, train) < threshold))
    return MemorizationResult(
        share=count / len(fake),
        count=count,
        threshold=threshold,
        typical_distance=typical,
        fraction=fraction,
    )


class Memorization(FeatureMetric):
    """Share of generated samples that copy a training sample (features)."""

    reference = "train"

    def __init__(self, fraction=0.25):
        self.fraction = positive_float("fraction", fraction)

    def __call__(self, train, fake):
        result = memorization(train, fake, self.fraction)
        return {"memorization": result.share,
                "memorization_threshold": result.threshold}
