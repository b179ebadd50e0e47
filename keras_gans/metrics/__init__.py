"""Evaluation metrics for GANs (pure NumPy)."""

from keras_gans.metrics.mode_coverage import ModeCoverage
from keras_gans.metrics.mode_coverage import mode_coverage

__all__ = ["mode_coverage", "ModeCoverage"]
