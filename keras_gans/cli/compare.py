"""`keras-gans compare`: several runs scored under one protocol."""

import click

from keras_gans.cli import backend as backend_module
from keras_gans.cli import errors
from keras_gans.evaluation.scoring import DEFAULT_METRICS


@click.command("compare")
@click.argument("runs", metavar="RUN_A RUN_B ...", nargs=-1, required=True,
                type=click.Path(exists=True))
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=True),
              help="Folder for compare.md, compare.json and compare.png "
                   "(default: compare-<time> beside the first run).")
@click.option("-n", "--num-samples", "n", default=10_000, show_default=True,
              type=click.IntRange(min=2), help="Samples to generate per run.")
@click.option("--seed", default=0, show_default=True,
              type=click.IntRange(min=0),
              help="Seed of the generated samples, the same for every run.")
@click.option("--features", default=None,
              help="Feature extractor for every run (default: "
                   "domain_classifier for labelled image datasets, else "
                   "pixels).")
@click.option("--metrics", default=DEFAULT_METRICS, show_default=True,
              help="Comma-separated, as for evaluate.")
@click.option("--batch-size", default=256, show_default=True,
              type=click.IntRange(min=1),
              help="Samples per generator call for every run (samples/s is "
                   "measured at it).")
@backend_module.backend_option
@click.pass_context
def compare_command(ctx, runs, output, n, seed, features, metrics,
                    batch_size, backend):
    """Compare runs (GANs, VAEs) on the same data under one protocol.

    Every run is scored with the same feature extractor, real data, number
    of samples and seed, as `keras-gans evaluate` would score it, and gets
    its parameter counts, training time and generation speed; for 2-D toy
    data, its mode coverage. Writes compare.md (a table, a row per run),
    compare.json and compare.png (the runs' samples side by side). Runs
    trained on different data are refused.
    """
    backend_module.setup(ctx, backend)
    from keras_gans.runs import api

    with errors.reported(ctx):
        comparison = api.compare(
            runs, output=output, metrics=metrics, features=features,
            num_samples=n, seed=seed, batch_size=batch_size, echo=click.echo)
    click.echo("")
    with open(comparison.markdown_path, encoding="utf-8") as file:
        click.echo(file.read().rstrip())
    click.echo("")
    for path in (comparison.markdown_path, comparison.json_path,
                 comparison.picture_path):
        click.echo(f"Wrote {path}")
