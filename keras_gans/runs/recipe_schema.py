"""The recipe, typed: every section, key, type, default and doc line, once.

A recipe section is a dataclass (`Model`, `Data`, `Train`, `Output`,
`Privacy`, `Distribution`) whose
fields carry their check and their doc line (`setting(...)`). From these
definitions alone come:

- `parse(raw)`: the typed `Recipe` and every problem at once, each with its
  dotted path and, for a misspelt key, the nearest known one
  (`keras_gans.runs.recipe` validates recipes with it);
- `json_schema()`: a JSON Schema of a recipe (draft 2020-12), for editors
  that complete TOML;
- `markdown_table()`: the table of keys for the documentation;
- `known_keys()`: the dotted keys `--set` completes.

Only structure, types, ranges and defaults are checked here, without Keras
or the plugin catalogue: registered names and factory parameters are
checked against the catalogue afterwards (`keras_gans.runs.recipe.check_names`).
`Recipe.to_dict()` is the resolved recipe as nested dicts, the form written
to `recipe.toml`.

Why dataclasses and not pydantic (measured on the recipe test cases, see
issue 10): pydantic reports none of these messages as
they are (no "did you mean", no known keys, "Field required"), a
name-or-table value gives one error per member of its union, a check across
keys (epochs or steps) runs only once every key is valid, and it would add
a compiled dependency of about 10 MB and some 150 ms to each start.
"""

import abc
import copy
import dataclasses
import difflib
import json
import math
import numbers
import types

from keras_gans.labels import LABEL_MODES

__all__ = [
    "Callback",
    "Clean",
    "Data",
    "Distribution",
    "Model",
    "Named",
    "Optimizer",
    "Output",
    "Recipe",
    "Train",
    "check_structure",
    "json_schema",
    "known_keys",
    "markdown_table",
    "parse",
]


# ----------------------------------------------------------------------
# Messages: how a problem names a value, a range and the known keys (the
# catalogue checks in `keras_gans.runs.recipe` word theirs the same way)

# The run directory is <name>-<date>-<time>[-n]; file names hold 255 bytes.
MAX_NAME_BYTES = 200


def join(path, key):
    """`path.key`, or `key` at the top level."""
    return f"{path}.{key}" if path else str(key)


def describe(value):
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


def interval(low, high, low_open, high_open):
    """A range as a message writes it: `[0, 1)`, `> 0`, `<= 10`."""
    if low is not None and high is not None:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        return f"{left}{low:g}, {high:g}{right}"
    if low is not None:
        return f"> {low:g}" if low_open else f">= {low:g}"
    return f"< {high:g}" if high_open else f"<= {high:g}"


def unknown_key_message(key, known):
    """The problem of an unknown key: the nearest known key if one is
    close, then all of them."""
    message = "unknown key"
    close = difflib.get_close_matches(str(key), list(known), n=1)
    if close:
        message += f"; did you mean {json.dumps(close[0])}?"
    else:
        message += "."
    return f"{message} Known keys: {', '.join(known)}."


def length_clash(train, overridden):
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
        f"the override train.{given}={describe(train[given])} clashes "
        f"with the recipe, which sets train.{kept} = "
        f"{describe(train[kept])}; set either epochs or steps, not both. "
        f"Override train.{kept} ({unit}) instead",
    )


# ----------------------------------------------------------------------
# Problems


class Problems:
    """Collects `path: message` problems while a recipe is walked."""

    def __init__(self):
        self.items = []

    def add(self, path, message):
        self.items.append(f"{path}: {message}")


# ----------------------------------------------------------------------
# Kinds of value: each checks a value, describes itself and gives its
# JSON Schema.


class Kind(abc.ABC):
    """How one key's value is checked, shown and described in a schema."""

    text = "value"  # the type column of the documentation table
    # What a recipe writes for a value switched off (kept as None), for
    # the kinds that can be: TOML has no None.
    switched_off = None

    @abc.abstractmethod
    def check(self, value, path, problems, default):
        """The value to keep: `value` if it passes, else `default` (after
        adding the problem to `problems`)."""

    @abc.abstractmethod
    def schema(self):
        """The JSON Schema of a valid value."""


class Integer(Kind):
    """An integer, at least `minimum`; at most `maximum` where a larger
    value cannot be meant (`why` says so in the message)."""

    def __init__(self, minimum=None, maximum=None, why=None):
        self.minimum, self.maximum, self.why = minimum, maximum, why
        if maximum is not None:
            low = "at most " if minimum is None else f"from {minimum:,} to "
            self.text = f"integer {low}{maximum:,}"
        else:
            self.text = ("integer" if minimum is None
                         else f"integer >= {minimum}")

    def check(self, value, path, problems, default):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(path, f"expected an integer, got {describe(value)}")
            return default
        if self.maximum is not None and value > self.maximum:
            problems.add(path, f"expected an {self.text} ({self.why}), got "
                         f"{value:,}")
            return default
        if self.minimum is not None and value < self.minimum:
            problems.add(path, f"expected an integer >= {self.minimum}, got "
                         f"{value}")
            return default
        return value

    def schema(self):
        schema = {"type": "integer"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema


class Number(Kind):
    def __init__(self, low=None, high=None, low_open=False, high_open=False):
        self.bounds = (low, high, low_open, high_open)
        self.text = "number"
        if low is not None or high is not None:
            self.text += f" in {interval(*self.bounds)}"

    def check(self, value, path, problems, default):
        if value is None:
            return None
        if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                or not math.isfinite(value)):
            problems.add(path, f"expected a number, got {describe(value)}")
            return default
        low, high, low_open, high_open = self.bounds
        too_low = low is not None and (value <= low if low_open
                                       else value < low)
        too_high = high is not None and (value >= high if high_open
                                         else value > high)
        if too_low or too_high:
            problems.add(path, f"expected a number in "
                         f"{interval(*self.bounds)}, got {value}")
            return default
        return value

    def schema(self):
        low, high, low_open, high_open = self.bounds
        schema = {"type": "number"}
        if low is not None:
            schema["exclusiveMinimum" if low_open else "minimum"] = low
        if high is not None:
            schema["exclusiveMaximum" if high_open else "maximum"] = high
        return schema


class Boolean(Kind):
    text = "boolean"

    def check(self, value, path, problems, default):
        if not isinstance(value, bool):
            problems.add(path, f"expected true or false, got "
                         f"{describe(value)}")
            return default
        return value

    def schema(self):
        return {"type": "boolean"}


class String(Kind):
    """A non-empty string; a bad one is dropped (None), not defaulted."""

    text = "string"

    def check(self, value, path, problems, default):
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            problems.add(path, f"expected a non-empty string, got "
                         f"{describe(value)}")
            return None
        return value

    def schema(self):
        return {"type": "string", "minLength": 1}


class Path(String):
    """A file system path: a non-empty string without a NUL byte (which no
    file system takes)."""

    text = "path"

    def check(self, value, path, problems, default):
        value = super().check(value, path, problems, default)
        if value is not None and "\0" in value:
            problems.add(path, "a path cannot contain the NUL character "
                         f"(\\u0000); got {describe(value)}")
            return None
        return value

    def schema(self):
        return {**super().schema(), "pattern": "^[^\\u0000]*$"}


class Choice(Kind):
    """One of `choices`; with `optional`, also left out (None)."""

    def __init__(self, *choices, optional=False):
        self.choices, self.optional = choices, optional
        self.text = " or ".join(json.dumps(c) for c in choices)

    def check(self, value, path, problems, default):
        if value is None and self.optional:
            return None
        if value not in self.choices:
            listed = " or ".join(json.dumps(c) for c in self.choices)
            problems.add(path, f"expected {listed}, got {describe(value)}")
            return default
        return value

    def schema(self):
        return {"enum": list(self.choices)}


class AutoOrBoolean(Kind):
    text = '"auto", true or false'

    def check(self, value, path, problems, default):
        if not (value == "auto" or isinstance(value, bool)):
            problems.add(path, f'expected "auto", true or false, got '
                         f"{describe(value)}")
            return default
        return value

    def schema(self):
        return {"enum": ["auto", True, False]}


class Decay(Kind):
    """An EMA decay in [0, 1), or false for none (kept as None)."""

    text = "number in [0, 1) or false"
    switched_off = False

    def check(self, value, path, problems, default):
        if value is False:
            return None
        if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                or not 0.0 <= value < 1.0):
            problems.add(path, "expected a decay in [0, 1) such as 0.999, or "
                         f"false; got {describe(value)}")
            return default
        return float(value)

    def schema(self):
        return {"oneOf": [{"const": False},
                          {"type": "number", "minimum": 0,
                           "exclusiveMaximum": 1}]}


class Table(Kind):
    """A table of free parameters (a factory's own), checked later against
    the factory's signature."""

    text = "table"

    def check(self, value, path, problems, default):
        if not isinstance(value, dict):
            problems.add(path, f"expected a table, got {describe(value)}")
            return {}
        return copy.deepcopy(value)

    def schema(self):
        return {"type": "object"}


@dataclasses.dataclass
class Named:
    """A name-or-table value such as `train.loss`: `"hinge"` or
    `{name = "hinge", ...params}`.

    Attributes:
        name: the registered name (None when a table had none).
        params: the factory's parameters.
        as_table: whether the recipe wrote a table (kept when written back).
    """

    name: object
    params: dict = dataclasses.field(default_factory=dict)
    as_table: bool = False

    def to_value(self):
        """The value as the recipe wrote it: a string or a table."""
        if not self.as_table:
            return self.name
        named = {} if self.name is None else {"name": self.name}
        return {**named, **self.params}


class NameOrTable(Kind):
    """A registered name, a table with a `name`, or (`allow_off`) false."""

    def __init__(self, allow_off=False):
        self.allow_off = allow_off
        self.text = "name or table" + (" or false" if allow_off else "")
        self.switched_off = False if allow_off else None

    def check(self, value, path, problems, default):
        if self.allow_off and (value is False or value == "none"):
            return None
        if isinstance(value, str) and value:
            return Named(value)
        if isinstance(value, dict):
            name = value.get("name")
            if "name" not in value:
                problems.add(join(path, "name"), "required, but missing")
            elif not isinstance(name, str) or not name:
                problems.add(join(path, "name"), "expected a non-empty "
                             f"string, got {describe(name)}")
            table = copy.deepcopy(value)
            return Named(table.pop("name", None), table, as_table=True)
        expected = "a name, a table with a name"
        if self.allow_off:
            expected += ", or false"
        problems.add(path, f"expected {expected}, got {describe(value)}")
        return default

    def schema(self):
        options = [{"type": "string", "minLength": 1},
                   {"type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string",
                                            "minLength": 1}}}]
        if self.allow_off:
            options.insert(0, {"const": False})
        return {"anyOf": options}


# Adam-like optimizers get the DCGAN betas unless the recipe sets them.
ADAM_LIKE = ("adam", "adamw", "adamax", "nadam")
ADAM_DEFAULTS = {"beta_1": 0.5, "beta_2": 0.999}
DEFAULT_LEARNING_RATE = 2e-4
BETA = Number(0.0, 1.0, high_open=True)
LEARNING_RATE = Number(0.0, low_open=True)


@dataclasses.dataclass
class Optimizer:
    """A Keras optimizer by name, with its arguments.

    Attributes:
        name: lower-case class name in `keras.optimizers` (`adam`).
        learning_rate: a number, or a schedule table `{name = ...}` of
            `keras.optimizers.schedules`.
        beta_1, beta_2: set for Adam-like optimizers (default 0.5, 0.999).
        arguments: the optimizer's other Keras arguments, checked against
            its signature with the catalogue checks.
    """

    name: str = "adam"
    learning_rate: object = DEFAULT_LEARNING_RATE
    beta_1: float | None = None
    beta_2: float | None = None
    arguments: dict = dataclasses.field(default_factory=dict)

    def to_value(self):
        value = {"name": self.name, "learning_rate": self.learning_rate}
        for beta in ("beta_1", "beta_2"):
            if getattr(self, beta) is not None:
                value[beta] = getattr(self, beta)
        value.update(self.arguments)
        return value


class OptimizerKind(Kind):
    text = "optimizer table or name"

    def check(self, value, path, problems, default):
        if value is None:
            value = {}
        if isinstance(value, str):
            value = {"name": value}
        if not isinstance(value, dict):
            problems.add(path, 'expected a table such as {name = "adam", '
                         f"learning_rate = 2e-4}}, got {describe(value)}")
            value = {}
        value = copy.deepcopy(value)
        name = String().check(value.get("name", "adam"), join(path, "name"),
                              problems, None)
        optimizer = Optimizer((name or "adam").lower())
        rate = value.get("learning_rate", DEFAULT_LEARNING_RATE)
        if isinstance(rate, dict):
            if not isinstance(rate.get("name"), str) or not rate["name"]:
                problems.add(
                    f"{path}.learning_rate.name", "expected the name of a "
                    "keras.optimizers.schedules class, such as "
                    f'"polynomial_decay"; got {describe(rate.get("name"))}')
            optimizer.learning_rate = rate
        else:
            optimizer.learning_rate = LEARNING_RATE.check(
                rate, f"{path}.learning_rate", problems,
                DEFAULT_LEARNING_RATE)
        adam_like = optimizer.name in ADAM_LIKE
        for beta in ("beta_1", "beta_2"):
            fallback = ADAM_DEFAULTS[beta] if adam_like else None
            setattr(optimizer, beta, BETA.check(
                value.get(beta, fallback), f"{path}.{beta}", problems,
                fallback))
        known = ("name", "learning_rate", "beta_1", "beta_2")
        optimizer.arguments = {k: v for k, v in value.items()
                               if k not in known}
        return optimizer

    def schema(self):
        schedule = {"type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string",
                                            "minLength": 1}}}
        table = {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1,
                         "description": "A keras.optimizers class, lower "
                                        "case (adam, rmsprop, sgd, ...)."},
                "learning_rate": {"anyOf": [LEARNING_RATE.schema(),
                                            schedule]},
                "beta_1": BETA.schema(),
                "beta_2": BETA.schema(),
            },
            "additionalProperties": True,
        }
        return {"anyOf": [{"type": "string", "minLength": 1}, table]}


@dataclasses.dataclass
class Callback:
    """A callback (a registered name or an import path) and its
    parameters (`[[train.callbacks]]`, `runs.recipe_callbacks`)."""

    name: str
    params: dict = dataclasses.field(default_factory=dict)

    def to_value(self):
        return {"name": self.name, **self.params}


class CallbackList(Kind):
    text = "array of tables"

    def check(self, value, path, problems, default):
        if not isinstance(value, list):
            problems.add(path, "expected an array of tables such as "
                         f'[{{name = "..."}}], got {describe(value)}')
            return []
        callbacks = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, dict) or not isinstance(item.get("name"),
                                                            str):
                problems.add(f"{path}[{index}]", "expected a table with a "
                             f"name, got {describe(item)}")
                continue
            item = copy.deepcopy(item)
            callbacks.append(Callback(item.pop("name"), item))
        return callbacks

    def schema(self):
        item = {"anyOf": [
            {"type": "string"},
            {"type": "object", "required": ["name"],
             "properties": {"name": {"type": "string"}}},
        ]}
        return {"type": "array", "items": item}


class Devices(Kind):
    """The devices a run trains on: "all", a positive count, or a list of
    device names (`keras_gans.backend.distribution.choose_devices`)."""

    text = '"all", integer >= 1 or list of device names'

    def check(self, value, path, problems, default):
        if value == "all":
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            if value >= 1:
                return value
        elif (isinstance(value, list) and value
              and all(isinstance(name, str) and name for name in value)):
            if len(set(value)) == len(value):
                return list(value)
            problems.add(path, f"names a device twice: {describe(value)}")
            return default
        problems.add(path, 'expected "all", a positive number of devices or '
                     'a list of device names (e.g. ["gpu:0", "gpu:1"]), got '
                     f"{describe(value)}")
        return default

    def schema(self):
        return {"anyOf": [{"const": "all"},
                          {"type": "integer", "minimum": 1},
                          {"type": "array", "minItems": 1,
                           "uniqueItems": True,
                           "items": {"type": "string", "minLength": 1}}]}


class OptionalTable(Table):
    """A table of free values passed on as they are, or left out (None)."""

    def check(self, value, path, problems, default):
        if value is None:
            return None
        return super().check(value, path, problems, default)


class Subsection(Kind):
    """A table of keys of its own, each a `setting` of the dataclass `cls`
    (`data.clean`): unknown keys are refused with the nearest known one,
    and each key is checked, documented and completed like a section's."""

    def __init__(self, cls):
        self.cls = cls
        self.text = "table"

    def check(self, value, path, problems, default):
        table = _table(value, path, self.cls, problems)
        return self.cls(**_fields(self.cls, table, path, problems))

    def schema(self):
        return {"type": "object", "additionalProperties": False,
                "properties": {
                    field.name: dict(field.metadata["kind"].schema(),
                                     description=field.metadata["doc"])
                    for field in dataclasses.fields(self.cls)}}


# ----------------------------------------------------------------------
# Sections

# Upper bounds and the reason the message gives. Sizes: far above any real
# run, so a larger value is a typo (an extra zero, an exponent) that would
# allocate for a minute and then fail deep in a backend. Seeds: what every
# backend's generator accepts (torch's SeedGenerator holds an int32).
SIZE = 2**20
TYPO = "a larger value is taken for a typo"
SEED = 2**31 - 1
LARGEST_SEED = "the largest seed every backend accepts"
COUNT = 2**31 - 1
WALK_PICTURE = "a walk picture holds at most 100 x 100 frames"


# Model kinds, and the keys that mean something for one kind only: the
# other kind's recipe refuses them (`KindKeys`), and the resolved recipe
# leaves them out.
GAN = "gan"
VAE = "vae"
KINDS = (GAN, VAE)
ONLY_FOR = {
    VAE: {"model": ("likelihood", "beta", "beta_warmup_steps"),
          "train": ("optimizer",)},
    GAN: {"train": ("loss", "penalty", "d_steps", "ema", "augment",
                    "g_optimizer", "d_optimizer", "init_from"),
          "privacy": ("noise_multiplier", "target_epsilon", "l2_norm_clip",
                      "delta", "max_epsilon")},
}
# DP-SGD trains a GAN's discriminator, the only network reading real data.
NOT_FOR_A_VAE = ("DP-SGD is built for a GAN's discriminator (a VAE's "
                 "encoder reads the data directly); remove the [privacy] "
                 "table")
# Why a VAE refuses a GAN key, and what to do instead.
VAE_INSTEAD = {
    "loss": "a VAE trains on its ELBO; remove it",
    "penalty": "a VAE has no discriminator to penalise; remove it",
    "d_steps": "a VAE has no discriminator; remove it",
    "ema": "a VAE samples with its trained decoder (no weight average); "
           "remove it",
    "augment": "augmentations feed a discriminator, which a VAE has not; "
               "remove it",
    "g_optimizer": "a VAE has one optimizer: name it train.optimizer",
    "d_optimizer": "a VAE has one optimizer, train.optimizer; remove it",
    "init_from": "starting from saved weights is built for GANs only; "
                 "remove it",
    **dict.fromkeys(ONLY_FOR[GAN]["privacy"], NOT_FOR_A_VAE),
}


def applies(kind, section, key):
    """Whether `section.key` means something for a model of `kind`."""
    return all(key not in ONLY_FOR[other].get(section, ())
               for other in KINDS if other != kind)


def setting(default, kind, doc, *, required=False, factory=None):
    """A recipe key: its default, its `Kind` and a one-line doc."""
    metadata = {"kind": kind, "doc": doc, "required": required,
                "default": default}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass
class Model:
    """The generator and discriminator (or, for a VAE, decoder and
    encoder)."""

    kind: str = setting(
        GAN, Choice(*KINDS), "The model trained: a GAN, or a VAE (the "
        "architecture's decoder and encoder, trained on the ELBO).")
    architecture: str | None = setting(
        None, String(), "A registered architecture (keras-gans list "
        "architectures).", required=True)
    latent_dim: int = setting(64, Integer(1, SIZE, TYPO),
                              "Size of the latent vector z.")
    conditional: bool = setting(
        False, Boolean(), "G and D take class labels (the data must have "
        "them).")
    num_classes: int | None = setting(
        None, Integer(1, SIZE, TYPO), "Number of classes of a conditional "
        "model (default: from the data's labels).")
    label_mode: str | None = setting(
        None, Choice(*LABEL_MODES, optional=True), "Only with conditional "
        "= true: G and D take labels as a second input (index), or one-hot "
        "joined to their single input (one_hot_concat; dcgan and mlp build "
        "it); default: from G's inputs.")
    params: dict = setting({}, Table(), "The architecture's own "
                           "parameters.", factory=dict)
    likelihood: str = setting(
        "auto", Choice("auto", "gaussian", "bernoulli"), "VAE only: p(x|z), "
        "Gaussian (a learned variance) or Bernoulli (data in [0, 1]); auto: "
        "Bernoulli when the data lies in [0, 1].")
    beta: float = setting(1.0, Number(0.0), "VAE only: weight of the KL "
                          "term (1: the ELBO).")
    beta_warmup_steps: int = setting(
        0, Integer(0), "VAE only: updates over which the KL "
        "weight grows linearly to beta; 0: none.")


@dataclasses.dataclass
class Clean:
    """What is removed from the data before training (`data.clean`), and
    the thresholds of the data checks (`keras-gans check-data`)."""

    drop_nonfinite: bool = setting(
        False, Boolean(), "Remove samples holding NaN or infinite values "
        "(else the run refuses them).")
    drop_out_of_range: bool = setting(
        False, Boolean(), "Remove samples with values outside the range of "
        "the generator's output (tanh: [-1, 1]; else the run refuses them).")
    drop_blank: bool = setting(
        False, Boolean(), "Remove blank images (pixel standard deviation at "
        "most blank_std).")
    drop_duplicates: bool = setting(
        False, Boolean(), "Remove exact copies of an earlier sample (the "
        "first of each group is kept).")
    drop_near_duplicates: bool = setting(
        False, Boolean(), "Remove images whose perceptual hash is within "
        "near_duplicate_bits of an earlier kept image.")
    blank_std: float = setting(
        0.01, Number(0.0), "An image whose pixels' standard deviation is at "
        "most this is blank ([-1, 1] data: 0.0078 a grey level).")
    near_duplicate_bits: int = setting(
        2, Integer(0, 31, "of a 64-bit hash"), "Near duplicates: images "
        "whose 64-bit DCT perceptual hashes differ in at most this many "
        "bits.")


@dataclasses.dataclass
class Data:
    """The training data."""

    dataset: str | None = setting(
        None, String(), "A registered dataset (keras-gans list datasets).",
        required=True)
    batch_size: int = setting(64, Integer(1, SIZE, TYPO),
                              "Samples per batch (on several devices: the "
                              "global batch, split evenly over them).")
    drop_remainder: bool = setting(
        True, Boolean(), "Leave out the samples of a partial last batch (a "
        "seeded choice).")
    flip: bool = setting(
        False, Boolean(), "Flip images left-right at random (each sample "
        "with probability 1/2, fixed by train.seed and the epoch).")
    workers: int = setting(
        4, Integer(1, 256, TYPO), "Threads that decode the batches of a "
        "streamed image dataset ahead of training (arrays in memory need "
        "none).")
    params: dict = setting({}, Table(), "The dataset's own parameters.",
                           factory=dict)
    check: bool = setting(
        True, Boolean(), "Check the data before training (keras-gans "
        "check-data): warn about blanks and duplicates, refuse NaN, "
        "infinity and values outside the generator's range; the report goes "
        "into the run directory.")
    clean: Clean = setting(
        Clean(), Subsection(Clean), "What to remove before training: "
        "{drop_duplicates = true, ...}; the run directory lists the removed "
        "samples.", factory=Clean)


@dataclasses.dataclass
class Train:
    """How the GAN trains."""

    loss: Named = setting(
        Named("non_saturating"), NameOrTable(), "A registered loss, or "
        "{name = ..., ...its parameters}.",
        factory=lambda: Named("non_saturating"))
    penalty: Named | None = setting(
        None, NameOrTable(allow_off=True), "A registered penalty (r1, "
        "wgan_gp), a table with its parameters, or false.")
    d_steps: int = setting(1, Integer(1, 100, TYPO), "Discriminator "
                           "updates per generator update.")
    epochs: int | None = setting(
        None, Integer(1, COUNT, TYPO), "Passes over the data (or set "
        "steps, not both).")
    steps: int | None = setting(
        None, Integer(1, COUNT, TYPO), "Generator updates (or set "
        "epochs, not both).")
    ema: float | None = setting(
        None, Decay(), "Decay of the generator's weight average, which "
        "generate() uses; false for none.")
    seed: int = setting(0, Integer(0, SEED, LARGEST_SEED), "Seed of the "
                        "weights, the data order and z.")
    jit_compile: object = setting(
        "auto", AutoOrBoolean(), "Compile the training step (XLA, jit).")
    g_optimizer: Optimizer = setting(
        Optimizer(), OptimizerKind(), "The generator's optimizer: {name = "
        '"adam", learning_rate = 2e-4, ...Keras arguments}.',
        factory=Optimizer)
    d_optimizer: Optimizer = setting(
        Optimizer(), OptimizerKind(), "The discriminator's optimizer.",
        factory=Optimizer)
    callbacks: list = setting(
        [], CallbackList(), "Callbacks: [[train.callbacks]] name = a "
        "registered name or a Callback class's import path "
        '("keras.callbacks.CSVLogger"), ...its arguments (relative file '
        "paths go in the run directory).", factory=list)
    check_finite_every: int = setting(
        10, Integer(0), "Steps between NaN/Inf checks of the losses.")
    on_divergence: str = setting(
        "stop", Choice("stop", "rollback"), "On a NaN or infinite loss or "
        "weight: stop, or reload the last good checkpoint.")
    rollback_lr_factor: float = setting(
        0.5, Number(0.0, 1.0, True, True), "Factor on both learning rates "
        "at each rollback.")
    max_rollbacks: int = setting(3, Integer(1), "Rollbacks before the run "
                                 "stops.")
    augment: Named | None = setting(
        None, NameOrTable(allow_off=True), "A registered augmentation "
        "applied before D (ada, diffaugment), a table with its parameters, "
        "or false.")
    init_from: str | None = setting(
        None, Path(), "Start a new run from these saved weights (a run, a "
        "checkpoint or .keras file, hf://owner/repo[/file]): G, D and the "
        "EMA; optimizers and step start fresh; a resumed run ignores it.")
    optimizer: Optimizer = setting(
        Optimizer(), OptimizerKind(), "VAE only: its one optimizer (a GAN "
        "has g_optimizer and d_optimizer).", factory=Optimizer)


@dataclasses.dataclass
class Output:
    """Where and how often the run writes."""

    dir: str = setting("runs", Path(), "Parent of the run directories.")
    checkpoint_every: int = setting(
        1, Integer(0), "Epochs between checkpoints; 0: only after the last "
        "one.")
    checkpoint_every_steps: int = setting(
        0, Integer(0), "Generator steps between checkpoints; 0: none.")
    keep_checkpoints: int = setting(3, Integer(1), "Newest checkpoints "
                                    "kept.")
    sample_every: int = setting(1, Integer(0), "Epochs between sample "
                                "grids; 0: none.")
    samples: int = setting(
        64, Integer(1, 10_000, "a sample picture holds at most 100 x 100"),
        "Samples per grid and TensorBoard picture.")
    sample_seed: int = setting(0, Integer(0, SEED, LARGEST_SEED), "Seed of "
                               "the fixed latent batch.")
    log_every: int = setting(50, Integer(0), "Generator steps between "
                             "TensorBoard scalars.")
    log_images_every: int = setting(
        500, Integer(0), "Steps between TensorBoard sample pictures; 0: "
        "none.")
    log_walk_every: int = setting(
        0, Integer(0), "Steps between TensorBoard latent walks (tag "
        "samples/walk: a row per walk, a column per frame); 0: none.")
    walk_frames: int = setting(8, Integer(2, 100, WALK_PICTURE), "Frames "
                               "of each TensorBoard latent walk.")
    walk_points: int = setting(3, Integer(2, 100, WALK_PICTURE), "Latents "
                               "each walk visits, drawn from sample_seed.")
    walks: int = setting(4, Integer(1, 100, WALK_PICTURE), "Walks per "
                         "TensorBoard picture, one per row.")


@dataclasses.dataclass
class Privacy:
    """Differentially private training of the discriminator (DP-SGD); a
    recipe without this table trains without it."""

    noise_multiplier: float | None = setting(
        None, Number(0.0, low_open=True), "Noise of DP-SGD, in units of "
        "l2_norm_clip (or set target_epsilon, not both).")
    target_epsilon: float | None = setting(
        None, Number(0.0, low_open=True), "The epsilon the whole run may "
        "spend: the noise is computed from it, the steps and the sampling "
        "rate (or set noise_multiplier, not both).")
    l2_norm_clip: float = setting(
        1.0, Number(0.0, low_open=True), "Each example's gradient of D is "
        "clipped to this L2 norm.")
    delta: float | None = setting(
        None, Number(0.0, 1.0, True, True), "The delta of (epsilon, delta)"
        "; must be below 1/N for N training examples (default: 1/(10 N)).")
    max_epsilon: float | None = setting(
        None, Number(0.0, low_open=True), "A new run whose planned steps "
        "would spend more is refused; a resumed or extended run stops with "
        "a checkpoint when it reaches it.")

    def enabled(self):
        """Whether the recipe trains with DP-SGD."""
        return (self.noise_multiplier is not None
                or self.target_epsilon is not None)


DISTRIBUTION_MODES = ("data_parallel", "model_parallel")


@dataclasses.dataclass
class Distribution:
    """The devices (and processes) a run trains on; a recipe without this
    table trains on one device (`keras_gans.backend.distribute`)."""

    devices: object = setting(
        1, Devices(), "The devices to train on: \"all\" this process "
        "sees, the first N, or their names; data.batch_size is the global "
        "batch, split evenly over them.")
    mode: str = setting(
        "data_parallel", Choice(*DISTRIBUTION_MODES), "data_parallel: "
        "every device holds the whole model and trains on its share of each "
        "batch; model_parallel (JAX only): weights sharded over a device "
        "mesh.")
    mesh: dict | None = setting(
        None, OptionalTable(), "model_parallel only: the device mesh, axis "
        "name -> size in mesh order (e.g. {batch = 2, model = 2}); the "
        "\"batch\" axis (else the first) splits the batch.")
    layout: dict | None = setting(
        None, OptionalTable(), "model_parallel only: which weights are "
        "sharded over which mesh axes: a regex on variable paths -> one mesh "
        "axis per dimension, \"\" for a dimension kept whole (e.g. "
        "{\".*dense.*kernel\" = [\"\", \"model\"]}).")

    def is_default(self):
        """Whether the table asks for nothing but one device."""
        return self == Distribution()


SECTIONS = {"model": Model, "data": Data, "train": Train, "output": Output,
            "privacy": Privacy, "distribution": Distribution}


def keys(cls):
    """The keys of a section, in declaration order."""
    return [field.name for field in dataclasses.fields(cls)]


class LabelModeNeedsConditional:
    """`model.label_mode` is only for a conditional model."""

    def check(self, table, problems, overridden):
        if (table.get("label_mode") in LABEL_MODES
                and table.get("conditional") is not True):
            problems.add("model.label_mode", "only for a conditional model; "
                         "set model.conditional = true (or remove "
                         "model.label_mode)")

    def schema(self):
        return {"dependentSchemas": {"label_mode": {
            "required": ["conditional"],
            "properties": {"conditional": {"const": True}}}}}


class EpochsOrSteps:
    """`train` sets the run's length once: epochs or steps."""

    def check(self, table, problems, overridden):
        """`overridden`: the dotted keys `--set` gave, so that a clash
        between one of them and the file says which to set instead."""
        if "epochs" in table and "steps" in table:
            problems.add(*length_clash(table, overridden))
        elif "epochs" not in table and "steps" not in table:
            problems.add("train.epochs", "required, but missing (or set "
                         "train.steps, the number of generator updates)")

    def schema(self):
        return {"not": {"required": ["epochs", "steps"]},
                "anyOf": [{"required": ["epochs"]}, {"required": ["steps"]}]}


class NoiseOrTarget:
    """A `[privacy]` table sets the noise once: noise_multiplier, or
    target_epsilon to compute it from."""

    def check(self, table, problems, overridden):
        given = [key for key in ("noise_multiplier", "target_epsilon")
                 if key in table]
        if len(given) == 2:
            problems.add("privacy", "set either noise_multiplier or "
                         "target_epsilon, not both (the noise is computed "
                         "from target_epsilon)")
        elif table and not given:
            problems.add("privacy.noise_multiplier", "required, but missing "
                         "(or set privacy.target_epsilon, the epsilon the "
                         "run may spend); remove the [privacy] table to "
                         "train without DP-SGD")

    def schema(self):
        return {"not": {"required": ["noise_multiplier", "target_epsilon"]},
                "if": {"minProperties": 1},
                "then": {"anyOf": [{"required": ["noise_multiplier"]},
                                   {"required": ["target_epsilon"]}]}}


class KindKeys:
    """Keys of the other model kind are refused: a VAE recipe has no loss,
    penalty, d_steps, EMA, augmentation or G/D optimizers (and cannot roll
    back two learning rates); a GAN recipe has no likelihood, beta or
    train.optimizer."""

    def check(self, raw, section, problems):
        """Adds the problems of `raw[section]` (called section by section,
        so that problems stay in recipe order)."""
        model = raw.get("model") if isinstance(raw.get("model"),
                                               dict) else {}
        kind = model.get("kind", GAN)
        table = raw.get(section)
        if kind not in KINDS or not isinstance(table, dict):
            return  # model.kind's own check says so
        for other in KINDS:
            if other == kind:
                continue
            for name in ONLY_FOR[other].get(section, ()):
                if name in table:
                    problems.add(f"{section}.{name}",
                                 self.message(kind, name))
        if (kind == VAE and section == "train"
                and table.get("on_divergence") == "rollback"):
            problems.add("train.on_divergence", 'a VAE run stops on a NaN '
                         'or infinite value ("stop"); "rollback" lowers a '
                         "GAN's two learning rates and is for GANs only")

    @staticmethod
    def message(kind, name):
        if kind == VAE:
            return (f'only for a GAN (model.kind = "gan"): {VAE_INSTEAD[name]}'
                    " (or set model.kind = \"gan\")")
        return (f'only for a VAE (model.kind = "vae"); remove it, or set '
                'model.kind = "vae"' + (
                    " (a GAN has g_optimizer and d_optimizer)"
                    if name == "optimizer" else ""))

    def schema(self):
        """Top-level `allOf` members: per kind, the other kind's keys are
        absent."""
        def absent(names):
            return {"not": {"anyOf": [{"required": [n]} for n in names]}}

        is_vae = {"required": ["model"], "properties": {"model": {
            "required": ["kind"], "properties": {"kind": {"const": VAE}}}}}
        vae_refuses = {"properties": {
            section: absent(names)
            for section, names in ONLY_FOR[GAN].items()}}
        vae_refuses["properties"]["train"] = {"allOf": [
            absent(ONLY_FOR[GAN]["train"]),
            {"properties": {"on_divergence": {"not": {
                "const": "rollback"}}}}]}
        gan_refuses = {"properties": {
            section: absent(names)
            for section, names in ONLY_FOR[VAE].items()}}
        return [{"if": is_vae, "then": vae_refuses, "else": gan_refuses}]


class MeshOnlyForModelParallel:
    """`distribution.mesh` and `layout` describe model parallelism only."""

    def check(self, table, problems, overridden):
        if table.get("mode") == "model_parallel":
            return
        for key in ("mesh", "layout"):
            if key in table:
                problems.add(f"distribution.{key}", 'only with mode = '
                             '"model_parallel"; set distribution.mode = '
                             f'"model_parallel" (or remove distribution.{key})')

    def schema(self):
        model_parallel = {"required": ["mode"],
                          "properties": {"mode": {"const": "model_parallel"}}}
        return {"dependentSchemas": {"mesh": model_parallel,
                                     "layout": model_parallel}}


# Checks across the keys of a section, after each key's own check.
RULES = {Model: LabelModeNeedsConditional(), Train: EpochsOrSteps(),
         Privacy: NoiseOrTarget(), Distribution: MeshOnlyForModelParallel()}
# Checks across sections, on the whole raw recipe.
RECIPE_RULES = (KindKeys(),)
# The sections without which a recipe means nothing.
REQUIRED_SECTIONS = ("model", "data")
TOP_LEVEL = ("name", "description", *SECTIONS)


@dataclasses.dataclass
class Recipe:
    """A resolved recipe: every default filled in, read as attributes
    (`recipe.model.latent_dim`, `recipe.train.epochs`).

    Attributes:
        name: the recipe's name (its `name` key or the file name).
        model, data, train, output: the typed sections.
        privacy: the `[privacy]` table (`privacy.enabled()`: whether the
            run trains with DP-SGD).
        distribution: the `[distribution]` table (the default: one
            device).
        description: its one-line description ("" when none).
        source: the file it was read from, if any.
        overrides: the `--set` assignments applied, in order.
    """

    name: str
    model: Model
    data: Data
    train: Train
    output: Output
    description: str = ""
    source: str | None = None
    overrides: tuple = ()
    privacy: Privacy = dataclasses.field(default_factory=Privacy)
    distribution: Distribution = dataclasses.field(
        default_factory=Distribution)

    def to_dict(self):
        """The resolved recipe as nested dicts: the form written to
        `recipe.toml` and logged as TensorBoard hyperparameters. Keys of
        the other model kind are left out, and so is `privacy` when the
        run trains without DP-SGD, and `distribution` when it trains on
        one device."""
        out = {"name": self.name}
        if self.description:
            out["description"] = self.description
        for section in SECTIONS:
            values = _section_dict(getattr(self, section),
                                   self.model.kind, section)
            if section == "privacy" and not (values
                                             and self.privacy.enabled()):
                continue
            if section == "distribution" and self.distribution.is_default():
                continue
            out[section] = values
        return out

    def __getitem__(self, section):
        """`recipe["model"]`: a section as a read-only mapping, for code
        written against the untyped recipe; new code reads attributes.

        Read-only so that code which used to change the recipe in place
        (`recipe["model"]["num_classes"] = n`) fails loudly instead of
        changing a copy: a typed recipe changes through
        `dataclasses.replace` (`with_num_classes`). The values inside are
        plain copies (an optimizer's table is a dict, as Keras expects)."""
        return types.MappingProxyType(self.to_dict()[section])

    def to_toml(self):
        """The resolved recipe as TOML text, with a comment header."""
        from keras_gans import files

        return files.toml_text(self.to_dict(), header=self.comment_lines())

    def comment_lines(self):
        """The header of `to_toml()`: the version that resolved it, its
        source and its `--set` overrides."""
        from keras_gans import __version__

        lines = [f"Resolved recipe, written by keras-gans {__version__}."]
        if self.source:
            lines.append(f"Source: {self.source}")
        for override in self.overrides:
            lines.append(f"--set {override}")
        return lines

    def with_num_classes(self, num_classes):
        """A copy whose `model.num_classes` is `num_classes` (a run records
        the number of classes its data gave)."""
        model = dataclasses.replace(self.model, num_classes=num_classes)
        return dataclasses.replace(self, model=model)


def _section_dict(section, kind=GAN, name=None):
    out = {}
    for field in dataclasses.fields(section):
        if not applies(kind, name, field.name):
            continue
        value = getattr(section, field.name)
        if field.name == "epochs":  # epochs or steps, in recipe order
            key = "epochs" if section.steps is None else "steps"
            out[key] = getattr(section, key)
        if field.name in ("epochs", "steps"):
            continue
        out[field.name] = _plain(value, field)
    return out


def _plain(value, field):
    if value is None:
        return field.metadata["kind"].switched_off
    if isinstance(field.metadata["kind"], Subsection):
        return _section_dict(value)
    if isinstance(value, (Named, Optimizer, Callback)):
        return value.to_value()
    if isinstance(value, list):  # callbacks; or device names
        return [item.to_value() if hasattr(item, "to_value") else item
                for item in value]
    return value


# ----------------------------------------------------------------------
# Parsing


def _table(value, path, cls, problems, required=()):
    """Checks that `value` is a table with only `cls`'s keys."""
    known = keys(cls) if isinstance(cls, type) else list(cls)
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.add(path, f"expected a table, got {describe(value)}")
        return {}
    for key in value:
        if key not in known:
            problems.add(join(path, key), unknown_key_message(key, known))
    for key in required:
        if key not in value:
            problems.add(join(path, key), "required, but missing")
    return value


def _fields(cls, table, path, problems):
    """Checks each key of a section in declaration order."""
    values = {}
    for field in dataclasses.fields(cls):
        kind = field.metadata["kind"]
        default = (field.default_factory() if field.default is
                   dataclasses.MISSING else field.default)
        raw = table.get(field.name, _default_value(field, default))
        values[field.name] = kind.check(raw, join(path, field.name),
                                        problems, default)
    return values


def _default_value(field, default):
    """The raw value a missing key stands for (as a recipe would write
    it)."""
    if isinstance(default, Named):
        return default.name
    if default is None and field.metadata["kind"].switched_off is not None:
        return field.metadata["kind"].switched_off
    if isinstance(default, Optimizer):
        return None
    if isinstance(field.metadata["kind"], Subsection):
        return {}
    return default


def parse(raw, default_name="recipe", overridden=()):
    """Checks a raw recipe (parsed TOML) and fills in the defaults.

    Args:
        raw: the recipe as nested dicts.
        default_name: the name when the recipe has no `name` key (the
            file name).
        overridden: the dotted keys set by `--set`; a clash between one
            of them and a key of the file is reported as such, with the key
            to set instead.

    Returns:
        `(recipe, problems)`: a `Recipe` (values that failed a check keep
        their default) and the list of `path: message` problems.
    """
    problems = Problems()
    raw = _table(raw, "", TOP_LEVEL, problems)
    name = raw.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        problems.add("name", f"expected a non-empty string, got "
                     f"{describe(name)}")
        name = default_name
    elif len(name.encode("utf-8")) > MAX_NAME_BYTES:
        problems.add("name", f"expected at most {MAX_NAME_BYTES} bytes (in "
                     "UTF-8; it names the run directory, and file names "
                     f"hold 255), got {len(name.encode('utf-8')):,}")
        name = default_name
    description = raw.get("description", "")
    if not isinstance(description, str):
        problems.add("description", f"expected a string, got "
                     f"{describe(description)}")
        description = ""

    sections = {}
    for section, cls in SECTIONS.items():
        required = [f.name for f in dataclasses.fields(cls)
                    if f.metadata["required"]]
        if section in REQUIRED_SECTIONS and section not in raw:
            problems.add(section, "required, but missing (needs at least "
                         f"{section}.{required[0]})")
            table = {}
        else:
            table = _table(raw.get(section), section, cls, problems,
                           required)
        values = _fields(cls, table, section, problems)
        if cls in RULES:
            RULES[cls].check(table, problems, overridden)
        for rule in RECIPE_RULES:
            rule.check(raw, section, problems)
        if cls is Output:
            values["dir"] = values["dir"] or "runs"
        sections[section] = cls(**values)
    recipe = Recipe(name, description=description, **sections)
    return recipe, problems.items


def check_structure(raw, default_name="recipe", overridden=()):
    """Checks keys, types and ranges; fills in defaults. Imports no Keras.

    Args:
        raw: the recipe as nested dicts.
        default_name: the name when the recipe sets none.
        overridden: dotted keys set by `--set` (see `parse`).

    Returns:
        `(resolved, problems)`: the recipe with defaults as nested dicts
        (values that failed a check keep their default) and a list of
        `path: message` strings.
    """
    recipe, problems = parse(raw, default_name, overridden)
    return recipe.to_dict(), problems


# ----------------------------------------------------------------------
# What derives from the definitions


def _settings():
    """`(dotted key, field)` of every key, in recipe order (a
    subsection's table, then its keys: `data.clean.drop_duplicates`)."""
    for section, cls in SECTIONS.items():
        for field in dataclasses.fields(cls):
            kind = field.metadata["kind"]
            yield f"{section}.{field.name}", field
            if isinstance(kind, Subsection):
                for inner in dataclasses.fields(kind.cls):
                    yield f"{section}.{field.name}.{inner.name}", inner


def _limits():
    """`{dotted key: (maximum, why)}` of the integer keys with an upper
    bound (the reason is in the message)."""
    limits = {}
    for key, field in _settings():
        kind = field.metadata["kind"]
        if isinstance(kind, Integer) and kind.maximum is not None:
            limits[key] = (kind.maximum, kind.why)
    return limits


def known_keys():
    """Every dotted key a recipe can set (for `--set` completion)."""
    keys = ["name", "description"]
    keys += [key for key, _ in _settings()]
    for optimizer in ("g_optimizer", "d_optimizer", "optimizer"):
        keys += [f"train.{optimizer}.{n}" for n in
                 ("name", "learning_rate", "beta_1", "beta_2")]
    keys += ["train.loss.name", "train.penalty.name", "train.penalty.weight"]
    return sorted(keys)


LIMITS = _limits()


def _shown_default(field):
    default = field.metadata["default"]
    if isinstance(field.metadata["kind"], Subsection):
        return ""  # its keys' rows show theirs
    if default is None:
        off = field.metadata["kind"].switched_off
        return "" if off is None else describe(off)
    if isinstance(default, Named):
        return json.dumps(default.name)
    if isinstance(default, Optimizer):
        return '{name = "adam", learning_rate = 2e-4}'
    if isinstance(default, bool):
        return describe(default)
    if isinstance(default, (dict, list)):
        return "{}" if isinstance(default, dict) else "[]"
    if isinstance(default, str):
        return json.dumps(default)
    return f"{default:g}" if isinstance(default, float) else str(default)


def markdown_table():
    """The documentation table of every key: type, default and meaning."""
    lines = ["| key | type | default | what |", "|---|---|---|---|",
             "| `name` | string | the file name | The run's name. |",
             "| `description` | string |  | One line on what the recipe "
             "does. |"]
    for key, field in _settings():
        kind = field.metadata["kind"]
        text = kind.text + (", required" if field.metadata["required"]
                            else "")
        default = _shown_default(field)
        default = f"`{default}`" if default else ""
        lines.append(f"| `{key}` | {text} | {default} | "
                     f"{field.metadata['doc']} |")
    return "\n".join(lines) + "\n"


def json_schema():
    """A JSON Schema (draft 2020-12) of a recipe, for editor completion.

    It describes structure, types and ranges; registered names and factory
    parameters depend on the installed plugins and are left open.
    """
    sections = {}
    for section, cls in SECTIONS.items():
        properties = {}
        for field in dataclasses.fields(cls):
            schema = dict(field.metadata["kind"].schema())
            schema["description"] = field.metadata["doc"]
            properties[field.name] = schema
        schema = {
            "type": "object",
            "description": cls.__doc__,
            "properties": properties,
            "additionalProperties": False,
            "required": [f.name for f in dataclasses.fields(cls)
                         if f.metadata["required"]],
        }
        if cls in RULES:
            schema.update(RULES[cls].schema())
        sections[section] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "keras-gans recipe",
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": r"\S",
                     # Characters: a longer name is too long in bytes too
                     # (the check counts UTF-8 bytes).
                     "maxLength": MAX_NAME_BYTES,
                     "description": "The run's name (default: the file "
                                    f"name; at most {MAX_NAME_BYTES} bytes "
                                    "in UTF-8)."},
            "description": {"type": "string"},
            **sections,
        },
        "required": list(REQUIRED_SECTIONS) + ["train"],
        "additionalProperties": False,
        "allOf": [member for rule in RECIPE_RULES
                  for member in rule.schema()],
    }


def main(argv=None):
    """`python -m keras_gans.runs.recipe_schema --markdown | --json-schema`."""
    import sys

    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--markdown"]:
        sys.stdout.write(markdown_table())
    elif argv == ["--json-schema"]:
        sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    else:
        sys.stderr.write("usage: python -m keras_gans.runs.recipe_schema "
                         "--markdown | --json-schema\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
