"""The one mapping from library exceptions to what the command line says
and the exit code it ends with.

Exit codes (README, "Exit codes"): 0 success; 1 a user error that is not
about the recipe (a missing checkpoint, an existing run directory, a failed
download); 2 a usage error or an invalid recipe (every problem listed, with
its path); 130 interrupted.

Library messages are worded for Python callers ("Resume it
(resume=True)"). Where the remedy is a flag of the command line, the
exception names its case (`reason`, `keras_gans.advice.Advised`) and
`CLI_REMEDIES` gives the remedy in the flags' words; the problem is kept as
the library says it. Every command runs its body under `reported`; no other
module of the command line catches a library exception.
"""

import contextlib

import click

from keras_gans import advice
from keras_gans.regular_files import check_replaceable

# reason -> the remedy in the command line's words. `{name}` fields come
# from the exception's `details`.
CLI_REMEDIES = {
    # runs.directory.RunDirectoryError
    "is_file": "Choose another --output.",
    "missing": "Check --output, or start a new run without --resume.",
    "not_empty": "Pass --resume to continue it, or choose another --output.",
    "in_use": "Wait for it to finish or stop it, or choose another --output.",
    "disk_full": "Free some space or choose another --output.",
    "not_writable": "Choose another --output, or fix its permissions.",
    # runs.train.RunError
    "damaged_checkpoints": "Delete the damaged ones to train the run again "
                           "from step 0, or start a new run with another "
                           "--output.",
    "not_a_run": "Start a new run without --resume.",
    "model_mismatch": "Resume with the recipe the run was started with "
                      "({recipe_path}), or start a new run (without "
                      "--resume).",
    "privacy_mismatch": "Resume with the recipe the run was started with, "
                        "or start a new run (without --resume).",
    "write_failed": "continue with --resume {when}",
    "diverged": "{retry} and continue with --resume, or {instead}",
    # runs.distributed (a multi-process run)
    "distributed_needs_output": "Pass the same --output DIR to every "
                                "process.",
    # evaluation.scoring.EvaluationError
    "no_dataset": "Pass --dataset NAME.",
    "too_much_memory": "Lower -n.",
    "too_few_samples": "Raise -n, drop the metric, or choose features of "
                       "lower dimension (--features domain_classifier gives "
                       "64).",
    # runs.errors.OutputExistsError (sample --outdir)
    "outdir_not_empty": "Choose an empty or new --outdir, or pass "
                        "--overwrite.",
    "outdir_is_file": "Choose another --outdir.",
    # runs.errors.MissingPackageError, OutputExistsError (export)
    "missing_package": "Install what is missing (pip install {pip}), or "
                       "pass --backend with another backend.",
    "export_backend": "Pass --backend tensorflow (a .keras export loads on "
                      "any backend).",
    "export_exists": "Choose another -o, or remove the folder first.",
    # runs.folder_recipe.FolderError (run --data)
    "mixed_sizes": "Pass --image-size N (e.g. --image-size {size}): every "
                   "image is then center-cropped to a square and resized.",
    "not_square": "Pass --image-size N (e.g. --image-size {size}): every "
                  "image is then center-cropped to a square and resized.",
    "no_architecture": "Pass --image-size {size} (the images are "
                       "center-cropped and resized), or --architecture NAME, "
                       "a registered architecture that makes this size.",
    # runs.sources.SourceError (--step)
    "unknown_step": "Pass --step with one of those steps (a run keeps its "
                    "newest output.keep_checkpoints), or leave --step out "
                    "for the newest model.",
    "step_needs_run": "Pass the run directory with --step, or the file "
                      "without --step.",
    # runs.errors.MissingPackageError (interpolate -o walk.mp4)
    "gif_only": "Pass -o walk.gif and convert it (ffmpeg -i walk.gif "
                "walk.mp4).",
}
# reason -> the whole message, where the problem itself names an argument.
CLI_MESSAGES = {
    "resume_needs_output": "--resume needs --output, the run directory to "
                           "continue.",
}


def check_output_file(path):
    """Refuses, as a usage error naming `-o`, an output file that must not
    be replaced (a directory, a FIFO, ...), before any work."""
    try:
        check_replaceable(path)
    except OSError as error:
        raise click.BadParameter(str(error), param_hint="-o") from None


def message(error):
    """`error`'s message in the command line's words."""
    reason = getattr(error, "reason", None)
    if reason in CLI_MESSAGES:
        return CLI_MESSAGES[reason]
    if reason in CLI_REMEDIES:
        remedy = CLI_REMEDIES[reason].format(**error.details)
        return advice.join(error.problem, remedy)
    return str(error)


@contextlib.contextmanager
def reported(ctx, *, recipe_path=None, resume_command=None,
             user_errors=()):
    """Runs a command's body; turns library exceptions into the message and
    exit code the command line promises.

    Args:
        ctx: the click context.
        recipe_path: the recipe file the body reads: named by a
            `RecipeError` without a source, and by an `OSError`.
        resume_command: the command line that continues the run, shown
            after Ctrl-C; without it, Ctrl-C aborts as click does.
        user_errors: more exception classes that mean a user mistake
            (exit 1 with the message), e.g. `ValueError` for
            `scaffold_plugin`'s invalid names.

    Raises:
        click.ClickException: exit 1, with the message.
        click.BadParameter: exit 2, naming the option.
        click.exceptions.Exit: exit 2 or 130, after the message is shown.
    """
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except KeyboardInterrupt:
        if resume_command is None:
            raise
        click.echo("\nInterrupted. Continue from the newest checkpoint "
                   f"with:\n  {resume_command}", err=True)
        ctx.exit(130)
    except Exception as error:
        if isinstance(error, user_errors):
            raise click.ClickException(str(error)) from None
        _report(ctx, error, recipe_path, resume_command)
        raise  # not a library exception: a bug, shown with its traceback


def _report(ctx, error, recipe_path, resume_command):
    """Shows `error` and exits, when it is a library exception."""
    from keras_gans.evaluation.features.base import FeatureError
    from keras_gans.evaluation.scoring import EvaluationError
    from keras_gans.plugins import CatalogueError
    from keras_gans.runs.errors import RunError
    from keras_gans.runs.folder_recipe import FolderError
    from keras_gans.runs.recipe import RecipeError
    from keras_gans.runs.resume import Interrupted
    from keras_gans.runs.sample import SampleError
    from keras_gans.runs.sources import SourceError

    if isinstance(error, Interrupted) and resume_command is not None:
        saved = (f"wrote the checkpoint {error.path}" if error.path else
                 "wrote no checkpoint (training had diverged)")
        click.echo(f"\nInterrupted after step {error.step}; {saved}. "
                   f"Continue with:\n  {resume_command}", err=True)
        ctx.exit(130)
    if isinstance(error, RecipeError):
        if error.source is None and recipe_path is not None:
            error = RecipeError(error.problems, recipe_path)
        click.echo(str(error), err=True)
        ctx.exit(2)
    if isinstance(error, FolderError):
        raise click.BadParameter(message(error), param_hint="'--data'") \
            from None
    if isinstance(error, SampleError):
        raise click.BadParameter(str(error), param_hint="--labels") from None
    if isinstance(error, (EvaluationError, CatalogueError, SourceError)):
        click.echo(f"Error: {message(error)}", err=True)
        ctx.exit(2)
    if isinstance(error, (RunError, FeatureError)):
        raise click.ClickException(message(error)) from None
    if isinstance(error, OSError):
        where = f"{recipe_path}: " if recipe_path is not None else ""
        raise click.ClickException(f"{where}{error}") from None
