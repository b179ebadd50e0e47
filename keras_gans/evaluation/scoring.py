"""Scoring generated samples against real ones, the parts every caller shares.

`keras-gans evaluate`, `keras_gans.evaluate()` and the `evaluation`
training callback all turn metric and extractor names into objects, check
that each metric gets enough samples, load the real data (a held-out split
when there is one) and score. Nothing here knows the command line or the
layout of a run directory.
"""

import inspect

import numpy as np

from keras_gans.advice import Advised

__all__ = ["DEFAULT_METRICS", "EvaluationError", "METRIC_ALIASES",
           "REAL_SAMPLES", "at_most", "check_sample_counts",
           "create_extractor", "default_features", "feature_metric_names",
           "load_splits", "resolve_metrics", "score"]

METRIC_ALIASES = {"pr": "precision_recall", "dc": "density_coverage"}
DEFAULT_METRICS = "fid,kid,pr,dc,memorization"
# The held-out reference holds at most max(num_samples, REAL_SAMPLES).
REAL_SAMPLES = 10_000


class EvaluationError(Advised, ValueError):
    """A bad argument to `evaluate`, found before any work.

    `problem`, `remedy` and `reason` (`keras_gans.advice.Advised`) let the
    command line give the remedy in its own words.
    """


# ----------------------------------------------------------------------
# Names to objects


def _catalogue():
    from keras_gans import plugins

    return plugins.catalogue()


def feature_metric_names():
    """Registered metrics that score features (what evaluate can run)."""
    catalogue = _catalogue()
    return [name for name in catalogue.names("metrics")
            if getattr(catalogue.get("metrics", name).factory,
                       "takes_features", False)]


def resolve_metrics(names):
    """`{name: metric}` for comma-separated or listed names (aliases too).

    Raises:
        EvaluationError: for an unknown name or one that does not score
            features, listing the names that work.
    """
    if isinstance(names, str):
        names = [part.strip() for part in names.split(",") if part.strip()]
    if not names:
        raise EvaluationError("Choose at least one metric, e.g. fid,kid.")
    known = feature_metric_names()
    metrics = {}
    for name in names:
        canonical = METRIC_ALIASES.get(name, name)
        if canonical not in known:
            aliases = ", ".join(f"{alias} ({full})"
                                for alias, full in METRIC_ALIASES.items())
            raise EvaluationError(
                f"Unknown metric {name!r}. Known metrics: {', '.join(known)}; "
                f"short names: {aliases}. Received: metrics={name!r}"
            )
        metrics[canonical] = _catalogue().create("metrics", canonical)
    return metrics


def create_extractor(name, dataset=None, dataset_params=None, verbose=0):
    """The registered extractor `name`, given the dataset when it asks.

    Raises:
        EvaluationError: for an unknown name, listing the known ones.
    """
    from keras_gans.plugins import CatalogueError

    try:
        entry = _catalogue().get("features", name, "features")
    except CatalogueError as error:
        raise EvaluationError(str(error)) from None
    context = {"dataset": dataset, "dataset_params": dataset_params,
               "verbose": verbose}
    accepted = inspect.signature(entry.factory).parameters
    return entry.factory(**{k: v for k, v in context.items()
                            if k in accepted and v is not None})


def check_sample_counts(metrics, dim, counts):
    """Refuses sets too small for a metric at this feature dimension.

    Args:
        metrics: `{name: metric}`.
        dim: the feature dimension (None when unknown: no check).
        counts: `{"generated": n, "held_out": n, "train": n}`.
    """
    if dim is None:
        return
    problems = []
    for name, metric in metrics.items():
        needed = metric.min_samples(dim)
        sets = ("generated", getattr(metric, "reference", "held_out"))
        for which in sets:
            if counts.get(which) is not None and counts[which] < needed:
                problems.append(
                    f"{name} needs at least {needed} {which} samples with "
                    f"{dim} features; there are {counts[which]}"
                )
    if problems:
        raise EvaluationError(
            "Too few samples: " + "; ".join(problems) + ".",
            "Raise num_samples, drop the metric, or choose features of "
            'lower dimension (features="domain_classifier" gives 64).',
            reason="too_few_samples")


# ----------------------------------------------------------------------
# Real data


def at_most(samples, count, seed):
    """`samples`, or `count` of them drawn without replacement (seeded) when
    there are more: a 512,000-sample toy set then costs no 512,000^2
    distances in the k-NN metrics."""
    if len(samples) <= count:
        return samples
    rng = np.random.default_rng(seed)
    return samples[np.sort(rng.choice(len(samples), count, replace=False))]


def load_splits(dataset, params):
    """Training data as the run saw it and held-out data, with notes.

    Returns:
        `(train_x, held_out_x, reference)`: arrays of real samples, and a
        dict describing both for the protocol.
    """
    from keras_gans.datasets.arrays import split_dataset

    entry = _catalogue().get("datasets", dataset, "dataset")
    params = dict(params or {})
    train_x = np.asarray(split_dataset(entry.factory(**params))[0])
    reference = {"train": {"dataset": dataset, "params": params,
                           "num_samples": len(train_x)}}
    accepts_split = "split" in inspect.signature(entry.factory).parameters
    if accepts_split and params.get("split") == "train":
        held_params = dict(params, split="test")
        held_x = np.asarray(split_dataset(entry.factory(**held_params))[0])
        reference["held_out"] = {"dataset": dataset, "params": held_params,
                                 "num_samples": len(held_x)}
    else:
        held_x = train_x
        reference["held_out"] = dict(
            reference["train"],
            note="the training data: the run did not train on a train "
                 "split, so no held-out split exists",
        )
    return train_x, held_x, reference


def default_features(dataset_name):
    """The extractor for a dataset: `domain_classifier` for one with a
    held-out split (the image sets), else `pixels`."""
    entry = _catalogue().get("datasets", dataset_name, "dataset")
    has_split = "split" in inspect.signature(entry.factory).parameters
    return "domain_classifier" if has_split else "pixels"


def score(metrics, extractor, fake, train_x, held_x, verbose=1, cache=None):
    """`{value name: float}` of every metric, extracting each set once.

    `cache`, a dict kept by the caller, holds the real sets' features
    between calls with the same extractor and sets (several models scored
    against the same data).
    """
    from keras_gans.evaluation.features import extract

    fake_features = extract(extractor, fake, verbose=verbose,
                            label="generated")
    # By array: held_x is train_x when there is no split.
    cache = {} if cache is None else cache

    def real(which):
        x = train_x if which == "train" else held_x
        if id(x) not in cache:
            what = "training data" if x is train_x else "held-out data"
            cache[id(x)] = extract(extractor, x, verbose=verbose,
                                   label=f"real ({what})")
        return cache[id(x)]

    values = {}
    for metric in metrics.values():
        which = getattr(metric, "reference", "held_out")
        result = metric(real(which), fake_features)
        values.update({k: float(v) for k, v in result.items()})
    return values
