"""Training from a recipe into a run directory (`keras_gans.train`).

`prepare` claims the run directory (`runs.directory.RunDirectory`, which
knows its layout), loads the data and builds or, resuming, loads the GAN;
`run` trains it with the callbacks of `keras_gans.training` and writes the
final models and metrics.json.

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
import warnings

import numpy as np

from keras_gans import files
from keras_gans import images as images_module
from keras_gans.datasets.arrays import peek
from keras_gans.runs.directory import RunDirectory
from keras_gans.runs.errors import RunError
from keras_gans.datasets.arrays import split_dataset
from keras_gans.datasets.streaming import is_streamed
from keras_gans.runs.recipe import _for_toml
from keras_gans.runs.recipe import RecipeError

__all__ = ["RunError", "RunResult", "prepare", "run", "new_run_directory"]

COVERAGE_SAMPLES = 2_500
RESUME_NEEDS_OUTPUT = ("Resuming needs `output`, the run directory to "
                       "continue.")
SCATTER_REFERENCE = 2_000


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
    # (path, reason) of the files the dataset left out (SkippedFilesWarning)
    skipped: list = dataclasses.field(default_factory=list)
    # Images read a batch at a time (datasets.streaming), by `workers`
    # threads; `flip`: random left-right flips (training.batches).
    streamed: bool = False
    workers: int = 1
    flip: bool = False
    # The data checks (runs.data_checks): the range the dataset promised
    # when it kept bad values for them, every sample's label (also for an
    # unconditional model), the report, and what cleaning removed.
    declared_range: tuple | None = None
    labels: object = None
    checks: object = None
    removed: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RunResult:
    """What `run()` did: where its outputs are and the final metrics."""

    directory: str
    metrics: dict
    epochs: int
    resumed_from: int | None = None
    already_complete: bool = False
    # False in a process other than the chief of a multi-process run: its
    # `directory` was a temporary copy, removed (runs.distributed).
    chief: bool = True

    def path(self, *parts):
        return os.path.join(self.directory, *parts)


# ----------------------------------------------------------------------
# Data


def load_data(recipe, catalogue):
    """Loads the recipe's dataset; checks it against the model section.

    The data checks (`data.check`, `runs.data_checks`) are not run here:
    a run runs them once the memory check has passed (`prepare`).

    Raises:
        RecipeError: for a dataset that rejects its parameters or does not
            fit the model section (labels for a conditional model).
        RunError: for a dataset that fails otherwise (download, missing
            package).
    """
    return batch_data(recipe, read_data(recipe, catalogue))


def read_data(recipe, catalogue, for_checks=False, list_unreadable=False):
    """Reads the recipe's dataset and checks it against the model section,
    without batching it (`batch_data`).

    With `for_checks` a dataset that can keep bad values for the data
    checks to list (`npz`'s `bad_values="keep"`) is asked to; with
    `list_unreadable` (`keras-gans check-data`) one that can skip
    unreadable files is asked to, so that all of them are listed.
    """
    data_section = recipe.data
    model = recipe.model
    name = data_section.dataset
    entry = catalogue.get("datasets", name, "dataset")
    _default_data_seed(entry.factory, data_section, recipe.train.seed)
    lenient = {}
    if for_checks:
        from keras_gans.runs import data_checks

        lenient = data_checks.lenient_arguments(
            entry.factory, data_section.params, list_unreadable)
    try:
        loaded, skipped = _call_dataset(entry.factory,
                                        {**data_section.params, **lenient})
    except (ValueError, TypeError) as error:
        raise RecipeError(
            [f"data.params: dataset {name!r} rejected its parameters: {error}"]
        ) from error
    except Exception as error:
        raise RunError(
            f"Dataset {name!r} (plugin {entry.plugin!r}) could not be loaded: "
            f"{type(error).__name__}: {error}"
        ) from error

    x, y, is_array = split_dataset(loaded)
    problems = []
    streamed = is_streamed(x)
    if is_array:
        x = x if streamed else np.asarray(x)
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
        if len(x) < data_section.batch_size:
            problems.append(
                f"data.batch_size: {data_section.batch_size} is more than "
                f"the {len(x)} samples of dataset {name!r}"
            )
        sample_shape = tuple(int(s) for s in x.shape[1:])
    else:
        first = peek(x)
        first_x = first[0] if isinstance(first, (tuple, list)) else first
        sample_shape = tuple(int(s) for s in np.asarray(first_x).shape[1:])
        if y is None and isinstance(first, (tuple, list)) and len(first) > 1:
            y = "in the dataset"

    num_classes = None
    if model.conditional:
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
                num_classes = model.num_classes or inferred
                if inferred > num_classes or int(y.min()) < 0:
                    problems.append(
                        f"model.num_classes: {num_classes} classes, but "
                        f"dataset {name!r} has labels {int(y.min())} .. "
                        f"{int(y.max())}"
                    )
        else:
            num_classes = model.num_classes
            if num_classes is None:
                problems.append(
                    "model.num_classes: required with a conditional model "
                    f"when dataset {name!r} is not a pair of arrays"
                )
    labels = y if is_array else None
    if not model.conditional and is_array:
        y = None  # an unconditional GAN ignores the labels
    if problems:
        raise RecipeError(problems)
    if data_section.flip and len(sample_shape) != 3:
        raise RecipeError(
            [f"data.flip: flips images (height, width, channels), but "
             f"dataset {name!r} gives samples of shape {sample_shape}; set "
             "data.flip = false"])
    if data_section.flip and not is_array:
        raise RecipeError(
            [f"data.flip: dataset {name!r} is not an array, so its batches "
             "cannot be flipped here; flip them in the dataset, or set "
             "data.flip = false"])
    return Data(x, y, sample_shape, None, None, num_classes,
                is_array, skipped, streamed,
                data_section.workers if streamed else 1,
                data_section.flip,
                declared_range=(-1.0, 1.0) if "bad_values" in lenient
                else None,
                labels=labels)


def batch_data(recipe, data):
    """`data` with its number of batches per epoch; for arrays, a partial
    last batch left out (`data.drop_remainder`).

    Raises:
        RecipeError: for a batch larger than what `data.clean` left.
    """
    data_section = recipe.data
    batch_size = data_section.batch_size
    x, y = data.x, data.y
    if data.is_array:
        if len(x) < batch_size:
            raise RecipeError(
                [f"data.batch_size: {batch_size} is more than the "
                 f"{len(x)} samples of dataset {data_section.dataset!r} "
                 f"that data.clean left ({len(data.removed)} removed)"])
        if data_section.drop_remainder and len(x) % batch_size:
            # A partial last batch would cost one more compilation (XLA,
            # jit) every epoch; leave out a few random samples instead.
            rng = np.random.default_rng(recipe.train.seed)
            kept = len(x) - len(x) % batch_size
            keep = np.sort(rng.permutation(len(x))[:kept])
            x = x.take(keep) if data.streamed else x[keep]
            y = None if y is None else y[keep]
        steps_per_epoch = math.ceil(len(x) / batch_size)
        num_samples = len(x)
    else:
        try:
            steps_per_epoch = len(x)
        except TypeError:
            steps_per_epoch = None
        num_samples = None
    return dataclasses.replace(data, x=x, y=y, num_samples=num_samples,
                               steps_per_epoch=steps_per_epoch)


def _default_data_seed(factory, data_section, seed):
    """Gives a dataset whose `seed` defaults to None (fresh random data on
    every call, like `ring` and `grid`) the recipe's `train.seed` when
    `data.params` sets none, and records it there (the resolved recipe
    shows it): two runs of one recipe then train on the same data, and a
    resumed run on the data it was interrupted on."""
    if "seed" in data_section.params:
        return
    try:
        parameter = inspect.signature(factory).parameters.get("seed")
    except (TypeError, ValueError):
        return
    if parameter is not None and parameter.default is None:
        data_section.params["seed"] = seed


def _call_dataset(factory, params):
    """`(what a dataset factory gave, the files it skipped)`.

    Its `SkippedFilesWarning`s are collected (the run lists the files in
    its directory); other warnings are passed on.
    """
    from keras_gans.datasets import SkippedFilesWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = factory(**params)
    skipped = []
    for warning in caught:
        if isinstance(warning.message, SkippedFilesWarning):
            skipped += warning.message.files
        else:
            warnings.warn_explicit(warning.message, warning.category,
                                   warning.filename, warning.lineno)
    return loaded, skipped


def _list_skipped(skipped, directory, echo):
    """Writes `skipped_files.txt` (path, tab, reason per line); says so."""
    path = RunDirectory(directory).skipped_files_path
    files.write_text(path, "".join(f"{name}\t{reason}\n"
                                   for name, reason in skipped))
    first = ", ".join(name for name, _ in skipped[:3])
    more = f" and {len(skipped) - 3:,} more" if len(skipped) > 3 else ""
    echo(f"The dataset skipped {len(skipped):,} file(s) it could not use "
         f"({first}{more}); all are listed in {path}.")


# ----------------------------------------------------------------------
# Model


def optimizer(config):
    """A Keras optimizer from a resolved `{name, learning_rate, ...}` table."""
    from keras_gans.runs.recipe import _schedule_key
    from keras_gans.runs.recipe import optimizer_classes
    from keras_gans.runs.recipe import schedule_classes

    params = {k: v for k, v in config.items() if k != "name"}
    rate = params.get("learning_rate")
    if isinstance(rate, dict):
        schedule = schedule_classes()[_schedule_key(rate["name"])]
        params["learning_rate"] = schedule(
            **{k: v for k, v in rate.items() if k != "name"}
        )
    return optimizer_classes()[config["name"]](**params)


def build_model(recipe, data, catalogue, privacy=None):
    """Builds and compiles the model a recipe describes: a GAN, or a VAE
    for `model.kind = "vae"` (`runs.kinds`). `privacy`: the GAN's DP-SGD
    mechanism (`runs.privacy.plan(...).privacy`), or None.

    Raises:
        RecipeError: naming the section whose factory rejected its values.
    """
    from keras_gans.runs import kinds

    if recipe.model.kind != kinds.VAE:
        return build_gan(recipe, data, catalogue, privacy)
    try:
        chosen = optimizer(recipe.train.optimizer.to_value())
    except (ValueError, TypeError) as error:
        raise RecipeError([f"train.optimizer: {error}"]) from error
    return kinds.build_vae(recipe, data, catalogue,
                           architecture_arguments(recipe.model, data), chosen)


def architecture_arguments(model, data):
    """What the architecture factory is called with: the recipe's
    `model.params`, the latent size, the data's sample shape and classes,
    and the label mode when it is `"one_hot_concat"`."""
    arguments = dict(
        model.params,
        latent_dim=model.latent_dim,
        sample_shape=data.sample_shape,
    )
    if model.conditional:
        arguments["num_classes"] = data.num_classes
    if model.label_mode == "one_hot_concat":
        arguments["label_mode"] = model.label_mode
    return arguments


def build_gan(recipe, data, catalogue, privacy=None):
    """Builds and compiles the GAN a recipe describes (with `privacy`, a
    `keras_gans.privacy.Privacy`: DP-SGD on the discriminator).

    Raises:
        RecipeError: naming the section whose factory rejected its values.
    """
    import keras

    from keras_gans.gan import GAN

    model = recipe.model
    train = recipe.train
    keras.utils.set_random_seed(train.seed)
    name = model.architecture
    arguments = architecture_arguments(model, data)
    try:
        generator, discriminator = catalogue.create(
            "architectures", name, "architecture", **arguments
        )
    except (ValueError, TypeError) as error:
        hint = ""
        if "num_classes" in str(error) and not model.conditional:
            hint = (" (for a conditional architecture set "
                    "model.conditional = true)")
        raise RecipeError(
            [f"model: architecture {name!r} could not be built for samples of "
             f"shape {data.sample_shape}: {error}{hint}"]
        ) from error
    augment = _augmentation(train.augment, catalogue)
    try:
        gan = GAN(
            generator,
            discriminator,
            latent_dim=model.latent_dim,
            augment=augment,
            conditional=model.conditional,
            seed=train.seed,
            label_mode=model.label_mode,
            num_classes=data.num_classes if model.conditional else None,
        )
    except ValueError as error:
        raise RecipeError([f"model: {error}"]) from error

    problems = []
    objects = {}
    for key, kind in (("loss", "losses"), ("penalty", "penalties")):
        named = getattr(train, key)
        if named is None:
            objects[key] = None
            continue
        try:
            objects[key] = catalogue.create(kind, named.name, key,
                                            **named.params)
        except (ValueError, TypeError) as error:
            problems.append(f"train.{key}: {error}")
    for key in ("g_optimizer", "d_optimizer"):
        try:
            objects[key] = optimizer(getattr(train, key).to_value())
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
            d_steps=train.d_steps,
            ema=train.ema,
            jit_compile=train.jit_compile,
            privacy=privacy,
        )
    except ValueError as error:
        raise RecipeError([f"train: {error}"]) from error
    return gan


def _augmentation(named, catalogue):
    """The augmentation `train.augment` names, or None when it is off."""
    if named is None:
        return None
    try:
        return catalogue.create("augmentations", named.name, "augment",
                                **named.params)
    except (ValueError, TypeError) as error:
        raise RecipeError([f"train.augment: {error}"]) from error


def check_memory(recipe, data, catalogue, available=None):
    """Refuses a recipe whose model and pictures cannot fit in memory.

    Estimated from the recipe's numbers before anything is built
    (`keras_gans.resources`): parameter counts of a built-in architecture,
    times the copies training keeps, plus a batch and the sample grid.

    Args:
        available: `(bytes, source)` to check against; None reads the
            memory available now.

    Raises:
        RecipeError: naming the estimate, its parts and the limit.
    """
    from keras_gans import resources

    model, train = recipe.model, recipe.train
    entry = catalogue.get("architectures", model.architecture,
                          "architecture")
    arguments = dict(model.params, latent_dim=model.latent_dim,
                     sample_shape=data.sample_shape)
    if model.conditional:
        arguments["num_classes"] = data.num_classes
    optimizers = (train.g_optimizer, train.d_optimizer)
    ema = train.ema is not None
    if model.kind == "vae":  # decoder and encoder, one optimizer
        arguments["kind"] = model.kind
        optimizers, ema = (train.optimizer, train.optimizer), False
    counts = resources.parameter_counts(entry.factory, **arguments) or (
        None, None)
    estimate = resources.training_memory(
        *counts,
        latent_dim=model.latent_dim,
        sample_shape=data.sample_shape,
        batch_size=recipe.data.batch_size,
        samples=recipe.output.samples,
        g_slots=resources.optimizer_slots(optimizers[0].to_value()),
        d_slots=resources.optimizer_slots(optimizers[1].to_value()),
        ema=ema,
    )
    try:
        resources.check_fits(
            estimate, "Training this recipe",
            "Lower model.latent_dim, the network sizes in model.params, "
            "data.batch_size or output.samples. (On a GPU the model must "
            "also fit in the device's memory.)", available)
    except resources.MemoryLimitError as error:
        raise RecipeError([f"model: {error}"]) from None


def plan_epochs(recipe, data):
    """The run's total number of epochs (from epochs, or steps)."""
    train = recipe.train
    if train.steps is None:
        return train.epochs
    if data.steps_per_epoch is None:
        raise RecipeError(
            [f"train.steps: dataset {recipe.data.dataset!r} has no "
             "length, so steps cannot be turned into epochs; set "
             "train.epochs instead"]
        )
    return math.ceil(train.steps / data.steps_per_epoch)


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
    batch: int = 0  # the first batch of `initial_epoch` still to train
    claim: object = None  # the run directory's lock (`run_directory`)
    # From the checkpoint: rollbacks so far, and each earlier resume.
    rollbacks: int = 0
    resumes: list = dataclasses.field(default_factory=list)
    privacy: object = None  # runs.privacy.PrivacyPlan of a DP-SGD run
    # The devices and processes (keras_gans.backend.distribution); set by
    # `prepare`, closed when `run` ends.
    distribution: object = None


def new_run_directory(recipe, now=None):
    """Creates `<output.dir>/<name>-<YYYYmmdd-HHMMSS>` (with a suffix when
    taken) and returns its path.

    Raises:
        RunDirectoryError: when it cannot be created.
    """
    return RunDirectory.new(recipe.output.dir, recipe.name, now).path


def prepare(recipe, output=None, resume=False, catalogue=None):
    """Sets up the devices, claims the run directory, loads the data and
    builds (or, resuming, loads) the GAN.

    The recipe's `[distribution]` is set up first of all
    (`runs.distributed`), and a global batch that does not split over its
    replicas is refused before anything else. The GAN is built or loaded
    in the distribution's scope. In a multi-process run only the chief
    claims the run directory; every other process writes into a temporary
    folder of its own and, resuming, reads the chief's newest checkpoint.

    The run directory is claimed first (`keras_gans.runs.directory`):
    created for a new run, locked against other processes for the whole
    run, checked writable, so nothing expensive is done for a directory
    that cannot be used. Nothing else is written: a recipe whose values a
    factory rejects fails here, and a directory this call created is
    removed again. (Resuming removes the temporary files of checkpoint
    writes a crash cut off.)

    Raises:
        RecipeError: for problems in the recipe's values.
        RunError: for a run that cannot start or resume.
    """
    if catalogue is None:
        from keras_gans import plugins

        catalogue = plugins.catalogue()
    if resume and output is None:
        raise RunError(RESUME_NEEDS_OUTPUT, reason="resume_needs_output")
    from keras_gans.runs import distributed

    distributed.check_requested(recipe)
    distribution = distributed.start(recipe)
    try:
        distributed.check(distribution, recipe)
        distributed.needs_output(distribution, output)
        if not resume and recipe.train.init_from is not None:
            from keras_gans.runs import init_from

            init_from.check_source(recipe.train.init_from)  # before any work
        claim = _claim(recipe, output, resume, distribution)
    except BaseException:
        distribution.close()
        raise
    source = getattr(claim, "run_directory", claim.directory)
    try:
        with distribution.scope():
            prepared = _prepare(recipe, claim.directory, resume, catalogue,
                                source, distribution)
        distribution.synchronize(prepared.gan)
    except OSError as error:
        claim.abandon()
        distribution.close()
        raise _file_error(error, claim.directory) from error
    except BaseException:
        claim.abandon()
        distribution.close()
        raise
    prepared.claim = claim
    prepared.distribution = distribution
    return prepared


def _claim(recipe, output, resume, distribution):
    """Creates or opens the run directory and locks it for this process;
    a process other than the chief gets a `runs.distributed.Workspace`."""
    from keras_gans.runs import directory as run_directory

    if not distribution.is_chief:
        from keras_gans.runs import distributed

        if resume and not os.path.isdir(output):
            run_directory.claim(output, resume=True)  # raises "missing"
        return distributed.Workspace(output, distribution.process_index)
    if output:
        return run_directory.claim(os.fspath(output), resume=resume)
    return run_directory.claim(new_run_directory(recipe), created=True)


def _prepare(recipe, directory, resume, catalogue, source=None,
             distribution=None):
    """`prepare` once the run directory is held. `source`: the run whose
    checkpoint a resume loads, when it is not `directory` (a process other
    than the chief writes elsewhere, `runs.distributed.Workspace`);
    `distribution`: the devices the data must split over."""
    source = directory if source is None else source
    data = read_data(recipe, catalogue, for_checks=recipe.data.check)
    conditional = recipe.model.conditional
    if conditional:
        # The resolved recipe records the number of classes it trained with.
        recipe = recipe.with_num_classes(data.num_classes)
    check_memory(recipe, data, catalogue)  # before the checks build G
    if recipe.data.check:
        from keras_gans.runs import data_checks

        data = data_checks.check_and_clean(
            recipe, data, catalogue,
            architecture_arguments(recipe.model, data))
    data = batch_data(recipe, data)
    if distribution is not None:
        from keras_gans.runs import distributed

        distributed.check_data(distribution, recipe, data)
    epochs = plan_epochs(recipe, data)
    from keras_gans.runs import privacy as private

    if not resume:
        privacy = private.plan(recipe, data, epochs)
        gan, notes = _new_gan(recipe, data, catalogue, privacy)
        return Prepared(recipe, data, gan, epochs, directory, notes=notes,
                        privacy=privacy)

    checkpoint, gan, info, notes = _newest_checkpoint(
        source, tidy=source == directory)
    if checkpoint is None:
        # Stopped before its first checkpoint: nothing to keep but the
        # directory, so the run starts again, with this recipe.
        notes.append(f"No checkpoint was written in {source} before the "
                     "run stopped; training it from step 0.")
        privacy = private.plan(recipe, data, epochs)
        gan, started = _new_gan(recipe, data, catalogue, privacy)
        notes += started
        return Prepared(recipe, data, gan, epochs, directory, notes=notes,
                        privacy=privacy)
    _check_same_model(recipe, info, source, checkpoint)
    privacy = private.plan(recipe, data, epochs, resume=True,
                           checkpoint_privacy=getattr(gan, "privacy", None))
    if tuple(gan.sample_shape) != data.sample_shape:
        raise RunError(
            f"The checkpoint {checkpoint} makes samples of shape "
            f"{gan.sample_shape}, but the recipe's data has shape "
            f"{data.sample_shape}."
        )
    if gan.conditional != conditional:
        raise RunError(
            f"The checkpoint {checkpoint} is "
            f"{'' if gan.conditional else 'un'}conditional but the recipe "
            f"sets model.conditional = {str(conditional).lower()}."
        )
    from keras_gans.runs import resume as resume_module

    epoch, batch = resume_module.resume_position(
        gan.steps, info, data.steps_per_epoch
    )
    saved = RunDirectory(source).read_recipe()
    if saved is not None:
        notes += resume_module.recipe_notes(saved, _for_toml(recipe.to_dict()))
    note = resume_module.position_note(data, batch)
    if note:
        notes.append(note)
    return Prepared(recipe, data, gan, epochs, directory, epoch, checkpoint,
                    notes, batch, rollbacks=int(info.get("rollbacks") or 0),
                    resumes=list(info.get("resumes") or []),
                    privacy=privacy)


def _new_gan(recipe, data, catalogue, privacy=None):
    """`(GAN, notes)`: the recipe's GAN, built and compiled (with DP-SGD
    when `privacy`, a `runs.privacy.PrivacyPlan`, is given), with the
    weights of `train.init_from` when it names any (`runs.init_from`)."""
    gan = build_model(recipe, data, catalogue,
                      privacy.privacy if privacy is not None else None)
    if recipe.train.init_from is None:
        return gan, []
    from keras_gans.runs import init_from

    return gan, init_from.initialize(gan, recipe.train.init_from).notes


def _newest_checkpoint(directory, tidy=True):
    """`(path, gan, position record, notes)` of the run's newest checkpoint
    that loads; damaged ones and unfinished writes are named in the notes
    (and, with `tidy`, the unfinished writes removed: only the process
    holding the run does). The path and GAN are None when the run stopped
    before writing any checkpoint.

    Raises:
        RunError: when every checkpoint is damaged, or the directory holds
            neither a checkpoint nor a run's recipe.toml.
    """
    from keras_gans.training import checkpoints

    folder = RunDirectory(directory).checkpoints
    notes = []
    for leftover in (checkpoints.leftover_temporaries(folder) if tidy
                     else ()):
        os.remove(leftover)
        notes.append(f"Removed {leftover}, a checkpoint whose writing was "
                     "cut off.")
    path, gan, skipped = checkpoints.load_newest(folder, load_model)
    for damaged, reason in skipped:
        notes.append(f"Skipping the damaged checkpoint {damaged} ({reason}); "
                     "using the one before it.")
    if path is not None:
        return path, gan, checkpoints.read_position(path), notes
    if skipped:
        reasons = "".join(f"\n  {reason}" for _, reason in skipped)
        raise RunError(
            f"No checkpoint to resume from in {folder}: every one is "
            f"damaged or fails to load:{reasons}\n",
            "Delete the damaged ones to train the run again from step 0, or "
            "start a new run in another output directory.",
            reason="damaged_checkpoints")
    if not RunDirectory(directory).is_run():
        raise RunError(
            f"No checkpoint to resume from in {folder} (expected files like "
            f"step_00001000.keras), and {directory} holds no "
            f"{RunDirectory.RECIPE}: it is not a keras-gans run.",
            "Start a new run.", reason="not_a_run")
    return None, None, {}, notes


def _check_same_model(recipe, info, directory, checkpoint):
    """Refuses a recipe whose model section differs from the checkpoint's.

    The checkpoint records its model section (older ones: the run's
    recipe.toml is used).
    """
    from keras_gans.runs import resume as resume_module

    saved = info.get("model")
    if saved is None:
        saved = (RunDirectory(directory).read_recipe() or {}).get("model")
    if saved is None:
        return
    # Runs from before model.kind existed are GANs.
    saved = dict(saved, kind=saved.get("kind", "gan"))
    lines = resume_module.model_differences(
        saved, _for_toml(recipe.to_dict())["model"]
    )
    if lines:
        recipe_path = RunDirectory(directory).recipe_path
        raise RunError(
            f"The recipe's model differs from the one in the checkpoint "
            f"{checkpoint}:\n" + "\n".join(lines) + "\n",
            "Resume with the recipe the run was started with "
            f"({recipe_path}), or start a new run.",
            reason="model_mismatch", recipe_path=recipe_path)


def load_model(path):
    """Loads a saved GAN or generator, with the plugins' classes registered."""
    from keras_gans.saving import load_model as load

    return load(path)


def run(prepared, echo=print, verbose="auto"):
    """Trains a prepared run and writes its outputs.

    The run directory stays locked until this returns or raises.

    Args:
        prepared: from `prepare`.
        echo: prints one line of progress (Keras prints the bar itself).
        verbose: passed to `fit()`.

    Returns:
        A `RunResult`.

    Raises:
        RunError: when training diverged and no rollback is left, or a file
            could not be written (naming it; the last good checkpoint is
            kept).
        resume.Interrupted: after Ctrl-C (a checkpoint was written).
    """
    distribution = prepared.distribution
    chief = distribution is None or distribution.is_chief
    if not chief:  # the chief's log says it all
        echo, verbose = (lambda line: None), 0
    try:
        if distribution is None:
            return _run(prepared, echo, verbose)
        with distribution.scope():
            result = _run(prepared, echo, verbose)
        if chief:
            return result
        # The run is the chief's; this process's copies are removed.
        return dataclasses.replace(
            result, chief=False, directory=prepared.claim.run_directory)
    except OSError as error:
        raise _file_error(error, prepared.directory) from error
    finally:
        if prepared.claim is not None:
            prepared.claim.release()
        if distribution is not None:
            distribution.close()


def _file_error(error, directory):
    """A `RunError` saying what failed (the operation and the path), what
    is kept, and what to do."""
    from keras_gans.training import checkpoints

    operation = "write" if isinstance(error, files.WriteError) else "access"
    path = error.filename or directory
    if error.filename2:
        path = f"{path} -> {error.filename2}"
    try:
        kept, _ = checkpoints.latest_checkpoint(
            RunDirectory(directory).checkpoints)
    except OSError:
        kept = None
    failed = f"Could not {operation} {path}: {error.strerror or error}."
    when = "once the disk has room (or the permissions allow it)."
    if not kept:
        return RunError(f"{failed} No checkpoint had been written;",
                        f"start again {when}")
    return RunError(f"{failed} The last good checkpoint is kept: {kept};",
                    f"resume the run {when}", reason="write_failed",
                    when=when)


def _run(prepared, echo, verbose):
    """`run` while the run directory is held."""
    import keras

    from keras_gans.training import callbacks as callbacks_module
    from keras_gans import plugins
    from keras_gans.runs import recipe_callbacks
    from keras_gans.runs import kinds
    from keras_gans.training.guards import WATCHED
    from keras_gans.training.guards import DivergenceGuard

    started = time.time()
    recipe, data, gan = prepared.recipe, prepared.data, prepared.gan
    directory = prepared.directory
    train, output = recipe.train, recipe.output
    epochs, initial_epoch = prepared.epochs, prepared.initial_epoch
    steps_done = gan.steps
    total_steps = train.steps

    complete = initial_epoch >= epochs or (
        total_steps is not None and steps_done >= total_steps
    )
    if prepared.checkpoint:
        # recipe.toml stays what the run was started with; what this
        # resume changed goes with the checkpoints and into metrics.json.
        prepared.resumes.append(_resume_record(prepared))
    else:
        files.write_text(RunDirectory(directory).recipe_path,
                         recipe.to_toml())
    if prepared.checkpoint:
        echo(f"Resuming from {prepared.checkpoint} (step {steps_done}: "
             f"epoch {initial_epoch + 1}, batch {prepared.batch}).")
    for note in prepared.notes:
        echo(note)
    if complete:
        echo(f"The run is already complete ({epochs} of {epochs} "
             "epochs); writing the final outputs again.")
    from keras_gans.runs import distributed

    spread = None
    if prepared.distribution is not None:
        spread = distributed.describe(prepared.distribution,
                                      recipe.data.batch_size)
    if spread:
        echo(spread)
    if data.skipped:
        _list_skipped(data.skipped, directory, echo)
    if data.checks is not None:
        from keras_gans.runs import data_checks

        data_checks.record(data, directory, echo)

    labels = None
    if gan.conditional:
        labels = np.arange(output.samples) % data.num_classes
    picture_kwargs = _picture_kwargs(recipe, data, plugins.catalogue())
    callbacks = [
        callbacks_module.TensorBoard(
            RunDirectory(directory).logs,
            every=output.log_every,
            images_every=output.log_images_every,
            samples=output.samples,
            seed=output.sample_seed,
            labels=labels,
            picture_kwargs=picture_kwargs,
            recipe=recipe.to_dict(),
            recipe_comment=recipe.comment_lines(),
            walk_every=output.log_walk_every,
            walk_frames=output.walk_frames,
            walk_points=output.walk_points,
            walks=output.walks,
        ),
        callbacks_module.SampleGrid(
            RunDirectory(directory).samples,
            n=output.samples,
            seed=output.sample_seed,
            labels=labels,
            every=output.sample_every,
            last_epoch=epochs,
            picture_kwargs=picture_kwargs,
            name=RunDirectory.SAMPLE_NAME,
        ),
    ]
    guard = DivergenceGuard(
        every_steps=train.check_finite_every,
        watched=kinds.watched_losses(recipe.model.kind, WATCHED))
    checkpoint = callbacks_module.Checkpoint(
        RunDirectory(directory).checkpoints,
        every_steps=output.checkpoint_every_steps,
        every_epochs=output.checkpoint_every,
        keep=output.keep_checkpoints,
        last_epoch=epochs,
        steps_per_epoch=data.steps_per_epoch,
        guard=guard,
        extra={"model": _for_toml(recipe.to_dict())["model"],
               "data_seed": train.seed,
               "rollbacks": prepared.rollbacks,
               "resumes": prepared.resumes},
    )
    # The guard first: it stops training before anything saves or draws.
    callbacks = [guard, checkpoint] + callbacks
    if total_steps is not None:
        callbacks.append(callbacks_module.StopAtStep(total_steps))
    planned = data.steps_per_epoch and epochs * data.steps_per_epoch
    callbacks.append(
        callbacks_module.Progress(total_steps or planned, echo=echo))
    catalogue = plugins.catalogue()
    for item in train.callbacks:  # relative file arguments: in the run
        callbacks.append(recipe_callbacks.create(item, catalogue, directory))
    accountant = None
    if prepared.privacy is not None:
        # First: epsilon joins each epoch's logs before they are written.
        accountant = prepared.privacy.accountant()
        callbacks.insert(0, accountant)
        echo(prepared.privacy.describe())
        budget = prepared.privacy.budget_steps
        if not complete and budget is not None and steps_done >= budget:
            echo(f"The privacy budget is spent: step {steps_done} reached "
                 f"max_epsilon = {prepared.privacy.max_epsilon:g}; not "
                 "training further (raise privacy.max_epsilon to train more).")
            complete = True

    final_logs = {}
    fit_seconds = 0.0
    if not complete:
        echo(
            f"Training {recipe.model.architecture} on "
            f"{recipe.data.dataset} for epochs {initial_epoch + 1}.."
            f"{epochs} on {keras.backend.backend()}; outputs in {directory}"
        )
        fit_started = time.time()
        final_logs = _train(prepared, callbacks, checkpoint, guard, echo,
                            verbose)
        fit_seconds = time.time() - fit_started
        if accountant is not None and accountant.stopped_at is not None:
            checkpoint.save(final_logs)  # the last step within the budget
            echo(f"Stopped at step {accountant.stopped_at}: one more step "
                 "would spend more than privacy.max_epsilon = "
                 f"{prepared.privacy.max_epsilon:g}.")
    completed = epochs

    run_dir = RunDirectory(directory)
    callbacks_module.atomic_save(gan, run_dir.gan_path)
    _save_generator(gan, run_dir.generator_path)
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
        metrics["resumed_from_step"] = steps_done
    if prepared.resumes:
        metrics["resumes"] = prepared.resumes
    if checkpoint.extra["rollbacks"]:
        metrics["rollbacks"] = checkpoint.extra["rollbacks"]
    if spread:
        metrics["distribution"] = distributed.record(prepared.distribution)
    if prepared.privacy is not None:
        metrics["privacy"] = prepared.privacy.record(
            gan.steps, accountant.stopped_at if accountant else None)
    modes = toy_modes(recipe.data.dataset, recipe.data.params, catalogue)
    if modes is not None and tuple(gan.sample_shape) == (2,):
        from keras_gans.evaluation.metrics import mode_coverage

        centers, std = modes
        coverage_labels = None
        if labels is not None:
            coverage_labels = np.arange(COVERAGE_SAMPLES) % data.num_classes
        samples = gan.generate(COVERAGE_SAMPLES,
                               seed=output.sample_seed + 1,
                               labels=coverage_labels)
        coverage = mode_coverage(samples, centers, std=std)
        metrics["mode_coverage"] = dict(coverage.as_dict(),
                                        samples=COVERAGE_SAMPLES)
    _keep_evaluation(metrics, run_dir.metrics_path)
    files.write_text(
        run_dir.metrics_path,
        json.dumps(_finite(metrics), indent=2, default=_json_default) + "\n",
    )
    return RunResult(
        directory,
        metrics,
        completed,
        resumed_from=initial_epoch if prepared.checkpoint else None,
        already_complete=complete,
    )


def _resume_record(prepared):
    """What one resume changed, for `metrics.json`'s `resumes` list: the
    step it continued from, when, on which backend, its `--set` overrides,
    every recipe value that differs from the run's recipe.toml, and the
    notes it printed."""
    import keras

    from keras_gans.runs import resume as resume_module

    saved = RunDirectory(prepared.directory).read_recipe()
    changes = []
    if saved is not None:
        for path, old, new in resume_module.differences(
            saved, _for_toml(prepared.recipe.to_dict()), ""
        ):
            changes.append({"key": path.lstrip("."), "run": old,
                            "resume": new})
    return {
        "step": prepared.gan.steps,
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "backend": keras.backend.backend(),
        "overrides": list(prepared.recipe.overrides),
        "changes": changes,
        "notes": list(prepared.notes),
    }


def _keep_evaluation(metrics, path):
    """Carries the `evaluation` block of the run's earlier metrics.json
    into `metrics` (in place), marked with the step it was measured at.

    `keras-gans evaluate` writes that block; a resumed run rewrites
    metrics.json and would otherwise drop it. When the model has moved on
    since, a note says so and how to score the new one.
    """
    try:
        with open(path, encoding="utf-8") as file:
            earlier = json.load(file)
    except (OSError, ValueError):
        return
    evaluation = earlier.get("evaluation") if isinstance(earlier,
                                                         dict) else None
    if not isinstance(evaluation, dict):
        return
    step = evaluation.get("measured_at_step", earlier.get("steps"))
    evaluation = dict(evaluation, measured_at_step=step)
    evaluation.pop("note", None)
    if step != metrics["steps"]:
        evaluation["note"] = (
            f"measured at step {step}; the run has trained to step "
            f"{metrics['steps']} since: run keras-gans evaluate again to "
            "score the current model"
        )
    metrics["evaluation"] = evaluation


def _train(prepared, callbacks, checkpoint, guard, echo, verbose):
    """Runs the `fit()` calls from the prepared position to the end.

    Returns:
        The last epoch's logs.

    Raises:
        resume.Interrupted: after Ctrl-C (a checkpoint was written).
        RunError: when training diverged and no rollback is left.
    """
    from keras_gans.runs import resume as resume_module

    train = prepared.recipe.train
    epoch, batch = prepared.initial_epoch, prepared.batch
    rollbacks = prepared.rollbacks  # counted over the run, resumes included
    distribution = prepared.distribution
    part = (0, 1)  # this process's part of each global batch
    if distribution is not None and distribution.local_rows:
        part = (distribution.process_index, distribution.process_count)
    while True:
        logs = {}
        plan = resume_module.segments(
            prepared.data, prepared.recipe.data.batch_size,
            train.seed, epoch, batch, prepared.epochs, part=part,
        )
        with resume_module.checkpoint_on_interrupt(checkpoint, echo):
            for segment in plan:
                history = prepared.gan.fit(
                    **segment.fit_arguments(), callbacks=callbacks,
                    verbose=verbose,
                )
                logs = {key: float(values[-1]) for key, values in
                        history.history.items() if values}
                if prepared.gan.stop_training:
                    break
        if checkpoint.interrupted_at is not None and guard.divergence is None:
            path = checkpoint.saved[-1][1] if checkpoint.saved else None
            raise resume_module.Interrupted(checkpoint.interrupted_at, path)
        if guard.divergence is None:
            return logs
        if train.on_divergence != "rollback" or (
            rollbacks >= train.max_rollbacks
        ):
            raise _divergence_error(guard.divergence, checkpoint,
                                    rollbacks, train,
                                    prepared.recipe.model.kind)
        rollbacks += 1
        epoch, batch = _roll_back(prepared, callbacks, checkpoint, guard,
                                  echo, train.rollback_lr_factor)
        checkpoint.extra["rollbacks"] = rollbacks


def _roll_back(prepared, callbacks, checkpoint, guard, echo, factor):
    """Reloads the newest good checkpoint into the GAN with both learning
    rates multiplied by `factor`; returns the position to continue at.

    The rates are lowered from the ones that diverged, not from the ones
    the checkpoint holds, so rollbacks compound: the k-th retries at
    `factor ** k` times the run's rates.
    """
    from keras_gans.training import checkpoints
    from keras_gans.runs import resume as resume_module
    divergence = guard.divergence
    rates = [rate * factor for rate in
             _learning_rates(prepared.gan, divergence)]
    try:
        restored = checkpoints.restore(checkpoint.directory, prepared.gan)
    except checkpoints.CheckpointError:
        raise RunError(
            f"{divergence} There is no checkpoint to roll back to yet; lower "
            "the learning rates and start again."
        ) from None
    _set_learning_rates(prepared.gan, rates)
    echo(f"{divergence} Rolling back to {restored.path} (step "
         f"{restored.step}) with learning rates G {rates[0]:.3g}, "
         f"D {rates[1]:.3g}.")
    guard.divergence = None
    return resume_module.resume_position(
        restored.step, restored.info, prepared.data.steps_per_epoch
    )


def _inner_optimizers(gan):
    """G's and D's optimizers (inside a loss-scale wrapper, if any)."""
    return [getattr(optimizer, "inner_optimizer", optimizer)
            for optimizer in (gan.g_optimizer, gan.d_optimizer)]


def _learning_rates(gan, divergence):
    """Both constant learning rates, as floats.

    Raises:
        RunError: for a learning-rate schedule, which cannot be lowered.
    """
    import keras

    rates = []
    for inner in _inner_optimizers(gan):
        if isinstance(getattr(inner, "_learning_rate", None),
                      keras.optimizers.schedules.LearningRateSchedule):
            raise RunError(
                f"{divergence} A learning-rate schedule cannot be lowered "
                'for a rollback; set train.on_divergence = "stop" or use a '
                "constant learning rate."
            )
        rates.append(float(keras.ops.convert_to_numpy(inner.learning_rate)))
    return rates


def _set_learning_rates(gan, rates):
    for inner, rate in zip(_inner_optimizers(gan), rates):
        inner.learning_rate = rate


def _divergence_error(divergence, checkpoint, rollbacks, train, kind="gan"):
    """A `RunError` saying what diverged, what was kept, and what to
    try."""
    from keras_gans.training import checkpoints

    kept, _ = checkpoints.latest_checkpoint(checkpoint.directory)
    where = (f"The last good checkpoint is kept: {kept} (no checkpoint was "
             "written after the divergence)." if kept else
             "No checkpoint had been written yet.")
    tried = f" after {rollbacks} rollback(s)" if rollbacks else ""
    if train.on_divergence == "rollback":
        retry = ("Raise train.max_rollbacks (each rollback multiplies the "
                 "learning rates by train.rollback_lr_factor)")
    else:
        retry = 'Set train.on_divergence = "rollback"'
    instead = (
        "start a new run with lower learning rates "
        "(train.g_optimizer.learning_rate, train.d_optimizer.learning_rate), "
        "a penalty, or data without NaN (a resumed run keeps the "
        "checkpoint's optimizers and their rates)."
    )
    if kind == "vae":  # one optimizer, no rollback (runs.kinds)
        return RunError(
            f"{divergence} Training stopped. {where}",
            "Start a new run with a lower train.optimizer.learning_rate, or "
            "data without NaN (a resumed run keeps the checkpoint's "
            "optimizer and its rate).")
    return RunError(f"{divergence} Training stopped{tried}. {where}",
                    f"{retry} and resume the run, or {instead}",
                    reason="diverged", retry=retry, instead=instead)


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
    modes = toy_modes(recipe.data.dataset, recipe.data.params, catalogue)
    if modes is not None:
        kwargs["centers"] = modes[0]
    return kwargs


def toy_modes(name, params, catalogue):
    """`(centers, std)` for the built-in ring and grid datasets, else None.

    Args:
        name: the registered dataset (`data.dataset`).
        params: its parameters (`data.params`).
        catalogue: the plugin catalogue.
    """
    from keras_gans import datasets
    from keras_gans.plugins import BUILTIN_PLUGIN

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
    arguments.update(params)
    if name == "ring":
        centers = datasets.ring_centers(arguments["num_modes"],
                                        arguments["radius"])
    else:
        centers = datasets.grid_centers()
    return centers, float(arguments["std"])


def _save_generator(gan, path):
    """Saves the generator `GAN.export_generator()` ships (with the EMA
    weights when there are any: what `generate` uses)."""
    from keras_gans.training.callbacks import atomic_save

    return atomic_save(gan.export_generator(), path)


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
