"""The typed recipe (`keras_gans.runs.recipe_schema`) against frozen answers.

The reference is `tests/data/recipe_problems.json.gz`: the problem lists
(and, for valid recipes, the resolved dicts) that the hand-written checker
of `keras_gans.runs.recipe` gave before the typed recipe replaced it. It was
made once, on 2026-11-30 at commit 76b0e0f, by running that checker's
`check_structure` on the cases below (`CASES`, and the clash cases with
`--set` keys) and on 2,000 seeded random edits of valid recipes (`edit`,
`random.Random(0)`); each entry holds its raw recipe, so the file does not
depend on this module, the shipped recipes or README staying as they were.

Regenerate nothing. A key added since goes into `ADDED_SINCE_FROZEN` (and
gets its own cases here): the comparison then leaves it out of the
resolved dicts and of the "Known keys" lists. A changed message changes
its frozen entries by hand (`gunzip`, edit, `gzip -n9`) in the commit that
changes the message.

The JSON Schema and the documentation table derive from the same
definitions.
"""

import copy
import functools
import glob
import gzip
import json
import os
import random

import pytest

from keras_gans.runs import recipe_schema as schema
from keras_gans.runs.recipe import tomllib

from paths import REPO

# Plain Python, no Keras computation: tested once (tests/conftest.py).
pytestmark = pytest.mark.backend_independent

RECIPES = sorted(glob.glob(os.path.join(REPO, "recipes", "*.toml"))) + [
    os.path.join(REPO, "plugins", "keras-gans-example", "recipes",
                 "example.toml")]
SECTION_ORDER = ["", "name", "description", "model", "data", "train",
                 "output", "privacy", "distribution"]
FROZEN = os.path.join(REPO, "tests", "data", "recipe_problems.json.gz")
# Dotted keys added to the recipe after the answers were frozen.
ADDED_SINCE_FROZEN = ("train.augment", "train.init_from",
                      "output.log_walk_every", "output.walk_frames",
                      "output.walk_points", "output.walks", "model.kind",
                      "model.likelihood", "model.beta",
                      "model.beta_warmup_steps", "train.optimizer",
                      "data.check", "data.clean",
                      *(f"data.clean.{key}" for key in schema.keys(
                          schema.Clean)),
                      "privacy.noise_multiplier", "privacy.target_epsilon",
                      "privacy.l2_norm_clip", "privacy.delta",
                      "privacy.max_epsilon", "distribution.devices",
                      "distribution.mode", "distribution.mesh",
                      "distribution.layout")
# Tables added since (their keys are listed above too).
ADDED_SECTIONS_SINCE_FROZEN = ("privacy", "distribution")


@functools.cache
def frozen():
    with gzip.open(FROZEN, "rt", encoding="utf-8") as file:
        return json.load(file)


def load(path):
    with open(path, "rb") as file:
        return tomllib.load(file)


def readme_recipe():
    readme = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    section = readme.split("### Recipes", 1)[1]
    return tomllib.loads(section.split("```toml\n", 1)[1].split("```", 1)[0])


def section_of(problem):
    """The position of a problem's section in the recipe; unknown top-level
    keys come first."""
    head = problem.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0]
    return SECTION_ORDER.index(head) if head in SECTION_ORDER else 0


def as_when_frozen(resolved, problems):
    """`check_structure`'s answer without the keys added since the freeze:
    dropped from the resolved dict (where they hold their default) and
    from the "Known keys" of unknown-key problems."""
    for key in ADDED_SINCE_FROZEN:
        if key.count(".") > 1:
            continue  # a subsection's key: it goes with its table
        section, name = key.split(".")
        if section in ADDED_SECTIONS_SINCE_FROZEN:
            # A table added since, left out of a recipe that does not set
            # it (none of the frozen ones do).
            assert section not in resolved, key
            continue
        if not schema.applies(schema.GAN, section, name):
            # A VAE's key: a resolved GAN recipe leaves it out.
            assert name not in resolved[section], key
            continue
        field = dict(schema._settings())[key]
        assert resolved[section].pop(name) == schema._plain(
            field.metadata["default"], field), key
    now = list(schema.TOP_LEVEL)
    then = [k for k in now if k not in ADDED_SECTIONS_SINCE_FROZEN]
    problems = [_top_level_key_then(p, now, then) for p in problems]
    for section, cls in schema.SECTIONS.items():
        now = schema.keys(cls)
        then = [k for k in now if f"{section}.{k}" not in ADDED_SINCE_FROZEN]
        if now != then:
            # The message as the keys of then give it: their list, and
            # their nearest key (an added key may be nearer now: beta_1
            # is near model.beta).
            problems = [_unknown_key_then(p, section, now, then)
                        for p in problems]
    return resolved, problems


def _top_level_key_then(problem, now, then):
    path, _, message = problem.partition(": ")
    if "." in path or message != schema.unknown_key_message(path, now):
        return problem
    return f"{path}: {schema.unknown_key_message(path, then)}"


def _unknown_key_then(problem, section, now, then):
    path, _, message = problem.partition(": ")
    key = path[len(section) + 1:]
    if (not path.startswith(section + ".") or "." in key
            or message != schema.unknown_key_message(key, now)):
        return problem
    return f"{path}: {schema.unknown_key_message(key, then)}"


def assert_as_frozen(entry):
    """The typed recipe answers a frozen entry as the old checker did:
    the same problems and, for a valid recipe, the same resolved dict."""
    raw = entry["raw"]
    resolved, problems = as_when_frozen(*schema.check_structure(
        copy.deepcopy(raw), "r", set(entry.get("overridden", ()))))
    # The same problems; within a section the typed recipe may list them
    # in another order (it checks keys in declaration order).
    assert sorted(problems) == sorted(entry["problems"]), raw
    heads = [section_of(p) for p in problems]
    assert heads == sorted(heads), problems
    if not entry["problems"]:
        assert resolved == entry["resolved"], raw
        assert list(resolved) == list(entry["resolved"])
    return problems


# ----------------------------------------------------------------------
# The cases of tests/runs/test_recipe.py, and the shipped recipes


def minimal(**sections):
    raw = {"model": {"architecture": "mlp", "latent_dim": 8},
           "data": {"dataset": "ring"}, "train": {"epochs": 1}}
    raw.update(sections)
    return raw


def recipe_test_cases():
    cases = {"minimal": minimal()}
    raw = minimal(output={"sample_evry": 2, "samples": 0})
    raw["model"] = {"architecture": "dcgna", "latnet_dim": 8}
    raw["data"]["params"] = {"num_sample": 10}
    raw["train"].update(d_optimizer={"learning_rate": "fast"},
                        loss={"name": "hing"},
                        penalty={"name": "r1", "wieght": 1.0}, ema=1.5)
    cases["all problems at once"] = raw
    cases["missing sections"] = {"train": {"epochs": 1, "steps": 3}}
    raw = minimal()
    raw["train"]["g_optimizer"] = {"name": "RMSprop", "rho": 0.8}
    cases["rmsprop"] = raw
    raw = minimal()
    raw["train"].update(penalty="r1", ema=0.99, g_optimizer={"name": "sgd"})
    raw["data"]["params"] = {"num_samples": 512, "std": 0.05}
    cases["round trip"] = raw
    raw = minimal()
    raw["train"]["g_optimizer"] = {"learning_rate": {
        "name": "polynomial_decay", "initial_learning_rate": 1e-3,
        "decay_steps": 100, "end_learning_rate": 1e-5}}
    raw["train"]["d_optimizer"] = {"learning_rate": {"name": 3}}
    cases["schedules"] = raw
    cases["log intervals"] = minimal(output={"log_every": -1,
                                             "log_images_every": "often"})
    cases["overrides"] = minimal(train={"epochs": "many"},
                                 data={"dataset": "ring", "batch_size": 0})
    cases["readme"] = readme_recipe()
    for path in RECIPES:
        cases[os.path.basename(path)] = load(path)
    cases.update(label_mode_cases())
    cases.update(limit_cases())
    cases.update(kind_cases())
    cases.update(privacy_cases())
    cases.update(distribution_cases())
    cases["epochs and steps"] = minimal(train={"epochs": 2, "steps": 10})
    cases["NUL in output.dir"] = minimal(output={"dir": "runs\0/x"})
    cases["name of 200 bytes"] = minimal(name="n" * 200)
    cases["name over 200 bytes"] = minimal(name="\u00e9" * 101)  # 202
    return cases


def label_mode_cases():
    cases = {}
    for mode in ("index", "one_hot_concat"):
        raw = minimal()
        raw["model"].update(conditional=True, label_mode=mode)
        cases[f"label_mode {mode}"] = raw
    raw = minimal()
    raw["model"].update(conditional=True, label_mode="one_hot")
    cases["label_mode wrong value"] = raw
    raw = minimal()
    raw["model"].update(conditional=True, label_mode=["index"])
    cases["label_mode array"] = raw
    raw = minimal()
    raw["model"]["label_mode"] = "index"
    cases["label_mode unconditional"] = raw
    raw = minimal()
    raw["model"].update(conditional=False, label_mode="one_hot_concat")
    cases["label_mode conditional false"] = raw
    raw = minimal()
    raw["model"].update(conditional="yes", label_mode="index")
    cases["label_mode conditional not a boolean"] = raw
    return cases


# Cases made after the answers were frozen: the shipped recipes added
# since, and the model kinds (`kind_cases`). The JSON Schema tests below
# check them; `test_model_kinds_refuse_each_others_keys` their messages.
NEW_SINCE_FROZEN = ("seed_mlp.toml", "vae_digits.toml", "vae_ring8.toml")


def kind_cases():
    """A VAE recipe; one with each GAN-only key; a GAN with VAE keys."""
    cases = {}
    vae = minimal()
    vae["model"].update(kind="vae", likelihood="gaussian", beta=0.5,
                        beta_warmup_steps=100)
    vae["train"]["optimizer"] = {"name": "adam", "learning_rate": 1e-3}
    cases["kind vae"] = vae
    for key, value in (("loss", "hinge"), ("penalty", "r1"), ("d_steps", 2),
                       ("ema", 0.99), ("augment", "ada"),
                       ("g_optimizer", "adam"), ("d_optimizer", "adam"),
                       ("on_divergence", "rollback")):
        raw = copy.deepcopy(vae)
        raw["train"][key] = value
        cases[f"kind vae with train.{key}"] = raw
    for section, key, value in (("model", "likelihood", "bernoulli"),
                                ("model", "beta", 2.0),
                                ("model", "beta_warmup_steps", 10),
                                ("train", "optimizer", "adam")):
        raw = minimal()
        raw[section][key] = value
        cases[f"kind gan with {section}.{key}"] = raw
    raw = minimal()
    raw["model"]["kind"] = "flow"
    cases["kind unknown"] = raw
    return cases


def privacy_cases():
    """The [privacy] table: each way to set the noise, and each refusal."""
    cases = {}
    for name, table in (
            ("noise", {"noise_multiplier": 1.1, "l2_norm_clip": 0.5,
                       "delta": 1e-5, "max_epsilon": 8.0}),
            ("target", {"target_epsilon": 3.0, "max_epsilon": 8.0}),
            ("both", {"noise_multiplier": 1.1, "target_epsilon": 3.0}),
            ("neither", {"delta": 1e-5}),
            ("out of range", {"noise_multiplier": 0, "l2_norm_clip": -1.0,
                              "delta": 1.0}),
            ("misspelt", {"noise_multiplyer": 1.0})):
        cases[f"privacy {name}"] = minimal(privacy=table)
    vae = copy.deepcopy(kind_cases()["kind vae"])
    vae["privacy"] = {"noise_multiplier": 1.0}
    cases["privacy in a vae"] = vae
    return cases


def distribution_cases():
    """The [distribution] table: each form of `devices`, model
    parallelism, and each refusal."""
    cases = {}
    for name, table in (
            ("count", {"devices": 2}),
            ("all", {"devices": "all"}),
            ("names", {"devices": ["cpu:0", "cpu:1"]}),
            ("model parallel", {"devices": "all", "mode": "model_parallel",
                                "mesh": {"batch": 2, "model": 4},
                                "layout": {"dense.*kernel": ["", "model"]}}),
            ("bad devices", {"devices": 0}),
            ("devices twice", {"devices": ["cpu:0", "cpu:0"]}),
            ("mesh for data parallel", {"devices": 2, "mesh": {"batch": 2}}),
            ("misspelt", {"device": 2})):
        cases[f"distribution {name}"] = minimal(distribution=table)
    return cases


def limits():
    """`{dotted key: maximum}` of every integer key with an upper bound
    (keys added since the freeze have their cases where they are tested)."""
    return {key: field.metadata["kind"].maximum
            for key, field in schema._settings()
            if getattr(field.metadata["kind"], "maximum", None) is not None
            and key not in ADDED_SINCE_FROZEN}


def limit_cases():
    """Each limit, at its value and one above."""
    cases = {}
    for key, maximum in limits().items():
        section, name = key.split(".")
        for value in (maximum, maximum + 1):
            raw = minimal()
            table = raw.setdefault(section, {})
            if name in ("epochs", "steps"):
                table.pop("epochs")
            table[name] = value
            cases[f"{key} = {value:,}"] = raw
    return cases


CASES = recipe_test_cases()


@pytest.mark.parametrize("name", sorted(frozen()["cases"]))
def test_the_same_problems_and_resolution_as_the_frozen_checker(name):
    assert_as_frozen(frozen()["cases"][name])


def test_the_frozen_cases_are_todays_cases():
    """Each case built here is frozen with the same raw recipe, so a change
    of a case (or of a shipped recipe) is seen rather than compared against
    an answer for another recipe."""
    cases = frozen()["cases"]
    for name, raw in CASES.items():
        if name in NEW_SINCE_FROZEN or name.startswith(
                ("kind ", "privacy ", "distribution ")):
            continue
        assert name in cases and cases[name]["raw"] == json.loads(
            json.dumps(raw)), name


def test_messages_keep_paths_and_suggestions():
    problems = assert_as_frozen(frozen()["cases"]["all problems at once"])
    assert problems == [
        'model.latnet_dim: unknown key; did you mean "latent_dim"? Known '
        "keys: architecture, latent_dim, conditional, num_classes, "
        "label_mode, params.",
        "train.ema: expected a decay in [0, 1) such as 0.999, or false; got "
        "1.5",
        'train.d_optimizer.learning_rate: expected a number, got "fast"',
        'output.sample_evry: unknown key; did you mean "sample_every"? Known '
        "keys: dir, checkpoint_every, checkpoint_every_steps, "
        "keep_checkpoints, sample_every, samples, sample_seed, log_every, "
        "log_images_every.",
        "output.samples: expected an integer >= 1, got 0",
    ]


@pytest.mark.parametrize("overridden, path", [
    ({"train.epochs"}, "train.epochs"), ({"train.steps"}, "train.steps"),
    ({"train.epochs", "train.steps"}, "train"), ({"train.seed"}, "train")])
def test_a_set_clashing_with_the_recipe_length_gives_the_same_problem(
        overridden, path):
    """`--set train.epochs=...` on a recipe with steps (or the reverse)
    names the key to set instead; both or neither from `--set`: the plain
    clash."""
    name = "epochs and steps, --set " + " ".join(sorted(overridden))
    problems = assert_as_frozen(frozen()["cases"][name])
    assert [p.split(": ", 1)[0] for p in problems] == [path]


def test_the_typed_recipe_reads_as_attributes():
    recipe, problems = schema.parse(CASES["round trip"], "toy")
    assert problems == []
    assert recipe.name == "toy"
    assert recipe.model.latent_dim == 8 and recipe.model.num_classes is None
    assert recipe.train.epochs == 1 and recipe.train.steps is None
    assert recipe.train.penalty == schema.Named("r1")
    assert recipe.train.ema == 0.99
    assert recipe.train.g_optimizer == schema.Optimizer("sgd", 2e-4)
    assert recipe.train.d_optimizer == schema.Optimizer(
        "adam", 2e-4, beta_1=0.5, beta_2=0.999)
    assert recipe.data.params == {"num_samples": 512, "std": 0.05}
    assert recipe.output.dir == "runs"


# ----------------------------------------------------------------------
# Seeded random edits of valid recipes: a differential test


VALUES = [0, 1, 3, -1, 2**40, 0.5, 1.5, -0.25, 2e-4, 1.0, True, False, "",
          "x", "none", "auto", "stop", "rollback", "adam", "hinge", [], [1],
          ["evaluation"], [{"name": "evaluation"}, 3], {}, {"name": "r1"},
          {"name": ""}, {"weight": 2.0}, {"name": "adam", "beta_1": 1.0},
          {"name": "sgd", "beta_2": 0.9}, {"learning_rate": {"decay": 1}},
          {"name": "polynomial_decay"}, {"name": 3},
          # label modes, and values at and beyond the limits
          "index", "one_hot_concat", 100, 101, 10_000, 10_001, 2**20,
          2**20 + 1, 2**31 - 1, 2**31, "runs\0", "n" * 200, "n" * 201]
EXTRA_KEYS = ["latnet_dim", "epoch", "sample_evry", "lr", "dataset_x", "nme"]


def paths_of(value, prefix=()):
    """Every path to a value in nested tables."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, prefix + (key,))
    return found


def edit(raw, rng, values=VALUES):
    """One random edit: set, delete or misspell a key somewhere."""
    keys = [key for key, _ in schema._settings()] + [
        f"train.{o}.{k}" for o in ("g_optimizer", "d_optimizer")
        for k in ("name", "learning_rate", "beta_1", "beta_2", "rho")]
    action = rng.random()
    if action < 0.6:
        path = tuple(rng.choice(keys + ["name", "description"]).split("."))
    else:
        path = rng.choice(paths_of(raw) or [("model",)])
    table = raw
    for part in path[:-1]:
        if not isinstance(table.get(part), dict):
            table[part] = {}
        table = table[part]
    if action < 0.75:
        table[path[-1]] = copy.deepcopy(rng.choice(values))
    elif action < 0.9:
        table.pop(path[-1], None)
    else:
        table[rng.choice(EXTRA_KEYS)] = 1


def test_random_edits_give_the_same_problems_as_the_frozen_checker():
    edits = frozen()["random_edits"]
    assert len(edits) == 2000
    invalid = sum(bool(assert_as_frozen(entry)) for entry in edits)
    # Most edits break something (1,751 of 2,000): the test compares
    # problem lists far more often than clean recipes.
    assert invalid == 1751


# ----------------------------------------------------------------------
# What derives from the definitions


def json_validator():
    jsonschema = pytest.importorskip("jsonschema")
    document = schema.json_schema()
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


@pytest.mark.parametrize("name", sorted(
    n for n in CASES if n.endswith(".toml") or n == "readme"))
def test_the_json_schema_accepts_every_shipped_recipe(name):
    assert list(json_validator().iter_errors(CASES[name])) == []


@pytest.mark.parametrize("name", sorted(
    n for n in CASES if n != "name over 200 bytes"))
def test_the_json_schema_accepts_exactly_the_valid_cases(name):
    """Every handmade case: valid for the schema iff the checks find no
    problem. Left out: a name over 200 bytes in fewer characters (JSON
    Schema counts characters, the check UTF-8 bytes)."""
    _, problems = schema.check_structure(copy.deepcopy(CASES[name]), "r")
    raw = json.loads(json.dumps(CASES[name]))
    assert json_validator().is_valid(raw) == (not problems), problems


def test_the_json_schema_refuses_what_the_checks_refuse():
    """Over random edits, the schema accepts exactly the recipes the checks
    accept; JSON Schema cannot tell 3.0 from 3 or express NaN, so edits
    leave those out."""
    validator = json_validator()
    values = [v for v in VALUES if not (isinstance(v, float)
                                        and v.is_integer())]
    rng = random.Random(1)
    bases = [CASES["minimal"]] + [load(p) for p in RECIPES]
    accepted = 0
    for _ in range(1000):
        raw = copy.deepcopy(rng.choice(bases))
        for _ in range(rng.randint(1, 3)):
            edit(raw, rng, values)
        _, problems = schema.check_structure(copy.deepcopy(raw), "r")
        valid = validator.is_valid(json.loads(json.dumps(raw)))
        assert valid == (not problems), (raw, problems)
        accepted += valid
    # Both answers occur (165 of 1,000 edits leave a valid recipe, seed 1).
    assert 50 < accepted < 950


def test_known_keys_match_the_frozen_completion():
    """`--set` completes the keys it completed before the swap (and those
    added since)."""
    added = [key for key in schema.known_keys() if any(
        key == new or key.startswith(f"{new}.") for new in ADDED_SINCE_FROZEN)]
    assert schema.known_keys() == sorted(frozen()["known_keys"] + added)


def test_the_readme_table_is_generated_from_the_definitions():
    """README's table of recipe keys is `markdown_table()`, exactly (the
    one place it is written down)."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as file:
        readme = file.read()
    start, end = "<!-- recipe-keys -->\n", "<!-- /recipe-keys -->"
    assert readme.count(start) == readme.count(end) == 1
    shown = readme.split(start, 1)[1].split(end, 1)[0]
    table = schema.markdown_table()
    assert shown == table, (
        "README.md's recipe keys are out of date: put the output of "
        "`python -m keras_gans.runs.recipe_schema --markdown` between its "
        "recipe-keys markers")
    for key in schema.known_keys():
        if key.count(".") == 1:
            assert f"| `{key}` |" in table


def test_model_kinds_refuse_each_others_keys():
    """A VAE recipe refuses every GAN-only key, saying what to do instead,
    and a GAN recipe every VAE-only key; both kinds resolve without the
    other's keys, so a run's recipe.toml runs again as it is."""
    vae, problems = schema.parse(CASES["kind vae"], "r")
    assert problems == []
    resolved = vae.to_dict()
    assert resolved["model"]["kind"] == "vae"
    assert resolved["model"]["beta"] == 0.5
    assert resolved["train"]["optimizer"]["learning_rate"] == 1e-3
    for key in ("loss", "penalty", "d_steps", "ema", "augment",
                "g_optimizer", "d_optimizer"):
        assert key not in resolved["train"]
        _, problems = schema.parse(CASES[f"kind vae with train.{key}"], "r")
        assert len(problems) == 1
        assert problems[0].startswith(
            f'train.{key}: only for a GAN (model.kind = "gan"): ')
    _, problems = schema.parse(CASES["kind vae with train.g_optimizer"], "r")
    assert "a VAE has one optimizer: name it train.optimizer" in problems[0]
    _, problems = schema.parse(CASES["kind vae with train.on_divergence"],
                               "r")
    assert problems == [
        'train.on_divergence: a VAE run stops on a NaN or infinite value '
        '("stop"); "rollback" lowers a GAN\'s two learning rates and is for '
        'GANs only']
    for name in ("model.likelihood", "model.beta", "model.beta_warmup_steps",
                 "train.optimizer"):
        _, problems = schema.parse(CASES[f"kind gan with {name}"], "r")
        assert len(problems) == 1
        assert problems[0].startswith(
            f'{name}: only for a VAE (model.kind = "vae"); remove it, or set '
            'model.kind = "vae"')
    gan, _ = schema.parse(CASES["minimal"], "r")
    assert gan.to_dict()["model"]["kind"] == "gan"
    assert "beta" not in gan.to_dict()["model"]
    assert "optimizer" not in gan.to_dict()["train"]
    again, problems = schema.parse(json.loads(json.dumps(
        files_without_none(resolved))), "r")
    assert problems == [] and again.to_dict() == resolved


def files_without_none(value):
    from keras_gans import files

    return files.without_none(value)


def test_the_privacy_table_sets_the_noise_once_and_only_for_a_gan():
    """[privacy] resolves with its defaults (clip 1, delta from the data),
    is left out of a recipe that does not set it, and refuses both or
    neither of noise_multiplier and target_epsilon, values out of range, a misspelt key and a VAE."""
    recipe, problems = schema.parse(CASES["privacy target"], "r")
    assert problems == [] and recipe.privacy.enabled()
    resolved = recipe.to_dict()["privacy"]
    assert resolved == {"noise_multiplier": None, "target_epsilon": 3.0,
                        "l2_norm_clip": 1.0, "delta": None,
                        "max_epsilon": 8.0}
    again, problems = schema.parse(json.loads(json.dumps(
        files_without_none(recipe.to_dict()))), "r")
    assert problems == [] and again.to_dict() == recipe.to_dict()
    plain, _ = schema.parse(CASES["minimal"], "r")
    assert not plain.privacy.enabled()
    assert "privacy" not in plain.to_dict()

    def problems_of(name):
        return schema.parse(CASES[f"privacy {name}"], "r")[1]

    assert problems_of("noise") == []
    assert problems_of("both") == [
        "privacy: set either noise_multiplier or target_epsilon, not both "
        "(the noise is computed from target_epsilon)"]
    assert problems_of("neither") == [
        "privacy.noise_multiplier: required, but missing (or set "
        "privacy.target_epsilon, the epsilon the run may spend); remove the "
        "[privacy] table to train without DP-SGD"]
    assert problems_of("out of range") == [
        "privacy.noise_multiplier: expected a number in > 0, got 0",
        "privacy.l2_norm_clip: expected a number in > 0, got -1.0",
        "privacy.delta: expected a number in (0, 1), got 1.0"]
    assert problems_of("misspelt")[0].startswith(
        'privacy.noise_multiplyer: unknown key; did you mean '
        '"noise_multiplier"?')
    vae, problems = schema.parse(CASES["privacy in a vae"], "r")
    assert problems == [
        'privacy.noise_multiplier: only for a GAN (model.kind = "gan"): '
        "DP-SGD is built for a GAN's discriminator (a VAE's encoder reads "
        "the data directly); remove the [privacy] table (or set "
        'model.kind = "gan")']
    assert "privacy" not in vae.to_dict()


def test_the_distribution_table_names_devices_and_is_left_out_for_one():
    """[distribution] resolves each form of `devices` (a count, "all",
    names), is left out of a recipe on one device, round-trips through its
    resolved form, and refuses a device count below 1, a device named
    twice, a mesh without model parallelism and a misspelt key."""
    def parsed(name):
        return schema.parse(CASES[f"distribution {name}"], "r")

    plain, _ = schema.parse(CASES["minimal"], "r")
    assert plain.distribution.devices == 1
    assert plain.distribution.mode == "data_parallel"
    assert "distribution" not in plain.to_dict()
    for name, devices in (("count", 2), ("all", "all"),
                          ("names", ["cpu:0", "cpu:1"])):
        recipe, problems = parsed(name)
        assert problems == [] and recipe.distribution.devices == devices
        assert recipe.to_dict()["distribution"] == {
            "devices": devices, "mode": "data_parallel", "mesh": None,
            "layout": None}
    recipe, problems = parsed("model parallel")
    assert problems == []
    assert recipe.distribution.mesh == {"batch": 2, "model": 4}
    assert recipe.distribution.layout == {"dense.*kernel": ["", "model"]}
    again, problems = schema.parse(json.loads(json.dumps(
        files_without_none(recipe.to_dict()))), "r")
    assert problems == [] and again.to_dict() == recipe.to_dict()
    assert parsed("bad devices")[1] == [
        'distribution.devices: expected "all", a positive number of devices '
        'or a list of device names (e.g. ["gpu:0", "gpu:1"]), got 0']
    assert parsed("devices twice")[1] == [
        'distribution.devices: names a device twice: an array '
        '["cpu:0", "cpu:0"]']
    assert parsed("mesh for data parallel")[1] == [
        'distribution.mesh: only with mode = "model_parallel"; set '
        'distribution.mode = "model_parallel" (or remove distribution.mesh)']
    assert parsed("misspelt")[1][0].startswith(
        'distribution.device: unknown key; did you mean "devices"?')
