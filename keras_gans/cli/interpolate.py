"""`keras-gans interpolate`: a GIF of latent walks from a run or model."""

import click

from keras_gans.cli import backend as backend_module
from keras_gans.cli import errors
from keras_gans.cli.sample import parse_labels
from keras_gans.cli.sample import step_option


@click.command("interpolate")
@click.argument("source", metavar="RUN_DIR_OR_MODEL")
@step_option
@click.option("--frames", default=60, show_default=True,
              type=click.IntRange(min=2, max=10_000),
              help="Frames of the GIF.")
@click.option("--points", default=4, show_default=True,
              type=click.IntRange(min=2, max=1_000),
              help="Seeded latents each walk passes through.")
@click.option("--walks", default=1, show_default=True,
              type=click.IntRange(min=1, max=256),
              help="Walks side by side, each through its own latents.")
@click.option("--seed", default=0, show_default=True,
              type=click.IntRange(min=0), help="Seed of the latents.")
@click.option("--labels", default=None, metavar="0,1,...",
              help="Class labels for a conditional GAN, one per walk "
                   "(default: 0, 1, 2, ...).")
@click.option("--fps", default=20, show_default=True,
              type=click.IntRange(min=1, max=100), help="Frames per second.")
@click.option("-o", "--output", default="walk.gif", show_default=True,
              type=click.Path(dir_okay=False), help="GIF file to write.")
@backend_module.backend_option
@click.pass_context
def interpolate_command(ctx, source, step, frames, points, walks, seed,
                        labels, fps, output, backend):
    """Write a GIF of walks through the latent space of a run or model.

    Each walk moves along great circles (spherical interpolation) through
    --points latents drawn from --seed, first to last.
    """
    label_list = None if labels is None else parse_labels(labels)
    if not output.lower().endswith((".gif", ".mp4")):
        raise click.BadParameter(
            f"expected a .gif file; got {output!r}", param_hint="-o")
    errors.check_output_file(output)
    backend_module.setup(ctx, backend)
    from keras_gans.runs import interpolate

    with errors.reported(ctx):
        walk = interpolate.interpolate(
            source, output, frames=frames, points=points, walks=walks,
            seed=seed, labels=label_list, fps=fps, step=step,
            echo=lambda line: click.echo(line, err=True))
    width, height = walk.size
    click.echo(f"Wrote {walk.frames} frames ({width}x{height} pixels, {walks} "
               f"walk{'s' if walks > 1 else ''} through {points} latents) "
               f"from {walk.model_path} to {walk.path}.")
