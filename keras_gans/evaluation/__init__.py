"""Scoring generators: metrics, feature extractors, and the callback.

- `metrics`: FID, KID, precision/recall, density/coverage, memorization,
  mode coverage (`keras_gans.evaluation.metrics`).
- `features`: the extractors metrics compare in (`domain_classifier`,
  `inception_v3`, `pixels`).
- `scoring`: names to objects, sample-count checks, real data, `score`.
- `EvaluationMetrics`, `evaluation_metrics`: a callback that scores the
  generator during `fit()` (imported on first use: it needs Keras).
"""

import importlib

__all__ = ["EvaluationMetrics", "evaluation_metrics"]


def __getattr__(name):
    if name in __all__:
        return getattr(
            importlib.import_module("keras_gans.evaluation.callback"), name)
    raise AttributeError(
        f"module 'keras_gans.evaluation' has no attribute {name!r}")
