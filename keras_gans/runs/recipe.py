"""Recipes: TOML files that describe one training run.

A recipe has four tables:

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
```

The whole recipe is validated before any work (`resolve`): every problem
is reported at once with its dotted path, with the nearest known key for a
typo and the nearest registered name for an unknown architecture, loss,
penalty or dataset. Structure and types are checked without Keras; only the
names need the plugin catalogue (which imports Keras).

The resolved recipe (overrides and defaults applied) is written back as
TOML with `tomli-w`: the same format the user wrote, so
`keras-gans run runs/<run>/recipe.toml` repeats a run and `diff` compares a
resolved recipe with its source. JSON would need no dependency, but a
recipe saved in another format than it is written in cannot be rerun or
read side by side as easily; `tomli-w` is small and pure Python.
"""

import copy
import dataclasses
import difflib
import inspect
import json
import math
import numbers
import os
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from keras_gans import files

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
}

DEFAULT_OPTIMIZER = {"name": "adam", "learning_rate": 2e-4}
# The DCGAN setting, applied to Adam-like optimizers the recipe names.
ADAM_DEFAULTS = {"beta_1": 0.5, "beta_2": 0.999}
ADAM_LIKE = ("adam", "adamw", "adamax", "nadam")


# The message lists this many problems and counts the rest.
MAX_LISTED_PROBLEMS = 20
# A recipe is a few KB; anything larger is not one (or is /dev/zero).
MAX_RECIPE_BYTES = 1 << 20
# Tables and arrays inside each other; real recipes nest 4 deep.
MAX_NESTING = 32
# The run directory is <name>-<date>-<time>[-n]; file names hold 255 bytes.
MAX_NAME_BYTES = 200


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


@dataclasses.dataclass
class Recipe:
    """A resolved recipe.

    Attributes:
        data: the resolved recipe as nested dicts (defaults filled in).
        name: the recipe's name (its `name` key or the file name).
        source: the file it was read from, if any.
        overrides: the `--set` assignments applied, in order.
    """

    data: dict
    name: str
    source: str | None = None
    overrides: tuple = ()

    def __getitem__(self, key):
        return self.data[key]

    def to_toml(self):
        """The resolved recipe as TOML text, with a comment header."""
        return dump(self.data, header=self._header())

    def _header(self):
        from keras_gans import __version__

        lines = [f"Resolved recipe, written by keras-gans {__version__}."]
        if self.source:
            lines.append(f"Source: {self.source}")
        for override in self.overrides:
            lines.append(f"--set {override}")
        return lines


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
    resolved, problems = check_structure(raw, default_name,
                                         _overridden_keys(overrides))
    if catalogue is None:
        from keras_gans import plugins

        catalogue = plugins.catalogue()
    problems += check_names(resolved, catalogue)
    problems.sort(key=_section_order)
    if problems:
        raise RecipeError(problems, source)
    return Recipe(resolved, resolved["name"], source, tuple(overrides))


# TOML text of a recipe dict (`files.toml_text`); `_for_toml` drops the
# None values TOML cannot hold.
dump = files.toml_text
_for_toml = files.without_none


# ----------------------------------------------------------------------
# Structural checks (no Keras)


class _Checker:
    """Collects problems while walking a recipe."""

    def __init__(self):
        self.problems = []

    def problem(self, path, message):
        self.problems.append(f"{path}: {message}")

    def table(self, value, path, known, required=()):
        """Checks that `value` is a table with only `known` keys."""
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.problem(path, f"expected a table, got {_describe(value)}")
            return None
        for key in value:
            if key not in known:
                self.problem(
                    _join(path, key), _unknown_key_message(key, known)
                )
        for key in required:
            if key not in value:
                self.problem(_join(path, key), "required, but missing")
        return value

    def integer(self, table, key, path, default, minimum=None):
        value = table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(
                _join(path, key),
                f"expected an integer, got {_describe(value)}",
            )
            return default
        maximum, why = LIMITS.get(_join(path, key), (None, None))
        if maximum is not None and value > maximum:
            low = "at most " if minimum is None else f"from {minimum:,} to "
            self.problem(
                _join(path, key),
                f"expected an integer {low}{maximum:,} ({why}), "
                f"got {value:,}",
            )
            return default
        if minimum is not None and value < minimum:
            self.problem(
                _join(path, key),
                f"expected an integer >= {minimum}, got {value}",
            )
            return default
        return value

    def number(self, table, key, path, default, low=None, high=None,
               low_open=False, high_open=False):
        value = table.get(key, default)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(value)
        ):
            self.problem(
                _join(path, key), f"expected a number, got {_describe(value)}"
            )
            return default
        too_low = low is not None and (
            value <= low if low_open else value < low
        )
        too_high = high is not None and (
            value >= high if high_open else value > high
        )
        if too_low or too_high:
            self.problem(
                _join(path, key),
                "expected a number in "
                f"{_interval(low, high, low_open, high_open)}"
                f", got {value}",
            )
            return default
        return value

    def boolean(self, table, key, path, default):
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.problem(
                _join(path, key),
                f"expected true or false, got {_describe(value)}",
            )
            return default
        return value

    def string(self, table, key, path, default):
        value = table.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.problem(
                _join(path, key),
                f"expected a non-empty string, got {_describe(value)}",
            )
            return None
        return value

    def params(self, table, key, path):
        value = table.get(key, {})
        if not isinstance(value, dict):
            self.problem(
                _join(path, key), f"expected a table, got {_describe(value)}"
            )
            return {}
        return copy.deepcopy(value)


TOP_LEVEL = ("name", "description", "model", "data", "train", "output")
MODEL_KEYS = ("architecture", "latent_dim", "conditional", "num_classes",
              "label_mode", "params")
DATA_KEYS = ("dataset", "batch_size", "drop_remainder", "flip", "workers",
             "params")
TRAIN_KEYS = ("loss", "penalty", "d_steps", "epochs", "steps", "ema", "seed",
              "jit_compile", "g_optimizer", "d_optimizer", "callbacks",
              "check_finite_every", "on_divergence", "rollback_lr_factor",
              "max_rollbacks", "augment")
ON_DIVERGENCE = ("stop", "rollback")
OUTPUT_KEYS = ("dir", "checkpoint_every", "checkpoint_every_steps",
               "keep_checkpoints", "sample_every",
               "samples", "sample_seed", "log_every", "log_images_every")
OPTIMIZER_KEYS = ("name", "learning_rate", "beta_1", "beta_2")
# Upper bounds, with the reason the message gives. Sizes: far above any
# real run, so a larger value is a typo (an extra zero, an exponent) that
# would allocate for a minute and then fail deep in a backend. Seeds: what
# every backend's generator accepts (torch's SeedGenerator holds an int32).
_TYPO = "a larger value is taken for a typo"
_SEED = "the largest seed every backend accepts"
LIMITS = {
    "model.latent_dim": (2**20, _TYPO),
    "model.num_classes": (2**20, _TYPO),
    "data.batch_size": (2**20, _TYPO),
    "data.workers": (256, _TYPO),
    "train.d_steps": (100, _TYPO),
    "train.epochs": (2**31 - 1, _TYPO),
    "train.steps": (2**31 - 1, _TYPO),
    "train.seed": (2**31 - 1, _SEED),
    "output.samples": (10_000, "a sample picture holds at most 100 x 100"),
    "output.sample_seed": (2**31 - 1, _SEED),
}


def known_keys():
    """Every dotted key a recipe can set (for `--set` completion)."""
    keys = ["name", "description"]
    for section, names in (
        ("model", MODEL_KEYS),
        ("data", DATA_KEYS),
        ("train", TRAIN_KEYS),
        ("output", OUTPUT_KEYS),
    ):
        keys += [f"{section}.{n}" for n in names]
    for optimizer in ("g_optimizer", "d_optimizer"):
        keys += [f"train.{optimizer}.{n}" for n in OPTIMIZER_KEYS]
    keys += ["train.loss.name", "train.penalty.name", "train.penalty.weight"]
    return sorted(keys)


def _overridden_keys(overrides):
    """The dotted keys that `--set` assignments name."""
    return {override.partition("=")[0].strip() for override in overrides}


def check_structure(raw, default_name="recipe", overridden=()):
    """Checks keys, types and ranges; fills in defaults. Imports no Keras.

    Args:
        raw: the recipe as nested dicts.
        default_name: the name when the recipe sets none.
        overridden: dotted keys set by `--set`; a clash between one of them
            and a key of the file is reported as such, with the key to set
            instead.

    Returns:
        `(resolved, problems)`: the recipe with defaults (values that failed
        a check keep their default) and a list of `path: message` strings.
    """
    c = _Checker()
    raw = c.table(raw, "", TOP_LEVEL) or {}
    out = {}
    name = raw.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        c.problem(
            "name", f"expected a non-empty string, got {_describe(name)}"
        )
        name = default_name
    elif len(name.encode("utf-8")) > MAX_NAME_BYTES:
        c.problem(
            "name", f"expected at most {MAX_NAME_BYTES} bytes (in UTF-8; it "
            "names the run directory, and file names hold 255), got "
            f"{len(name.encode('utf-8')):,}")
        name = default_name
    out["name"] = name
    description = raw.get("description", "")
    if not isinstance(description, str):
        c.problem(
            "description", f"expected a string, got {_describe(description)}"
        )
        description = ""
    if description:
        out["description"] = description

    model = _section(c, raw, "model", MODEL_KEYS, "architecture")
    out["model"] = {
        "architecture": c.string(model, "architecture", "model", None),
        "latent_dim": c.integer(model, "latent_dim", "model", 64, 1),
        "conditional": c.boolean(model, "conditional", "model", False),
        "num_classes": c.integer(model, "num_classes", "model", None, 1),
        "label_mode": _label_mode(c, model),
        "params": c.params(model, "params", "model"),
    }

    data = _section(c, raw, "data", DATA_KEYS, "dataset")
    out["data"] = {
        "dataset": c.string(data, "dataset", "data", None),
        "batch_size": c.integer(data, "batch_size", "data", 64, 1),
        "drop_remainder": c.boolean(data, "drop_remainder", "data", True),
        "flip": c.boolean(data, "flip", "data", False),
        "workers": c.integer(data, "workers", "data", 4, 1),
        "params": c.params(data, "params", "data"),
    }

    train = c.table(raw.get("train"), "train", TRAIN_KEYS) or {}
    resolved_train = {
        "loss": _named(c, train, "loss", "train", "non_saturating", False),
        "penalty": _named(c, train, "penalty", "train", False, True),
        "d_steps": c.integer(train, "d_steps", "train", 1, 1),
    }
    epochs = c.integer(train, "epochs", "train", None, 1)
    steps = c.integer(train, "steps", "train", None, 1)
    if "epochs" in train and "steps" in train:
        c.problem(*_length_clash(train, overridden))
    elif "epochs" not in train and "steps" not in train:
        c.problem("train.epochs", "required, but missing (or set train.steps,"
                  " the number of generator updates)")
    if "steps" in train:
        resolved_train["steps"] = steps
    else:
        resolved_train["epochs"] = epochs
    ema = train.get("ema", False)
    if ema is not False:
        if (
            isinstance(ema, bool)
            or not isinstance(ema, numbers.Real)
            or not 0.0 <= ema < 1.0
        ):
            c.problem(
                "train.ema",
                "expected a decay in [0, 1) such as 0.999, or false; got "
                f"{_describe(ema)}",
            )
            ema = False
        else:
            ema = float(ema)
    resolved_train["ema"] = ema
    resolved_train["seed"] = c.integer(train, "seed", "train", 0, 0)
    jit = train.get("jit_compile", "auto")
    if not (jit == "auto" or isinstance(jit, bool)):
        c.problem(
            "train.jit_compile",
            f'expected "auto", true or false, got {_describe(jit)}',
        )
        jit = "auto"
    resolved_train["jit_compile"] = jit
    for key in ("g_optimizer", "d_optimizer"):
        resolved_train[key] = _optimizer(c, train.get(key), f"train.{key}")
    resolved_train["callbacks"] = _callbacks(c, train.get("callbacks", []))
    resolved_train.update(_divergence_keys(c, train))
    resolved_train["augment"] = _named(c, train, "augment", "train", False,
                                       True)
    out["train"] = resolved_train

    output = c.table(raw.get("output"), "output", OUTPUT_KEYS) or {}
    out["output"] = {
        "dir": _directory(c, output) or "runs",
        "checkpoint_every": c.integer(output, "checkpoint_every", "output",
                                      1, 0),
        "checkpoint_every_steps": c.integer(
            output, "checkpoint_every_steps", "output", 0, 0
        ),
        "keep_checkpoints": c.integer(output, "keep_checkpoints", "output",
                                      3, 1),
        "sample_every": c.integer(output, "sample_every", "output", 1, 0),
        "samples": c.integer(output, "samples", "output", 64, 1),
        "sample_seed": c.integer(output, "sample_seed", "output", 0, 0),
        "log_every": c.integer(output, "log_every", "output", 50, 0),
        "log_images_every": c.integer(output, "log_images_every", "output",
                                      500, 0),
    }
    return out, c.problems


def _directory(c, output):
    """`output.dir`: a string the file system can take (no NUL byte)."""
    value = c.string(output, "dir", "output", "runs")
    if value is not None and "\0" in value:
        c.problem("output.dir", "a path cannot contain the NUL character "
                  f"(\\u0000); got {_describe(value)}")
        return None
    return value


def _label_mode(c, model):
    """`model.label_mode`: None (not set), "index" or "one_hot_concat"."""
    from keras_gans.labels import LABEL_MODES

    value = model.get("label_mode")
    if value is None:
        return None
    if value not in LABEL_MODES:
        c.problem("model.label_mode",
                  f'expected "index" or "one_hot_concat", got '
                  f"{_describe(value)}")
        return None
    if model.get("conditional") is not True:
        c.problem("model.label_mode",
                  "only for a conditional model; set model.conditional = "
                  "true (or remove model.label_mode)")
    return value


def _length_clash(train, overridden):
    """`(path, message)` for a train table with both epochs and steps.

    When `--set` gave one and the file the other (`--set train.epochs=44` on
    a recipe with `steps = 2000`), says which and what to set instead.
    """
    by_set = {key for key in ("epochs", "steps")
              if f"train.{key}" in overridden}
    if len(by_set) != 1:
        return "train", "set either epochs or steps, not both"
    (given,) = by_set
    kept = "steps" if given == "epochs" else "epochs"
    unit = ("generator updates" if kept == "steps" else
            "passes over the data")
    return (
        f"train.{given}",
        f"the override train.{given}={_describe(train[given])} clashes "
        f"with the recipe, which sets train.{kept} = "
        f"{_describe(train[kept])}; set either epochs or steps, not both. "
        f"Override train.{kept} ({unit}) instead",
    )


def _divergence_keys(c, train):
    """The divergence guard's settings (see `keras_gans.training.guards`)."""
    action = train.get("on_divergence", "stop")
    if action not in ON_DIVERGENCE:
        c.problem("train.on_divergence",
                  f'expected "stop" or "rollback", got {_describe(action)}')
        action = "stop"
    return {
        "check_finite_every": c.integer(train, "check_finite_every", "train",
                                        10, 0),
        "on_divergence": action,
        "rollback_lr_factor": c.number(train, "rollback_lr_factor", "train",
                                       0.5, 0.0, 1.0, True, True),
        "max_rollbacks": c.integer(train, "max_rollbacks", "train", 3, 1),
    }


def _section(c, raw, section, known, required):
    """A top-level table; a missing one is reported once, with its needs."""
    if section not in raw:
        c.problem(
            section,
            f"required, but missing (needs at least {section}.{required})",
        )
        return {}
    return c.table(raw[section], section, known, (required,)) or {}


def _named(c, table, key, path, default, allow_off):
    """A name-or-table field: `"hinge"` or `{name = "hinge", ...params}`.

    Kept in the form the recipe uses (a string, or a table); False when
    switched off.
    """
    full = _join(path, key)
    value = table.get(key, default)
    if allow_off and (value is False or value == "none"):
        return False
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict):
        name = value.get("name")
        if "name" not in value:
            c.problem(_join(full, "name"), "required, but missing")
        elif not isinstance(name, str) or not name:
            c.problem(
                _join(full, "name"),
                f"expected a non-empty string, got {_describe(name)}",
            )
        return copy.deepcopy(value)
    expected = "a name, a table with a name"
    if allow_off:
        expected += ", or false"
    c.problem(full, f"expected {expected}, got {_describe(value)}")
    return default


def name_and_params(value):
    """`(name, params)` of a name-or-table field such as `train.loss`."""
    if isinstance(value, str):
        return value, {}
    params = {k: v for k, v in value.items() if k != "name"}
    return value.get("name"), params


def _optimizer(c, value, path):
    if value is None:
        value = {}
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        c.problem(path, f"expected a table such as {{name = \"adam\", "
                  f"learning_rate = 2e-4}}, got {_describe(value)}")
        value = {}
    value = copy.deepcopy(value)
    name = c.string(value, "name", path, DEFAULT_OPTIMIZER["name"])
    out = {"name": (name or DEFAULT_OPTIMIZER["name"]).lower()}
    rate = value.get("learning_rate")
    if isinstance(rate, dict):
        # A schedule: {name = "polynomial_decay", initial_learning_rate = ...}
        if not isinstance(rate.get("name"), str) or not rate["name"]:
            c.problem(f"{path}.learning_rate.name", "expected the name of a "
                      "keras.optimizers.schedules class, such as "
                      f'"polynomial_decay"; got {_describe(rate.get("name"))}')
        out["learning_rate"] = copy.deepcopy(rate)
    else:
        out["learning_rate"] = c.number(
            value, "learning_rate", path, DEFAULT_OPTIMIZER["learning_rate"],
            low=0.0, low_open=True,
        )
    adam_like = out["name"] in ADAM_LIKE
    for beta in ("beta_1", "beta_2"):
        default = ADAM_DEFAULTS[beta] if adam_like else None
        checked = c.number(value, beta, path, default, 0.0, 1.0,
                           high_open=True)
        if checked is not None:
            out[beta] = checked
    # Other keys are the optimizer's own arguments, checked with its
    # signature in `check_names`.
    for key, item in value.items():
        if key not in out and key != "name":
            out[key] = item
    return out


def _callbacks(c, value):
    if not isinstance(value, list):
        c.problem("train.callbacks", "expected an array of tables such as "
                  f"[{{name = \"...\"}}], got {_describe(value)}")
        return []
    out = []
    for index, item in enumerate(value):
        path = f"train.callbacks[{index}]"
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            c.problem(path, "expected a table with a name, got "
                      f"{_describe(item)}")
            continue
        out.append(copy.deepcopy(item))
    return out


# ----------------------------------------------------------------------
# Name checks (plugin catalogue; Keras for the optimizers)


def check_names(resolved, catalogue):
    """Checks registered names and the parameters given to each factory.

    Args:
        resolved: the output of `check_structure`.
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

    model = resolved["model"]
    for key, where in RESERVED_ARCHITECTURE_PARAMS.items():
        if key in model["params"]:
            problems.append(
                f"model.params.{key}: set by keras-gans from {where}; "
                "remove it from model.params"
            )
    entry = lookup("architectures", model["architecture"],
                   "model.architecture", "architecture")
    if entry is not None:
        params = {k: v for k, v in model["params"].items()
                  if k not in RESERVED_ARCHITECTURE_PARAMS}
        problems += _check_params(
            entry.factory, params, "model.params",
            f"architecture {entry.name!r}",
            supplied=tuple(RESERVED_ARCHITECTURE_PARAMS),
        )
        problems += _check_label_mode(entry, model["label_mode"])

    data = resolved["data"]
    entry = lookup("datasets", data["dataset"], "data.dataset", "dataset")
    if entry is not None:
        problems += _check_params(
            entry.factory, data["params"], "data.params",
            f"dataset {entry.name!r}",
        )

    train = resolved["train"]
    for key, kind, argument in (
        ("loss", "losses", "loss"),
        ("penalty", "penalties", "penalty"),
        ("augment", "augmentations", "augmentation"),
    ):
        value = train[key]
        if not value:
            continue
        name, params = name_and_params(value)
        path = f"train.{key}"
        if not isinstance(value, str):
            path += ".name"
        entry = lookup(kind, name, path, argument)
        if entry is not None:
            problems += _check_params(
                entry.factory, params, f"train.{key}",
                f"{argument} {entry.name!r}",
            )

    for index, item in enumerate(train["callbacks"]):
        path = f"train.callbacks[{index}]"
        entry = lookup("callbacks", item["name"], f"{path}.name", "callback")
        if entry is not None:
            params = {k: v for k, v in item.items() if k != "name"}
            problems += _check_params(
                entry.factory, params, path, f"callback {entry.name!r}"
            )

    for key in ("g_optimizer", "d_optimizer"):
        problems += _check_optimizer(train[key], f"train.{key}")
    return problems


def _check_label_mode(entry, label_mode):
    """A one_hot_concat recipe needs an architecture that can build it."""
    from keras_gans.labels import ONE_HOT_CONCAT

    if label_mode != ONE_HOT_CONCAT:
        return []
    try:
        parameters = inspect.signature(entry.factory).parameters
    except (TypeError, ValueError):
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


# ----------------------------------------------------------------------
# Helpers


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


def _describe(value):
    """A value as TOML would show it: strings in double quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"an array {json.dumps(value, default=str)}"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def _interval(low, high, low_open, high_open):
    if low is not None and high is not None:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        return f"{left}{low:g}, {high:g}{right}"
    if low is not None:
        return f"> {low:g}" if low_open else f">= {low:g}"
    return f"< {high:g}" if high_open else f"<= {high:g}"


def _unknown_key_message(key, known):
    message = "unknown key"
    close = difflib.get_close_matches(str(key), list(known), n=1)
    if close:
        message += f"; did you mean {json.dumps(close[0])}?"
    else:
        message += "."
    return f"{message} Known keys: {', '.join(known)}."
