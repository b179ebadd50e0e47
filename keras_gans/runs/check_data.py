"""`keras-gans check-data`'s work: a recipe's data checked as a run
checks it (`runs.data_checks`), everything reported, nothing refused."""

import dataclasses

from keras_gans.datasets import checks
from keras_gans.runs import data_checks
from keras_gans.runs.recipe import RecipeError
from keras_gans.runs.train import architecture_arguments
from keras_gans.runs.train import read_data

__all__ = ["CheckResult", "check_recipe"]


@dataclasses.dataclass
class CheckResult:
    """What `check_recipe` found.

    Attributes:
        report: the `keras_gans.datasets.checks.DataReport`.
        range_source: where the expected range comes from, in words.
        removed: what the recipe's `data.clean` would remove (dicts as
            `DataReport.removals` gives them).
        refused: the lines a run would be refused with (empty: it starts).
    """

    report: checks.DataReport
    range_source: str
    removed: list
    refused: list

    def to_dict(self):
        return {**self.report.to_dict(), "range_source": self.range_source,
                "removed": self.removed, "refused": self.refused}


def check_recipe(recipe, catalogue=None):
    """Checks a recipe's data as a run would, and reports all of it.

    Unreadable files are skipped and listed (not only the first), and
    nothing is removed or refused: `removed` and `refused` say what a run
    would do.

    Raises:
        RecipeError: for a dataset that rejects its parameters or does not
            fit the model section.
        RunError: for a dataset that cannot be loaded otherwise.
    """
    if catalogue is None:
        from keras_gans import plugins

        catalogue = plugins.catalogue()
    data = read_data(recipe, catalogue, for_checks=True,
                     list_unreadable=True)
    if not data.is_array:
        raise RecipeError(
            [f"data.dataset: {recipe.data.dataset!r} yields batches, not an "
             "array, so its samples cannot be checked here"])
    report, source = data_checks.report(
        recipe, data, catalogue, architecture_arguments(recipe.model, data))
    removed = data_checks.removals(recipe, report)
    return CheckResult(report, source, removed,
                       data_checks.refusals(recipe, report, removed))
