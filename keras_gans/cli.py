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

import importlib.util
import json
import os
import sys

import click

from keras_gans import __version__
from keras_gans.regular_files import check_replaceable
from keras_gans.regular_files import read_regular
from keras_gans.recipe import LIMITS

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

    from keras_gans.recipe import known_keys

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
    from keras_gans import recipe as recipe_module
    from keras_gans import resume as resume_module
    from keras_gans import run as run_module

    try:
        recipe = recipe_module.load(recipe_path, overrides)
        prepared = run_module.prepare(recipe, output=output, resume=resume)
    except recipe_module.RecipeError as error:
        if error.source is None:
            error = recipe_module.RecipeError(error.problems, recipe_path)
        _exit_invalid(ctx, error)
    except run_module.RunError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"{recipe_path}: {error}") from None

    logs = os.path.join(prepared.directory, "logs")
    click.echo(f"Watch training with:\n  tensorboard --logdir {logs}")
    try:
        # Keras' bar in a terminal; one line per epoch in a log file.
        verbose = 1 if sys.stdout.isatty() else 2
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
    samples = sorted(os.listdir(os.path.join(directory, "samples"))) if (
        os.path.isdir(os.path.join(directory, "samples"))) else []
    rows = [
        ("recipe", "recipe.toml"),
        ("samples", os.path.join("samples", samples[-1]) if samples else None),
        ("checkpoints", "checkpoints/"),
        ("generator", "generator.keras"),
        ("full GAN", "gan.keras"),
        ("metrics", "metrics.json"),
    ]
    for label, name in rows:
        if name:
            click.echo(f"  {label + ':':<13}{os.path.join(directory, name)}")
    click.echo("Training curves:")
    click.echo(f"  tensorboard --logdir {os.path.join(directory, 'logs')}")
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
    import numpy as np

    from keras_gans import images as images_module
    from keras_gans import run as run_module

    model_path, run_dir = _model_path(source)
    try:
        model = run_module.load_model(model_path)
    except Exception as error:
        raise click.ClickException(
            f"Could not load {model_path}: {type(error).__name__}: {error}"
        ) from None
    gan = model if hasattr(model, "generate") else None
    generator = gan.generator if gan is not None else model
    conditional = _is_conditional(gan, generator, run_dir)
    if label_list is not None and not conditional:
        raise click.UsageError(
            "This model is unconditional and takes no --labels."
        )
    classes = _num_classes(run_dir, generator, gan) if conditional else None
    if conditional:
        classes = _num_classes(run_dir, generator)
        if not label_list:
            if classes is None:
                raise click.UsageError(
                    "This model is conditional: pass --labels (the number of "
                    "classes could not be found)."
                )
            label_list = list(range(classes))
        outside = [label for label in label_list
                   if label < 0 or (classes is not None and label >= classes)]
        if outside:
            known = f"0 to {classes - 1}" if classes else "0 or more"
            raise click.BadParameter(
                f"class ids are {known}; got {outside[0]}",
                param_hint="--labels",
            )
        label_array = np.resize(np.asarray(label_list, dtype="int32"), n)
    else:
        label_array = None

    if gan is not None:
        try:
            samples = gan.generate(n, seed=seed, labels=label_array)
        except ValueError as error:  # e.g. a label outside the classes
            raise click.UsageError(str(error)) from None
    else:
        samples = _generate_with(generator, n, seed, label_array,
                                 num_classes=classes)
    kwargs = {}
    if samples.ndim == 2 and samples.shape[1] == 2:
        modes = _run_modes(run_dir)
        if modes is not None:
            kwargs["centers"] = modes
    elif columns:
        kwargs["columns"] = min(columns, n)
    picture = images_module.picture(samples, **kwargs)
    if picture is None:
        raise click.ClickException(
            f"Samples of shape {samples.shape[1:]} are neither images nor "
            "2-D points; nothing to draw."
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


def _model_path(source):
    """`(model file, run directory or None)` for `sample`'s argument.

    A file inside a run directory (its generator.keras, a checkpoint) finds
    the run by the recipe.toml beside it or one level up.
    """
    if os.path.isfile(source):
        parent = os.path.dirname(os.path.abspath(source))
        for candidate in (parent, os.path.dirname(parent)):
            if os.path.isfile(os.path.join(candidate, "recipe.toml")):
                return source, candidate
        return source, None
    from keras_gans.checkpoints import latest_checkpoint

    gan_path = os.path.join(source, "gan.keras")
    if os.path.isfile(gan_path):
        return gan_path, source
    checkpoint, _ = latest_checkpoint(os.path.join(source, "checkpoints"),
                                      echo=lambda line: click.echo(line,
                                                                   err=True))
    if checkpoint:
        return checkpoint, source
    generator_path = os.path.join(source, "generator.keras")
    if os.path.isfile(generator_path):
        return generator_path, source
    raise click.ClickException(
        f"{source} holds no gan.keras, checkpoint or generator.keras."
    )


def _is_conditional(gan, generator, run_dir=None):
    if gan is not None:
        return bool(gan.conditional)
    if ((_run_recipe(run_dir) or {}).get("model") or {}).get(
        "label_mode"
    ) == "one_hot_concat":
        return True  # one input: z joined with the one-hot labels
    try:
        return len(generator.inputs) == 2
    except (AttributeError, TypeError, ValueError):
        return False


def _run_recipe(run_dir):
    if run_dir is None:
        return None
    path = os.path.join(run_dir, "recipe.toml")
    if not os.path.isfile(path):
        return None
    from keras_gans.recipe import RecipeError
    from keras_gans.recipe import read

    try:  # any file there: too deep for tomllib, binary, ...
        return read(path)
    except RecipeError:
        return None


def _num_classes(run_dir, generator, gan=None):
    """Classes of a conditional generator: from the GAN, the run's recipe,
    else its label embedding."""
    if getattr(gan, "num_classes", None):
        return int(gan.num_classes)
    recipe = _run_recipe(run_dir)
    classes = ((recipe or {}).get("model") or {}).get("num_classes")
    if isinstance(classes, int) and classes > 0:
        return classes
    import keras

    for layer in getattr(generator, "layers", []):
        if isinstance(layer, keras.layers.Embedding):
            return int(layer.input_dim)
        if isinstance(layer, keras.layers.CategoryEncoding):
            return int(layer.num_tokens)
    return None


def _run_modes(run_dir):
    recipe = _run_recipe(run_dir)
    if not recipe:
        return None
    from keras_gans import plugins
    from keras_gans import run as run_module

    try:
        modes = run_module._toy_modes(recipe, plugins.catalogue())
    except Exception:
        return None
    return None if modes is None else modes[0]


def _generate_with(generator, n, seed, labels, batch_size=256,
                   num_classes=None):
    """Samples from a bare generator, drawing z as `GAN.generate` does.

    A single-input generator given labels reads z joined with the one-hot
    labels (`label_mode="one_hot_concat"`; `num_classes` needed).
    """
    import keras
    import numpy as np

    from keras_gans import labels as labels_module

    mode = None
    latent_dim = int(generator.inputs[0].shape[-1])
    if labels is not None:
        mode = labels_module.INDEX
        if labels_module.number_of_inputs(generator) == 1:
            mode = labels_module.ONE_HOT_CONCAT
            latent_dim -= num_classes
    z = np.random.default_rng(seed).standard_normal(
        (n, latent_dim), dtype=np.float32
    )
    batches = []
    for start in range(0, n, batch_size):
        y = None
        if labels is not None:
            y = labels_module.encode(labels[start : start + batch_size], mode,
                                     num_classes)
        inputs = labels_module.generator_inputs(
            keras.ops.convert_to_tensor(z[start : start + batch_size]), y,
            mode,
        )
        out = generator(inputs, training=False)
        batches.append(keras.ops.convert_to_numpy(out).astype("float32"))
    return np.concatenate(batches)


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
        from keras_gans.scaffold import scaffold_plugin
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


# `keras-gans evaluate` lives with the evaluation logic it drives.
from keras_gans.evaluate import evaluate_command  # noqa: E402

main.add_command(evaluate_command)


if __name__ == "__main__":
    main(prog_name="keras-gans")
