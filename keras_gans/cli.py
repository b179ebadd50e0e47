"""The `keras-gans` command line.

```
keras-gans run RECIPE.toml [--backend B] [--set key.path=value ...]
                           [--output DIR] [--resume]
keras-gans sample RUN_DIR_OR_MODEL -n 64 -o grid.png [--seed S] [--labels ...]
keras-gans evaluate RUN_DIR_OR_MODEL [--metrics fid,kid,pr,dc,memorization]
                    [--features NAME] [-n N]
keras-gans list architectures|losses|penalties|datasets|metrics|features|callbacks
keras-gans plugins [--json]
keras-gans new-plugin NAME [--directory D]
```

Keras reads `KERAS_BACKEND` once, when it is first imported, so this module
imports no Keras at module level: each command first settles the backend
(`--backend`, else `KERAS_BACKEND`, else Keras' own `keras.json`; an
installed one when that names a backend that is not installed) and only
then imports what needs Keras.

Exit codes: 0 success; 1 a user error that is not about the recipe (a
missing checkpoint, an existing run directory, a failed download); 2 a
usage error or an invalid recipe (every problem listed, with its path);
130 interrupted.
"""

import contextlib
import importlib.util
import json
import os
import sys

import click

from keras_gans import __version__
from keras_gans.regular_files import check_replaceable
from keras_gans.regular_files import read_regular
from keras_gans.evaluation.scoring import DEFAULT_METRICS
from keras_gans.runs.directory import RunDirectory
from keras_gans.runs.recipe import LIMITS

# The most samples a picture holds (the recipe's output.samples limit).
MAX_PICTURE_SAMPLES = LIMITS["output.samples"][0]

BACKENDS = ("tensorflow", "jax", "torch")
KINDS = ("architectures", "losses", "penalties", "datasets", "metrics",
         "features", "callbacks")
NAME_FIELDS = {
    "model.architecture": "architectures",
    "data.dataset": "datasets",
    "train.loss": "losses",
    "train.loss.name": "losses",
    "train.penalty": "penalties",
    "train.penalty.name": "penalties",
}


# ----------------------------------------------------------------------
# Backend


def _installed(backend):
    return importlib.util.find_spec(backend) is not None


def _keras_config_backend():
    """The backend named in Keras' `keras.json`, or None."""
    home = os.environ.get("KERAS_HOME")
    if not home:
        base = os.path.expanduser("~")
        if not os.access(base, os.W_OK):
            base = "/tmp"
        home = os.path.join(base, ".keras")
    try:  # read_regular: a FIFO there would block every command
        data, _ = read_regular(os.path.join(home, "keras.json"), 1 << 20)
        backend = json.loads(data).get("backend")
    except (OSError, ValueError, AttributeError, RecursionError):
        return None
    return backend if isinstance(backend, str) else None


def resolve_backend(option=None):
    """Chooses the Keras backend without importing Keras.

    Args:
        option: the `--backend` value, or None.

    Returns:
        `(backend, note)`: the backend to use and, when it is not the one
        asked for, a sentence saying why (else None).

    Raises:
        click.ClickException: for an explicit `--backend` that is not
            installed, or when no backend is installed.
    """
    if option:
        if not _installed(option):
            raise click.ClickException(
                f"The {option} backend is not installed. Install it (for "
                f"example pip install 'keras-gans[{option}]') or choose "
                f"another with --backend."
            )
        return option, None
    source = "KERAS_BACKEND"
    wanted = os.environ.get("KERAS_BACKEND")
    if not wanted:
        wanted = _keras_config_backend()
        source = "Keras' keras.json"
    if not wanted:
        wanted, source = "tensorflow", "Keras' default"
    if wanted in BACKENDS and _installed(wanted):
        return wanted, None
    for backend in BACKENDS:
        if _installed(backend):
            reason = ("is not installed" if wanted in BACKENDS
                      else "cannot train GANs")
            return backend, (
                f"The {wanted} backend (from {source}) {reason}; "
                f"using {backend}."
            )
    raise click.ClickException(
        "No Keras backend is installed: install one of tensorflow, jax or "
        "torch (for example pip install 'keras-gans[jax]')."
    )


def setup_backend(option=None):
    """Settles the backend in `os.environ` before Keras is imported.

    Returns:
        The backend's name.
    """
    backend, note = resolve_backend(option)
    if note:
        click.echo(note, err=True)
    if "keras" in sys.modules:
        # In-process use (tests, notebooks): Keras is loaded already and
        # cannot change backend.
        import keras

        current = keras.backend.backend()
        if current != backend:
            raise click.ClickException(
                f"Keras is already loaded with the {current} backend in this "
                f"process and cannot switch to {backend}."
            )
        return backend
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return backend


def _backend_option(function):
    return click.option(
        "--backend",
        type=click.Choice(BACKENDS),
        default=None,
        help="Keras backend (default: KERAS_BACKEND, else Keras' keras.json).",
    )(function)


# ----------------------------------------------------------------------
# Completion


def _complete_set(ctx, param, incomplete):
    """Completes `--set` keys, and registered names after `=`."""
    from click.shell_completion import CompletionItem

    from keras_gans.runs.recipe import known_keys

    key, sep, value = incomplete.partition("=")
    if not sep:
        return [CompletionItem(f"{k}=") for k in known_keys()
                if k.startswith(incomplete)]
    kind = NAME_FIELDS.get(key)
    if kind is None:
        return []
    try:  # loads the catalogue (and Keras): only after "name=".
        setup_backend(None)
        from keras_gans import plugins

        names = plugins.catalogue().names(kind)
    except Exception:
        return []
    return [CompletionItem(f"{key}={n}") for n in names if n.startswith(value)]


# ----------------------------------------------------------------------
# Commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="keras-gans",
                      message="%(prog)s %(version)s")
@_backend_option
@click.pass_context
def main(ctx, backend):
    """Train and sample GANs with Keras 3 (TensorFlow, JAX or PyTorch).

    Start with `keras-gans run recipes/dcgan.toml`.
    """
    ctx.obj = {"backend": backend}


def _backend_of(ctx, backend):
    return backend or (ctx.obj or {}).get("backend")


def _exit_invalid(ctx, error):
    click.echo(str(error), err=True)
    ctx.exit(2)


@main.command()
@click.argument("recipe_path", metavar="RECIPE.toml",
                type=click.Path(exists=True, dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
              shell_complete=_complete_set,
              help="Override a recipe value, e.g. --set train.epochs=3 "
                   "(parsed as a TOML value; plain text is a string). "
                   "Repeatable.")
@click.option("--output", "-o", type=click.Path(file_okay=False),
              help="Run directory (default: <output.dir>/<name>-<time>). "
                   "With --resume, the run to continue.")
@click.option("--resume", is_flag=True,
              help="Continue the run in --output from its newest checkpoint "
                   "up to the recipe's epochs (or steps).")
@_backend_option
@click.pass_context
def run(ctx, recipe_path, overrides, output, resume, backend):
    """Train the GAN that RECIPE.toml describes.

    The recipe is checked as a whole before anything runs; every problem is
    reported with its path (exit code 2). Outputs go to a run directory:
    recipe.toml (resolved), checkpoints/, samples/, logs/ (TensorBoard),
    generator.keras, gan.keras and metrics.json.
    """
    chosen = setup_backend(_backend_of(ctx, backend))
    from keras_gans.runs import recipe as recipe_module
    from keras_gans.runs import resume as resume_module
    from keras_gans.runs import train as run_module

    try:
        recipe = recipe_module.load(recipe_path, overrides)
        prepared = run_module.prepare(recipe, output=output, resume=resume)
    except recipe_module.RecipeError as error:
        if error.source is None:
            error = recipe_module.RecipeError(error.problems, recipe_path)
        _exit_invalid(ctx, error)
    except run_module.RunError as error:
        message = str(error)
        if message == run_module.RESUME_NEEDS_OUTPUT:  # in the CLI's words
            message = "--resume needs --output, the run directory to continue."
        raise click.ClickException(message) from None
    except OSError as error:
        raise click.ClickException(f"{recipe_path}: {error}") from None

    logs = RunDirectory(prepared.directory).logs
    click.echo(f"Watch training with:\n  tensorboard --logdir {logs}")
    try:
        # Keras' bar in a terminal; one line per epoch in a log file.
        verbose = 1 if sys.stdout.isatty() else 2
        with _training_notes():
            result = run_module.run(prepared, echo=click.echo, verbose=verbose)
    except resume_module.Interrupted as stop:
        saved = (f"wrote the checkpoint {stop.path}" if stop.path else
                 "wrote no checkpoint (training had diverged)")
        click.echo(f"\nInterrupted after step {stop.step}; {saved}. "
                   "Continue with:\n  "
                   + _resume_command(recipe_path, prepared, overrides, chosen),
                   err=True)
        ctx.exit(130)
    except KeyboardInterrupt:
        click.echo("\nInterrupted. Continue from the newest checkpoint "
                   "with:\n  "
                   + _resume_command(recipe_path, prepared, overrides, chosen),
                   err=True)
        ctx.exit(130)
    except run_module.RunError as error:
        raise click.ClickException(str(error)) from None
    _report_run(result)


@contextlib.contextmanager
def _training_notes():
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


def _resume_command(recipe_path, prepared, overrides, backend):
    """The command line that continues an interrupted run."""
    import shlex

    words = ["keras-gans", "run", recipe_path, "--backend", backend,
             "--output", prepared.directory, "--resume"]
    for override in overrides:
        words += ["--set", override]
    return shlex.join(str(word) for word in words)


def _report_run(result):
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


def _parse_labels(text):
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise click.BadParameter(
            f"expected comma-separated integers such as 0,1,2; got {text!r}",
            param_hint="--labels",
        ) from None


@main.command()
@click.argument("source", metavar="RUN_DIR_OR_MODEL",
                type=click.Path(exists=True))
@click.option("-n", "--num-samples", "n", default=64, show_default=True,
              type=click.IntRange(min=1, max=MAX_PICTURE_SAMPLES),
              help="Number of samples.")
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
@_backend_option
@click.pass_context
def sample(ctx, source, n, output, seed, labels, columns, backend):
    """Write a PNG of samples from a run directory or a saved model.

    RUN_DIR_OR_MODEL is a run directory (its gan.keras, else its newest
    checkpoint, else generator.keras) or a .keras file holding a GAN or a
    generator. Images become a grid; 2-D samples a scatter plot.
    """
    label_list = None if labels is None else _parse_labels(labels)
    try:
        check_replaceable(output)
    except OSError as error:
        raise click.BadParameter(str(error), param_hint="-o") from None
    setup_backend(_backend_of(ctx, backend))
    from keras_gans import images as images_module
    from keras_gans.runs import api
    from keras_gans.runs.errors import RunError
    from keras_gans.runs.sample import SampleError

    try:
        drawn = api.sample(source, n, seed=seed, labels=label_list,
                           columns=columns,
                           echo=lambda line: click.echo(line, err=True))
    except SampleError as error:
        raise click.BadParameter(str(error), param_hint="--labels") from None
    except RunError as error:
        raise click.ClickException(str(error)) from None
    model_path, picture = drawn.model_path, drawn.picture
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
        f"Wrote {n} samples from {model_path} to {output} "
        f"({picture.width}x{picture.height} pixels)."
    )


@main.command("list")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_command(ctx, kind, as_json):
    """List the registered architectures, losses, penalties, datasets, ...

    Each name is shown with the plugin that registered it.
    """
    setup_backend(_backend_of(ctx, None))
    from keras_gans import plugins

    catalogue = plugins.catalogue()
    rows = catalogue.listing(kind)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"No {kind} registered.")
    else:
        name_width = max(len("NAME"), *(len(r["name"]) for r in rows))
        plugin_width = max(len("PLUGIN"), *(len(r["plugin"]) for r in rows))
        click.echo(f"{'NAME':<{name_width}}  {'PLUGIN':<{plugin_width}}  "
                   "DESCRIPTION")
        for row in rows:
            click.echo(f"{row['name']:<{name_width}}  "
                       f"{row['plugin']:<{plugin_width}}  "
                       f"{row['description']}")
    broken = [p for p in catalogue.plugins.values() if p.error]
    if broken:
        names = ", ".join(p.name for p in broken)
        click.echo(f"\nBroken plugins, whose names are missing here: {names}. "
                   "See `keras-gans plugins`.", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plugins(ctx, as_json):
    """Show the installed plugins: version, status and what each registers.

    A plugin that fails to load is shown as broken with its error; the
    others keep working. KERAS_GANS_LOAD_PLUGINS (comma-separated names;
    empty for none) chooses which third-party plugins load.
    """
    setup_backend(_backend_of(ctx, None))
    from keras_gans import plugins as plugins_module

    infos = list(plugins_module.catalogue().plugins.values())
    if as_json:
        click.echo(json.dumps([info.as_dict() for info in infos], indent=2))
        return
    for info in infos:
        status = "ok" if info.status == "ok" else click.style(
            "broken", fg="red")
        click.echo(f"{info.name} {info.version or '(no version)'}  "
                   f"[{status}]  {info.module}")
        for kind, names in info.registered.items():
            click.echo(f"    {kind}: {', '.join(sorted(names))}")
        if info.error:
            click.echo(f"    error: {info.error}")
        for conflict in info.conflicts:
            click.echo(f"    conflict: {conflict}")


@main.command("new-plugin")
@click.argument("name")
@click.option("--directory", "-d", default=".", show_default=True,
              type=click.Path(file_okay=False),
              help="Where to create the plugin's folder.")
def new_plugin(name, directory):
    """Create a plugin package NAME: pyproject with the entry point, a
    hook implementation and a passing test."""
    try:
        from keras_gans.plugins.scaffold import scaffold_plugin
    except ImportError as error:
        raise click.ClickException(
            f"The plugin template is not available: {error}"
        ) from None
    try:
        path = scaffold_plugin(name, directory)
    except (ValueError, OSError) as error:
        raise click.ClickException(str(error)) from None
    import shlex

    click.echo(f"Created the plugin {name} in {path}")
    # The steps of the generated README.md: the `test` extra brings pytest.
    click.echo("Next:")
    click.echo(f"  pip install -e {shlex.quote(f'{path}[test]')}")
    click.echo(f"  pytest {shlex.quote(str(path))}")
    click.echo("  keras-gans plugins")


def _dataset_option(value):
    if value is None:
        return None
    return {"dataset": value, "params": {}}


@main.command("evaluate")
@click.argument("source", metavar="RUN_DIR_OR_MODEL",
                type=click.Path(exists=True))
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
@click.option("--backend", type=click.Choice(("tensorflow", "jax", "torch")),
              default=None, help="Keras backend.")
@click.pass_context
def evaluate_command(ctx, source, metrics, features, n, seed, dataset,
                     output, backend):
    """Score a GAN: FID, KID, precision/recall, density/coverage and
    memorization against the real data, written to metrics.json.

    RUN_DIR_OR_MODEL is a run directory (its gan.keras, else its newest
    checkpoint, else generator.keras, and its recipe.toml for the data) or
    a saved model (then pass --dataset unless a recipe.toml is beside it).
    """
    setup_backend(_backend_of(ctx, backend))
    from keras_gans.evaluation.features import FeatureError
    from keras_gans.evaluation.scoring import EvaluationError
    from keras_gans.plugins import CatalogueError
    from keras_gans.runs.evaluate import evaluate
    from keras_gans.runs.evaluate import summary

    try:
        evaluation = evaluate(
            source, metrics=metrics, features=features, num_samples=n,
            seed=seed, dataset=_dataset_option(dataset), output=output,
            echo=click.echo,
        )
    except (EvaluationError, CatalogueError) as error:
        click.echo(f"Error: {error}", err=True)
        ctx.exit(2)
    except (FeatureError, OSError) as error:  # e.g. a failed download
        raise click.ClickException(str(error)) from None
    click.echo("")
    for line in summary(evaluation):
        click.echo(line)
    click.echo(f"Wrote {evaluation['path']}")


if __name__ == "__main__":
    main(prog_name="keras-gans")
