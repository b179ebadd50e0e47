"""`domain_classifier`: features of a small classifier trained on the data.

InceptionV3 needs an 87 MB download and was trained on ImageNet photos; for
digits, MNIST or CIFAR-10 a small network trained on the dataset's own
labels gives features that work offline and separate what matters in that
domain. Its penultimate layer (64 ReLU units) gives the features; FID,
KID and the k-NN metrics on them are comparable between runs that use the
same classifier, and the protocol records its sha256 and test accuracy.

The classifier is trained once per dataset (and dataset parameters,
architecture, feature size, epochs and seed) on the dataset's `train`
split, scored on its `test` split, and cached as
`<cache>/domain_classifier/<dataset>-<key>.keras` with a `.json` beside
it holding its test accuracy and sha256. `<cache>` is `cache_dir`, else
`$KERAS_GANS_CACHE`, else `$XDG_CACHE_HOME/keras_gans`, else
`~/.cache/keras_gans`. The dataset must accept `split="train"` and
`split="test"` and give `(images, labels)` (digits, mnist, fashion_mnist
and cifar10 do).

With `verbose`, the one training says what it is and why before it starts,
shows one progress bar over all its steps, and ends with the test
accuracy; a cached classifier is announced in one line.

Architecture: `"mlp"` (Flatten, Dense 256, Dense 64) for images smaller
than 16x16, `"cnn"` (two stride-2 3x3 convolutions with 32 and 64
filters, Flatten, Dense 64) otherwise; `"auto"` picks. Its initial
weights are seeded; the training order is shuffled by Keras, so two
trainings give slightly different networks: the sha256 says which one
a score used.
"""

import hashlib
import inspect
import json
import math
import os

import numpy as np

from keras_gans import files
from keras_gans.features.base import FeatureError
from keras_gans.features.base import FeatureExtractor
from keras_gans.features.base import file_digest

__all__ = ["DomainClassifier", "domain_classifier", "cache_directory"]

CACHE_ENV = "KERAS_GANS_CACHE"
ARCHITECTURES = ("auto", "mlp", "cnn")
TARGET_STEPS = 800
BATCH_SIZE = 64


def cache_directory(cache_dir=None):
    """Where keras-gans caches trained feature networks."""
    if cache_dir:
        return os.fspath(cache_dir)
    if os.environ.get(CACHE_ENV):
        return os.environ[CACHE_ENV]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    return os.path.join(base, "keras_gans")


class DomainClassifier(FeatureExtractor):
    """Penultimate features of a classifier trained on the dataset's labels."""

    name = "domain_classifier"
    input_spec = {"shape": "the dataset's (height, width, channels)",
                  "range": [-1, 1]}

    def __init__(self, dataset="digits", dataset_params=None,
                 architecture="auto", feature_dim=64, epochs=None, seed=0,
                 cache_dir=None, verbose=0):
        super().__init__()
        if architecture not in ARCHITECTURES:
            raise ValueError(
                f"`architecture` must be one of {', '.join(ARCHITECTURES)}. "
                f"Received: architecture={architecture!r}"
            )
        self.dataset = dataset
        self.dataset_params = {
            k: v for k, v in dict(dataset_params or {}).items() if k != "split"
        }
        self.architecture = architecture
        self.feature_dim = int(feature_dim)
        self.epochs = epochs
        self.seed = int(seed)
        self.cache_dir = cache_directory(cache_dir)
        self.verbose = verbose
        self.record = None
        self.model = None
        self.feature_model = None

    # -- preparing -------------------------------------------------------

    def prepare(self, sample_shape):
        """Loads the cached classifier, or trains and caches it."""
        import keras

        sample_shape = tuple(int(s) for s in sample_shape)
        path = self.model_path()
        record = _read_record(path)
        if record is None:
            record = self.train_and_save(path)
        elif self.verbose:
            print(f"Features: the cached domain classifier {path} (test "
                  f"accuracy {record['test_accuracy']:.1%}).")
        if tuple(record["sample_shape"]) != sample_shape:
            raise FeatureError(
                f"The domain classifier for dataset {self.dataset!r} with "
                f"{self.dataset_params} reads samples of shape "
                f"{tuple(record['sample_shape'])}. Received: samples of shape "
                f"{sample_shape}. Pass the dataset parameters the samples "
                "were trained with (e.g. image_size)."
            )
        self.record = record
        self.model = keras.models.load_model(path)
        self.feature_model = keras.Model(
            self.model.input, self.model.get_layer("features").output
        )
        super().prepare(sample_shape)
        self.dim = self.feature_dim

    def expected_dim(self, sample_shape):
        return self.feature_dim

    def key(self):
        """A short hash of everything the trained network depends on."""
        description = json.dumps(
            [self.dataset, self.dataset_params, self.architecture,
             self.feature_dim, self.epochs, self.seed],
            sort_keys=True, default=str,
        )
        return hashlib.sha256(description.encode()).hexdigest()[:12]

    def model_path(self):
        name = "".join(c if c.isalnum() or c in "-_" else "_"
                       for c in self.dataset)
        return os.path.join(self.cache_dir, "domain_classifier",
                            f"{name}-{self.key()}.keras")

    def load_splits(self):
        """`((x_train, y_train), (x_test, y_test))` from the catalogue."""
        from keras_gans import plugins

        entry = plugins.catalogue().get("datasets", self.dataset, "dataset")
        if "split" not in inspect.signature(entry.factory).parameters:
            raise FeatureError(
                f"The domain classifier needs labelled train and test splits, "
                f"but dataset {self.dataset!r} takes no `split` argument. Use "
                "features='pixels' or 'inception_v3' for it."
            )
        splits = []
        for split in ("train", "test"):
            loaded = entry.factory(split=split, **self.dataset_params)
            if not (isinstance(loaded, (tuple, list)) and len(loaded) == 2):
                raise FeatureError(
                    f"The domain classifier needs (images, labels) from "
                    f"dataset {self.dataset!r}; it gave a "
                    f"{type(loaded).__name__}."
                )
            splits.append((np.asarray(loaded[0], "float32"),
                           np.asarray(loaded[1]).astype("int64")))
        return splits

    def train_and_save(self, path):
        """Trains on the train split, scores the test split, caches both."""
        import keras

        (x_train, y_train), (x_test, y_test) = self.load_splits()
        num_classes = int(max(y_train.max(), y_test.max())) + 1
        sample_shape = tuple(int(s) for s in x_train.shape[1:])
        model = build_classifier(sample_shape, num_classes,
                                 self._architecture_for(sample_shape),
                                 self.feature_dim, self.seed)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        epochs = self.epochs or _default_epochs(len(x_train))
        steps = epochs * math.ceil(len(x_train) / BATCH_SIZE)
        callbacks = []
        if self.verbose:
            print(
                "Training the domain_classifier feature extractor (once; "
                f"cached at {path}): a small "
                f"{self._architecture_for(sample_shape)} classifier of the "
                f"{num_classes} classes of dataset {self.dataset!r}, on its "
                f"train split ({len(x_train)} samples, {epochs} epochs). "
                f"FID, KID and the k-NN metrics compare its "
                f"{self.feature_dim} penultimate features, which need no "
                "download."
            )
            callbacks.append(_progress_bar(steps))
        model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs,
                  shuffle=True, verbose=0, callbacks=callbacks)
        logits = model.predict(x_test, batch_size=256, verbose=0)
        accuracy = float(np.mean(np.argmax(logits, axis=1) == y_test))
        if self.verbose:
            print(f"Domain classifier test accuracy: {accuracy:.1%} on the "
                  f"{len(x_test)} samples of the test split.")

        with files.replacing(path) as temporary:
            model.save(temporary)
        record = {
            "dataset": self.dataset,
            "dataset_params": self.dataset_params,
            "architecture": self._architecture_for(sample_shape),
            "feature_dim": self.feature_dim,
            "epochs": epochs,
            "seed": self.seed,
            "sample_shape": list(sample_shape),
            "num_classes": num_classes,
            "num_train": len(x_train),
            "num_test": len(x_test),
            "test_accuracy": accuracy,
            "weights_sha256": file_digest(path),
            "backend": keras.backend.backend(),
            "keras_version": keras.__version__,
        }
        _write_json(f"{path[:-len('.keras')]}.json", record)
        return record

    def _architecture_for(self, sample_shape):
        if self.architecture != "auto":
            return self.architecture
        small = len(sample_shape) != 3 or min(sample_shape[:2]) < 16
        return "mlp" if small else "cnn"

    # -- using -----------------------------------------------------------

    @property
    def test_accuracy(self):
        return None if self.record is None else self.record["test_accuracy"]

    @property
    def protocol(self):
        record = self.record or {}
        return {
            "extractor": self.name,
            "weights_sha256": record.get("weights_sha256"),
            "resize": "none (the dataset's own size)",
            "dataset": self.dataset,
            "dataset_params": self.dataset_params,
            "architecture": record.get("architecture"),
            "test_accuracy": record.get("test_accuracy"),
            "path": self.model_path(),
        }

    def features(self, batch):
        from keras import ops

        return ops.convert_to_numpy(self.feature_model(batch, training=False))

    def predict_classes(self, samples, batch_size=256):
        """The classifier's label for each sample (for class coverage)."""
        from keras import ops

        labels = []
        for start in range(0, len(samples), batch_size):
            logits = self.model(samples[start:start + batch_size],
                                training=False)
            labels.append(np.argmax(ops.convert_to_numpy(logits), axis=1))
        return np.concatenate(labels)


def build_classifier(sample_shape, num_classes, architecture, feature_dim,
                     seed):
    """The classifier: its layer named "features" gives the features."""
    import keras
    from keras import layers

    def seeded(index):
        return keras.initializers.GlorotUniform(seed=seed + index)

    inputs = keras.Input(sample_shape)
    x = inputs
    if architecture == "cnn":
        for index, filters in enumerate((32, 64)):
            x = layers.Conv2D(filters, 3, strides=2, padding="same",
                              activation="relu",
                              kernel_initializer=seeded(index))(x)
    x = layers.Flatten()(x)
    if architecture == "mlp":
        x = layers.Dense(256, activation="relu",
                         kernel_initializer=seeded(2))(x)
    x = layers.Dense(feature_dim, activation="relu", name="features",
                     kernel_initializer=seeded(3))(x)
    outputs = layers.Dense(num_classes, kernel_initializer=seeded(4))(x)
    return keras.Model(inputs, outputs, name="domain_classifier")


def _progress_bar(steps):
    """A callback drawing one Keras progress bar over all `steps` of a
    `fit()` (instead of one bar per epoch)."""
    import keras

    class OneProgressBar(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.bar = keras.utils.Progbar(steps, unit_name="step",
                                           stateful_metrics=["loss"])
            self.done = 0

        def on_train_batch_end(self, batch, logs=None):
            self.done += 1
            loss = (logs or {}).get("loss")
            values = [] if loss is None else [("loss", float(loss))]
            self.bar.update(self.done, values)

    return OneProgressBar()


def _default_epochs(num_train):
    """About TARGET_STEPS updates, between 2 and 50 epochs."""
    steps_per_epoch = math.ceil(num_train / BATCH_SIZE)
    return int(min(50, max(2, math.ceil(TARGET_STEPS / steps_per_epoch))))


def _read_record(path):
    """The cached classifier's record, if the file matches its sha256."""
    record_path = f"{path[:-len('.keras')]}.json"
    try:
        with open(record_path, encoding="utf-8") as file:
            record = json.load(file)
    except (OSError, ValueError):
        return None
    if not os.path.isfile(path) or file_digest(path) != record.get(
        "weights_sha256"
    ):
        return None
    return record


def _write_json(path, value):
    files.write_text(path, json.dumps(value, indent=2) + "\n")


def domain_classifier(dataset="digits", dataset_params=None,
                      architecture="auto", feature_dim=64, epochs=None,
                      seed=0, cache_dir=None, verbose=0):
    """Features of a small classifier trained on the dataset's own labels."""
    return DomainClassifier(dataset, dataset_params, architecture,
                            feature_dim, epochs, seed, cache_dir, verbose)
