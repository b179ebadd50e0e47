"""`keras-gans check-data`: what a recipe's data holds that could spoil a
run (`keras_gans.runs.data_checks` does the work; this prints it)."""

import json

import click

from keras_gans.cli import backend as backend_module
from keras_gans.cli import errors
from keras_gans.cli.completion import complete_set

# Exit code when the checks found something (0: nothing; 2: a bad recipe).
FOUND = 3
SHOWN = 20  # items listed per finding; --json lists all


@click.command("check-data")
@click.argument("recipe_path", metavar="RECIPE.toml",
                type=click.Path(exists=True, dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              shell_complete=complete_set,
              help="Override a recipe value, as `run` does. Repeatable.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the whole report as JSON.")
@backend_module.backend_option
@click.pass_context
def check_data_command(ctx, recipe_path, overrides, as_json, backend):
    """Check the data RECIPE.toml trains on, as `run` does before training.

    Lists NaN or infinite values, values outside the generator's output
    range, blank images, exact and near duplicates, unreadable files and
    the label counts; says what data.clean would remove and whether a run
    would be refused. Exit code 0: nothing found; 3: something found; 2: an
    invalid recipe.
    """
    backend_module.setup(ctx, backend)
    from keras_gans.runs import check_data
    from keras_gans.runs import recipe as recipe_module

    with errors.reported(ctx, recipe_path=recipe_path):
        recipe = recipe_module.load(recipe_path, overrides)
        result = check_data.check_recipe(recipe)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=1))
    else:
        click.echo("\n".join(report_lines(result, recipe.data.dataset)))
    report = result.report
    if report.errors() or report.warnings():
        ctx.exit(FOUND)


def report_lines(result, dataset):
    """The report, human readable."""
    report = result.report
    low_high = ("none finite" if report.value_range is None else
                "[{:.4g}, {:.4g}]".format(*report.value_range))
    expected = ("unbounded (not checked)" if report.expected_range is None
                else "[{:g}, {:g}]".format(*report.expected_range))
    lines = [
        f"Dataset {dataset!r}: {report.count:,} samples of shape "
        f"{tuple(report.sample_shape)}, {report.dtype}, values in "
        f"{low_high}.",
        f"Expected range: {expected}, from {result.range_source}.",
    ]
    if report.label_counts is not None:
        counts = ", ".join(f"{label}: {count:,}"
                           for label, count in report.label_counts.items())
        lines.append(f"Labels: {counts} (largest / smallest class: "
                     f"{report.imbalance:.3g}).")
    findings = report.errors() + report.warnings()
    if not findings:
        lines.append("Nothing found.")
    for line in report.errors():
        lines.append(f"Error: {line}.")
    for line in report.warnings():
        lines.append(f"Warning: {line}.")
    lines += _listed(report)
    if result.removed:
        lines.append(f"data.clean would remove {len(result.removed):,} "
                     "sample(s).")
    if result.refused:
        lines.append("keras-gans run would refuse this data:")
        lines += [f"  - {line}" for line in result.refused]
    return lines


def _listed(report):
    """Every finding's items, up to SHOWN each."""
    lines = []
    for title, indices in (("NaN or infinite", report.nonfinite),
                           ("Out of range", report.out_of_range),
                           ("Blank", report.blank)):
        if indices:
            lines.append(f"{title}: {report.describe(indices, SHOWN)}")
    for group in report.duplicates[:SHOWN]:
        lines.append(f"Exact duplicates: {report.describe(group, SHOWN)}")
    for i, j, bits in report.near_duplicates[:SHOWN]:
        lines.append(f"Near duplicates ({bits} bits): {report.name(i)}, "
                     f"{report.name(j)}")
    for name, reason in report.unreadable[:SHOWN]:
        lines.append(f"Unreadable: {name}: {reason}")
    return lines
