"""What a feature extractor is, and running one over many samples.

Metrics compare feature vectors, not raw samples. An extractor is an
object with:

- `name`: its registered name (`inception_v3`, `domain_classifier`,
  `pixels`, or a plugin's).
- `prepare(sample_shape)`: checks that it can read samples of this shape
  and gets its network ready (weights from the cache, a classifier
  trained once); every problem raises `FeatureError` here, before any
  sample is generated.
- `dim`: the feature dimension (known after `prepare`);
  `expected_dim(sample_shape)` says it beforehand where it can.
- `input_spec`: what it expects, e.g. `{"shape": "(h, w, 1 or 3)",
  "range": [-1, 1]}`.
- `protocol`: what a score depends on, stored next to it in
  `metrics.json`: `{"extractor", "weights_sha256", "resize", ...}`.
- `extractor(batch)`: a numpy batch of samples (channels-last images in
  [-1, 1], or vectors) to float32 features `(batch, dim)`.

A plugin registers a factory with the `register_features` hook;
`factory(**params)` returns such an object.
"""

import abc
import hashlib

import numpy as np

__all__ = ["FeatureError", "FeatureExtractor", "extract", "file_digest"]


class FeatureError(RuntimeError):
    """An extractor that cannot run: missing weights, unusable data, ..."""


class FeatureExtractor(abc.ABC):
    """Base class: subclasses set `name` and implement `prepare`,
    `features` and `protocol`."""

    name = None
    batch_size = 256

    def __init__(self):
        self.dim = None
        self.sample_shape = None

    input_spec = {"shape": "any", "range": [-1, 1]}

    def prepare(self, sample_shape):
        self.sample_shape = tuple(int(s) for s in sample_shape)

    def expected_dim(self, sample_shape):
        """The feature dimension before `prepare` (None when unknown), so
        that sample counts can be checked before any work."""
        return self.dim

    @property
    def protocol(self):
        return {"extractor": self.name, "weights_sha256": None,
                "resize": None}

    @abc.abstractmethod
    def features(self, batch):
        """`(n, dim)` float features of one prepared batch of samples."""

    def __call__(self, batch):
        if self.sample_shape is None:
            raise FeatureError(
                f"Call prepare(sample_shape) before extracting features with "
                f"{self.name!r}."
            )
        batch = np.asarray(batch, dtype=np.float32)
        if batch.shape[1:] != self.sample_shape:
            raise FeatureError(
                f"The {self.name!r} extractor was prepared for samples of "
                f"shape {self.sample_shape}. Received: samples of shape "
                f"{batch.shape[1:]}"
            )
        return np.asarray(self.features(batch), dtype=np.float32)


def extract(extractor, samples, batch_size=None, verbose=1, label="features"):
    """Features of many samples, in batches, with Keras' progress bar.

    Args:
        extractor: a prepared feature extractor.
        samples: array `(n, *sample_shape)`.
        batch_size: samples per call (default: the extractor's).
        verbose: 1 shows a progress bar, 0 nothing.
        label: printed before the bar.

    Returns:
        float32 array `(n, extractor.dim)`.
    """
    import keras

    samples = np.asarray(samples)
    batch_size = batch_size or extractor.batch_size
    out = np.empty((len(samples), extractor.dim), dtype=np.float32)
    if verbose:
        print(f"{label}: {extractor.name} on {len(samples)} samples")
    bar = keras.utils.Progbar(len(samples), verbose=verbose,
                              unit_name="sample")
    for start in range(0, len(samples), batch_size):
        stop = min(start + batch_size, len(samples))
        out[start:stop] = extractor(samples[start:stop])
        bar.update(stop)
    return out


def file_digest(path, algorithm="sha256"):
    """Hex digest (sha256, or another hashlib algorithm) of a file, read
    in 1 MiB chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
