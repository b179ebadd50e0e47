"""Several runs under one protocol (`keras-gans compare`, `compare()`).

Each run is scored as `keras_gans.evaluate` scores it (`runs.evaluate`:
the same metrics code, extractor and real data), but the protocol is set
up once for all of them: one feature extractor, the runs' dataset loaded
once, one sample count and seed. Beside the metrics, each run gets the
mode coverage of its samples for the 2-D toy datasets, its parameter
counts, its training time (from its metrics.json) and the speed of its
generator, measured here with the same batch size for every run.

Writes, in the output directory:

- `compare.md`: the protocol, then one table, a row per run;
- `compare.json`: the same numbers, machine-readable, with the protocol;
- `compare.png`: the runs' samples side by side, labelled with the run
  names (image grids with a grid of real data first, or scatter plots over
  the real data for 2-D data).

Runs trained on different data are refused before any work: the data is
what `data.dataset` names with its `data.params`, the dataset's defaults
filled in (`data_keys`); `batch_size`, `drop_remainder`, `flip` and
`workers`, and the parameters that only say how files are read (`stream`,
`cache_dir`), do not count.
"""

import datetime
import inspect
import json
import math
import os
import time

import numpy as np

from keras_gans import files
from keras_gans import images as images_module
from keras_gans.evaluation.scoring import DEFAULT_METRICS
from keras_gans.evaluation.scoring import EvaluationError
from keras_gans.evaluation.scoring import resolve_metrics
from keras_gans.runs import evaluate as evaluate_module
from keras_gans.runs.directory import RunDirectory

__all__ = ["CompareError", "MARKDOWN", "JSON", "PICTURE", "compare",
           "data_keys", "markdown", "parameters"]

MARKDOWN = "compare.md"
JSON = "compare.json"
PICTURE = "compare.png"
# Dataset parameters that say how files are read, not what the data is.
NOT_DATA_PARAMS = frozenset({"stream", "cache_dir"})
# Times each run's samples are generated; samples/s is of the fastest.
TIMINGS = 3
# Samples in each run's picture: a grid of images, or points of a scatter.
GRID_SAMPLES = 64
SCATTER_SAMPLES = 2_000
PANEL_SIZE = 320
CAPTION_HEIGHT = 20
GAP = 8
# Column titles of the built-in metrics' values (others: their names).
HEADERS = {"fid": "FID", "kid": "KID x1e3"}
# Values that qualify another column rather than make one.
QUALIFIERS = ("kid_std", "kid_subset_size", "memorization_threshold")


class CompareError(EvaluationError):
    """Runs that cannot be compared (not runs, the same run twice, trained
    on different data) or a bad output directory, found before any work."""


# ----------------------------------------------------------------------
# Checks


def _run_directories(sources):
    """`[RunDirectory]` of `sources`; refuses anything that is not a run."""
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    paths = [os.fspath(source) for source in sources]
    if len(paths) < 2:
        raise CompareError(
            "Compare needs at least two runs. "
            f"Received: runs={paths}")
    problems = []
    for path in paths:
        if not os.path.exists(path):
            problems.append(f"{path} does not exist")
        elif not os.path.isdir(path):
            problems.append(f"{path} is a file, not a run directory")
        elif not RunDirectory(path).is_run():
            problems.append(f"{path} holds no {RunDirectory.RECIPE}")
    if problems:
        raise CompareError(
            "Compare takes run directories (what keras-gans run writes: a "
            f"{RunDirectory.RECIPE} and a model): " + "; ".join(problems)
            + f". Received: runs={paths}")
    real = [os.path.realpath(path) for path in paths]
    twice = sorted({path for path in paths
                    if real.count(os.path.realpath(path)) > 1})
    if twice:
        raise CompareError(
            f"The same run is given more than once: {', '.join(twice)}. "
            f"Received: runs={paths}")
    return [RunDirectory(path) for path in paths]


def data_keys(recipe):
    """`{"data.dataset": name, "data.params.<key>": value, ...}`: what a
    run's data is, the dataset's defaults filled in, without the
    parameters that only say how files are read (`NOT_DATA_PARAMS`)."""
    from keras_gans import plugins

    data = (recipe or {}).get("data") or {}
    name = data.get("dataset")
    params = {}
    try:
        factory = plugins.catalogue().get("datasets", name).factory
        params = {key: parameter.default for key, parameter in
                  inspect.signature(factory).parameters.items()
                  if parameter.default is not inspect.Parameter.empty}
    except Exception:
        pass  # an unknown dataset: evaluate's checks name it
    params.update(data.get("params") or {})
    keys = {"data.dataset": name}
    keys.update({f"data.params.{key}": value
                 for key, value in sorted(params.items())
                 if key not in NOT_DATA_PARAMS})
    return keys


def _check_same_data(names, recipes):
    """Refuses runs trained on different data, naming each key that
    differs and its value in each run."""
    keys = [data_keys(recipe) for recipe in recipes]
    if len({key["data.dataset"] for key in keys}) > 1:
        differing = ["data.dataset"]
    else:
        every = sorted(set().union(*keys))
        differing = [key for key in every
                     if len({repr(k.get(key)) for k in keys}) > 1]
    if not differing:
        return
    lines = []
    for key in differing:
        values = ", ".join(f"{name}: {k.get(key, '(not set)')!r}"
                           for name, k in zip(names, keys))
        lines.append(f"{key} ({values})")
    raise CompareError(
        "The runs trained on different data, so no one protocol scores "
        "them all: " + "; ".join(lines) + ".",
        "Compare runs of the same dataset with the same data.params "
        "(data.dataset and data.params count; batch_size, flip and the "
        "way files are read do not).")


def _names(run_dirs):
    """Short names for the table: the folder names, or the paths as given
    when two folders share a name."""
    names = [os.path.basename(os.path.normpath(run.path)) for run in run_dirs]
    if len(set(names)) < len(names):
        return [run.path for run in run_dirs]
    return names


def _check_output(output):
    """Refuses an output that is a file or lies under an unwritable
    folder."""
    if os.path.exists(output) and not os.path.isdir(output):
        raise CompareError(
            f"The output {output} is a file; compare writes a folder "
            f"({MARKDOWN}, {JSON}, {PICTURE}). Received: output={output!r}")
    existing = os.path.abspath(output)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.access(existing, os.W_OK):
        raise CompareError(
            f"Cannot write to {existing}, where the output {output} would "
            f"go. Received: output={output!r}")


# ----------------------------------------------------------------------
# One run


def parameters(model):
    """Parameter counts: `{"generator": ..., "total": ...}`.

    `generator` is the network that makes samples (a GAN's generator, a
    VAE's decoder); `total` adds the other one (the discriminator, the
    encoder) and the model's own trainable weights (a VAE's learned
    observation variance), not a GAN's EMA copies; None for a bare
    generator.
    """
    maker = getattr(model, "generator", None)
    if maker is None:
        maker = getattr(model, "decoder", None)
    if maker is None:
        return {"generator": int(model.count_params()), "total": None}
    networks = [maker] + [getattr(model, name) for name in
                          ("discriminator", "encoder")
                          if getattr(model, name, None) is not None]
    total = sum(int(network.count_params()) for network in networks)
    counted = {id(weight) for network in networks
               for weight in network.weights}
    total += sum(math.prod(weight.shape) for weight in model.trainable_weights
                 if id(weight) not in counted)
    return {"generator": int(maker.count_params()), "total": int(total)}


def _training(run_dir):
    """What the run's metrics.json says about its training."""
    recorded = run_dir.read_metrics()
    training = {key: recorded.get(key) for key in
                ("backend", "steps", "fit_time_s", "wall_time_s")}
    if recorded.get("resumes"):
        training["note"] = (
            f"resumed {len(recorded['resumes'])} time(s): fit_time_s and "
            "wall_time_s are those of the last session")
    return training


def _score_run(protocol, run_dir, name, batch_size, modes, verbose, echo):
    """One row: the run's scores under `protocol`, its size, times and
    speed, and the samples drawn (for the picture)."""
    from keras_gans.evaluation.metrics import mode_coverage
    from keras_gans.runs import sample

    model_path, _ = sample.model_and_run(run_dir.path)
    echo(f"{name}: generating {protocol.num_samples:,} samples from "
         f"{model_path} (seed {protocol.seed}).")
    model = evaluate_module.load(model_path)
    # One batch first, so that tracing and compiling are not timed.
    evaluate_module.generate(model, run_dir, batch_size, protocol.seed,
                             batch_size)
    started = time.perf_counter()
    fake = evaluate_module.draw(protocol, model, run_dir, batch_size)
    seconds = [time.perf_counter() - started]
    for _ in range(TIMINGS - 1):  # the fastest of a few: less noise
        started = time.perf_counter()
        evaluate_module.generate(model, run_dir, protocol.num_samples,
                                 protocol.seed, batch_size)
        seconds.append(time.perf_counter() - started)
    values = evaluate_module.score_samples(protocol, fake, verbose)
    coverage = None
    if modes is not None and protocol.sample_shape == (2,):
        centers, std = modes
        coverage = mode_coverage(fake, centers, std=std).as_dict()
    model_section = (run_dir.read_recipe() or {}).get("model") or {}
    row = {
        "name": name,
        "run": os.path.abspath(run_dir.path),
        "kind": model_section.get("kind", "gan"),
        "model": os.path.abspath(model_path),
        "measured_at_step": evaluate_module.model_step(model, run_dir),
        "metrics": values,
        "mode_coverage": coverage,
        "parameters": parameters(model),
        "training": _training(run_dir),
        "generation": {"samples_per_s": protocol.num_samples / min(seconds),
                       "seconds": seconds, "batch_size": batch_size},
    }
    return row, fake


# ----------------------------------------------------------------------
# The comparison


def compare(runs, output=None, metrics=DEFAULT_METRICS, features=None,
            num_samples=10_000, seed=0, batch_size=None, max_real=None,
            verbose=1, echo=print):
    """Scores runs under one protocol and writes compare.md, .json, .png.

    Args:
        runs: two or more run directories, trained on the same data.
        output: the folder to write to (created; default
            `compare-<YYYYmmdd-HHMMSS>` beside the first run).
        metrics: as `evaluate`'s.
        features: the extractor (default: the dataset's, as `evaluate`).
        num_samples: samples generated per run.
        seed: their seed.
        batch_size: samples per generator call, for every run (default
            256); the speed is measured at it.
        max_real: most held-out samples (default `max(num_samples,
            10,000)`).
        verbose: 1 shows progress bars.
        echo: prints one line of progress.

    Returns:
        `{"protocol", "versions", "runs", "time_s", "paths"}`: `runs` one
        dict per run (as compare.json holds them), `paths` the files
        written.

    Raises:
        CompareError: sources that are not runs, runs trained on different
            data, an output that cannot be written; before any work.
        EvaluationError: other bad arguments (metric or extractor names,
            too few samples), before any work.
    """
    started = time.time()
    evaluate_module.check_num_samples(num_samples)
    batch_size = batch_size or evaluate_module.GENERATION_BATCH
    if not isinstance(batch_size, int) or batch_size < 1:
        raise CompareError("`batch_size` must be a positive integer. "
                           f"Received: batch_size={batch_size!r}")
    run_dirs = _run_directories(runs)
    names = _names(run_dirs)
    recipes = [run.read_recipe() for run in run_dirs]
    _check_same_data(names, recipes)
    if output is None:
        output = os.path.join(
            os.path.dirname(os.path.abspath(run_dirs[0].path)),
            f"compare-{datetime.datetime.now():%Y%m%d-%H%M%S}")
    output = os.fspath(output)
    _check_output(output)
    chosen = resolve_metrics(metrics)
    protocol = evaluate_module.prepare(chosen, recipes[0]["data"], features,
                                       num_samples, seed, max_real, verbose)

    from keras_gans import plugins
    from keras_gans.runs.train import toy_modes

    modes = toy_modes(protocol.dataset, protocol.dataset_params,
                      plugins.catalogue())
    rows, drawn = [], []
    for run_dir, name in zip(run_dirs, names):
        row, fake = _score_run(protocol, run_dir, name, batch_size, modes,
                               verbose, echo)
        rows.append(row)
        drawn.append(fake)
    described = dict(protocol.describe(), generation_batch=batch_size,
                     metrics=list(chosen))
    if modes is not None and protocol.sample_shape == (2,):
        described["mode_coverage"] = {
            "num_modes": len(modes[0]), "std": modes[1],
            "high_quality_within": "3 std of the nearest mode"}
    result = {"protocol": described, "versions": evaluate_module.versions(),
              "runs": rows, "time_s": round(time.time() - started, 3)}
    result["paths"] = _write(output, result, drawn, protocol, modes)
    return result


def _write(output, result, drawn, protocol, modes):
    """Writes the three files; returns their paths."""
    from keras_gans.runs.train import _finite
    from keras_gans.runs.train import _json_default

    os.makedirs(output, exist_ok=True)
    paths = {"markdown": os.path.join(output, MARKDOWN),
             "json": os.path.join(output, JSON),
             "picture": os.path.join(output, PICTURE)}
    body = {key: value for key, value in result.items() if key != "paths"}
    files.write_text(paths["json"], json.dumps(
        _finite(body), indent=2, default=_json_default) + "\n")
    files.write_text(paths["markdown"], markdown(result))
    names = [row["name"] for row in result["runs"]]
    images_module.save_png(picture(names, drawn, protocol, modes),
                           paths["picture"])
    return paths


# ----------------------------------------------------------------------
# compare.md


def _value_columns(rows):
    """The metric values that get a column, in the order measured."""
    columns = []
    for row in rows:
        for name in row["metrics"]:
            if name not in QUALIFIERS and name not in columns:
                columns.append(name)
    return columns


def _number(value, digits=4):
    """A table cell: 4 significant digits, whole numbers from 10,000 up
    (no exponent), n/a for None."""
    if value is None:
        return "n/a"
    if isinstance(value, int) or abs(value) >= 10_000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def markdown(result):
    """compare.md's text: a title, the protocol, the table, notes."""
    protocol, rows = result["protocol"], result["runs"]
    versions = result["versions"]
    first = rows[0]["metrics"]
    summary = evaluate_module.summary({"protocol": protocol,
                                       "metrics": first})
    lines = ["# keras-gans compare", "",
             "Protocol, the same for every run: " + summary[0].replace(
                 " generated samples",
                 f" generated samples (seed {protocol['seed']})", 1
             ).rstrip(":") + ".",
             ""]
    lines.append(
        f"- Samples drawn {protocol['generation_batch']} per generator "
        f"call; samples/s measured here on {versions['backend']} "
        f"(Keras {versions['keras']}), after one untimed batch: the "
        f"fastest of {TIMINGS} generations of all the samples.")
    if protocol.get("weights_sha256"):
        lines.append(f"- Feature weights sha256 "
                     f"{protocol['weights_sha256']}.")
    train = protocol["reference"]["train"]
    lines.append(f"- Memorization against the {train['num_samples']:,} "
                 f"training samples of {train['dataset']} "
                 f"{train['params']}.")
    if "mode_coverage" in protocol:
        coverage = protocol["mode_coverage"]
        lines.append(
            f"- Modes: of {coverage['num_modes']}, those nearest to at least "
            "one high-quality sample; HQ %: samples within 3 std "
            f"({3 * coverage['std']:g}) of their nearest mode.")
    lines.append("- Training time: seconds in fit() as each run's "
                 f"{RunDirectory.METRICS} records it (its own backend and "
                 "machine).")
    lines.extend(f"- {line}" for line in summary[1:]
                 if line.startswith("KID scales"))
    lines.append("")

    columns = _value_columns(rows)
    toy = any(row["mode_coverage"] for row in rows)
    header = ["run", "kind"] + [HEADERS.get(name, name.replace("_", " "))
                                for name in columns]
    if toy:
        header += ["modes", "HQ %"]
    header += ["G params", "total params", "steps", "train s", "samples/s"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    notes = []
    for row in rows:
        values = row["metrics"]
        cells = [row["name"], row["kind"]]
        for name in columns:
            value = values.get(name)
            cells.append(_number(None if value is None else
                                 value * 1e3 if name == "kid" else value))
        if toy:
            coverage = row["mode_coverage"] or {}
            cells.append(_number(coverage.get("modes")))
            hq = coverage.get("high_quality")
            cells.append("n/a" if hq is None else f"{100 * hq:.1f}")
        training = row["training"]
        fit_time = training.get("fit_time_s")
        if training.get("note"):
            notes.append(f"{row['name']}: {training['note']}.")
            fit_time = f"{_number(fit_time)}*"
        cells += [_number(row["parameters"]["generator"]),
                  _number(row["parameters"]["total"]),
                  _number(training.get("steps")),
                  fit_time if isinstance(fit_time, str)
                  else _number(fit_time),
                  f"{row['generation']['samples_per_s']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    if notes:
        lines += [""] + [f"\\* {note}" for note in notes]
    lines += ["", f"Samples side by side: {PICTURE}; every number with "
              f"more digits: {JSON}.", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------
# compare.png


def picture(names, drawn, protocol, modes):
    """The runs' samples side by side, each captioned with its name: image
    grids after one of real data, or scatter plots over the real data."""
    if protocol.sample_shape == (2,):
        rng = np.random.default_rng(0)
        real = protocol.train_x
        real = real[rng.choice(len(real), min(len(real), SCATTER_SAMPLES),
                               replace=False)]
        bounds = images_module.plot_bounds(real)
        centers = None if modes is None else modes[0]
        panels = [(name, images_module.scatter_plot(
            fake[:SCATTER_SAMPLES], reference=real, centers=centers,
            bounds=bounds, size=PANEL_SIZE))
            for name, fake in zip(names, drawn)]
    else:
        panels = [("real data", protocol.held_x[:GRID_SAMPLES])]
        panels += [(name, fake[:GRID_SAMPLES])
                   for name, fake in zip(names, drawn)]
        panels = [(name, _enlarged(images_module.picture(samples)))
                  for name, samples in panels]
    return _side_by_side(panels)


def _enlarged(image):
    """A small grid scaled up by a whole factor (sharp pixels) to about
    `PANEL_SIZE` wide."""
    if image is None:
        raise CompareError("compare draws images and 2-D points only.")
    factor = max(1, PANEL_SIZE // image.width)
    if factor == 1:
        return image
    from PIL import Image

    return image.resize((image.width * factor, image.height * factor),
                        Image.NEAREST)


def _side_by_side(panels):
    """One picture: the panels in a row, a caption above each; grayscale
    when every panel is (a third of the bytes), else RGB."""
    from PIL import Image
    from PIL import ImageDraw

    width = sum(image.width for _, image in panels) + GAP * (len(panels) + 1)
    height = max(image.height for _, image in panels) + CAPTION_HEIGHT + GAP
    mode = "L" if all(image.mode == "L" for _, image in panels) else "RGB"
    canvas = Image.new(mode, (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    left = GAP
    for name, image in panels:
        caption = name
        if draw.textlength(caption) > image.width:
            while caption and draw.textlength(caption + "...") > image.width:
                caption = caption[:-1]
            caption += "..."
        draw.text((left, 4), caption, fill="black")
        canvas.paste(image.convert(mode), (left, CAPTION_HEIGHT))
        left += image.width + GAP
    return canvas
