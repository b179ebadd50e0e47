"""Scoring a trained GAN (`keras_gans.evaluate`, `keras-gans evaluate`).

Generates `num_samples` samples, turns them and the real data into
features (`keras_gans.evaluation.features`), computes the chosen metrics
(`keras_gans.evaluation.metrics`) and writes them, with the protocol every number
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

import dataclasses
import json
import os
import time

import numpy as np

from keras_gans import files
from keras_gans.runs.directory import RunDirectory
from keras_gans.runs.errors import NoModelError
from keras_gans.evaluation.scoring import DEFAULT_METRICS
from keras_gans.evaluation.scoring import METRIC_ALIASES
from keras_gans.evaluation.scoring import REAL_SAMPLES
from keras_gans.evaluation.scoring import EvaluationError
from keras_gans.evaluation.scoring import at_most
from keras_gans.evaluation.scoring import check_sample_counts
from keras_gans.evaluation.scoring import create_extractor
from keras_gans.evaluation.scoring import default_features
from keras_gans.evaluation.scoring import load_splits
from keras_gans.evaluation.scoring import resolve_metrics
from keras_gans.evaluation.scoring import score

__all__ = ["EvaluationError", "GENERATION_BATCH", "METRIC_ALIASES", "Protocol",
           "check_num_samples", "draw", "evaluate", "generate", "load",
           "model_step", "prepare", "resolve_metrics", "score_samples",
           "summary", "versions"]

# Samples per generator call when scoring (and timing, in compare).
GENERATION_BATCH = 256

# ----------------------------------------------------------------------
# Evaluation


def _model_and_recipe(source, step=None):
    """`(model path, RunDirectory or None, recipe dict or None)`."""
    from keras_gans.runs import sample

    try:
        model_path, run_dir = sample.model_and_run(source, step=step)
    except NoModelError as error:
        raise EvaluationError(str(error)) from None
    return model_path, run_dir, run_dir and run_dir.read_recipe()


def generate(model, run_dir, num_samples, seed, batch_size=GENERATION_BATCH):
    """`num_samples` samples of a GAN or generator (seed `seed`), a
    conditional one cycling through its classes."""
    from keras_gans.runs import sample

    gan = model if hasattr(model, "generate") else None  # a GAN or VAE
    generator = model if gan is None else None
    labels = None
    classes = None
    if sample.is_conditional(gan, generator, run_dir):
        classes = sample.num_classes(run_dir, generator, gan)
        if classes is None:
            raise EvaluationError(
                "The model is conditional but its number of classes could "
                f"not be found (no {RunDirectory.RECIPE} beside it)."
            )
        labels = (np.arange(num_samples) % classes).astype("int32")
    if gan is not None:
        return gan.generate(num_samples, seed=seed, labels=labels,
                            batch_size=batch_size)
    return sample.generate_with(generator, num_samples, seed, labels,
                                batch_size, num_classes=classes)


def _check_memory(model, num_samples, sample_shape, dim):
    """Refuses a `num_samples` whose samples and features cannot fit in
    memory."""
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
                             "Lower num_samples.")
    except resources.MemoryLimitError as error:
        raise EvaluationError(error.problem, error.remedy,
                              reason="too_much_memory") from None


def versions():
    """keras-gans, Keras, backend and NumPy versions."""
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


@dataclasses.dataclass
class Protocol:
    """What every score depends on, set up once: the metrics, the feature
    extractor (prepared for the data's sample shape), the real data and the
    sample count and seed. `keras_gans.evaluate` scores one model under it;
    `keras-gans compare` scores several under the same one.

    Attributes:
        metrics: `{name: metric}`.
        extractor: the prepared feature extractor.
        dataset: the registered dataset's name.
        dataset_params: its parameters.
        train_x: the training data (memorization compares with it).
        held_x: the held-out reference (a seeded draw of at most
            `max_real`).
        reference: what both sets are, for the protocol.
        num_samples: samples to generate per model.
        seed: seed of the generated samples.
        features: the real sets' features, extracted once (by set).
    """

    metrics: dict
    extractor: object
    dataset: str
    dataset_params: dict
    train_x: object
    held_x: object
    reference: dict
    num_samples: int
    seed: int
    features: dict = dataclasses.field(default_factory=dict)

    @property
    def sample_shape(self):
        return tuple(int(s) for s in self.train_x.shape[1:])

    def describe(self):
        """The protocol block of metrics.json (without the model)."""
        return dict(self.extractor.protocol, num_samples=self.num_samples,
                    seed=self.seed, reference=self.reference,
                    feature_dim=self.extractor.dim)


def check_num_samples(num_samples):
    """Refuses a sample count that is not an integer >= 2."""
    if not isinstance(num_samples, int) or num_samples < 2:
        raise EvaluationError(
            "`num_samples` must be an integer >= 2. "
            f"Received: num_samples={num_samples!r}"
        )


def prepare(chosen, data, features, num_samples, seed, max_real=None,
            verbose=1):
    """Sets up the protocol: the extractor, the real data, checked counts.

    Args:
        chosen: `{name: metric}` (`resolve_metrics`).
        data: `{"dataset": name, "params": {...}}`.
        features: a registered extractor, or None for the dataset's
            default (`default_features`).
        num_samples: samples each model will generate.
        seed: their seed (also of the held-out draw).
        max_real: most held-out samples (default `max(num_samples,
            10,000)`).
        verbose: 1 shows progress bars.

    Returns:
        A `Protocol`.

    Raises:
        EvaluationError: an unknown extractor, a dataset that rejects its
            parameters, or too few samples for a metric.
    """
    dataset_name, dataset_params = data["dataset"], data.get("params") or {}
    from keras_gans import plugins

    plugins.catalogue().get("datasets", dataset_name, "dataset")  # known
    if features is None:
        features = default_features(dataset_name)
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
    return Protocol(chosen, extractor, dataset_name, dataset_params, train_x,
                    held_x, reference, num_samples, seed)


def load(model_path):
    """Loads the model to score.

    Raises:
        EvaluationError: a file Keras cannot load, naming it.
    """
    from keras_gans.runs import train as run_module

    try:
        return run_module.load_model(model_path)
    except Exception as error:
        raise EvaluationError(
            f"Could not load {model_path}: {type(error).__name__}: {error}"
        ) from error


def draw(protocol, model, run_dir, batch_size=GENERATION_BATCH):
    """The protocol's `num_samples` samples from `model` (its `seed`).

    Raises:
        EvaluationError: samples that do not fit in memory, or whose shape
            is not the dataset's.
    """
    _check_memory(model, protocol.num_samples, protocol.sample_shape,
                  protocol.extractor.dim)
    fake = generate(model, run_dir, protocol.num_samples, protocol.seed,
                    batch_size)
    if tuple(fake.shape[1:]) != protocol.sample_shape:
        raise EvaluationError(
            f"The model makes samples of shape {tuple(fake.shape[1:])} but "
            f"dataset {protocol.dataset!r} has shape "
            f"{protocol.sample_shape}."
        )
    return fake


def score_samples(protocol, fake, verbose=1):
    """`{value name: float}` of the protocol's metrics for `fake`; the real
    sets' features are extracted once per protocol."""
    return score(protocol.metrics, protocol.extractor, fake,
                 protocol.train_x, protocol.held_x, verbose,
                 cache=protocol.features)


def evaluate(source, metrics=DEFAULT_METRICS, features=None,
             num_samples=10_000, seed=0, dataset=None, output=None,
             max_real=None, verbose=1, echo=print, write=True, step=None):
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
            directory, or beside the model; in the working directory for
            `hf://`).
        max_real: most held-out samples to compare with (a seeded draw;
            default `max(num_samples, 10,000)`).
        verbose: 1 shows progress bars.
        echo: prints one line of progress.
        write: False writes no file (`path` is then None).
        step: with a run directory, the step of the checkpoint to score
            (None: the newest model; `runs.sources.resolve`).

    Returns:
        The `"evaluation"` dict written to the file, with its `path`.

    Raises:
        EvaluationError: for bad arguments, before any work.
        SourceError, MissingPackageError: `source` is not a model (see
            `runs.sources.resolve`).
    """
    started = time.time()
    check_num_samples(num_samples)
    if output is not None:
        from keras_gans.regular_files import check_replaceable

        try:
            check_replaceable(output)
        except OSError as error:
            raise EvaluationError(f"output: {error}") from None
    chosen = resolve_metrics(metrics)
    model_path, run_dir, recipe = _model_and_recipe(source, step)
    data = dataset or (recipe or {}).get("data")
    if not data or not data.get("dataset"):
        raise EvaluationError(
            f"No dataset to compare {model_path} with: it has no "
            f"{RunDirectory.RECIPE} beside it.", "Pass dataset=NAME.",
            reason="no_dataset")
    protocol = prepare(chosen, data, features, num_samples, seed, max_real,
                       verbose)

    echo(f"Generating {num_samples} samples from {model_path} (seed {seed}).")
    model = load(model_path)
    fake = draw(protocol, model, run_dir)
    values = score_samples(protocol, fake, verbose)

    evaluation = {
        "metrics": values,
        "measured_at_step": model_step(model, run_dir),
        "protocol": dict(protocol.describe(),
                         model=os.path.abspath(model_path)),
        "versions": versions(),
        "time_s": round(time.time() - started, 3),
    }
    path = output or _default_output(source, model_path, run_dir)
    if not write:
        evaluation["path"] = None
        return evaluation
    write_evaluation(path, evaluation)
    evaluation["path"] = path
    return evaluation


def _default_output(source, model_path, run_dir):
    """Where the scores go without `output`: the run's metrics.json, else
    a metrics.json beside the model file (inside a model folder), or in
    the working directory for a model from the Hub (whose folder is
    huggingface_hub's cache)."""
    from keras_gans.runs.sources import HUB_PREFIX

    if run_dir is not None:
        return run_dir.metrics_path
    if os.fspath(source).startswith(HUB_PREFIX):
        return RunDirectory.METRICS
    if os.path.isdir(model_path):
        return RunDirectory(model_path).metrics_path
    return RunDirectory(os.path.dirname(os.path.abspath(model_path))
                        ).metrics_path


def model_step(model, run_dir):
    """The generator steps the scored model had trained: a GAN's counter,
    else (a bare generator) the run's metrics.json, else None."""
    if hasattr(model, "steps"):
        return model.steps
    if run_dir is None:
        return None
    return run_dir.read_metrics().get("steps")


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
            f"({RunDirectory.METRICS})."
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
    from keras_gans.runs.train import _finite
    from keras_gans.runs.train import _json_default

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
