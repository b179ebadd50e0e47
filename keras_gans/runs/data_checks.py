"""The data checks of a run and of `keras-gans check-data`, and cleaning.

Before every run with `data.check = true` (the default) the recipe's data
goes through `keras_gans.datasets.checks`, against the range of the
generator's output. That range is read from the generator itself: the
recipe's architecture is built (not the GAN) and the activation of its
last layer decides it (tanh, softsign: [-1, 1]; sigmoid: [0, 1]; anything
else, linear included: unbounded, not checked). A VAE's decoder gives
means or logits, so its range is unbounded. A dataset that promised a
range and kept out-of-range values for the checks (`npz` with
`bad_values="keep"`) is held to [-1, 1] as well.

Then `data.clean` removes what it names (`check_and_clean`); NaN or
infinite values and values outside the range that are left refuse the run
(a `RecipeError`, so `keras-gans run` exits with code 2 before training),
as does data with nothing left. The report and the removed samples are
written into the run directory when training starts (`record`).
"""

import dataclasses
import inspect
import json
import os
import warnings

import numpy as np

from keras_gans import files
from keras_gans.datasets import checks
from keras_gans.runs.directory import RunDirectory
from keras_gans.runs.recipe import RecipeError
from keras_gans.runs.recipe_schema import VAE

__all__ = ["activation_range", "check_and_clean", "lenient_arguments",
           "output_range", "record", "removals", "refusals", "report"]

# Output activations and the values they can take.
ACTIVATION_RANGES = {
    "tanh": (-1.0, 1.0),
    "softsign": (-1.0, 1.0),
    "hard_tanh": (-1.0, 1.0),
    "sigmoid": (0.0, 1.0),
    "hard_sigmoid": (0.0, 1.0),
}
# Layers that move values without changing them.
SHAPE_ONLY = ("Reshape", "Flatten", "Permute", "Identity", "InputLayer")
FIXES = {
    "nonfinite": "data.clean.drop_nonfinite = true",
    "out_of_range": "data.clean.drop_out_of_range = true",
}


def lenient_arguments(factory, params, list_unreadable=False):
    """What a dataset is also called with for the checks: `bad_values =
    "keep"` when it takes it (and the recipe does not set it), and with
    `list_unreadable`, `on_bad_image = "skip"` so that every unreadable
    file is listed rather than the first."""
    try:
        accepted = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return {}
    extra = {}
    if "bad_values" in accepted and "bad_values" not in params:
        extra["bad_values"] = "keep"
    if list_unreadable and "on_bad_image" in accepted:
        extra["on_bad_image"] = "skip"
    return extra


def activation_range(generator):
    """`(range, source)`: the values the generator's last layer can give,
    or None when unbounded or unknown, and where that comes from.

    Layers that only reshape (`Reshape`, `Flatten`, ...) after it are
    looked through: `mlp` reshapes its output into images.
    """
    layer = next((layer for layer in reversed(generator.layers)
                  if type(layer).__name__ not in SHAPE_ONLY),
                 generator.layers[-1])
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", None)
    source = (f"the {name or 'linear'} activation of the generator's last "
              f"layer {layer.name!r}")
    return ACTIVATION_RANGES.get(name), source


def output_range(recipe, catalogue, arguments):
    """`(range, source)` of the recipe's generator output (see the module
    docstring); builds the architecture's networks once, called with
    `arguments` (`runs.train.architecture_arguments`)."""
    if recipe.model.kind == VAE:
        return None, "a VAE's decoder (means or logits: unbounded)"
    try:
        generator, _ = catalogue.create(
            "architectures", recipe.model.architecture, "architecture",
            **arguments)
    except (ValueError, TypeError):
        # Building the GAN reports this with its section.
        return None, "not known (the architecture could not be built)"
    return activation_range(generator)


def _expected(recipe, data, catalogue, arguments):
    expected, source = output_range(recipe, catalogue, arguments)
    declared = data.declared_range
    if declared is not None:
        if expected is None:
            expected = declared
            source += (f"; the dataset's own range [{declared[0]:g}, "
                       f"{declared[1]:g}]")
        else:
            expected = (max(expected[0], declared[0]),
                        min(expected[1], declared[1]))
    return expected, source


def report(recipe, data, catalogue, arguments):
    """`(DataReport, where the expected range comes from)` of a run's
    data (`runs.train.Data`, read with `for_checks`)."""
    expected, source = _expected(recipe, data, catalogue, arguments)
    clean = recipe.data.clean
    report = checks.check_data(
        data.x, data.labels, expected_range=expected,
        blank_std=clean.blank_std,
        near_duplicate_bits=clean.near_duplicate_bits,
        unreadable=data.skipped, names=_file_names(recipe, data))
    return report, source


def removals(recipe, report):
    """What the recipe's `data.clean` removes (`DataReport.removals`)."""
    clean = recipe.data.clean
    return report.removals(
        drop_nonfinite=clean.drop_nonfinite,
        drop_out_of_range=clean.drop_out_of_range,
        drop_blank=clean.drop_blank,
        drop_duplicates=clean.drop_duplicates,
        drop_near_duplicates=clean.drop_near_duplicates)


def refusals(recipe, report, removed):
    """The problems that refuse a run once `removed` is gone: lines of a
    `RecipeError`."""
    gone = {row["index"] for row in removed}
    problems = []
    for key, indices, what in (
            ("nonfinite", report.nonfinite, "hold NaN or infinite values"),
            ("out_of_range", report.out_of_range,
             "have values outside the generator's output range "
             f"{list(report.expected_range or ())}")):
        left = [i for i in indices if i not in gone]
        if left:
            problems.append(
                f"data: {len(left):,} sample(s) of dataset "
                f"{recipe.data.dataset!r} {what}: {report.describe(left)}; "
                f"fix the data, or set {FIXES[key]} to remove them")
    if report.count - len(gone) <= 0:
        problems.append(
            f"data: no sample of dataset {recipe.data.dataset!r} is left "
            f"after cleaning ({len(gone):,} removed by data.clean)")
    return problems


def check_and_clean(recipe, data, catalogue, arguments):
    """Checks a run's data and removes what `data.clean` names.

    Args:
        recipe: the run's `Recipe`.
        data: its `runs.train.Data`, read with `for_checks`.
        catalogue: the plugin catalogue.
        arguments: what the architecture is called with.

    Returns:
        `data` with the samples removed (same order otherwise, so a
        resumed run sees the same data), `checks` (the report) and
        `removed` set. Data that yields batches is returned unchecked.

    Raises:
        RecipeError: for NaN, infinity or out-of-range values left, or no
            sample left.
    """
    if not data.is_array:
        return data
    found, _ = report(recipe, data, catalogue, arguments)
    removed = removals(recipe, found)
    problems = refusals(recipe, found, removed)
    if problems:
        raise RecipeError(problems)
    if not removed:
        return dataclasses.replace(data, checks=found)
    gone = np.array([row["index"] for row in removed])
    keep = np.setdiff1d(np.arange(found.count), gone)
    x = data.x.take(keep) if data.streamed else data.x[keep]
    return dataclasses.replace(
        data, x=x,
        y=None if data.y is None else data.y[keep],
        labels=None if data.labels is None else data.labels[keep],
        checks=found, removed=removed)


def record(data, directory, echo):
    """Writes `data_checks.json` (and `removed_samples.json` when samples
    were removed) into the run directory; echoes the warnings and where
    the lists are."""
    run_dir = RunDirectory(directory)
    files.write_text(run_dir.data_checks_path,
                     json.dumps(data.checks.to_dict(), indent=1) + "\n")
    for line in data.checks.warnings():
        echo(f"Data check: {line}.")
    if data.removed:
        files.write_text(run_dir.removed_samples_path,
                         json.dumps(data.removed, indent=1) + "\n")
        counts = {}
        for row in data.removed:
            counts[row["reason"]] = counts.get(row["reason"], 0) + 1
        what = ", ".join(f"{n:,} {checks.REASONS[reason]}"
                         for reason, n in counts.items())
        echo(f"data.clean removed {len(data.removed):,} sample(s) ({what}); "
             f"{len(data.x):,} are left. The list is in "
             f"{run_dir.removed_samples_path}.")
    if data.checks.warnings() or data.removed:
        echo(f"The data checks are in {run_dir.data_checks_path}.")


def _file_names(recipe, data):
    """The file of each sample of an `image_folder` dataset, else None."""
    from keras_gans.datasets import image_files
    from keras_gans.datasets.folder import image_folder

    if recipe.data.dataset != "image_folder":
        return None
    try:
        bound = inspect.signature(image_folder).bind(**recipe.data.params)
    except TypeError:
        return None
    bound.apply_defaults()
    a = bound.arguments
    path, decoder, labels = image_files.folder_arguments(
        a["path"], a["image_size"], a["channels"], a["labels"],
        a["extensions"], a["crop_to_aspect_ratio"], a["interpolation"],
        "skip")
    with warnings.catch_warnings():  # the dataset warned already
        warnings.simplefilter("ignore", image_files.SkippedFilesWarning)
        found, _ = image_files.find_images(path, labels, decoder.extensions)
    skipped = {name for name, _ in data.skipped}
    names = [name for name in found
             if os.path.join(path, name) not in skipped]
    return names if len(names) == len(data.x) else None
