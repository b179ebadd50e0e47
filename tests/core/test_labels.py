"""Conditional GANs whose labels are one-hot and concatenated into one input
(`label_mode="one_hot_concat"`, the keras-io conditional_gan layout)."""

import pathlib

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import keras
from keras import layers

import keras_gans
from keras_gans import cli
from keras_gans import labels as labels_module
from keras_gans.runs import recipe as recipe_module
from keras_gans.runs.recipe import RecipeError
from keras_gans.runs.recipe import tomllib
from keras_gans.datasets import digits, ring, ring_centers
from toy_models import assert_labels_pick_their_mode
from toy_models import conditional_mlp, mlp, optimizers
import paths

LATENT = 16
CENTERS = ring_centers()


def keras_io_conditional_gan(latent_dim=128, num_classes=10, channels=1):
    """G and D as listed in keras-io's examples/generative/conditional_gan.py.

    D reads 28x28 images with `num_classes` extra channels; G reads z joined
    with the one-hot label (`latent_dim + num_classes` features) and ends in
    a sigmoid.
    """
    generator_in_channels = latent_dim + num_classes
    discriminator_in_channels = channels + num_classes
    discriminator = keras.Sequential(
        [
            keras.layers.InputLayer((28, 28, discriminator_in_channels)),
            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )
    generator = keras.Sequential(
        [
            keras.layers.InputLayer((generator_in_channels,)),
            layers.Dense(7 * 7 * generator_in_channels),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, generator_in_channels)),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2),
                                   padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2),
                                   padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )
    return generator, discriminator


def test_one_hot_concat_labels_steer_samples_to_their_mode():
    # One class per ring mode; G reads concat([z, one_hot]), D concat([x,
    # one_hot]). 300 steps: the least-accurate class put 0.986-0.998 of
    # its 500 samples on its own mode (seeds 0-3 on TensorFlow, seed 0 on
    # JAX and PyTorch, one thread).
    gan = keras_gans.GAN(mlp(LATENT + 8, 2), mlp(2 + 8, 1),
                         latent_dim=LATENT, label_mode="one_hot_concat")
    assert (gan.conditional, gan.num_classes) == (True, 8)
    g_opt, d_opt = optimizers()
    gan.compile(g_optimizer=g_opt, d_optimizer=d_opt, ema=0.99)
    x, y = ring(300 * 256, seed=0)
    gan.fit(x, y, batch_size=256, epochs=1, verbose=0)
    assert_labels_pick_their_mode(gan, CENTERS)


def _keras_io_data(count=32):
    """Digits at 28x28 in [0, 1] (sigmoid range) with one-hot labels, as
    keras-io feeds its model."""
    x, y = digits(image_size=28)
    x = (x[:count] + 1.0) / 2.0
    return x, np.eye(10, dtype="float32")[y[:count]], y[:count]


def test_keras_io_layout_trains_unchanged_and_samples_by_label(tmp_path):
    keras.utils.set_random_seed(1)
    generator, discriminator = keras_io_conditional_gan()
    # Inferred: one input of size latent_dim + num_classes.
    gan = keras_gans.GAN(generator, discriminator, latent_dim=128,
                         num_classes=10)
    assert gan.label_mode == "one_hot_concat"
    gan.compile(
        g_optimizer=keras.optimizers.Adam(3e-4),
        d_optimizer=keras.optimizers.Adam(3e-4),
        loss="non_saturating",
    )
    x, one_hot, ids = _keras_io_data()
    before = [np.array(v) for v in generator.trainable_variables]
    history = gan.fit(x, one_hot, batch_size=16, epochs=1, verbose=0)
    assert gan.steps == 2
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    changed = [not np.allclose(b, np.array(v)) for b, v in
               zip(before, generator.trainable_variables)]
    assert all(changed)

    # The samples are G's output on concat([z, one_hot(label)]), with z as
    # generate() draws it: keras-io's own sampling.
    label_ids = np.array([0, 3, 3, 9], "int32")
    samples = gan.generate(4, seed=5, labels=label_ids)
    z = np.random.default_rng(5).standard_normal((4, 128), dtype=np.float32)
    reference = keras.ops.convert_to_numpy(generator(
        np.concatenate([z, np.eye(10, dtype="float32")[label_ids]], axis=1),
        training=False,
    ))
    np.testing.assert_allclose(samples, reference, rtol=1e-5, atol=1e-6)
    assert samples.shape == (4, 28, 28, 1)
    assert not np.allclose(samples[1], gan.generate(4, seed=5, labels=7)[1])

    # D is called on the images with the one-hot labels tiled over H x W.
    tiled = np.broadcast_to(one_hot[:4, None, None, :], (4, 28, 28, 10))
    expected = keras.ops.convert_to_numpy(discriminator(
        np.concatenate([x[:4], tiled], axis=-1), training=False
    ))
    logits = gan._run_discriminator(
        x[:4], gan._encode_labels(ids[:4]), training=False
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(logits), expected,
                               rtol=1e-5, atol=1e-6)

    # Saved and reloaded with its layout: the same samples.
    path = tmp_path / "gan.keras"
    gan.save(path)
    restored = keras_gans.load_model(path)
    assert (restored.label_mode, restored.num_classes) == (
        "one_hot_concat", 10)
    np.testing.assert_allclose(
        restored.generate(4, seed=5, labels=label_ids), samples,
        rtol=1e-5, atol=1e-6,
    )


def test_tiling_matches_a_numpy_reference_for_images_and_vectors():
    one_hot = np.eye(3, dtype="float32")[[2, 0]]
    images = np.random.default_rng(0).normal(size=(2, 4, 5, 2)).astype(
        "float32")
    joined = keras.ops.convert_to_numpy(labels_module.discriminator_inputs(
        images, one_hot, "one_hot_concat"))
    assert joined.shape == (2, 4, 5, 5)
    np.testing.assert_array_equal(joined[..., :2], images)
    for b in range(2):
        for c in range(3):
            assert np.all(joined[b, :, :, 2 + c] == one_hot[b, c])
    vectors = images[:, 0, 0, :]
    joined = keras.ops.convert_to_numpy(labels_module.discriminator_inputs(
        vectors, one_hot, "one_hot_concat"))
    np.testing.assert_array_equal(joined,
                                  np.concatenate([vectors, one_hot], 1))


def _one_hot_gan(**kwargs):
    return keras_gans.GAN(mlp(LATENT + 8, 2), mlp(2 + 8, 1),
                          latent_dim=LATENT, **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    (dict(label_mode="onehot"), "Received: label_mode='onehot'"),
    (dict(label_mode="one_hot_concat", num_classes=5),
     "latent_dim + num_classes = 16 + 5 = 21. Received: a generator input "
     "of size 24"),
    (dict(label_mode="one_hot_concat", conditional=False),
     "is for conditional GANs, but `conditional` is False"),
    (dict(), "pass label_mode='one_hot_concat' and num_classes=8"),
])
def test_inconsistent_label_arguments_are_refused_with_the_fix(kwargs,
                                                               message):
    with pytest.raises(ValueError) as info:
        _one_hot_gan(**kwargs)
    assert message in str(info.value), str(info.value)


def test_wrong_discriminator_channels_and_two_input_generator_are_named():
    with pytest.raises(ValueError) as info:
        keras_gans.GAN(mlp(LATENT + 8, 2), mlp(2, 1), latent_dim=LATENT,
                       label_mode="one_hot_concat")
    assert "2 + num_classes=8 = 10 channels" in str(info.value)
    with pytest.raises(ValueError) as info:
        keras_gans.GAN(conditional_mlp(LATENT, 2, 8),
                       conditional_mlp(2, 1, 8), latent_dim=LATENT,
                       label_mode="one_hot_concat")
    assert "label_mode='index'" in str(info.value)


def test_generate_refuses_labels_outside_the_classes():
    gan = _one_hot_gan(label_mode="one_hot_concat")
    with pytest.raises(ValueError, match=r"class ids in \[0, 8\)"):
        gan.generate(2, labels=8)
    with pytest.raises(ValueError, match="pass `labels`"):
        gan.generate(2)


# ----------------------------------------------------------------------
# Recipes and the command line


RING8 = pathlib.Path(paths.REPO) / "recipes" / "ring8.toml"
ONE_HOT_RING = [
    "--set", "model.conditional=true",
    "--set", 'model.label_mode="one_hot_concat"',
    "--set", "model.params.width=32",
    "--set", "data.params.num_samples=2048",
    "--set", "output.samples=64",
]


def invoke(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args],
                              catch_exceptions=False)


def test_a_one_hot_concat_recipe_trains_resumes_and_samples(tmp_path):
    run = tmp_path / "run"
    first = invoke("run", RING8, *ONE_HOT_RING, "--set", "train.steps=8",
                   "--output", run)
    assert first.exit_code == 0, first.output
    resumed = invoke("run", RING8, *ONE_HOT_RING, "--set", "train.steps=12",
                     "--output", run, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "Resuming from" in resumed.output

    saved = tomllib.loads((run / "recipe.toml").read_text())
    assert saved["model"]["label_mode"] == "one_hot_concat"
    gan = keras_gans.load_model(run / "gan.keras")
    assert (gan.label_mode, gan.num_classes, gan.steps) == (
        "one_hot_concat", 8, 12)
    # The mlp architecture built the single-input layout.
    assert gan.generator.inputs[0].shape[-1] == 16 + 8
    assert gan.discriminator.inputs[0].shape[-1] == 2 + 8

    # sample draws by label from the GAN and from the bare generator
    # (generator.keras holds the EMA weights generate() uses; the recipe
    # beside it says how labels enter it): the same picture.
    pictures = []
    for source in (run, run / "generator.keras"):
        out = tmp_path / f"{pathlib.Path(source).name}.png"
        result = invoke("sample", source, "-n", 16, "--labels", "3",
                        "-o", out)
        assert result.exit_code == 0, result.output
        with Image.open(out) as image:
            pictures.append(np.asarray(image, "int16"))
    assert np.abs(pictures[0] - pictures[1]).max() <= 1
    bad = invoke("sample", run, "--labels", "8", "-o", tmp_path / "x.png")
    assert bad.exit_code == 2 and "class ids are 0 to 7; got 8" in bad.output


def _recipe(**model):
    return {
        "model": dict({"architecture": "mlp", "latent_dim": 8}, **model),
        "data": {"dataset": "ring"},
        "train": {"epochs": 1},
    }


@pytest.mark.parametrize("model, message", [
    (dict(label_mode="one_hot_concat"),
     "model.label_mode: only for a conditional model; set "
     "model.conditional = true"),
    (dict(label_mode="onehot", conditional=True),
     'model.label_mode: expected "index" or "one_hot_concat", got "onehot"'),
    (dict(architecture="cdcgan", conditional=True,
          label_mode="one_hot_concat"),
     "model.label_mode: architecture 'cdcgan' takes no label_mode "
     "parameter"),
    (dict(conditional=True, params={"label_mode": "one_hot_concat"}),
     "model.params.label_mode: set by keras-gans from model.label_mode"),
])
def test_recipe_label_mode_problems_are_reported(model, message):
    with pytest.raises(RecipeError) as info:
        recipe_module.resolve(_recipe(**model))
    assert any(p.startswith(message) for p in info.value.problems), (
        info.value.problems)
