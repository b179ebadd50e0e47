"""Feature extractors for the evaluation metrics.

- `inception_v3`: InceptionV3 pool features (2,048) with ImageNet weights
  from Keras' cache, downloaded once and checked; offline, a clear error
  says where to put the file.
- `domain_classifier`: the penultimate features of a small classifier
  trained on the dataset's own labels, cached with its test accuracy.
- `pixels`: flattened samples, for small images and 2-D data.

Each is registered through the `register_features` hook, like a plugin's.
`extract(extractor, samples)` runs one over many samples with a progress
bar.
"""

from keras_gans.evaluation.features.base import FeatureError
from keras_gans.evaluation.features.base import FeatureExtractor
from keras_gans.evaluation.features.base import extract
from keras_gans.evaluation.features.domain_classifier import domain_classifier
from keras_gans.evaluation.features.inception import inception_v3
from keras_gans.evaluation.features.pixels import pixels

__all__ = [
    "FeatureError",
    "FeatureExtractor",
    "domain_classifier",
    "extract",
    "inception_v3",
    "pixels",
]
