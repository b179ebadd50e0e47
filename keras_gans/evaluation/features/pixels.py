"""`pixels`: the samples themselves, flattened, as features.

For 2-D toy data and small images (8x8 digits: 64 features), where
distances between raw samples mean something and a network would add
nothing. No weights, so the protocol has no sha256.
"""

import math

from keras_gans.evaluation.features.base import FeatureError
from keras_gans.evaluation.features.base import FeatureExtractor

MAX_DIM = 4096


class Pixels(FeatureExtractor):
    """Flattened samples (pixels of small images, or 2-D points)."""

    name = "pixels"
    input_spec = {"shape": "any, at most 4,096 values", "range": "any"}

    def prepare(self, sample_shape):
        dim = self.expected_dim(sample_shape)
        if dim > MAX_DIM:
            raise FeatureError(
                f"The 'pixels' extractor is for small samples (at most "
                f"{MAX_DIM} values); distances between {dim} raw values say "
                "little and cost much. Use features='domain_classifier' or "
                f"'inception_v3'. Received: sample_shape={tuple(sample_shape)}"
            )
        super().prepare(sample_shape)
        self.dim = dim

    def expected_dim(self, sample_shape):
        return math.prod(int(s) for s in sample_shape)

    @property
    def protocol(self):
        return {"extractor": self.name, "weights_sha256": None,
                "resize": "none (flattened samples)"}

    def features(self, batch):
        return batch.reshape(len(batch), -1)


def pixels():
    """Flattened samples as features: 2-D data and small images."""
    return Pixels()
