"""Training from a recipe into a run directory (`keras-gans run`).

A run directory holds:

- `recipe.toml`: the resolved recipe (overrides and defaults applied).
- `checkpoints/epoch_0005.keras`: the full GAN (both networks, optimizers,
  EMA weights, step counter, random stream) every `output.checkpoint_every`
  epochs and after the last one, written atomically; the newest
  `output.keep_checkpoints` are kept. `--resume` continues from the newest.
- `samples/epoch_0001.png`: samples from one fixed latent batch per epoch
  (an image grid, or a scatter plot over the real data for 2-D data).
- `logs/`: TensorBoard scalars per epoch (`tensorboard --logdir <run>/logs`).
- `generator.keras`: the final generator, with the EMA weights when the
  recipe uses an EMA (the weights `GAN.generate()` samples with).
- `gan.keras`: the final full GAN, for `keras-gans sample` and resuming.
- `metrics.json`: final losses, steps, wall time, backend and, for the 2-D
  toy datasets, the mode coverage of 2,500 samples.

Keras must be imported with the wanted backend before this module is used;
`keras_gans.cli` takes care of that.
"""

import dataclasses
import datetime
import inspect
import json
import math
import os
import time

import numpy as np

from keras_gans import images as images_module
from keras_gans.recipe import RecipeError
from keras_gans.recipe import name_and_params

__all__ = ["RunError", "RunResult", "prepare", "run", "new_run_directory"]

COVERAGE_SAMPLES = 2_500
SCATTER_REFERENCE = 2_000


class RunError(RuntimeError):
    """A run that cannot start or continue, for a reason outside the recipe
    (a missing checkpoint, a download that failed, an existing directory)."""


@dataclasses.dataclass
class Data:
    """What a recipe's dataset gave, ready for `fit()`."""

    x: object
    y: object
    sample_shape: tuple
    num_samples: int | None
    steps_per_epoch: int | None
    num_classes: int | None = None
    is_array: bool = True

    def fit_arguments(self, batch_size):
        if not self.is_array:
            return {"x": self.x}
        arguments = {"x": self.x, "batch_size": batch_size}
        if self.y is not None:
            arguments["y"] = self.y
        return arguments


@dataclasses.dataclass
class RunResult:
    """What `run()` did: where its outputs are and the final metrics."""

    directory: str
    metrics: dict
    epochs: int
    resumed_from: int | None = None
    already_complete: bool = False

    def path(self, *parts):
        return os.path.join(self.directory, *parts)


# ----------------------------------------------------------------------
# Data


def load_data(recipe, catalogue):
    """Loads the recipe's dataset; checks it against the model section.

    Raises:
        RecipeError: for a dataset that rejects its parameters or does not
            fit the model section (labels for a conditional model).
        RunError: for a dataset that fails otherwise (download, missing
            package).
    """
    data_section = recipe["data"]
    model = recipe["model"]
    name = data_section["dataset"]
    entry = catalogue.get("datasets", name, "dataset")
    try:
        loaded = entry.factory(**data_section["params"])
    except (ValueError, TypeError) as error:
        raise RecipeError(
            [f"data.params: dataset {name!r} rejected its parameters: {error}"]
        ) from error
    except Exception as error:
        raise RunError(
            f"Dataset {name!r} (plugin {entry.plugin!r}) could not be loaded: "
            f"{type(error).__name__}: {error}"
        ) from error

    x, y, is_array = _split_dataset(loaded)
    batch_size = data_section["batch_size"]
    problems = []
    if is_array:
        x = np.asarray(x)
        if x.ndim < 2 or not len(x):
            raise RecipeError(
                [f"data.dataset: {name!r} gave an array of shape {x.shape}; "
                 "expected (num_samples, ...)"]
            )
        if y is not None:
            y = np.asarray(y)
            if y.shape[:1] != x.shape[:1]:
                raise RecipeError(
                    [f"data.dataset: {name!r} gave {len(x)} samples but "
                     f"{len(y)} labels"]
                )
        if len(x) < batch_size:
            problems.append(
                f"data.batch_size: {batch_size} is more than the "
                f"{len(x)} samples of dataset {name!r}"
            )
        sample_shape = tuple(int(s) for s in x.shape[1:])
    else:
        first = _peek(x)
        first_x = first[0] if isinstance(first, (tuple, list)) else first
        sample_shape = tuple(int(s) for s in np.asarray(first_x).shape[1:])
        if y is None and isinstance(first, (tuple, list)) and len(first) > 1:
            y = "in the dataset"

    num_classes = None
    if model["conditional"]:
        if y is None:
            problems.append(
                f"model.conditional: dataset {name!r} gives no labels, which "
                "a conditional model needs; set model.conditional = false or "
                "use a dataset with labels"
            )
        elif is_array:
            if not np.issubdtype(y.dtype, np.integer) or y.ndim != 1:
                problems.append(
                    f"model.conditional: dataset {name!r} gives labels of "
                    f"dtype {y.dtype} and shape {y.shape}; a conditional "
                    "model needs integer class ids of shape (num_samples,)"
                )
            else:
                inferred = int(y.max()) + 1
                num_classes = model["num_classes"] or inferred
                if inferred > num_classes or int(y.min()) < 0:
                    problems.append(
                        f"model.num_classes: {num_classes} classes, but "
                        f"dataset {name!r} has labels {int(y.min())} .. "
                        f"{int(y.max())}"
                    )
        else:
            num_classes = model["num_classes"]
            if num_classes is None:
                problems.append(
                    "model.num_classes: required with a conditional model "
                    f"when dataset {name!r} is not a pair of arrays"
                )
    elif is_array:
        y = None  # an unconditional GAN ignores the labels
    if problems:
        raise RecipeError(problems)

    if is_array:
        if data_section["drop_remainder"] and len(x) % batch_size:
            # A partial last batch would cost one more compilation (XLA,
            # jit) every epoch; leave out a few random samples instead.
            rng = np.random.default_rng(recipe["train"]["seed"])
            kept = len(x) - len(x) % batch_size
            keep = np.sort(rng.permutation(len(x))[:kept])
            x = x[keep]
            y = None if y is None else y[keep]
        steps_per_epoch = math.ceil(len(x) / batch_size)
        num_samples = len(x)
    else:
        try:
            steps_per_epoch = len(x)
        except TypeError:
            steps_per_epoch = None
        num_samples = None
    return Data(x, y, sample_shape, num_samples, steps_per_epoch, num_classes,
                is_array)


def _split_dataset(loaded):
    """`(x, y, is_array)` from what a dataset factory returned."""
    if isinstance(loaded, np.ndarray):
        return loaded, None, True
    if isinstance(loaded, (tuple, list)) and len(loaded) == 2 and all(
        isinstance(part, np.ndarray) or _is_array_like(part) for part in loaded
    ):
        return loaded[0], loaded[1], True
    if _is_array_like(loaded):
        return np.asarray(loaded), None, True
    return loaded, None, False


def _is_array_like(value):
    return hasattr(value, "__array__") and hasattr(value, "shape")


def _peek(dataset):
    """The first batch of a tf.data dataset, PyDataset or DataLoader."""
    if hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__"):
        return dataset[0]
    return next(iter(dataset))


# ----------------------------------------------------------------------
# Model


def optimizer(config):
    """A Keras optimizer from a resolved `{name, learning_rate, ...}` table."""
    from keras_gans.recipe import _schedule_key
    from keras_gans.recipe import optimizer_classes
    from keras_gans.recipe import schedule_classes

    params = {k: v for k, v in config.items() if k != "name"}
    rate = params.get("learning_rate")
    if isinstance(rate, dict):
        schedule = schedule_classes()[_schedule_key(rate["name"])]
        params["learning_rate"] = schedule(
            **{k: v for k, v in rate.items() if k != "name"}
        )
    return optimizer_classes()[config["name"]](**params)


def build_gan(recipe, data, catalogue):
    """Builds and compiles the GAN a recipe describes.

    Raises:
        RecipeError: naming the section whose factory rejected its values.
    """
    import keras

    from keras_gans.gan import GAN

    model = recipe["model"]
    train = recipe["train"]
    keras.utils.set_random_seed(train["seed"])
    name = model["architecture"]
    arguments = dict(
        model["params"],
        latent_dim=model["latent_dim"],
        sample_shape=data.sample_shape,
    )
    if model["conditional"]:
        arguments["num_classes"] = data.num_classes
    try:
        generator, discriminator = catalogue.create(
            "architectures", name, "architecture", **arguments
        )
    except (ValueError, TypeError) as error:
        hint = ""
        if "num_classes" in str(error) and not model["conditional"]:
            hint = (" (for a conditional architecture set "
                    "model.conditional = true)")
        raise RecipeError(
            [f"model: architecture {name!r} could not be built for samples of "
             f"shape {data.sample_shape}: {error}{hint}"]
        ) from error
    try:
        gan = GAN(
            generator,
            discriminator,
            latent_dim=model["latent_dim"],
            conditional=model["conditional"],
            seed=train["seed"],
        )
    except ValueError as error:
        raise RecipeError([f"model: {error}"]) from error

    problems = []
    objects = {}
    for key, kind in (("loss", "losses"), ("penalty", "penalties")):
        config = train[key]
        if not config:
            objects[key] = None
            continue
        name, params = name_and_params(config)
        try:
            objects[key] = catalogue.create(kind, name, key, **params)
        except (ValueError, TypeError) as error:
            problems.append(f"train.{key}: {error}")
    for key in ("g_optimizer", "d_optimizer"):
        try:
            objects[key] = optimizer(train[key])
        except (ValueError, TypeError) as error:
            problems.append(f"train.{key}: {error}")
    if problems:
        raise RecipeError(problems)
    try:
        gan.compile(
            g_optimizer=objects["g_optimizer"],
            d_optimizer=objects["d_optimizer"],
            loss=objects["loss"],
            penalty=objects["penalty"],
            d_steps=train["d_steps"],
            ema=train["ema"] if train["ema"] is not False else None,
            jit_compile=train["jit_compile"],
        )
    except ValueError as error:
        raise RecipeError([f"train: {error}"]) from error
    return gan


def plan_epochs(recipe, data):
    """The run's total number of epochs (from epochs, or steps)."""
    train = recipe["train"]
    if "epochs" in train:
        return train["epochs"]
    if data.steps_per_epoch is None:
        raise RecipeError(
            [f"train.steps: dataset {recipe['data']['dataset']!r} has no "
             "length, so steps cannot be turned into epochs; set "
             "train.epochs instead"]
        )
    return math.ceil(train["steps"] / data.steps_per_epoch)


# ----------------------------------------------------------------------
# Preparing and running


@dataclasses.dataclass
class Prepared:
    """A recipe checked against its data and model, before any output."""

    recipe: object
    data: Data
    gan: object
    epochs: int
    directory: str
    initial_epoch: int = 0
    checkpoint: str | None = None
    notes: list = dataclasses.field(default_factory=list)


def new_run_directory(recipe, now=None):
    """`<output.dir>/<name>-<YYYYmmdd-HHMMSS>`, made unique with a suffix."""
    now = now or datetime.datetime.now()
    base = os.path.join(
        recipe["output"]["dir"],
        f"{_safe_name(recipe.name)}-{now:%Y%m%d-%H%M%S}",
    )
    path, counter = base, 2
    while os.path.exists(path):
        path, counter = f"{base}-{counter}", counter + 1
    return path


def _safe_name(name):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def prepare(recipe, output=None, resume=False, catalogue=None):
    """Loads the data and builds (or, resuming, loads) the GAN.

    Nothing is written: a recipe whose values a factory rejects fails here,
    before a run directory exists.

    Raises:
        RecipeError: for problems in the recipe's values.
        RunError: for a run that cannot start or resume.
    """
    if catalogue is None:
        from keras_gans import plugins

        catalogue = plugins.catalogue()
    if resume and output is None:
        raise RunError("--resume needs --output, the run directory to "
                       "continue.")
    directory = os.fspath(output) if output else new_run_directory(recipe)
    if not resume and os.path.isdir(directory) and os.listdir(directory):
        raise RunError(
            f"The run directory {directory} already exists and is not empty. "
            "Pass --resume to continue it, or choose another --output."
        )
    data = load_data(recipe, catalogue)
    conditional = recipe["model"]["conditional"]
    if conditional:
        # The resolved recipe records the number of classes it trained with.
        recipe["model"]["num_classes"] = data.num_classes
    epochs = plan_epochs(recipe, data)
    if not resume:
        gan = build_gan(recipe, data, catalogue)
        return Prepared(recipe, data, gan, epochs, directory)

    from keras_gans.callbacks import list_checkpoints

    checkpoints = list_checkpoints(os.path.join(directory, "checkpoints"))
    if not checkpoints:
        raise RunError(
            f"No checkpoint to resume from in {directory}/checkpoints "
            "(expected files like epoch_0001.keras)."
        )
    initial_epoch, path = checkpoints[-1]
    gan = load_model(path)
    if tuple(gan.sample_shape) != data.sample_shape:
        raise RunError(
            f"The checkpoint {path} makes samples of shape {gan.sample_shape},"
            f" but the recipe's data has shape {data.sample_shape}."
        )
    if gan.conditional != conditional:
        raise RunError(
            f"The checkpoint {path} is "
            f"{'' if gan.conditional else 'un'}conditional but the recipe "
            f"sets model.conditional = {str(conditional).lower()}."
        )
    notes = _frozen_changes(recipe, os.path.join(directory, "recipe.toml"))
    return Prepared(recipe, data, gan, epochs, directory, initial_epoch, path,
                    notes)


# What a checkpoint fixes: changing these in the recipe has no effect on a
# resumed run.
FROZEN = (
    ("model",),
    ("train", "loss"),
    ("train", "penalty"),
    ("train", "d_steps"),
    ("train", "ema"),
    ("train", "g_optimizer"),
    ("train", "d_optimizer"),
)


def _frozen_changes(recipe, saved_path):
    """Notes on recipe values a resumed run takes from its checkpoint."""
    from keras_gans.recipe import _for_toml
    from keras_gans.recipe import tomllib

    try:
        with open(saved_path, "rb") as file:
            saved = tomllib.load(file)
    except (OSError, ValueError):
        return []
    current = _for_toml(recipe.data)  # as it would be saved
    changed = []
    for path in FROZEN:
        old, new = saved, current
        for key in path:
            old = old.get(key) if isinstance(old, dict) else None
            new = new.get(key) if isinstance(new, dict) else None
        if old is not None and old != new:
            changed.append(".".join(path))
    if not changed:
        return []
    verb = "differs" if len(changed) == 1 else "differ"
    return [
        f"Note: {', '.join(changed)} {verb} from the run's recipe.toml; the "
        "checkpoint's model, loss and optimizers are used."
    ]


def load_model(path):
    """Loads a saved GAN or generator, with the plugins' classes registered."""
    import keras

    from keras_gans import plugins
    import keras_gans.gan  # noqa: F401 - registers the GAN class

    plugins.catalogue()  # imports plugins, registering their serializables
    return keras.models.load_model(path)


def run(prepared, echo=print, verbose="auto"):
    """Trains a prepared run and writes its outputs.

    Args:
        prepared: from `prepare`.
        echo: prints one line of progress (Keras prints the bar itself).
        verbose: passed to `fit()`.

    Returns:
        A `RunResult`.
    """
    import keras

    from keras_gans import callbacks as callbacks_module
    from keras_gans import plugins

    started = time.time()
    recipe, data, gan = prepared.recipe, prepared.data, prepared.gan
    directory = prepared.directory
    train, output = recipe["train"], recipe["output"]
    epochs, initial_epoch = prepared.epochs, prepared.initial_epoch
    steps_done = gan.steps
    total_steps = train.get("steps")

    complete = initial_epoch >= epochs or (
        total_steps is not None and steps_done >= total_steps
    )
    os.makedirs(directory, exist_ok=True)
    _write_text(os.path.join(directory, "recipe.toml"), recipe.to_toml())
    if prepared.checkpoint:
        echo(f"Resuming from {prepared.checkpoint} (epoch {initial_epoch}, "
             f"{steps_done} steps).")
    for note in prepared.notes:
        echo(note)
    if complete:
        echo(f"The run is already complete ({initial_epoch} of {epochs} "
             "epochs); writing the final outputs again.")
    else:
        keras.utils.set_random_seed(train["seed"] + initial_epoch)

    labels = None
    if gan.conditional:
        labels = np.arange(output["samples"]) % data.num_classes
    picture_kwargs = _picture_kwargs(recipe, data, plugins.catalogue())
    callbacks = [
        callbacks_module.TensorBoardScalars(os.path.join(directory, "logs")),
        callbacks_module.SampleGrid(
            os.path.join(directory, "samples"),
            n=output["samples"],
            seed=output["sample_seed"],
            labels=labels,
            every=output["sample_every"],
            last_epoch=epochs,
            picture_kwargs=picture_kwargs,
        ),
        callbacks_module.Checkpoint(
            os.path.join(directory, "checkpoints"),
            every=output["checkpoint_every"],
            keep=output["keep_checkpoints"],
            last_epoch=epochs,
        ),
    ]
    if total_steps is not None:
        callbacks.append(callbacks_module.StopAtStep(total_steps, steps_done))
    catalogue = plugins.catalogue()
    for item in train["callbacks"]:
        params = {k: v for k, v in item.items() if k != "name"}
        callbacks.append(
            catalogue.create("callbacks", item["name"], "callback", **params)
        )

    final_logs = {}
    fit_seconds = 0.0
    if not complete:
        echo(
            f"Training {recipe['model']['architecture']} on "
            f"{recipe['data']['dataset']} for epochs {initial_epoch + 1}.."
            f"{epochs} on {keras.backend.backend()}; outputs in {directory}"
        )
        fit_started = time.time()
        history = gan.fit(
            **data.fit_arguments(recipe["data"]["batch_size"]),
            epochs=epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose=verbose,
        )
        fit_seconds = time.time() - fit_started
        final_logs = {
            key: float(values[-1]) for key, values in history.history.items()
            if values
        }
    completed = epochs if not complete else initial_epoch

    callbacks_module.atomic_save(gan, os.path.join(directory, "gan.keras"))
    _save_generator(gan, os.path.join(directory, "generator.keras"))
    metrics = {
        "recipe": recipe.name,
        "backend": keras.backend.backend(),
        "keras_version": keras.__version__,
        "epochs": completed,
        "steps": gan.steps,
        "final_epoch": final_logs,
        "wall_time_s": round(time.time() - started, 3),
        "fit_time_s": round(fit_seconds, 3),
    }
    if prepared.checkpoint:
        metrics["resumed_from_epoch"] = initial_epoch
    modes = _toy_modes(recipe, catalogue)
    if modes is not None and tuple(gan.sample_shape) == (2,):
        from keras_gans.metrics import mode_coverage

        centers, std = modes
        coverage_labels = None
        if labels is not None:
            coverage_labels = np.arange(COVERAGE_SAMPLES) % data.num_classes
        samples = gan.generate(COVERAGE_SAMPLES,
                               seed=output["sample_seed"] + 1,
                               labels=coverage_labels)
        coverage = mode_coverage(samples, centers, std=std)
        metrics["mode_coverage"] = dict(coverage.as_dict(),
                                        samples=COVERAGE_SAMPLES)
    _write_text(
        os.path.join(directory, "metrics.json"),
        json.dumps(_finite(metrics), indent=2, default=_json_default) + "\n",
    )
    return RunResult(
        directory,
        metrics,
        completed,
        resumed_from=initial_epoch if prepared.checkpoint else None,
        already_complete=complete,
    )


def _picture_kwargs(recipe, data, catalogue):
    """Reference data and mode centers for 2-D scatter plots."""
    if data.sample_shape != (2,) or not data.is_array:
        return {}
    rng = np.random.default_rng(0)
    count = min(SCATTER_REFERENCE, len(data.x))
    reference = data.x[rng.choice(len(data.x), count, replace=False)]
    kwargs = {
        "reference": reference,
        "bounds": images_module.plot_bounds(reference),
    }
    modes = _toy_modes(recipe, catalogue)
    if modes is not None:
        kwargs["centers"] = modes[0]
    return kwargs


def _toy_modes(recipe, catalogue):
    """`(centers, std)` for the built-in ring and grid datasets, else None."""
    from keras_gans import datasets
    from keras_gans.plugins import BUILTIN_PLUGIN

    name = recipe["data"]["dataset"]
    if name not in ("ring", "grid"):
        return None
    try:
        entry = catalogue.get("datasets", name)
    except Exception:
        return None
    if entry.plugin != BUILTIN_PLUGIN:
        return None
    arguments = {
        key: parameter.default
        for key, parameter in
        inspect.signature(entry.factory).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    arguments.update(recipe["data"]["params"])
    if name == "ring":
        centers = datasets.ring_centers(arguments["num_modes"],
                                        arguments["radius"])
    else:
        centers = datasets.grid_centers()
    return centers, float(arguments["std"])


def _save_generator(gan, path):
    """Saves G with the EMA weights, when there are any (what generate uses).

    `GAN.ema_weights` holds the averages, one per trainable variable of
    the generator, in the same order.
    """
    import keras

    from keras_gans.callbacks import atomic_save

    averages = gan.ema_weights
    variables = gan.generator.trainable_variables
    if not averages or len(averages) != len(variables):
        return atomic_save(gan.generator, path)
    originals = [keras.ops.convert_to_numpy(v) for v in variables]
    try:
        for variable, average in zip(variables, averages):
            variable.assign(average.value)
        return atomic_save(gan.generator, path)
    finally:
        for variable, original in zip(variables, originals):
            variable.assign(original)


def _write_text(path, text):
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _finite(value):
    """Non-finite floats as strings ("inf", "nan"): JSON has no such
    numbers."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
