"""Recipes: validation with dotted paths and suggestions, overrides, defaults."""

import glob
import os
import subprocess
import sys

import pytest

import keras_gans
from keras_gans import plugins
from keras_gans.runs import recipe as recipe_module
from keras_gans.runs.recipe import RecipeError

from paths import REPO
RECIPES = sorted(glob.glob(os.path.join(REPO, "recipes", "*.toml")))


def minimal(**sections):
    raw = {
        "model": {"architecture": "mlp", "latent_dim": 8},
        "data": {"dataset": "ring"},
        "train": {"epochs": 1},
    }
    for key, value in sections.items():
        raw[key] = value
    return raw


def problems_of(raw, catalogue=None):
    with pytest.raises(RecipeError) as info:
        recipe_module.resolve(raw, catalogue=catalogue)
    return info.value.problems


def test_the_recipes_directory_has_the_documented_recipes():
    names = {os.path.basename(p) for p in RECIPES}
    assert {
        "dcgan.toml", "cgan.toml", "wgan_gp.toml", "ring8.toml",
        "grid25.toml", "dcgan_mnist.toml", "dcgan_cifar10.toml",
        "sngan_cifar10.toml",
    } <= names


@pytest.mark.parametrize("path", RECIPES, ids=os.path.basename)
def test_every_recipe_validates_and_says_what_it_reproduces(path):
    recipe = recipe_module.load(path)
    assert recipe.name == os.path.splitext(os.path.basename(path))[0]
    with open(path, encoding="utf-8") as file:
        header = file.read().split("\n\n", 1)[0]
    assert header.startswith("#") and "Reproduces" in header, path


def test_defaults_are_filled_in():
    recipe = recipe_module.resolve(minimal())
    train = recipe["train"]
    assert train["loss"] == "non_saturating"
    assert train["penalty"] is False and train["ema"] is False
    assert train["g_optimizer"] == {
        "name": "adam", "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999
    }
    assert recipe["data"]["batch_size"] == 64
    assert recipe["output"]["dir"] == "runs"
    assert recipe.name == "recipe"


def test_other_optimizers_get_no_adam_betas():
    raw = minimal()
    raw["train"]["g_optimizer"] = {"name": "RMSprop", "rho": 0.8}
    train = recipe_module.resolve(raw)["train"]
    assert train["g_optimizer"] == {
        "name": "rmsprop", "learning_rate": 2e-4, "rho": 0.8
    }
    raw["train"]["g_optimizer"]["bogus"] = 1
    (problem,) = problems_of(raw)
    assert problem.startswith('train.g_optimizer.bogus: unknown argument of '
                              'optimizer "rmsprop"')


def test_all_problems_are_reported_at_once_with_paths_and_suggestions():
    raw = minimal(output={"sample_evry": 2, "samples": 0})
    raw["model"] = {"architecture": "dcgna", "latnet_dim": 8}
    raw["data"]["params"] = {"num_sample": 10}
    raw["train"].update(
        d_optimizer={"learning_rate": "fast"},
        loss={"name": "hing"},
        penalty={"name": "r1", "wieght": 1.0},
        ema=1.5,
    )
    problems = problems_of(raw)
    expected = [
        'model.latnet_dim: unknown key; did you mean "latent_dim"?',
        "model.architecture: Unknown architecture 'dcgna'.",
        'data.params.num_sample: unknown parameter of dataset \'ring\'; '
        'did you mean "num_samples"?',
        "train.loss.name: Unknown loss 'hing'.",
        'train.penalty.wieght: unknown parameter of penalty \'r1\'; did you '
        'mean "weight"?',
        'train.d_optimizer.learning_rate: expected a number, got "fast"',
        "train.ema: expected a decay in [0, 1) such as 0.999, or false; got 1.5",
        'output.sample_evry: unknown key; did you mean "sample_every"?',
        "output.samples: expected an integer >= 1, got 0",
    ]
    for text in expected:
        assert any(p.startswith(text) for p in problems), (text, problems)
    assert any("Did you mean 'dcgan'?" in p for p in problems)
    assert any("Did you mean 'hinge'?" in p for p in problems)
    assert len(problems) == len(expected)
    # Recipe order: model, data, train, output.
    heads = [p.split(".", 1)[0] for p in problems]
    assert heads == sorted(heads, key=["model", "data", "train",
                                       "output"].index)


def test_missing_sections_and_required_parameters():
    problems = problems_of({"train": {"epochs": 1, "steps": 3}})
    assert problems == [
        "model: required, but missing (needs at least model.architecture)",
        "data: required, but missing (needs at least data.dataset)",
        "train: set either epochs or steps, not both",
    ]
    raw = minimal()
    raw["data"] = {"dataset": "image_folder"}
    assert set(problems_of(raw)) == {
        "data.params.path: required by dataset 'image_folder', but missing",
        "data.params.image_size: required by dataset 'image_folder', but "
        "missing",
    }


def test_architecture_parameters_set_by_keras_gans_are_refused():
    raw = minimal()
    raw["model"]["params"] = {"latent_dim": 3, "widht": 8}
    problems = problems_of(raw)
    assert problems[0].startswith("model.params.latent_dim: set by keras-gans")
    assert problems[1].startswith(
        "model.params.widht: unknown parameter of architecture 'mlp'; did "
        'you mean "width"?'
    )


def test_unknown_name_mentions_a_broken_plugin():
    catalogue = plugins.load_catalogue()
    catalogue.add_plugin(
        plugins.PluginInfo(
            "gans_zoo", "gans_zoo.plugin",
            error="ModuleNotFoundError: No module named 'gans_zoo'",
        )
    )
    raw = minimal()
    raw["model"]["architecture"] = "stylegan"
    (problem,) = problems_of(raw, catalogue)
    assert problem.startswith("model.architecture: Unknown architecture")
    assert "'gans_zoo'" in problem and "keras-gans plugins" in problem


def test_parse_value_reads_toml_values_and_falls_back_to_strings():
    assert recipe_module.parse_value("3") == 3
    assert recipe_module.parse_value("2e-4") == 2e-4
    assert recipe_module.parse_value("false") is False
    assert recipe_module.parse_value("[16, 16]") == [16, 16]
    assert recipe_module.parse_value('"3"') == "3"
    assert recipe_module.parse_value("dcgan") == "dcgan"
    assert recipe_module.parse_value("{name = 'r1', weight = 2}") == {
        "name": "r1", "weight": 2
    }


def test_overrides_set_nested_keys_and_turn_names_into_tables():
    raw = minimal()
    raw["train"]["loss"] = "hinge"
    recipe_module.apply_overrides(raw, [
        "train.epochs=3",
        "model.params.width=16",
        "train.loss.name=least_squares",
        "train.penalty=r1",
        "train.penalty.weight=0.5",
    ])
    assert raw["train"]["epochs"] == 3
    assert raw["model"]["params"] == {"width": 16}
    assert raw["train"]["loss"] == {"name": "least_squares"}
    assert raw["train"]["penalty"] == {"name": "r1", "weight": 0.5}
    with pytest.raises(RecipeError) as info:
        recipe_module.apply_overrides(raw, ["train.epochs", "train.epochs.x=1"])
    assert info.value.problems == [
        "override 'train.epochs': expected key.path=value, for example "
        "train.epochs=3",
        "override 'train.epochs.x=1': train.epochs is 3, not a table",
    ]


def test_overridden_values_are_validated_like_the_file(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(
        '[model]\narchitecture = "mlp"\n[data]\ndataset = "ring"\n'
        "[train]\nepochs = 1\n"
    )
    with pytest.raises(RecipeError) as info:
        recipe_module.load(path, ["train.epochs=many", "data.batch_size=0"])
    assert info.value.problems == [
        "data.batch_size: expected an integer >= 1, got 0",
        'train.epochs: expected an integer, got "many"',
    ]
    assert str(path) in str(info.value)


@pytest.mark.parametrize("in_file, override, expected", [
    ("steps = 2000", "train.epochs=44",
     "train.epochs: the override train.epochs=44 clashes with the recipe, "
     "which sets train.steps = 2000; set either epochs or steps, not both. "
     "Override train.steps (generator updates) instead"),
    ("epochs = 40", "train.steps=5000",
     "train.steps: the override train.steps=5000 clashes with the recipe, "
     "which sets train.epochs = 40; set either epochs or steps, not both. "
     "Override train.epochs (passes over the data) instead"),
])
def test_an_override_clashing_with_the_recipe_length_names_both(
    tmp_path, in_file, override, expected
):
    path = tmp_path / "r.toml"
    path.write_text(
        '[model]\narchitecture = "mlp"\n[data]\ndataset = "ring"\n'
        f"[train]\n{in_file}\n"
    )
    with pytest.raises(RecipeError) as info:
        recipe_module.load(path, [override])
    assert info.value.problems == [expected]


def test_resolved_recipe_round_trips_through_toml(tmp_path):
    raw = minimal()
    raw["train"].update(penalty="r1", ema=0.99, g_optimizer={"name": "sgd"})
    raw["data"]["params"] = {"num_samples": 512, "std": 0.05}
    recipe = recipe_module.resolve(raw, overrides=("train.epochs=1",))
    path = tmp_path / "recipe.toml"
    path.write_text(recipe.to_toml())
    text = path.read_text()
    assert text.startswith("# Resolved recipe, written by keras-gans")
    assert "# --set train.epochs=1" in text
    again = recipe_module.load(path)
    assert again.to_dict() == dict(recipe.to_dict(), name="recipe")


def test_invalid_toml_is_a_recipe_error(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[model\narchitecture = 'mlp'\n")
    with pytest.raises(RecipeError) as info:
        recipe_module.load(path)
    assert info.value.problems[0].startswith("not valid TOML:")


def test_structure_checks_and_the_cli_module_import_no_keras():
    code = (
        "import sys\n"
        "import keras_gans.cli\n"
        "from keras_gans.runs import recipe\n"
        "resolved, problems = recipe.check_structure("
        "{'model': {'architecture': 'mlp'}, 'data': {'dataset': 'ring'},"
        " 'train': {'epochs': 'x'}})\n"
        "assert problems == ['train.epochs: expected an integer, got \"x\"'],"
        " problems\n"
        "loaded = [m for m in ('keras', 'tensorflow', 'jax', 'torch')"
        " if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    root = os.path.dirname(os.path.dirname(keras_gans.__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root, os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_the_readme_recipe_example_validates():
    readme = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    section = readme.split("### Recipes", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    raw = recipe_module.tomllib.loads(example)
    recipe = recipe_module.resolve(raw)
    assert recipe["model"]["params"] == {"width": 32}
    assert recipe["train"]["epochs"] == 30


def test_learning_rate_schedules():
    raw = minimal()
    raw["train"]["g_optimizer"] = {"learning_rate": {
        "name": "polynomial_decay", "initial_learning_rate": 1e-3,
        "decay_steps": 100, "end_learning_rate": 1e-5,
    }}
    raw["train"]["d_optimizer"] = {"learning_rate": {
        "name": "PolynomialDecay", "decay_step": 100,
    }}
    problems = problems_of(raw)
    assert problems == [
        "train.d_optimizer.learning_rate.decay_step: unknown parameter of "
        'schedule "PolynomialDecay"; did you mean "decay_steps"? Its '
        "parameters: initial_learning_rate, decay_steps, end_learning_rate, "
        "power, cycle, name.",
        "train.d_optimizer.learning_rate.initial_learning_rate: required by "
        'schedule "PolynomialDecay", but missing',
        "train.d_optimizer.learning_rate.decay_steps: required by schedule "
        '"PolynomialDecay", but missing',
    ]
    raw["train"]["d_optimizer"] = {"learning_rate": {"name": "cosine_dekay"}}
    (problem,) = problems_of(raw)
    assert problem.startswith('train.d_optimizer.learning_rate.name: unknown '
                              'learning-rate schedule "cosine_dekay".')
    assert 'Did you mean "cosinedecay"?' in problem

    from keras_gans.runs.train import optimizer

    del raw["train"]["d_optimizer"]
    recipe = recipe_module.resolve(raw)
    adam = optimizer(recipe["train"]["g_optimizer"])
    assert adam.beta_1 == 0.5
    import keras

    schedule = adam._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.PolynomialDecay)
    assert abs(float(schedule(100)) - 1e-5) < 1e-9


def test_train_augment_is_off_by_default_and_checked_by_name_and_params():
    assert recipe_module.resolve(minimal())["train"]["augment"] is False
    raw = minimal()
    raw["train"]["augment"] = "diffaugment"
    assert recipe_module.resolve(raw)["train"]["augment"] == "diffaugment"
    raw["train"]["augment"] = {"name": "adaa"}
    (problem,) = problems_of(raw)
    assert problem.startswith("train.augment.name: Unknown augmentation "
                              "'adaa'.")
    assert "Did you mean 'ada'?" in problem
    raw["train"]["augment"] = {"name": "ada", "targt": 0.6}
    (problem,) = problems_of(raw)
    assert problem.startswith("train.augment.targt: unknown parameter of "
                              "augmentation 'ada'; did you mean \"target\"?")
