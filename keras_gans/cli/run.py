"""`keras-gans run`: train the GAN a recipe describes."""

import contextlib
import shlex
import sys

import click

from keras_gans.cli import backend as backend_module
from keras_gans.cli import errors
from keras_gans.cli.completion import complete_set
from keras_gans.runs.directory import RunDirectory


@click.command("run")
@click.argument("recipe_path", metavar="[RECIPE.toml]", required=False,
                type=click.Path(exists=True, dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              shell_complete=complete_set,
              help="Override a recipe value, e.g. --set train.epochs=3 "
                   "(parsed as a TOML value; plain text is a string). "
                   "Repeatable.")
@click.option("--output", "-o", type=click.Path(file_okay=False),
              help="Run directory (default: <output.dir>/<name>-<time>). "
                   "With --resume, the run to continue.")
@click.option("--init-from", default=None, metavar="PATH",
              help="Start from the weights of a run, a checkpoint or "
                   ".keras file, or hf://owner/repo[/file] (fine-tuning: "
                   "the same as --set train.init_from=PATH).")
@click.option("--resume", is_flag=True,
              help="Continue the run in --output from its newest checkpoint "
                   "up to the recipe's epochs (or steps).")
@click.option("--data", "data", metavar="DIR",
              help="Train on this folder of images with default settings, "
                   "without a recipe file (the run writes the recipe it "
                   "used).")
@click.option("--image-size", type=click.IntRange(min=1), metavar="N",
              help="With --data: the side of the square images to train on "
                   "(images are center-cropped and resized); default: the "
                   "images' own size.")
@click.option("--architecture", metavar="NAME",
              help="With --data: a registered architecture (default: dcgan "
                   "for 28, 32 and 64 pixel images).")
@click.option("--steps", type=int, metavar="N",
              help="With --data: generator updates (default 5000).")
@click.option("--devices", metavar="N|all|NAME,NAME",
              help="Train on this many devices, all of them, or the named "
                   "ones (data.batch_size is the global batch, split over "
                   "them): the same as --set distribution.devices=...")
@backend_module.backend_option
@click.pass_context
def run_command(ctx, recipe_path, overrides, output, init_from, resume,
                data, image_size, architecture, steps, devices, backend):
    """Train the GAN that RECIPE.toml describes, or on a folder (--data).

    The recipe is checked as a whole before anything runs; every problem is
    reported with its path (exit code 2). Outputs go to a run directory:
    recipe.toml (resolved), checkpoints/, samples/, logs/ (TensorBoard),
    generator.keras, gan.keras and metrics.json.

    With --data DIR and no recipe, the recipe is built from defaults: DCGAN
    (for 28, 32 or 64 pixel images; else pass --image-size or
    --architecture) with R1 and an EMA, at the images' own size and
    channels. `keras-gans run RUN/recipe.toml` repeats such a run.
    """
    check_data_options(recipe_path, data, resume,
                       image_size=image_size, architecture=architecture,
                       steps=steps)
    if init_from is not None:
        overrides += (f"train.init_from={_toml_string(init_from)}",)
    if devices is not None:
        overrides += (f"distribution.devices={devices_value(devices)}",)
    chosen = backend_module.setup(ctx, backend)
    from keras_gans.runs import recipe as recipe_module
    from keras_gans.runs import train as train_module

    with errors.reported(ctx, recipe_path=recipe_path):
        if data is None:
            recipe = recipe_module.load(recipe_path, overrides)
        else:
            from keras_gans.runs.folder_recipe import folder_recipe

            recipe = folder_recipe(data, image_size, architecture, steps,
                                   overrides)
            describe_folder_recipe(recipe)
        status = launch(recipe)
        if status is not None:  # the processes it started trained
            ctx.exit(status)
        prepared = train_module.prepare(recipe, output=output, resume=resume)

    if not prepared.distribution.is_chief:
        # Another process of a multi-process run: the chief reports.
        with errors.reported(ctx):
            train_module.run(prepared, verbose=0)
        return
    click.echo("Watch training with:\n  tensorboard --logdir "
               f"{RunDirectory(prepared.directory).logs}")
    if data is None:
        again = resume_command(recipe_path, prepared.directory, overrides,
                               chosen)
    else:  # the run's recipe.toml holds the overrides already
        again = resume_command(RunDirectory(prepared.directory).recipe_path,
                               prepared.directory, (), chosen)
    with errors.reported(ctx, resume_command=again):
        # Keras' bar in a terminal; one line per epoch in a log file.
        verbose = 1 if sys.stdout.isatty() else 2
        with training_notes():
            result = train_module.run(prepared, echo=click.echo,
                                      verbose=verbose)
    report_run(result)
    if data is not None:
        click.echo("Repeat this run with:")
        click.echo(f"  keras-gans run "
                   f"{shlex.quote(RunDirectory(result.directory).recipe_path)}")


def devices_value(text):
    """`--devices` as the TOML value of `distribution.devices`: a count,
    "all", or the comma-separated names as a list (the recipe's check
    refuses a bad one, naming the key)."""
    text = text.strip()
    if text == "all" or text.lstrip("+-").isdigit():
        return text if text != "all" else '"all"'
    names = [name.strip() for name in text.split(",")]
    return "[" + ", ".join(_toml_string(name) for name in names) + "]"


def launch(recipe):
    """Starts the processes the backend trains in, where it trains in
    several (PyTorch), each running this same command line; their exit
    status, or None to train here (`runs.distributed.launch`)."""
    from keras_gans.runs import distributed

    argv = [sys.executable, "-m", "keras_gans.cli", *sys.argv[1:]]
    return distributed.launch(recipe, argv)


def check_data_options(recipe_path, data, resume, **data_options):
    """Refuses, as usage errors, a RECIPE with --data (or neither), the
    --data options without --data, and --resume with --data."""
    given = [f"--{name.replace('_', '-')}"
             for name, value in data_options.items() if value is not None]
    if recipe_path is not None and data is not None:
        raise click.UsageError(
            "Pass either RECIPE.toml or --data, not both: --data builds the "
            "recipe from defaults. To train a recipe on another folder, "
            "--set data.params.path=DIR.")
    if data is None and given:
        raise click.UsageError(
            f"{', '.join(given)} only go with --data DIR; in a recipe, "
            "set them with --set (e.g. --set data.params.image_size=64).")
    if recipe_path is None and data is None:
        raise click.UsageError(
            "Pass a RECIPE.toml, or --data DIR to train on a folder of "
            "images.")
    if data is not None and resume:
        raise click.UsageError(
            "--resume continues a run from its own recipe: keras-gans run "
            f"RUN/{RunDirectory.RECIPE} --output RUN --resume.")


def describe_folder_recipe(recipe):
    """Says what `--data` chose, before the folder is loaded."""
    params = recipe.data.params
    length = recipe.train.steps
    length = (f"{length} steps" if length is not None
              else f"{recipe.train.epochs} epochs")
    click.echo(
        f"Training {recipe.model.architecture} on the images of "
        f"{params.get('path')} at image_size {params.get('image_size')}, "
        f"{params.get('channels')} channel(s), batch "
        f"{recipe.data.batch_size}, {length}; the run writes this recipe "
        f"as {RunDirectory.RECIPE}.")


def _toml_string(text):
    """`text` as a TOML string value, for a `--set` override."""
    import tomli_w

    return tomli_w.dumps({"v": text}).partition("=")[2].strip()


@contextlib.contextmanager
def training_notes():
    """Echoes keras-gans' INFO log lines (how the step is compiled, and why)
    to stderr while training."""
    import logging

    class Echo(logging.Handler):
        def emit(self, record):
            click.echo(self.format(record), err=True)

    logger = logging.getLogger("keras_gans")
    handler, level = Echo(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def resume_command(recipe_path, directory, overrides, backend):
    """The command line that continues the run in `directory`."""
    words = ["keras-gans", "run", recipe_path, "--backend", backend,
             "--output", directory, "--resume"]
    for override in overrides:
        words += ["--set", override]
    return shlex.join(str(word) for word in words)


def report_run(result):
    """Prints what a finished run did and where its outputs are."""
    metrics = result.metrics
    directory = result.directory
    minutes, seconds = divmod(metrics["wall_time_s"], 60)
    click.echo(
        f"\nDone in {int(minutes)}m{seconds:04.1f}s: epoch {result.epochs}, "
        f"{metrics['steps']} generator steps on {metrics['backend']}."
    )
    final = metrics["final_epoch"]
    losses = ", ".join(f"{k} {v:.4g}" for k, v in final.items())
    if losses:
        click.echo(f"Last epoch: {losses}")
    if metrics.get("privacy"):
        from keras_gans.runs.privacy import summary_line

        click.echo(summary_line(metrics["privacy"]))
    coverage = metrics.get("mode_coverage")
    if coverage:
        click.echo(
            f"Mode coverage: {coverage['modes']}/{coverage['num_modes']} "
            f"modes, {coverage['high_quality']:.0%} high-quality samples."
        )
    click.echo(f"Run directory: {directory}")
    run_dir = RunDirectory(directory)
    for label, path in run_dir.outputs():
        click.echo(f"  {label + ':':<13}{path}")
    click.echo("Training curves:")
    click.echo(f"  tensorboard --logdir {run_dir.logs}")
    click.echo("More samples:")
    click.echo(f"  keras-gans sample {directory} -n 64 -o samples.png")
