"""`keras-gans sample`: a PNG of samples from a run or a saved model."""

import sys

import click

from keras_gans.cli import backend as backend_module
from keras_gans.cli import errors
from keras_gans.runs.recipe import LIMITS

# The most samples a picture holds (the recipe's output.samples limit).
MAX_PICTURE_SAMPLES = LIMITS["output.samples"][0]


def step_option(command):
    """`--step N`: a run directory's checkpoint of step N instead of its
    newest model (the commands that read a model share it)."""
    return click.option(
        "--step", default=None, type=click.IntRange(min=0), metavar="N",
        help="With a run directory: its checkpoint written at step N "
             "(default: the newest model).")(command)


def parse_labels(text):
    """`"0,1,2"` as `[0, 1, 2]`; a usage error naming `--labels` else."""
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise click.BadParameter(
            f"expected comma-separated integers such as 0,1,2; got {text!r}",
            param_hint="--labels",
        ) from None


@click.command("sample")
@click.argument("source", metavar="RUN_DIR_OR_MODEL")
@step_option
@click.option("-n", "--num-samples", "n", default=64, show_default=True,
              type=click.IntRange(min=1),
              help=f"Number of samples (at most {MAX_PICTURE_SAMPLES} in "
                   "a picture; any number with --outdir).")
@click.option("-o", "--output", default="samples.png", show_default=True,
              type=click.Path(dir_okay=False), help="PNG file to write.")
@click.option("--seed", default=0, show_default=True,
              type=click.IntRange(min=0),
              help="Seed of the latent batch (same seed, same samples).")
@click.option("--labels", default=None, metavar="0,1,...",
              help="Class labels for a conditional GAN, repeated to fill n "
                   "(default: 0, 1, 2, ... cycling through the classes).")
@click.option("--columns", default=None,
              type=click.IntRange(min=1, max=MAX_PICTURE_SAMPLES),
              help="Images per row (default: a near-square grid).")
@click.option("--truncation", default=None, type=click.FloatRange(min=0,
              min_open=True), metavar="T",
              help="Truncation trick: redraw latent coordinates beyond "
                   "+-T (e.g. 1.0; lower: less diverse, cleaner samples).")
@click.option("--outdir", default=None, type=click.Path(file_okay=False),
              help="Write the samples as files into this folder instead "
                   "of a picture (for FID tools).")
@click.option("--format", "fmt", default="png", show_default=True,
              type=click.Choice(["png", "npz"]),
              help="With --outdir: one PNG per sample, or samples.npz.")
@click.option("--batch-size", default=256, show_default=True,
              type=click.IntRange(min=1),
              help="With --outdir: samples generated (and held) at a time.")
@click.option("--overwrite", is_flag=True,
              help="With --outdir: write into a folder that holds files.")
@backend_module.backend_option
@click.pass_context
def sample_command(ctx, source, step, n, output, seed, labels, columns,
                   truncation, outdir, fmt, batch_size, overwrite, backend):
    """Write a PNG of samples, or a folder of them, from a run or model.

    RUN_DIR_OR_MODEL is a run directory (its gan.keras, else its newest
    checkpoint, else generator.keras; --step N: its checkpoint of step N),
    a .keras file holding a GAN or a generator, or hf://owner/repo[/file]
    on the Hugging Face Hub. Images become a grid; 2-D samples a scatter
    plot. With --outdir, each sample becomes a PNG (000000.png, ...) or
    all go into one samples.npz, written batch by batch: the same samples
    as the picture for the same seed, for any -n.
    """
    label_list = None if labels is None else parse_labels(labels)
    if outdir is not None:
        return _write_folder(ctx, source, step, n, seed, label_list,
                             truncation, outdir, fmt, batch_size, overwrite,
                             backend)
    if n > MAX_PICTURE_SAMPLES:
        raise click.BadParameter(
            f"{n} is not in the range 1<=x<={MAX_PICTURE_SAMPLES} of a "
            "picture; pass --outdir DIR to write more samples as files.",
            param_hint="-n")
    errors.check_output_file(output)
    backend_module.setup(ctx, backend)
    from keras_gans import images as images_module
    from keras_gans.runs import api

    with errors.reported(ctx):
        drawn = api.sample(source, n, seed=seed, labels=label_list,
                           columns=columns, truncation=truncation, step=step,
                           echo=lambda line: click.echo(line, err=True))
    picture = drawn.picture
    if picture is None:
        raise click.ClickException(
            f"Samples of shape {drawn.samples.shape[1:]} are neither images "
            "nor 2-D points; nothing to draw."
        )
    try:
        images_module.save_png(picture, output)
    except OSError as error:
        raise click.ClickException(
            f"Could not write {output}: {error.strerror or error}"
        ) from None
    click.echo(
        f"Wrote {n} samples from {drawn.model_path} to {output} "
        f"({picture.width}x{picture.height} pixels)."
    )


def _write_folder(ctx, source, step, n, seed, labels, truncation, outdir,
                  fmt, batch_size, overwrite, backend):
    """`sample --outdir`: the samples as files, with a progress bar."""
    backend_module.setup(ctx, backend)
    from keras_gans.runs import sample_folder
    from keras_gans.runs import sources

    def echo(line):
        click.echo(line, err=True)

    with errors.reported(ctx):  # before the progress bar shows
        sample_folder.check_outdir(outdir, overwrite)
        # The model file (downloaded, for hf://): its problems come first.
        source = sources.resolve(source, step=step, echo=echo).path
    with errors.reported(ctx), click.progressbar(
        length=n, label="Sampling", file=sys.stderr,
    ) as bar:
        written = sample_folder.write_samples(
            source, outdir, n, seed=seed, labels=labels,
            truncation=truncation, batch_size=batch_size, fmt=fmt,
            overwrite=overwrite,
            progress=lambda done: bar.update(done - bar.pos), echo=echo)
    where = written.npz or f"{outdir} ({n} PNG files)"
    click.echo(f"Wrote {n} samples from {written.model_path} to {where}.")
