"""Scoring generators: metrics, feature extractors, and the callback.

- `metrics`: FID, KID, precision/recall, density/coverage, memorization,
  mode coverage (`keras_gans.evaluation.metrics`).
- `features`: the extractors metrics compare in (`domain_classifier`,
  `inception_v3`, `pixels`).
- `scoring`: names to objects, sample-count checks, real data, `score`.
- `EvaluationMetrics`, `evaluation_metrics`: a callback that scores the
  generator during `fit()` (imported on first use: it needs Keras).
"""

from keras_gans import lazy

__all__ = ["EvaluationMetrics", "evaluation_metrics"]
__getattr__, __dir__ = lazy.exports(
    __name__, {name: "keras_gans.evaluation.callback" for name in __all__})
