"""The Python API for runs: `keras_gans.train`, `evaluate` and `sample`.

What the `keras-gans run`, `evaluate` and `sample` commands do, callable
from a notebook or a sweep script, returning results rather than printing
them. The backend is the one Keras was imported with (set `KERAS_BACKEND`
before importing Keras); these functions never switch it. Errors are
exceptions: `RecipeError` for a recipe, `RunError` and its subclasses for
a run that cannot start or continue, `EvaluationError` and `SampleError`
for bad arguments, `runs.resume.Interrupted` after Ctrl-C.
"""

import copy
import dataclasses
import json
import os

__all__ = ["Comparison", "Evaluation", "Samples", "TrainResult", "compare",
           "evaluate", "sample", "train"]


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What `train` did.

    Attributes:
        directory: the run directory (`runs.directory.RunDirectory`).
        gan: the trained `GAN`, in memory.
        steps: generator steps at the end.
        epochs: the epoch the run ended at.
        wall_time_s: seconds from start to the final files.
        fit_time_s: seconds spent in `fit()`.
        final_logs: the last epoch's losses.
        metrics: what metrics.json holds (mode coverage for toy data).
        resumed_from_step: the checkpoint's step when resumed, else None.
        already_complete: whether a resume found nothing left to train.
    """

    directory: object
    gan: object
    steps: int
    epochs: int
    wall_time_s: float
    fit_time_s: float
    final_logs: dict
    metrics: dict
    resumed_from_step: int | None
    already_complete: bool


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """What `evaluate` measured.

    Attributes:
        values: `{"fid": ..., "kid": ..., "kid_std": ...}`.
        protocol: what every number depends on (extractor, weights,
            sample count, seed, reference data).
        versions: keras-gans, Keras, backend and NumPy versions.
        time_s: seconds taken.
        path: the JSON file written, or None (`write=False`).
        measured_at_step: the generator steps the model had trained.
    """

    values: dict
    protocol: dict
    versions: dict
    time_s: float
    path: str | None
    measured_at_step: int | None

    def as_dict(self):
        """The `evaluation` block of metrics.json."""
        return {"metrics": self.values,
                "measured_at_step": self.measured_at_step,
                "protocol": self.protocol, "versions": self.versions,
                "time_s": self.time_s}


@dataclasses.dataclass(frozen=True)
class Comparison:
    """What `compare` measured and wrote.

    Attributes:
        runs: one dict per run, as compare.json holds them: `name`, `run`,
            `kind`, `metrics` (as `Evaluation.values`), `mode_coverage`
            (2-D toy data, else None), `parameters`, `training`,
            `generation` (`samples_per_s`).
        protocol: what every number depends on, the same for all runs.
        versions: keras-gans, Keras, backend and NumPy versions.
        time_s: seconds taken.
        markdown_path, json_path, picture_path: the files written.
    """

    runs: list
    protocol: dict
    versions: dict
    time_s: float
    markdown_path: str
    json_path: str
    picture_path: str


@dataclasses.dataclass(frozen=True)
class Samples:
    """What `sample` drew.

    Attributes:
        samples: float32 array of shape `(n, *sample_shape)`.
        labels: the int32 labels sampled with, or None.
        model_path: the `.keras` file sampled.
        picture: a PIL image (grid, or scatter plot for 2-D samples), or
            None for samples that are neither.
        path: the PNG written, or None.
    """

    samples: object
    labels: object
    model_path: str
    picture: object
    path: str | None


def _toml_value(value):
    """A Python value as TOML value text (`--set`'s right-hand side)."""
    import tomli_w

    if isinstance(value, dict):
        items = ", ".join(f"{key} = {_toml_value(item)}"
                          for key, item in value.items())
        return "{ " + items + " }"
    return tomli_w.dumps({"v": value}).partition("=")[2].strip()


def _override_strings(overrides):
    """`key.path=value` strings from a list of them or a dict of Python
    values."""
    if overrides is None:
        return ()
    if isinstance(overrides, dict):
        return tuple(f"{key}={_toml_value(value)}"
                     for key, value in overrides.items())
    if isinstance(overrides, str):
        raise TypeError(
            "`overrides` must be a list of 'key.path=value' strings or a "
            f"dict. Received: overrides={overrides!r}")
    return tuple(overrides)


def load_recipe(recipe, overrides=None):
    """A resolved `Recipe` from a path, a `Recipe` or a raw dict.

    Args:
        recipe: a TOML file (str or PathLike), a `runs.recipe.Recipe`, or
            a recipe as nested dicts (as parsed TOML).
        overrides: `["train.epochs=3", ...]` (TOML values, as `--set`) or
            `{"train.epochs": 3}` (Python values).

    Raises:
        RecipeError: every problem found.
    """
    from keras_gans.runs import recipe as recipe_module

    strings = _override_strings(overrides)
    if isinstance(recipe, (str, os.PathLike)):
        return recipe_module.load(recipe, strings)
    if isinstance(recipe, recipe_module.Recipe):
        raw, name, source = recipe.to_dict(), recipe.name, recipe.source
        strings = tuple(recipe.overrides) + strings
    elif isinstance(recipe, dict):
        raw, name, source = copy.deepcopy(recipe), "recipe", None
    else:
        raise TypeError(
            "`recipe` must be a path to a TOML file, a Recipe or a dict. "
            f"Received: recipe={recipe!r}")
    recipe_module.apply_overrides(raw, _override_strings(overrides))
    return recipe_module.resolve(raw, default_name=name, source=source,
                                 overrides=strings)


def train(recipe, overrides=None, output=None, resume=False, *, echo=None,
          verbose="auto"):
    """Trains the GAN a recipe describes, into a run directory.

    The recipe is checked as a whole before anything runs; the run
    directory is claimed (created, locked) before the data is loaded. Same
    program as `keras-gans run`: on one backend the two give the same
    weights.

    Args:
        recipe: a TOML file, a `Recipe`, or a recipe dict.
        overrides: `["train.epochs=3"]` or `{"train.epochs": 3}`.
        output: the run directory; None makes
            `<output.dir>/<name>-<YYYYmmdd-HHMMSS>`.
        resume: continue `output` from its newest checkpoint, exactly.
        echo: called with each progress line; None prints nothing.
        verbose: passed to `fit()` (0 silent, 1 bar, 2 a line per epoch).

    Returns:
        A `TrainResult`.

    Raises:
        RecipeError: for problems in the recipe or the overrides.
        RunError: for a run that cannot start or continue (its
            subclasses say why).
        runs.resume.Interrupted: after Ctrl-C, once a checkpoint is saved.

    Example:

    ```python
    import keras_gans

    for lr in (1e-4, 2e-4):
        result = keras_gans.train("recipes/ring8.toml",
                                  {"train.g_optimizer.learning_rate": lr})
        print(lr, result.metrics["mode_coverage"]["modes"])
    ```
    """
    from keras_gans.runs import train as train_module
    from keras_gans.runs.directory import RunDirectory

    resolved = load_recipe(recipe, overrides)
    prepared = train_module.prepare(resolved, output=output, resume=resume)
    result = train_module.run(prepared, echo=echo or _silent,
                              verbose=verbose)
    run_dir = RunDirectory(result.directory)
    if result.chief:
        metrics = run_dir.read_metrics()  # as written: inf and NaN as text
    else:  # another process of a multi-process run: the chief writes it
        metrics = json.loads(json.dumps(train_module._finite(result.metrics),
                                        default=str))
    return TrainResult(
        directory=run_dir,
        gan=prepared.gan,
        steps=int(metrics["steps"]),
        epochs=result.epochs,
        wall_time_s=metrics["wall_time_s"],
        fit_time_s=metrics["fit_time_s"],
        final_logs=dict(metrics["final_epoch"]),
        metrics=metrics,
        resumed_from_step=metrics.get("resumed_from_step"),
        already_complete=result.already_complete,
    )


def _silent(*args, **kwargs):
    """An `echo` that prints nothing."""


def evaluate(run_or_model, metrics="fid,kid,pr,dc,memorization",
             features=None, num_samples=10_000, *, seed=0, dataset=None,
             output=None, write=True, max_real=None, verbose=1, echo=None,
             step=None):
    """Scores a run or a saved model against the real data.

    Same as `keras-gans evaluate`.

    Args:
        run_or_model: a run directory, a `.keras` file or
            `hf://owner/repo[/file]` (`runs.sources`).
        metrics: comma-separated names: fid, kid, pr, dc, memorization or
            a plugin's.
        features: the extractor (default: `domain_classifier` for the
            labelled image datasets, else `pixels`).
        num_samples: samples to generate.
        seed: seed of the generated samples.
        dataset: a dataset name (or `{"dataset": name, "params": {...}}`)
            for a model without its run's recipe.toml.
        output: the JSON file (default: the run's metrics.json).
        write: False writes no file.
        max_real: at most this many held-out samples.
        verbose: progress of feature extraction.
        echo: called with each progress line; None prints nothing.
        step: with a run directory, the step of the checkpoint to load
            (None: the newest model; `runs.sources.resolve`).

    Returns:
        An `Evaluation`.

    Raises:
        EvaluationError, CatalogueError: bad arguments, before any work.
        FeatureError, OSError: an extractor's weights cannot be had.
    """
    from keras_gans.runs import evaluate as evaluate_module

    if isinstance(dataset, str):
        dataset = {"dataset": dataset, "params": {}}
    block = evaluate_module.evaluate(
        os.fspath(run_or_model), metrics=metrics, features=features,
        num_samples=num_samples, seed=seed, dataset=dataset, output=output,
        max_real=max_real, verbose=verbose, echo=echo or _silent,
        write=write, step=step)
    return Evaluation(values=block["metrics"], protocol=block["protocol"],
                      versions=block["versions"], time_s=block["time_s"],
                      path=block.get("path"),
                      measured_at_step=block.get("measured_at_step"))


def compare(runs, output=None, *, metrics="fid,kid,pr,dc,memorization",
            features=None, num_samples=10_000, seed=0, batch_size=None,
            max_real=None, verbose=1, echo=None):
    """Scores several runs under one protocol, side by side.

    Same as `keras-gans compare`: one extractor, the runs' dataset loaded
    once, one sample count and seed for all; each run's values equal
    `evaluate`'s with the same arguments. Writes compare.md, compare.json
    and compare.png into `output`.

    Args:
        runs: two or more run directories trained on the same data
            (`data.dataset` and `data.params`).
        output: the folder (default `compare-<time>` beside the first run).
        metrics, features, num_samples, seed, max_real: as `evaluate`.
        batch_size: samples per generator call for every run (default
            256); samples/s is measured at it.
        verbose: progress of feature extraction.
        echo: called with each progress line; None prints nothing.

    Returns:
        A `Comparison`.

    Raises:
        CompareError: sources that are not runs, runs on different data,
            an output that cannot be written; before any work.
        EvaluationError, CatalogueError: other bad arguments, before any
            work.
    """
    from keras_gans.runs import compare as compare_module

    if isinstance(runs, (str, os.PathLike)):
        runs = [runs]
    result = compare_module.compare(
        [os.fspath(run) for run in runs], output=output, metrics=metrics,
        features=features, num_samples=num_samples, seed=seed,
        batch_size=batch_size, max_real=max_real, verbose=verbose,
        echo=echo or _silent)
    paths = result["paths"]
    return Comparison(runs=result["runs"], protocol=result["protocol"],
                      versions=result["versions"], time_s=result["time_s"],
                      markdown_path=paths["markdown"],
                      json_path=paths["json"],
                      picture_path=paths["picture"])


def sample(run_or_model, n=64, *, seed=0, labels=None, output=None,
           columns=None, echo=None, truncation=None, step=None):
    """Draws samples from a run or a saved model.

    Args:
        run_or_model: a run directory (its gan.keras, else its newest
            checkpoint, else generator.keras), a `.keras` file, or
            `hf://owner/repo[/file]` (`runs.sources`).
        n: samples.
        seed: seed of the latent batch (same seed, same samples).
        labels: class ids for a conditional model, repeated to fill `n`
            (default: 0, 1, 2, ... cycling through the classes).
        output: a PNG file to write the picture to; None writes nothing.
        columns: images per row of the grid.
        echo: called with a line for each damaged checkpoint skipped.
        truncation: None, or the truncation trick's threshold (latent
            coordinates beyond it are redrawn; see `GAN.generate`).
        step: with a run directory, the step of the checkpoint to load
            (None: the newest model; `runs.sources.resolve`).

    Returns:
        `Samples`.

    Raises:
        SourceError: `run_or_model` is not a model (missing, not a run, no
            checkpoint at `step`, a failed download).
        NoModelError: a run directory without a saved model.
        ModelLoadError: a model file Keras cannot load.
        SampleError: labels or a truncation that do not fit the model.
    """
    from keras_gans import images as images_module
    from keras_gans.runs import sample as sample_module

    loaded = sample_module.open_source(run_or_model, echo, step)
    model_path, run_dir = loaded.model_path, loaded.run_dir
    label_array = loaded.labels(n, labels)
    drawn = loaded.generate(n, seed=seed, labels=label_array,
                            truncation=truncation)
    kwargs = {}
    if drawn.ndim == 2 and drawn.shape[1] == 2:
        modes = sample_module.run_modes(run_dir)
        if modes is not None:
            kwargs["centers"] = modes
    elif columns:
        kwargs["columns"] = min(columns, n)
    picture = images_module.picture(drawn, **kwargs)
    if output is not None and picture is not None:
        images_module.save_png(picture, os.fspath(output))
    return Samples(samples=drawn, labels=label_array, model_path=model_path,
                   picture=picture,
                   path=None if output is None or picture is None
                   else os.fspath(output))
