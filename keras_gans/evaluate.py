"""Scoring a trained GAN: `keras-gans evaluate RUN_DIR_OR_MODEL`.

Generates `num_samples` samples, turns them and the real data into
features (`keras_gans.features`), computes the chosen metrics
(`keras_gans.metrics`) and writes them, with the protocol every number
depends on, to `metrics.json` under the key `"evaluation"` (the run's
other entries are kept):

```json
"evaluation": {
  "metrics": {"fid": 3.2, "kid": 0.004, "kid_std": 0.001, ...},
  "protocol": {"extractor": "domain_classifier", "weights_sha256": "...",
               "resize": "...", "num_samples": 10000, "seed": 0,
               "reference": {"held_out": {...}, "train": {...}}},
  "versions": {"keras_gans": "...", "keras": "...", "backend": "jax", ...}
}
```

Real data: the run's dataset with its recipe's parameters. Metrics whose
`reference` is `"held_out"` (FID, KID, precision/recall, density/coverage)
use the dataset's `test` split when the run trained on its `train` split,
else the training data itself (the protocol says which), at most
`max(num_samples, 10,000)` of them (a seeded draw); memorization always
compares with the whole training set.

Every argument is checked before any work (exit code 2 from the command
line): metric and extractor names, the number of samples each metric
needs for the feature dimension, and a dataset to compare with.
"""

import inspect
import json
import os
import time

import click
import numpy as np

from keras_gans import files

__all__ = ["EvaluationError", "METRIC_ALIASES", "evaluate", "resolve_metrics",
           "summary"]

METRIC_ALIASES = {"pr": "precision_recall", "dc": "density_coverage"}
DEFAULT_METRICS = "fid,kid,pr,dc,memorization"
# The held-out reference holds at most max(num_samples, REAL_SAMPLES).
REAL_SAMPLES = 10_000


class EvaluationError(ValueError):
    """A bad argument to `evaluate`, found before any work."""


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
            "Too few samples: " + "; ".join(problems) + ". Raise -n, drop "
            "the metric, or choose features of lower dimension (--features "
            "domain_classifier gives 64)."
        )


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
    from keras_gans.run import _split_dataset

    entry = _catalogue().get("datasets", dataset, "dataset")
    params = dict(params or {})
    train_x = np.asarray(_split_dataset(entry.factory(**params))[0])
    reference = {"train": {"dataset": dataset, "params": params,
                           "num_samples": len(train_x)}}
    accepts_split = "split" in inspect.signature(entry.factory).parameters
    if accepts_split and params.get("split") == "train":
        held_params = dict(params, split="test")
        held_x = np.asarray(_split_dataset(entry.factory(**held_params))[0])
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


# ----------------------------------------------------------------------
# Evaluation


def _model_and_recipe(source):
    """`(model path, run directory or None, recipe dict or None)`."""
    from keras_gans import cli

    if not os.path.exists(source):
        raise EvaluationError(
            f"{source} does not exist: expected a run directory (from "
            "keras-gans run) or a saved .keras model."
        )
    try:
        model_path, run_dir = cli._model_path(source)
    except click.ClickException as error:
        raise EvaluationError(error.message) from None
    return model_path, run_dir, cli._run_recipe(run_dir)


def _generate(model, run_dir, num_samples, seed):
    from keras_gans import cli

    gan = model if hasattr(model, "generate") else None
    generator = gan.generator if gan is not None else model
    labels = None
    classes = None
    if cli._is_conditional(gan, generator, run_dir):
        classes = cli._num_classes(run_dir, generator, gan)
        if classes is None:
            raise EvaluationError(
                "The model is conditional but its number of classes could "
                "not be found (no recipe.toml beside it)."
            )
        labels = (np.arange(num_samples) % classes).astype("int32")
    if gan is not None:
        return gan.generate(num_samples, seed=seed, labels=labels)
    return cli._generate_with(generator, num_samples, seed, labels,
                              num_classes=classes)


def _check_memory(model, num_samples, sample_shape, dim):
    """Refuses an `-n` whose samples and features cannot fit in memory."""
    from keras_gans import resources

    latent_dim = getattr(model, "latent_dim", None) or int(
        model.inputs[0].shape[-1])
    parts = dict(resources.sample_grid_memory(
        num_samples, latent_dim, sample_shape).parts)
    parts[f"their {dim or 0:,} features each"] = (
        num_samples * (dim or 0) * resources.BYTES_PER_VALUE)
    try:
        resources.check_fits(resources.Estimate(parts),
                             f"Evaluating {num_samples:,} samples",
                             "Lower -n.")
    except resources.MemoryLimitError as error:
        raise EvaluationError(str(error)) from None


def _versions():
    import keras

    from keras_gans import __version__

    backend = keras.backend.backend()
    try:
        backend_version = __import__(backend).__version__
    except (ImportError, AttributeError):
        backend_version = None
    return {"keras_gans": __version__, "keras": keras.__version__,
            "backend": backend, "backend_version": backend_version,
            "numpy": np.__version__}


def evaluate(source, metrics=DEFAULT_METRICS, features=None,
             num_samples=10_000, seed=0, dataset=None, output=None,
             max_real=None, verbose=1, echo=print):
    """Scores the GAN in a run directory (or a saved model) and writes
    `metrics.json`.

    Args:
        source: a run directory, or a `.keras` GAN or generator.
        metrics: comma-separated names or a list: `fid`, `kid`, `pr`
            (precision/recall), `dc` (density/coverage), `memorization`,
            or a plugin's.
        features: a registered extractor; default `domain_classifier`
            when the dataset has labelled splits, else `pixels`.
        num_samples: samples to generate.
        seed: seed of the generated samples.
        dataset: `{"dataset": name, "params": {...}}` for a model without
            a recipe beside it.
        output: the JSON file to write (default: `metrics.json` in the run
            directory, or beside the model).
        max_real: most held-out samples to compare with (a seeded draw;
            default `max(num_samples, 10,000)`).
        verbose: 1 shows progress bars.
        echo: prints one line of progress.

    Returns:
        The `"evaluation"` dict written to the file.

    Raises:
        EvaluationError: for bad arguments, before any work.
    """
    started = time.time()
    if not isinstance(num_samples, int) or num_samples < 2:
        raise EvaluationError(
            f"-n must be an integer >= 2. Received: n={num_samples!r}"
        )
    if output is not None:
        from keras_gans.regular_files import check_replaceable

        try:
            check_replaceable(output)
        except OSError as error:
            raise EvaluationError(f"-o: {error}") from None
    chosen = resolve_metrics(metrics)
    model_path, run_dir, recipe = _model_and_recipe(source)
    data = dataset or (recipe or {}).get("data")
    if not data or not data.get("dataset"):
        raise EvaluationError(
            f"No dataset to compare {model_path} with: it has no recipe.toml "
            "beside it. Pass --dataset NAME."
        )
    dataset_name, dataset_params = data["dataset"], data.get("params") or {}
    _catalogue().get("datasets", dataset_name, "dataset")  # a known name
    if features is None:
        features = _default_features(dataset_name)
    extractor = create_extractor(features, dataset_name, dataset_params,
                                 verbose=verbose)

    try:
        train_x, held_x, reference = load_splits(dataset_name,
                                                 dataset_params)
    except (ValueError, TypeError) as error:
        raise EvaluationError(
            f"Dataset {dataset_name!r} rejected its parameters "
            f"{dataset_params}: {error}"
        ) from error
    held_x = at_most(held_x, max_real or max(num_samples, REAL_SAMPLES), seed)
    reference["held_out"]["num_used"] = len(held_x)
    sample_shape = tuple(int(s) for s in train_x.shape[1:])
    counts = {"generated": num_samples, "held_out": len(held_x),
              "train": len(train_x)}
    expected = getattr(extractor, "expected_dim", None)
    check_sample_counts(chosen, expected and expected(sample_shape), counts)

    extractor.prepare(sample_shape)
    check_sample_counts(chosen, extractor.dim, counts)
    from keras_gans import run as run_module

    echo(f"Generating {num_samples} samples from {model_path} (seed {seed}).")
    try:
        model = run_module.load_model(model_path)
    except Exception as error:
        raise EvaluationError(
            f"Could not load {model_path}: {type(error).__name__}: {error}"
        ) from error
    _check_memory(model, num_samples, sample_shape, extractor.dim)
    fake = _generate(model, run_dir, num_samples, seed)
    if tuple(fake.shape[1:]) != sample_shape:
        raise EvaluationError(
            f"The model makes samples of shape {tuple(fake.shape[1:])} but "
            f"dataset {dataset_name!r} has shape {sample_shape}."
        )
    values = score(chosen, extractor, fake, train_x, held_x, verbose)

    evaluation = {
        "metrics": values,
        "measured_at_step": _model_step(model, run_dir),
        "protocol": dict(
            extractor.protocol,
            num_samples=num_samples,
            seed=seed,
            model=os.path.abspath(model_path),
            reference=reference,
            feature_dim=extractor.dim,
        ),
        "versions": _versions(),
        "time_s": round(time.time() - started, 3),
    }
    path = output or os.path.join(
        run_dir or os.path.dirname(os.path.abspath(model_path)),
        "metrics.json")
    write_evaluation(path, evaluation)
    evaluation["path"] = path
    return evaluation


def _model_step(model, run_dir):
    """The generator steps the scored model had trained: a GAN's counter,
    else (a bare generator) the run's metrics.json, else None."""
    if hasattr(model, "steps"):
        return model.steps
    try:
        with open(os.path.join(run_dir, "metrics.json"),
                  encoding="utf-8") as file:
            return json.load(file).get("steps")
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def _default_features(dataset_name):
    entry = _catalogue().get("datasets", dataset_name, "dataset")
    has_split = "split" in inspect.signature(entry.factory).parameters
    return "domain_classifier" if has_split else "pixels"


def score(metrics, extractor, fake, train_x, held_x, verbose=1):
    """`{value name: float}` of every metric, extracting each set once."""
    from keras_gans.features import extract

    fake_features = extract(extractor, fake, verbose=verbose,
                            label="generated")
    cache = {}  # by array: held_x is train_x when there is no split

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


def summary(evaluation):
    """The lines `keras-gans evaluate` prints: what was compared with what,
    each value, KID in the usual x1e3 units and why it may not compare
    with published KIDs."""
    protocol = evaluation["protocol"]
    values = evaluation["metrics"]
    held_out = protocol["reference"]["held_out"]
    if "note" in held_out:
        against = (f"the training data ({held_out['num_used']} samples; no "
                   "held-out split: the run did not train on a train split)")
    else:
        against = (f"the held-out test split ({held_out['num_used']} "
                   "samples)")
    extractor = protocol["extractor"]
    dim = protocol.get("feature_dim")
    details = [f"{dim}-d"] if dim else []
    if protocol.get("test_accuracy") is not None:
        details.append(
            f"classifier test accuracy {protocol['test_accuracy']:.1%}")
    features = f"{extractor} features"
    if details:
        features += f" ({', '.join(details)})"
    lines = [f"{protocol['num_samples']} generated samples against {against},"
             f" on {features}:"]
    for name, value in values.items():
        if name == "kid":
            lines.append(_kid_line(value, values.get("kid_std"),
                                   values.get("kid_subset_size")))
        elif name not in ("kid_std", "kid_subset_size"):
            lines.append(f"  {name:<24}{value:.6g}")
    if "kid" in evaluation["metrics"] and extractor != "inception_v3":
        lines.append(
            f"KID scales with the features: on {dim or 'these'}-d {extractor} "
            "features it is not comparable with published KIDs (2,048-d "
            "InceptionV3 features, also x1e3); compare it only between "
            "scores with the same extractor and weights_sha256 "
            "(metrics.json)."
        )
    return lines


def _kid_line(mean, std, subset_size):
    """KID x1e3, the unit of published tables, with its spread."""
    spread = "" if std is None else f" +- {std * 1e3:.2g}"
    subsets = "" if not subset_size else (
        f" (mean +- std over subsets of {int(subset_size)})")
    return f"  {'kid x1e3':<24}{mean * 1e3:.4g}{spread}{subsets}"


def write_evaluation(path, evaluation):
    """Puts `evaluation` under "evaluation" in the JSON file at `path`,
    keeping its other entries."""
    from keras_gans.run import _finite
    from keras_gans.run import _json_default

    existing = {}
    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as file:
                existing = json.load(file)
        except (OSError, ValueError):
            existing = {}
    if not isinstance(existing, dict):
        existing = {}
    existing["evaluation"] = evaluation
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    files.write_text(path, json.dumps(_finite(existing), indent=2,
                                 default=_json_default) + "\n")


# ----------------------------------------------------------------------
# Command line


def _dataset_option(value):
    if value is None:
        return None
    return {"dataset": value, "params": {}}


@click.command("evaluate")
@click.argument("source", metavar="RUN_DIR_OR_MODEL",
                type=click.Path(exists=True))
@click.option("--metrics", default=DEFAULT_METRICS, show_default=True,
              help="Comma-separated: fid, kid, pr (precision/recall), dc "
                   "(density/coverage), memorization, or a plugin's.")
@click.option("--features", default=None,
              help="Feature extractor: domain_classifier, inception_v3, "
                   "pixels or a plugin's (default: domain_classifier for "
                   "labelled image datasets, else pixels).")
@click.option("-n", "--num-samples", "n", default=10_000, show_default=True,
              type=click.IntRange(min=2), help="Samples to generate.")
@click.option("--seed", default=0, show_default=True,
              type=click.IntRange(min=0),
              help="Seed of the generated samples.")
@click.option("--dataset", default=None,
              help="Dataset to compare with, for a model without a "
                   "recipe.toml beside it.")
@click.option("-o", "--output", default=None,
              type=click.Path(dir_okay=False),
              help="JSON file (default: metrics.json in the run directory).")
@click.option("--backend", type=click.Choice(("tensorflow", "jax", "torch")),
              default=None, help="Keras backend.")
@click.pass_context
def evaluate_command(ctx, source, metrics, features, n, seed, dataset,
                     output, backend):
    """Score a GAN: FID, KID, precision/recall, density/coverage and
    memorization against the real data, written to metrics.json.

    RUN_DIR_OR_MODEL is a run directory (its gan.keras, else its newest
    checkpoint, else generator.keras, and its recipe.toml for the data) or
    a saved model (then pass --dataset unless a recipe.toml is beside it).
    """
    from keras_gans import cli

    cli.setup_backend(backend or (ctx.obj or {}).get("backend"))
    from keras_gans.features import FeatureError
    from keras_gans.plugins import CatalogueError

    try:
        evaluation = evaluate(
            source, metrics=metrics, features=features, num_samples=n,
            seed=seed, dataset=_dataset_option(dataset), output=output,
            echo=click.echo,
        )
    except (EvaluationError, CatalogueError) as error:
        click.echo(f"Error: {error}", err=True)
        ctx.exit(2)
    except (FeatureError, OSError) as error:  # e.g. a failed download
        raise click.ClickException(str(error)) from None
    click.echo("")
    for line in summary(evaluation):
        click.echo(line)
    click.echo(f"Wrote {evaluation['path']}")
