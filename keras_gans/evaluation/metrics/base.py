"""What a metric that scores features gives `keras-gans evaluate`.

A plugin registers a factory with `register_metrics`; `factory(**params)`
returns an object like these (subclassing is optional):

- `metric(real, fake)` takes two `(n, dim)` feature arrays and returns a
  dict of named floats (`{"fid": 12.3}`); these names go into
  `metrics.json` and the training logs.
- `reference`: `"held_out"` to be scored against held-out real data (when
  the dataset has a test split), `"train"` against the training set.
- `min_samples(dim)`: the fewest samples per set for a meaningful value;
  `evaluate` refuses smaller runs before any work.
- `takes_features = True` marks the metric as one `evaluate` can run.
"""

import abc


class FeatureMetric(abc.ABC):
    """Base of the metrics `keras-gans evaluate` runs on features."""

    takes_features = True
    reference = "held_out"

    def min_samples(self, dim):
        """The fewest samples per set: 2 unless a metric needs more."""
        return 2

    @abc.abstractmethod
    def __call__(self, real, fake):
        """A dict of named floats for two `(n, dim)` feature arrays."""
