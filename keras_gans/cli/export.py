"""`keras-gans export`: the generator of a run, in a format for serving."""

import click

from keras_gans.cli import backend as backend_module
from keras_gans.cli import errors
from keras_gans.cli.sample import step_option

FORMAT_NAMES = ["keras", "saved_model", "onnx", "tflite"]


@click.command("export")
@click.argument("source", metavar="RUN_DIR_OR_MODEL")
@step_option
@click.option("--format", "fmt", default="keras", show_default=True,
              type=click.Choice(FORMAT_NAMES),
              help="keras (any backend loads it), saved_model (TensorFlow "
                   "SavedModel folder), onnx or tflite.")
@click.option("-o", "--output", default=None, type=click.Path(),
              help="File (folder for saved_model) to write [default: "
                   "generator_export.keras, generator_saved_model, "
                   "generator.onnx or generator.tflite].")
@backend_module.backend_option
@click.pass_context
def export_command(ctx, source, step, fmt, output, backend):
    """Export the generator of a run or model for serving.

    The generator written is the one `generate()` samples: with the EMA
    weights when the run kept an EMA. saved_model and tflite need
    TensorFlow; onnx needs tf2onnx (TensorFlow backend), onnxscript
    (PyTorch) or jax2onnx (JAX).
    """
    backend_module.setup(ctx, backend)
    from keras_gans.runs import export as export_module

    if output is None:
        output = export_module.DEFAULT_PATHS[fmt]
    if fmt != "saved_model":
        errors.check_output_file(output)
    with errors.reported(ctx):
        exported = export_module.export(
            source, fmt, output, step=step,
            echo=lambda line: click.echo(line, err=True))
    shapes = ", ".join(str(shape) for shape in exported.inputs)
    click.echo(f"Exported the generator of {exported.model_path} as {fmt} "
               f"to {exported.path} (inputs: {shapes}).")
