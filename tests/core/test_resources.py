"""The memory estimate: parameter counts against Keras and by hand, bytes
by hand, and a run refused before anything is built."""

import os

import numpy as np
import pytest
from click.testing import CliRunner

import keras
from keras_gans import architectures
from keras_gans import cli
from keras_gans import plugins
from keras_gans.runs import recipe as recipe_module
from keras_gans import resources
from keras_gans.runs import train as run_module

from paths import REPO
RING8 = os.path.join(REPO, "recipes", "ring8.toml")
DCGAN = os.path.join(REPO, "recipes", "dcgan.toml")

# Building a convolutional model takes 10-25 s on JAX's CPU backend; the
# counts do not depend on the backend (the sub-pixel form JAX's "auto"
# picks is one of the cases).
SLOW_ON_JAX = pytest.mark.skipif(keras.backend.backend() == "jax",
                                 reason="slow to build on JAX")

# (architecture, arguments): small networks, every layout of each.
CASES = [
    ("mlp", dict(latent_dim=5, sample_shape=(3,), width=7, depth=3)),
    ("mlp", dict(latent_dim=5, sample_shape=(3,), num_classes=4, width=7,
                 depth=1)),
    ("dcgan", dict(latent_dim=5, sample_shape=(28, 28, 1), width=4)),
    pytest.param("dcgan", dict(latent_dim=5, sample_shape=(32, 32, 3),
                               width=3), marks=SLOW_ON_JAX),
    pytest.param("dcgan", dict(latent_dim=5, sample_shape=(64, 64, 3),
                               width=2, conv_transpose="subpixel"),
                 marks=SLOW_ON_JAX),
    ("cdcgan", dict(latent_dim=5, sample_shape=(28, 28, 1), num_classes=3,
                    width=4, embedding_dim=6)),
    pytest.param("cdcgan", dict(latent_dim=5, sample_shape=(64, 64, 1),
                                num_classes=2, width=2), marks=SLOW_ON_JAX),
    pytest.param("sngan_resnet", dict(latent_dim=5, sample_shape=(32, 32, 3),
                                      width=4), marks=SLOW_ON_JAX),
    ("sngan_resnet", dict(latent_dim=5, sample_shape=(32, 32, 1),
                          num_classes=3, width=4)),
]


@pytest.mark.parametrize("name, arguments", CASES)
def test_parameter_counts_equal_keras_count_params(name, arguments):
    factory = getattr(architectures, name)
    generator, discriminator = factory(**arguments)
    assert resources.parameter_counts(factory, **arguments) == (
        generator.count_params(), discriminator.count_params())


def test_mlp_and_dcgan_counts_by_hand():
    # ring8's MLP: z 16 -> 128 -> 128 -> 2; D 2 -> 128 -> 128 -> 1.
    assert resources.parameter_counts(
        architectures.mlp, latent_dim=16, sample_shape=(2,), width=128
    ) == (16 * 128 + 128 + 128 * 128 + 128 + 128 * 2 + 2,
          2 * 128 + 128 + 128 * 128 + 128 + 128 + 1)
    # dcgan.toml: z 64 -> Dense 7x7x64 (no bias) + BN(64) -> ConvT 4x4 64->32
    # (no bias) + BN(32) -> ConvT 4x4 32->1 + bias; D: conv 4x4 1->32 + bias,
    # conv 4x4 32->64 + BN(64), Dense 7x7x64 -> 1. BN holds 4 per channel.
    generator = 64 * 49 * 64 + 4 * 64 + 16 * 64 * 32 + 4 * 32 + 16 * 32 + 1
    discriminator = 16 * 32 + 32 + 16 * 32 * 64 + 4 * 64 + 49 * 64 + 1
    assert (generator, discriminator) == (234_369, 36_705)
    assert resources.parameter_counts(
        architectures.dcgan, latent_dim=64, sample_shape=(28, 28, 1), width=32
    ) == (generator, discriminator)


def test_counts_need_a_known_factory_and_arguments_it_accepts():
    def plugin_architecture(latent_dim, sample_shape):
        raise AssertionError("never called")

    assert resources.parameter_counts(
        plugin_architecture, latent_dim=4, sample_shape=(2,)) is None
    # Arguments the factory refuses get no count (it raises when built).
    for arguments in (dict(width="wide"), dict(depth=0), dict(colour=1)):
        assert resources.parameter_counts(
            architectures.mlp, latent_dim=4, sample_shape=(2,), **arguments
        ) is None


def test_training_memory_by_hand_for_the_dcgan_recipe():
    estimate = resources.training_memory(
        234_369, 36_705, latent_dim=64, sample_shape=(28, 28, 1),
        batch_size=32, samples=64, g_slots=2, d_slots=2, ema=True)
    # 4 bytes per value. G: weights, gradients, Adam's m and v, EMA; D: no
    # EMA. A batch: z and the real and generated samples. The grid: z and
    # the float32 samples twice (batches joined), then one byte a pixel.
    assert list(estimate.parts.values()) == [
        234_369 * 5 * 4, 36_705 * 4 * 4, 32 * (64 + 2 * 784) * 4,
        64 * ((64 + 2 * 784) * 4 + 784)]
    assert estimate.total == 5_951_524
    assert list(estimate.parts)[0] == (
        "generator: 234,369 parameters x 5 (weights, gradients, 2 optimizer "
        "moments, EMA)")
    without = resources.training_memory(
        None, None, latent_dim=64, sample_shape=(28, 28, 1), batch_size=32,
        samples=64)
    assert without.total == 32 * 1632 * 4 + 64 * 7312


@pytest.mark.parametrize("config", [
    {"name": "adam"}, {"name": "adam", "amsgrad": True}, {"name": "adamw"},
    {"name": "sgd"}, {"name": "sgd", "momentum": 0.9}, {"name": "rmsprop"},
    {"name": "rmsprop", "momentum": 0.9, "centered": True},
    {"name": "adagrad"}, {"name": "lion"}, {"name": "nadam"},
])
def test_optimizer_slots_match_the_variables_keras_creates(config):
    optimizer = run_module.optimizer(dict(config, learning_rate=1e-3))
    weight = keras.Variable(np.zeros((10, 3), "float32"))
    optimizer.build([weight])
    per_weight = sum(int(np.prod(v.shape)) for v in optimizer.variables
                     if tuple(v.shape) == (10, 3))
    assert resources.optimizer_slots(config) * 30 == per_weight


def test_format_bytes():
    assert resources.format_bytes(1000) == "1000 B"
    assert resources.format_bytes(1536) == "1.5 KiB"
    assert resources.format_bytes(3 * 2**50) == "3.0 PiB"
    assert resources.format_bytes(2**70) == "1,024.0 EiB"


def test_check_fits_names_the_figure_and_the_limit():
    estimate = resources.Estimate({"weights": 3 * 2**30, "grid": 2**30})
    resources.check_fits(estimate, "Training", "Lower it.",
                         available=(4 * 2**30, "a test"))
    with pytest.raises(resources.MemoryLimitError) as info:
        resources.check_fits(estimate, "Training", "Lower it.",
                             available=(4 * 2**30 - 1, "a test"))
    assert str(info.value).startswith(
        "Training needs at least 4.0 GiB of memory, more than the 4.0 GiB "
        "available (a test): weights = 3.0 GiB; grid = 1.0 GiB. Lower it.")


def test_available_memory_is_at_most_the_physical_memory():
    found = resources.available_memory()
    if found is None:
        pytest.skip("no memory figure on this platform")
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 0 < found[0] <= total


# ----------------------------------------------------------------------
# In a run


def prepared_parts(path, overrides):
    recipe = recipe_module.load(path, overrides)
    catalogue = plugins.catalogue()
    data = run_module.load_data(recipe, catalogue)
    return recipe, data, catalogue


def test_a_run_that_cannot_fit_is_refused_with_the_estimate():
    recipe, data, catalogue = prepared_parts(
        DCGAN, ["model.params.width=8", "model.latent_dim=16"])
    estimate_g, estimate_d = resources.parameter_counts(
        architectures.dcgan, latent_dim=16, sample_shape=(28, 28, 1),
        width=8)
    need = resources.training_memory(
        estimate_g, estimate_d, latent_dim=16, sample_shape=(28, 28, 1),
        batch_size=recipe.data.batch_size,
        samples=recipe.output.samples).total
    run_module.check_memory(recipe, data, catalogue,
                            available=(need, "the test's limit"))
    with pytest.raises(recipe_module.RecipeError) as info:
        run_module.check_memory(recipe, data, catalogue,
                                available=(need - 1, "the test's limit"))
    (problem,) = info.value.problems
    assert problem.startswith(
        f"model: Training this recipe needs at least "
        f"{resources.format_bytes(need)} of memory, more than the "
        f"{resources.format_bytes(need - 1)} available (the test's limit): "
        f"generator: {estimate_g:,} parameters x 5")


def test_an_absurd_width_exits_2_before_anything_is_built(tmp_path,
                                                          monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the networks were built")

    monkeypatch.setattr(run_module, "build_gan", never)
    output = tmp_path / "run"
    # 10^7 units: 10^14 weights per hidden layer, 3.2 PiB in all.
    result = CliRunner().invoke(cli.main, [
        "run", RING8, "--set", "model.params.width=10000000",
        "--output", str(output)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "model: Training this recipe needs at least 3.2 PiB" in (
        result.output)
    assert "100,000,200,000,002 parameters" in result.output
    assert not output.exists()


def test_labels_up_to_two_billion_are_refused_by_the_estimate(tmp_path):
    # A conditional model embeds every class id up to the largest label.
    x = np.zeros((4, 28, 28), "uint8")
    y = np.array([0, 1, 2, 2**31 - 2], "int64")
    np.savez(tmp_path / "data.npz", x=x, y=y)
    recipe, data, catalogue = prepared_parts(DCGAN, [
        "model.architecture=cdcgan", "model.conditional=true",
        "model.params.width=4", "data.dataset=npz", "data.batch_size=2",
        f"data.params={{path = '{tmp_path / 'data.npz'}', "
        "labels_key = 'y'}"])
    assert data.num_classes == 2**31 - 1
    with pytest.raises(recipe_module.RecipeError,
                       match="parameters x 5"):
        run_module.check_memory(recipe, data, catalogue,
                                available=(2**40, "1 TiB"))
