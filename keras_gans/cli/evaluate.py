"""`keras-gans evaluate`: score a run or a saved model."""

import click

from keras_gans.cli import backend as backend_module
from keras_gans.cli import errors
from keras_gans.cli.sample import step_option
from keras_gans.evaluation.scoring import DEFAULT_METRICS
from keras_gans.runs.directory import RunDirectory


@click.command("evaluate")
@click.argument("source", metavar="RUN_DIR_OR_MODEL")
@step_option
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
                   f"{RunDirectory.RECIPE} beside it.")
@click.option("-o", "--output", default=None,
              type=click.Path(dir_okay=False),
              help=f"JSON file (default: {RunDirectory.METRICS} in the run "
                   "directory).")
@click.option("--backend", type=click.Choice(backend_module.BACKENDS),
              default=None, help="Keras backend.")
@click.pass_context
def evaluate_command(ctx, source, step, metrics, features, n, seed, dataset,
                     output, backend):
    """Score a GAN: FID, KID, precision/recall, density/coverage and
    memorization against the real data, written to metrics.json.

    RUN_DIR_OR_MODEL is a run directory (its gan.keras, else its newest
    checkpoint, else generator.keras, or with --step N its checkpoint of
    step N; its recipe.toml for the data) or a saved model, local or
    hf://owner/repo[/file] (then pass --dataset unless a recipe.toml is
    beside it).
    """
    if output is not None:
        errors.check_output_file(output)
    backend_module.setup(ctx, backend)
    from keras_gans.runs import api
    from keras_gans.runs.evaluate import summary

    with errors.reported(ctx):
        evaluation = api.evaluate(
            source, metrics=metrics, features=features, num_samples=n,
            seed=seed, dataset=dataset, output=output, echo=click.echo,
            step=step)
    click.echo("")
    for line in summary(evaluation.as_dict()):
        click.echo(line)
    click.echo(f"Wrote {evaluation.path}")
