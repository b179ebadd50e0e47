"""`keras-gans prepare-data`: pack a folder of images once into a uint8
`.npy` that the `packed` dataset streams through a memory map."""

import os
import sys

import click

from keras_gans.cli import errors


@click.command("prepare-data")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--image-size", required=True, type=click.IntRange(min=1),
              help="Side of the square images to pack (as image_size).")
@click.option("-o", "--output", required=True, metavar="FILE.npy",
              help="The uint8 .npy file to write (labels go beside it, in "
                   "FILE.labels.npy).")
@click.option("--channels", type=click.Choice(("3", "1")), default="3",
              show_default=True, help="3 for RGB, 1 for grayscale.")
@click.option("--labels", type=click.Choice(("none", "subfolders")),
              default="none", show_default=True,
              help="subfolders: each subfolder of FOLDER is a class.")
@click.option("--skip-bad", is_flag=True,
              help="Leave out files that do not decode (listed) instead of "
                   "stopping at the first.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Decoding threads (default: the CPU count, at most 8).")
@click.pass_context
def prepare_data_command(ctx, folder, image_size, output, channels, labels,
                         skip_bad, workers):
    """Pack a folder of images once into a uint8 .npy file.

    Train on it with `dataset = "packed"` and `params = {path =
    "FILE.npy"}`: batches are read through a memory map, the fastest form
    for repeated epochs, and memory does not grow with the data.
    """
    from keras_gans.datasets.packed import pack_folder

    errors.check_output_file(output)
    with click.progressbar(length=1, label="Packing", file=sys.stderr) as bar:
        def progress(done, total):
            bar.length = total
            bar.update(done - bar.pos)

        with errors.reported(ctx, user_errors=(ValueError,)):
            result = pack_folder(
                folder, image_size, output, channels=int(channels),
                labels=labels, on_bad_image="skip" if skip_bad else "error",
                workers=workers, progress=progress)
    for name, reason in result.skipped:
        click.echo(f"Skipped {name}: {reason}", err=True)
    size = os.path.getsize(result.path)
    click.echo(f"Wrote {result.shape[0]:,} images of "
               f"{'x'.join(map(str, result.shape[1:]))} uint8 "
               f"({size / 2**20:,.1f} MiB) to {result.path}"
               + (f" and their labels to {result.labels_path}"
                  if result.labels_path else ""))
