"""Recipes: TOML files that describe one training run.

A recipe has four tables (and the optional `[privacy]` and
`[distribution]`):

```toml
name = "dcgan"                     # optional; the file name by default

[model]
architecture = "dcgan"             # a registered architecture
latent_dim = 64
conditional = false                # true: G and D take class labels
label_mode = "index"               # or "one_hot_concat" (keras_gans.labels)
[model.params]                     # the architecture's own parameters
width = 32

[data]
dataset = "digits"                 # a registered dataset
batch_size = 64
[data.params]                      # the dataset's parameters
image_size = 28

[train]
loss = "non_saturating"            # or a table: {name = "...", ...params}
penalty = false                    # or "r1", or {name = "r1", weight = 1.0}
d_steps = 1
epochs = 20                        # or steps = 2000 (generator updates)
ema = 0.999                        # false: no moving average
seed = 0
g_optimizer = {name = "adam", learning_rate = 2e-4, beta_1 = 0.5}
d_optimizer = {name = "adam", learning_rate = 2e-4, beta_1 = 0.5}
check_finite_every = 10            # steps between NaN/Inf checks of the losses
on_divergence = "stop"             # or "rollback": reload the last good
rollback_lr_factor = 0.5           #   checkpoint with both learning rates
max_rollbacks = 3                  #   multiplied by this, up to N times
# learning_rate may be a keras.optimizers.schedules table instead:
# {name = "polynomial_decay", initial_learning_rate = 1e-3, decay_steps = ...}

[output]
dir = "runs"                       # parent of the run directory
checkpoint_every = 1               # epochs; 0: only after the last one
checkpoint_every_steps = 0         # also every N generator steps; 0: off
keep_checkpoints = 3
sample_every = 1                   # epochs; 0: no per-epoch samples
samples = 64
sample_seed = 0
log_every = 50                     # generator steps between TensorBoard scalars
log_images_every = 500             # steps between TensorBoard sample pictures
log_walk_every = 0                 # steps between TensorBoard latent walks; 0: off

[distribution]                     # optional; without it: one device
devices = 2                        # or "all", or ["gpu:0", "gpu:1"]
mode = "data_parallel"             # data.batch_size is the global batch
```

The whole recipe is validated before any work (`resolve`): every problem
is reported at once with its dotted path, with the nearest known key for a
typo and the nearest registered name for an unknown architecture, loss,
penalty or dataset. Structure and types are checked without Keras, by the
one definition of every key in `keras_gans.runs.recipe_schema`; only the
names need the plugin catalogue (which imports Keras).

The resolved recipe (overrides and defaults applied) is written back as
TOML with `tomli-w`: the same format the user wrote, so
`keras-gans run runs/<run>/recipe.toml` repeats a run and `diff` compares a
resolved recipe with its source. JSON would need no dependency, but a
recipe saved in another format than it is written in cannot be rerun or
read side by side as easily; `tomli-w` is small and pure Python.
"""

import dataclasses
import difflib
import inspect
import json
import os
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from keras_gans import files
from keras_gans.runs.recipe_schema import LIMITS  # noqa: F401 (public)
from keras_gans.runs.recipe_schema import MAX_NAME_BYTES  # noqa: F401
from keras_gans.runs.recipe_schema import TOP_LEVEL
from keras_gans.runs.recipe_schema import VAE
from keras_gans.runs.recipe_schema import applies
from keras_gans.runs.recipe_schema import Recipe
from keras_gans.runs.recipe_schema import check_structure
from keras_gans.runs.recipe_schema import describe as _describe
from keras_gans.runs.recipe_schema import join as _join
from keras_gans.runs.recipe_schema import known_keys  # noqa: F401 (public)
from keras_gans.runs.recipe_schema import parse

__all__ = [
    "Recipe",
    "RecipeError",
    "apply_overrides",
    "check_names",
    "check_structure",
    "dump",
    "load",
    "parse_value",
    "read",
    "resolve",
]

NAME_KINDS = {
    ("model", "architecture"): "architectures",
    ("data", "dataset"): "datasets",
    ("train", "loss"): "losses",
    ("train", "penalty"): "penalties",
    ("train", "augment"): "augmentations",
}

# Architecture parameters keras-gans fills in itself.
RESERVED_ARCHITECTURE_PARAMS = {
    "latent_dim": "model.latent_dim",
    "sample_shape": "the dataset's sample shape",
    "num_classes": "model.num_classes",
    "label_mode": "model.label_mode",
    "kind": "model.kind",
}

# The message lists this many problems and counts the rest.
MAX_LISTED_PROBLEMS = 20
# A recipe is a few KB; anything larger is not one (or is /dev/zero).
MAX_RECIPE_BYTES = 1 << 20
# Tables and arrays inside each other; real recipes nest 4 deep.
MAX_NESTING = 32


class RecipeError(ValueError):
    """A recipe with problems; `problems` lists them, one per path.

    The message lists the first `MAX_LISTED_PROBLEMS` and counts the rest.
    """

    def __init__(self, problems, source=None):
        self.problems = list(problems)
        self.source = source
        where = f" {source}" if source else ""
        shown = self.problems[:MAX_LISTED_PROBLEMS]
        lines = "\n".join(f"  - {p}" for p in shown)
        count = len(self.problems)
        if count > len(shown):
            rest = count - len(shown)
            lines += (f"\n  ... and {rest:,} more "
                      f"{'problem' if rest == 1 else 'problems'}")
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"Invalid recipe{where} ({count:,} {noun}):\n{lines}"
        )


# ----------------------------------------------------------------------
# Reading


def parse_value(text):
    """Parses an override value as a TOML value; plain text is a string.

    Example:
        `parse_value("3") == 3`, `parse_value("[16, 16]") == [16, 16]`,
        `parse_value("false") is False`, `parse_value("dcgan") == "dcgan"`.
    """
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(raw, overrides):
    """Applies `key.path=value` assignments to a raw recipe (in place).

    A name-or-table field (`train.loss`, `train.penalty`) given as a string
    becomes a table when a key below it is set: `--set
    train.loss.name=hinge` works whichever form the file uses.

    Raises:
        RecipeError: listing every malformed assignment.
    """
    problems = []
    for override in overrides:
        key, sep, text = override.partition("=")
        key = key.strip()
        parts = key.split(".")
        if not sep or not key or not all(p.strip() for p in parts):
            problems.append(
                f"override {override!r}: expected key.path=value, for example "
                "train.epochs=3"
            )
            continue
        parts = [p.strip() for p in parts]
        table = raw
        for depth, part in enumerate(parts[:-1]):
            value = table.get(part)
            if value is None:
                value = table[part] = {}
            elif isinstance(value, str) and _is_named_field(
                parts[: depth + 1]
            ):
                value = table[part] = {"name": value}
            elif not isinstance(value, dict):
                problems.append(
                    f"override {override!r}: "
                    f"{'.'.join(parts[: depth + 1])} is {_describe(value)}, "
                    "not a table"
                )
                break
            table = value
        else:
            try:
                table[parts[-1]] = parse_value(text.strip())
            except RecursionError:
                problems.append(f"override {key}: {_too_deep()}")
    if problems:
        raise RecipeError(problems)
    return raw


def _is_named_field(parts):
    return len(parts) == 2 and tuple(parts) in NAME_KINDS


def load(path, overrides=(), catalogue=None):
    """Reads, overrides and fully validates a recipe file.

    Args:
        path: the TOML file.
        overrides: `key.path=value` strings (`--set`).
        catalogue: the plugin catalogue for name checks; None loads the
            process-wide one (which imports Keras).

    Returns:
        A `Recipe`.

    Raises:
        RecipeError: every problem found, with dotted paths; also for a
            file that cannot be read as a recipe (see `read`).
    """
    path = os.fspath(path)
    raw = read(path)
    try:
        apply_overrides(raw, overrides)
    except RecipeError as error:
        raise RecipeError(error.problems, path) from None
    if _nesting(raw) > MAX_NESTING:
        raise RecipeError([_too_deep()], path)
    default_name = os.path.splitext(os.path.basename(path))[0]
    return resolve(
        raw,
        default_name=default_name,
        catalogue=catalogue,
        source=path,
        overrides=tuple(overrides),
    )


def read(path):
    """The TOML of a recipe file as a dict, before any check.

    Every way a file can fail to be a recipe is a `RecipeError` naming it:
    missing or unreadable, not a regular file (a FIFO would block the read
    forever), over `MAX_RECIPE_BYTES`, not UTF-8 text (a UTF-8 byte-order
    mark is allowed), not TOML, or tables and arrays nested deeper than
    `MAX_NESTING`.

    Raises:
        RecipeError: with one problem saying what is wrong.
    """
    from keras_gans import regular_files

    path = os.fspath(path)
    try:
        data, complete = regular_files.read_regular(path, MAX_RECIPE_BYTES)
    except OSError as error:
        reason = str(error) if isinstance(
            error, regular_files.NotRegularFileError) else (
            error.strerror or error)
        raise RecipeError([f"cannot be read: {reason}"], path) from None
    if not complete:
        raise RecipeError(
            [f"larger than {MAX_RECIPE_BYTES:,} bytes; a recipe is a short "
             "TOML text file"], path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RecipeError([_not_text(data, error)], path) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RecipeError([f"not valid TOML: {error}"], path) from None
    except RecursionError:
        raise RecipeError([_too_deep()], path) from None
    if _nesting(raw) > MAX_NESTING:
        raise RecipeError([_too_deep()], path)
    return raw


def _not_text(data, error):
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return ("not UTF-8 text: it is UTF-16 (as some Windows editors and "
                "PowerShell's > write); save it as UTF-8")
    return (f"not a text file: byte {error.start:,} "
            f"({data[error.start:error.start + 1]!r}) is not UTF-8; a recipe "
            "is a TOML text file in UTF-8")


def _too_deep():
    return (f"tables and arrays are nested more than {MAX_NESTING} deep; "
            "a recipe nests a few levels (section, table, array)")


def _nesting(value):
    """How deep tables and arrays nest in `value`, counted without
    recursion; stops counting past `MAX_NESTING`."""
    deepest, stack = 0, [(value, 0)]
    while stack and deepest <= MAX_NESTING:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def resolve(raw, default_name="recipe", catalogue=None, source=None,
            overrides=()):
    """Validates a raw recipe dict and fills in the defaults.

    Runs the structural checks (`check_structure`) and the name checks
    (`check_names`) and reports the problems of both at once.

    Args:
        raw: the recipe as nested dicts, with `overrides` already applied.
        default_name: the name when the recipe sets none.
        catalogue: the plugin catalogue (None: the process-wide one).
        source: the file it came from, for messages.
        overrides: the `key.path=value` strings applied, so that a problem
            they cause is told apart from one in the file.

    Returns:
        A `Recipe`.

    Raises:
        RecipeError: listing every problem.
    """
    recipe, problems = parse(raw, default_name, _overridden_keys(overrides))
    if catalogue is None:
        from keras_gans import plugins

        catalogue = plugins.catalogue()
    problems += check_names(recipe, catalogue)
    problems.sort(key=_section_order)
    if problems:
        raise RecipeError(problems, source)
    return dataclasses.replace(recipe, source=source,
                               overrides=tuple(overrides))


# TOML text of a recipe dict (`files.toml_text`); `_for_toml` drops the
# None values TOML cannot hold.
dump = files.toml_text
_for_toml = files.without_none


def _overridden_keys(overrides):
    """The dotted keys that `--set` assignments name."""
    return {override.partition("=")[0].strip() for override in overrides}


# ----------------------------------------------------------------------
# Name checks (plugin catalogue; Keras for the optimizers)


def check_names(recipe, catalogue):
    """Checks registered names and the parameters given to each factory.

    Args:
        recipe: a typed `Recipe` (`recipe_schema.parse`'s).
        catalogue: a `keras_gans.plugins.Catalogue`.

    Returns:
        A list of `path: message` problems.
    """
    problems = []

    def lookup(kind, name, path, argument):
        if not isinstance(name, str):
            return None
        try:
            return catalogue.get(kind, name, argument)
        except Exception as error:  # CatalogueError; plugin code may raise
            problems.append(f"{path}: {error}")
            return None

    model = recipe.model
    for key, where in RESERVED_ARCHITECTURE_PARAMS.items():
        if key in model.params:
            problems.append(
                f"model.params.{key}: set by keras-gans from {where}; "
                "remove it from model.params"
            )
    entry = lookup("architectures", model.architecture,
                   "model.architecture", "architecture")
    if entry is not None:
        params = {k: v for k, v in model.params.items()
                  if k not in RESERVED_ARCHITECTURE_PARAMS}
        problems += _check_params(
            entry.factory, params, "model.params",
            f"architecture {entry.name!r}",
            supplied=tuple(RESERVED_ARCHITECTURE_PARAMS),
        )
        problems += _check_label_mode(entry, model.label_mode)
        problems += _check_kind(entry, model.kind)

    data = recipe.data
    entry = lookup("datasets", data.dataset, "data.dataset", "dataset")
    if entry is not None:
        problems += _check_params(
            entry.factory, data.params, "data.params",
            f"dataset {entry.name!r}",
        )

    train = recipe.train
    for key, kind, argument in (
        ("loss", "losses", "loss"),
        ("penalty", "penalties", "penalty"),
        ("augment", "augmentations", "augmentation"),
    ):
        named = getattr(train, key)
        if named is None or not applies(model.kind, "train", key):
            continue
        path = f"train.{key}" + (".name" if named.as_table else "")
        entry = lookup(kind, named.name, path, argument)
        if entry is not None:
            problems += _check_params(
                entry.factory, named.params, f"train.{key}",
                f"{argument} {entry.name!r}",
            )

    from keras_gans.runs import recipe_callbacks

    for index, item in enumerate(train.callbacks):
        # A registered name, or a Callback subclass by import path.
        problems += recipe_callbacks.check(
            item, f"train.callbacks[{index}]", catalogue, _check_params)

    for key in ("g_optimizer", "d_optimizer", "optimizer"):
        if applies(model.kind, "train", key):
            problems += _check_optimizer(getattr(train, key).to_value(),
                                         f"train.{key}")
    return problems


def _parameters(factory):
    """The factory's parameters by name, or None when its signature cannot
    be read (then it is given the benefit of the doubt)."""
    try:
        return inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return None


def _check_kind(entry, kind):
    """A VAE recipe needs an architecture that builds encoder/decoder
    pairs: one whose factory takes `kind`."""
    parameters = _parameters(entry.factory)
    if kind != VAE or parameters is None or "kind" in parameters:
        return []
    return [f"model.architecture: architecture {entry.name!r} builds GANs "
            'only (its factory takes no `kind` parameter), so it cannot '
            'build the decoder and encoder of model.kind = "vae"; use one '
            'that does (the built-in "mlp" and "conv"), or set model.kind '
            '= "gan"']


def _check_label_mode(entry, label_mode):
    """A one_hot_concat recipe needs an architecture that can build it."""
    from keras_gans.labels import ONE_HOT_CONCAT

    parameters = _parameters(entry.factory)
    if label_mode != ONE_HOT_CONCAT or parameters is None:
        return []
    if "label_mode" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    ):
        return []
    return [f"model.label_mode: architecture {entry.name!r} takes no "
            'label_mode parameter, so it cannot build the "one_hot_concat" '
            "layout (single-input networks reading one-hot labels); use an "
            'architecture that does (the built-in "dcgan" and "mlp"), or '
            'remove model.label_mode for [z, labels] networks']


def _section_order(problem):
    """Sorts problems in recipe order (model, data, train, output)."""
    head = problem.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0]
    order = {name: index for index, name in enumerate(TOP_LEVEL)}
    return order.get(head, -1)


def optimizer_classes():
    """`{lower-case name: class}` of Keras' optimizers."""
    import keras

    base = keras.optimizers.Optimizer
    skip = {"Optimizer", "LossScaleOptimizer"}
    return {
        name.lower(): cls
        for name, cls in vars(keras.optimizers).items()
        if isinstance(cls, type) and issubclass(cls, base) and name not in skip
    }


def _schedule_key(name):
    return name.replace("_", "").lower()


def schedule_classes():
    """`{name: class}` of Keras' learning-rate schedules.

    Names are lower case without underscores (`polynomialdecay`); a recipe
    may write `polynomial_decay` or `PolynomialDecay`.
    """
    import keras

    base = keras.optimizers.schedules.LearningRateSchedule
    return {
        _schedule_key(name): cls
        for name, cls in vars(keras.optimizers.schedules).items()
        if isinstance(cls, type) and issubclass(cls, base) and cls is not base
    }


def _check_optimizer(config, path):
    classes = optimizer_classes()
    name = config["name"]
    if name not in classes:
        message = (f"unknown optimizer {json.dumps(name)}. Known optimizers: "
                   f"{', '.join(sorted(classes))}.")
        close = difflib.get_close_matches(name, list(classes), n=2)
        if close:
            message += f" Did you mean {' or '.join(map(json.dumps, close))}?"
        return [f"{path}.name: {message}"]
    params = {k: v for k, v in config.items() if k != "name"}
    problems = []
    rate = params.get("learning_rate")
    if isinstance(rate, dict) and isinstance(rate.get("name"), str):
        schedules = schedule_classes()
        key = _schedule_key(rate["name"])
        if key not in schedules:
            message = (f"unknown learning-rate schedule "
                       f"{json.dumps(rate['name'])}. Known schedules: "
                       f"{', '.join(sorted(schedules))}.")
            close = difflib.get_close_matches(key, list(schedules), n=1)
            if close:
                message += f" Did you mean {json.dumps(close[0])}?"
            problems.append(f"{path}.learning_rate.name: {message}")
        else:
            problems += _check_params(
                schedules[key],
                {k: v for k, v in rate.items() if k != "name"},
                f"{path}.learning_rate",
                f"schedule {json.dumps(rate['name'])}",
            )
    # Keras optimizers pass **kwargs on to their base class: check against
    # the named arguments of every __init__ up the class hierarchy.
    names = []
    for cls in classes[name].__mro__:
        init = cls.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters
        except (TypeError, ValueError):
            continue
        names += [n for n, p in parameters.items() if n != "self" and p.kind in
                  (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n not in names]
    for key in params:
        if key not in names:
            message = f"unknown argument of optimizer {json.dumps(name)}"
            close = difflib.get_close_matches(key, names, n=1)
            if close:
                message += f"; did you mean {json.dumps(close[0])}?"
            problems.append(f"{path}.{key}: {message}")
    return problems


def _check_params(factory, params, path, what, supplied=()):
    """Checks parameter names against the factory's signature."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return []
    parameters = signature.parameters
    accepts_any = any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )
    named = [
        n for n, p in parameters.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                      inspect.Parameter.KEYWORD_ONLY)
        and n not in ("self",)
    ]
    problems = []
    if not accepts_any:
        allowed = [n for n in named if n not in supplied]
        for key in params:
            if key not in named:
                message = f"unknown parameter of {what}"
                close = difflib.get_close_matches(key, allowed, n=1)
                if close:
                    message += f"; did you mean {json.dumps(close[0])}?"
                message += (f" Its parameters: {', '.join(allowed)}."
                            if allowed else "; it takes no parameters.")
                problems.append(f"{_join(path, key)}: {message}")
    for name, parameter in parameters.items():
        if (
            parameter.default is inspect.Parameter.empty
            and parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                   inspect.Parameter.KEYWORD_ONLY)
            and name not in params
            and name not in supplied
            and name != "self"
        ):
            problems.append(
                f"{_join(path, name)}: required by {what}, but missing"
            )
    return problems
