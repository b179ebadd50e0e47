"""Tests of the example plugin: its loss, dataset and architecture, and its
registration with keras-gans (through a fake `register`, and through the
installed entry point when the distribution is installed)."""

import importlib
import importlib.metadata
import pathlib

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans_example import plugin
from keras_gans_example.architecture import MinibatchStdDev
from keras_gans_example.architecture import example_mlp
from keras_gans_example.dataset import spiral
from keras_gans_example.loss import SymmetricLeastSquares

NAMES = {
    "architectures": "example_mlp",
    "losses": "example_least_squares_symmetric",
    "datasets": "example_spiral",
}


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)
    yield
    keras.backend.clear_session()


def _installed():
    return any(
        ep.value == "keras_gans_example.plugin"
        for ep in importlib.metadata.entry_points(group="keras_gans")
    )


# -- registration -------------------------------------------------------


def test_hooks_register_one_name_each_with_a_description():
    calls = {}
    for kind in NAMES:
        hook = getattr(plugin, f"register_{kind}")

        def register(name, factory, *, description="", kind=kind):
            calls.setdefault(kind, []).append((name, factory, description))

        hook(register)
    assert {kind: [c[0] for c in calls[kind]] for kind in calls} == {
        kind: [name] for kind, name in NAMES.items()
    }
    expected = {
        "architectures": example_mlp,
        "losses": SymmetricLeastSquares,
        "datasets": spiral,
    }
    for kind, [(name, factory, description)] in calls.items():
        # A "module:attribute" reference, imported on first use.
        module_name, _, attribute = factory.partition(":")
        resolved = getattr(importlib.import_module(module_name), attribute)
        assert resolved is expected[kind], name
        assert "example plugin" in description, name


@pytest.mark.skipif(not _installed(), reason="keras-gans-example not installed")
def test_installed_plugin_is_in_the_catalogue_owned_by_example():
    catalogue = keras_gans.plugins.load_catalogue()
    info = catalogue.plugins["example"]
    assert info.status == "ok", info.error
    assert info.version == importlib.metadata.version("keras-gans-example")
    for kind, name in NAMES.items():
        assert catalogue.get(kind, name).plugin == "example"


# -- loss ---------------------------------------------------------------


def _np_loss(real, fake, a=-1.0, b=1.0, c=0.0):
    d = 0.5 * np.mean((real - b) ** 2) + 0.5 * np.mean((fake - a) ** 2)
    g = 0.5 * np.mean((fake - c) ** 2)
    return d, g


@pytest.mark.parametrize(
    "targets", [{}, {"real_target": 0.5, "fake_target": -2.0,
                     "generator_target": 0.25}]
)
def test_loss_matches_numpy(targets):
    rng = np.random.default_rng(1)
    real = rng.normal(size=(16, 1)).astype("float32")
    fake = rng.normal(size=(16, 1)).astype("float32")
    loss = SymmetricLeastSquares(**targets)
    expected_d, expected_g = _np_loss(
        real.astype("float64"),
        fake.astype("float64"),
        a=targets.get("fake_target", -1.0),
        b=targets.get("real_target", 1.0),
        c=targets.get("generator_target", 0.0),
    )
    d = keras.ops.convert_to_numpy(loss.discriminator_loss(real, fake))
    g = keras.ops.convert_to_numpy(loss.generator_loss(fake, real))
    np.testing.assert_allclose(d, expected_d, rtol=1e-5)
    np.testing.assert_allclose(g, expected_g, rtol=1e-5)


def test_loss_is_minimal_at_its_targets():
    loss = SymmetricLeastSquares()
    real = np.ones((4, 1), "float32")
    fake = -np.ones((4, 1), "float32")
    assert float(keras.ops.convert_to_numpy(
        loss.discriminator_loss(real, fake))) == 0.0
    assert float(keras.ops.convert_to_numpy(
        loss.generator_loss(np.zeros((4, 1), "float32")))) == 0.0


def test_loss_casts_half_precision_logits_to_float32():
    loss = SymmetricLeastSquares()
    value = loss.discriminator_loss(
        keras.ops.ones((2, 1), "float16"), keras.ops.ones((2, 1), "float16")
    )
    assert keras.backend.standardize_dtype(value.dtype) == "float32"
    np.testing.assert_allclose(keras.ops.convert_to_numpy(value), 2.0)


def test_loss_config_round_trip_and_equal_targets_refused():
    loss = SymmetricLeastSquares(real_target=2.0, fake_target=0.0)
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss)
    )
    assert isinstance(restored, SymmetricLeastSquares)
    assert restored.get_config() == loss.get_config()
    with pytest.raises(ValueError, match="must differ"):
        SymmetricLeastSquares(real_target=1.0, fake_target=1.0)


# -- dataset ------------------------------------------------------------


def test_spiral_shapes_dtypes_labels_and_seed():
    x, y = spiral(num_samples=500, arms=3, turns=2.0, noise=0.0, seed=3)
    assert x.shape == (500, 2) and x.dtype == np.float32
    assert y.shape == (500,) and y.dtype == np.int32
    assert set(np.unique(y)) == {0, 1, 2}
    radius = np.linalg.norm(x, axis=1)
    assert radius.min() >= 0.2 - 1e-5 and radius.max() <= 2.0 + 1e-5
    x2, y2 = spiral(num_samples=500, arms=3, turns=2.0, noise=0.0, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(x, spiral(500, 3, 2.0, 0.0, seed=4)[0])


def test_spiral_points_lie_on_their_arm():
    arms, turns, radius = 2, 1.5, 2.0
    x, y = spiral(num_samples=200, arms=arms, turns=turns, noise=0.0,
                  radius=radius, seed=0)
    t = np.linalg.norm(x.astype("float64"), axis=1) / radius
    expected = 2 * np.pi * (turns * t + y / arms)
    angle = np.arctan2(x[:, 1], x[:, 0])
    difference = np.angle(np.exp(1j * (angle - expected)))
    np.testing.assert_allclose(difference, 0.0, atol=1e-4)


@pytest.mark.parametrize(
    "bad", [{"num_samples": 0}, {"arms": 1.5}, {"noise": -0.1},
            {"turns": float("nan")}, {"radius": True}]
)
def test_spiral_rejects_bad_arguments(bad):
    (name,) = bad
    with pytest.raises(ValueError, match=f"Received: {name}="):
        spiral(**bad)


# -- architecture -------------------------------------------------------


def test_minibatch_stddev_matches_numpy():
    x = np.random.default_rng(0).normal(size=(8, 5)).astype("float32")
    out = keras.ops.convert_to_numpy(MinibatchStdDev()(x))
    expected = np.mean(np.sqrt(np.var(x.astype("float64"), axis=0) + 1e-8))
    assert out.shape == (8, 1)
    np.testing.assert_allclose(out, expected, rtol=1e-5)


@pytest.mark.parametrize("num_classes", [None, 3])
def test_architecture_shapes(num_classes):
    G, D = example_mlp(8, (2,), num_classes=num_classes, width=16, depth=2)
    z = keras.ops.zeros((4, 8))
    labels = keras.ops.convert_to_tensor(np.array([0, 1, 2, 0], "int32"))
    samples = G(z if num_classes is None else [z, labels])
    assert tuple(samples.shape) == (4, 2)
    logits = D(samples if num_classes is None else [samples, labels])
    assert tuple(logits.shape) == (4, 1)


@pytest.mark.parametrize(
    "bad", [{"sample_shape": (2, 2)}, {"width": 0}, {"latent_dim": "8"}]
)
def test_architecture_rejects_bad_arguments(bad):
    params = {"latent_dim": 8, "sample_shape": (2,), **bad}
    with pytest.raises(ValueError, match="Received: "):
        example_mlp(**params)


def test_trains_two_steps_with_its_loss_and_reloads(tmp_path):
    x, _ = spiral(num_samples=64, seed=0)
    G, D = example_mlp(4, (2,), width=16, depth=1)
    gan = keras_gans.GAN(generator=G, discriminator=D, latent_dim=4, seed=0)
    gan.compile(
        g_optimizer=keras.optimizers.Adam(1e-3),
        d_optimizer=keras.optimizers.Adam(1e-3),
        loss=SymmetricLeastSquares(),
    )
    before = [keras.ops.convert_to_numpy(w) for w in G.trainable_weights]
    history = gan.fit(x, batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])
    assert np.isfinite(history.history["g_loss"][-1])
    after = [keras.ops.convert_to_numpy(w) for w in G.trainable_weights]
    assert any(not np.allclose(b, a) for b, a in zip(before, after))
    samples = keras.ops.convert_to_numpy(gan.generate(5, seed=1))
    assert samples.shape == (5, 2)

    path = tmp_path / "gan.keras"
    gan.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.gan_loss, SymmetricLeastSquares)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(reloaded.generate(5, seed=1)), samples,
        rtol=1e-5, atol=1e-6,
    )


# -- the recipe ---------------------------------------------------------


def test_recipe_uses_the_three_names_and_validates():
    recipe_module = pytest.importorskip("keras_gans.recipe")
    from keras_gans import plugins

    catalogue = plugins.load_catalogue()
    if "example" not in catalogue.plugins:  # not installed: register by hand
        catalogue.add_plugin(
            plugins.PluginInfo("example", "keras_gans_example.plugin")
        )
        for kind in NAMES:
            getattr(plugin, f"register_{kind}")(
                catalogue.register_function(kind, "example")
            )
    path = pathlib.Path(__file__).resolve().parents[1] / "recipes" / "example.toml"
    recipe = recipe_module.load(path, catalogue=catalogue)
    assert recipe.model.architecture == NAMES["architectures"]
    assert recipe.data.dataset == NAMES["datasets"]
    assert recipe.train.loss.name == NAMES["losses"]
