"""A callback that scores the generator during training.

`EvaluationMetrics` computes the chosen metrics (FID, KID, precision/
recall, density/coverage, memorization, or a plugin's) every `every`
epochs on `num_samples` generated samples against real features
extracted once at the start, and puts the values into the epoch's `logs`
(`logs["fid"]`, `logs["precision"]`, ...). Keras hands the same `logs`
dict to the callbacks that follow, so a `keras_gans.training.TensorBoard`
placed *after* it in the callback list writes the values, and they land
in `fit()`'s history.

In a recipe (the factory loads the data itself; with the run's
`data.params`, whose `split = "train"` makes the `test` split the
held-out reference):

```toml
[[train.callbacks]]
name = "evaluation"
dataset = "digits"
dataset_params = { image_size = 28, split = "train" }
metrics = "fid,pr"
features = "domain_classifier"
every = 5
```
"""

import keras
import numpy as np

from keras_gans.arguments import positive_int

__all__ = ["EvaluationMetrics", "evaluation_metrics"]


class EvaluationMetrics(keras.callbacks.Callback):
    """Puts evaluation metrics of generated samples into the epoch logs.

    Args:
        real: real samples `(n, *sample_shape)` the metrics compare with
            (held-out data where there is some).
        metrics: comma-separated names or a list, as for `keras-gans
            evaluate` (`fid`, `kid`, `pr`, `dc`, `memorization`).
        features: a registered feature extractor name (`pixels`,
            `domain_classifier`, `inception_v3`).
        every: compute every this many epochs (and never in between: the
            other epochs' logs have no such keys).
        num_samples: generated samples per evaluation.
        seed: seed of the generated samples (the same z every time, so
            changes come from the weights only).
        train: training samples for `memorization` (default: `real`).
        num_classes: for a conditional GAN, labels cycle through
            `0 .. num_classes - 1`.
        dataset, dataset_params: what `domain_classifier` trains on.
        verbose: 1 prints each evaluation.

    Example:

    ```python
    callbacks = [
        EvaluationMetrics(x_test, metrics="fid,pr", features="pixels",
                          every=5),
        keras_gans.training.TensorBoard("logs"),  # writes epoch/fid
    ]
    gan.fit(x_train, epochs=50, callbacks=callbacks)
    ```
    """

    def __init__(self, real, metrics="fid", features="pixels", every=1,
                 num_samples=1000, seed=0, train=None, num_classes=None,
                 dataset=None, dataset_params=None, verbose=0):
        super().__init__()
        from keras_gans.evaluation.scoring import create_extractor
        from keras_gans.evaluation.scoring import resolve_metrics

        self.metrics = resolve_metrics(metrics)
        self.extractor = create_extractor(features, dataset, dataset_params)
        self.real = np.asarray(real)
        self.train = None if train is None else np.asarray(train)
        self.every = positive_int("every", every)
        self.num_samples = positive_int("num_samples", num_samples)
        self.seed = seed
        self.num_classes = num_classes
        self.verbose = verbose
        self._real_features = None
        self._train_features = None

    def on_train_begin(self, logs=None):
        from keras_gans.evaluation.scoring import check_sample_counts
        from keras_gans.evaluation.features import extract

        self.extractor.prepare(self.real.shape[1:])
        train = self.real if self.train is None else self.train
        check_sample_counts(
            self.metrics, self.extractor.dim,
            {"generated": self.num_samples, "held_out": len(self.real),
             "train": len(train)},
        )
        self._real_features = extract(self.extractor, self.real, verbose=0)
        self._train_features = (
            self._real_features if self.train is None
            else extract(self.extractor, self.train, verbose=0)
        )

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        values = self.evaluate()
        if logs is not None:
            logs.update(values)
        if self.verbose:
            listed = ", ".join(f"{k} {v:.4g}" for k, v in values.items())
            print(f"Epoch {epoch + 1} evaluation: {listed}")

    def evaluate(self):
        """`{name: value}` of every metric for the current generator.

        In a run spread over processes that can share the work
        (`keras_gans.backend.distribution`), each process generates and
        extracts the features of its block of the same latent draw, the
        features are gathered, and the chief alone scores them (the other
        processes return `{}`): the chief's values equal one process's.
        """
        from keras_gans import latent
        from keras_gans.backend import distribution
        from keras_gans.evaluation.features import extract

        count = self.num_samples
        labels = None
        if self.num_classes:
            labels = np.arange(count) % self.num_classes
        shared = distribution.active() or distribution.Distribution()
        start, stop = shared.shard(count)
        z = latent.prior_noise(count, self.model.latent_dim, self.seed)
        fake_features = np.zeros((0, self.extractor.dim), "float32")
        if stop > start:
            fake = self.model.generate(
                z=z[start:stop],
                labels=None if labels is None else labels[start:stop])
            fake_features = extract(self.extractor, fake, verbose=0)
        fake_features = shared.gather_rows(fake_features, count)
        if not shared.is_chief:
            return {}
        values = {}
        for metric in self.metrics.values():
            reference = (self._train_features
                         if getattr(metric, "reference", None) == "train"
                         else self._real_features)
            result = metric(reference, fake_features)
            values.update({k: float(v) for k, v in result.items()})
        return values


def evaluation_metrics(dataset, dataset_params=None, metrics="fid",
                       features="pixels", every=5, num_samples=1000, seed=0,
                       num_classes=None, verbose=0):
    """Metrics of generated samples in the epoch logs, every few epochs.

    Loads `dataset` with `dataset_params`: its `test` split when the
    params say `split = "train"` is what the run trains on (the held-out
    reference, at most `max(num_samples, 10,000)` of it), and the training
    data for memorization.
    """
    from keras_gans.evaluation.scoring import REAL_SAMPLES
    from keras_gans.evaluation.scoring import at_most
    from keras_gans.evaluation.scoring import load_splits

    train_x, held_x, _ = load_splits(dataset, dataset_params)
    held_x = at_most(held_x, max(num_samples, REAL_SAMPLES), seed)
    return EvaluationMetrics(
        held_x, metrics=metrics, features=features, every=every,
        num_samples=num_samples, seed=seed, train=train_x,
        num_classes=num_classes, dataset=dataset,
        dataset_params=dataset_params, verbose=verbose,
    )
