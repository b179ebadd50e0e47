"""Evaluation metrics for GANs (pure NumPy, float64, bounded memory).

- `fid`: Frechet distance between feature sets (FID on InceptionV3
  features).
- `kid`: Kernel Inception Distance, unbiased MMD^2 with a cubic kernel.
- `precision_recall` (k = 3), `density_coverage` (k = 5) and `prdc`.
- `memorization`: the share of generated samples that copy a training
  sample.
- `mode_coverage`: modes captured on the 2-D toy mixtures.

Each takes feature arrays `(n, dim)`; `keras_gans.evaluation.features` turns samples
into features.
"""

from keras_gans.evaluation.metrics.fid import FID
from keras_gans.evaluation.metrics.fid import fid
from keras_gans.evaluation.metrics.kid import KID
from keras_gans.evaluation.metrics.kid import kid
from keras_gans.evaluation.metrics.memorization import Memorization
from keras_gans.evaluation.metrics.memorization import memorization
from keras_gans.evaluation.metrics.mode_coverage import ModeCoverage
from keras_gans.evaluation.metrics.mode_coverage import mode_coverage
from keras_gans.evaluation.metrics.prdc import DensityCoverage
from keras_gans.evaluation.metrics.prdc import PrecisionRecall
from keras_gans.evaluation.metrics.prdc import density_coverage
from keras_gans.evaluation.metrics.prdc import prdc
from keras_gans.evaluation.metrics.prdc import precision_recall

__all__ = [
    "FID",
    "KID",
    "DensityCoverage",
    "Memorization",
    "ModeCoverage",
    "PrecisionRecall",
    "density_coverage",
    "fid",
    "kid",
    "memorization",
    "mode_coverage",
    "prdc",
    "precision_recall",
]
