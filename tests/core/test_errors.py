"""Bad arguments and data fail early with a ValueError naming the culprit."""

import re

import numpy as np
import pytest

import keras
import keras_gans
from toy_models import conditional_mlp, mlp, optimizers

LATENT = 4
NUM_CLASSES = 3
LOSS_NAMES = [
    "hinge",
    "least_squares",
    "minimax",
    "non_saturating",
    "relativistic_average",
    "wasserstein",
]


def tiny(input_dim, output_dim):
    return mlp(input_dim, output_dim, width=8, depth=1)


def tiny_gan():
    return keras_gans.GAN(tiny(LATENT, 2), tiny(2, 1), latent_dim=LATENT)


def compiled_gan(conditional=False):
    if conditional:
        gan = keras_gans.GAN(
            conditional_mlp(LATENT, 2, NUM_CLASSES, width=8),
            conditional_mlp(2, 1, NUM_CLASSES, width=8),
            latent_dim=LATENT,
        )
    else:
        gan = tiny_gan()
    g_opt, d_opt = optimizers()
    gan.compile(g_optimizer=g_opt, d_optimizer=d_opt)
    return gan


def received(argument, value):
    """A pattern for the `Received: argument=value` part of a message."""
    return re.escape(f"{argument}={value!r}")


def snapshot(gan):
    variables = (
        gan.generator.weights
        + gan.discriminator.weights
        + gan.g_optimizer.variables
        + gan.d_optimizer.variables
    )
    # On JAX, Keras' fit() empties the variables before the first step; a
    # failure there must still leave them readable (and unchanged).
    return [np.array(keras.ops.convert_to_numpy(v)) for v in variables]


def assert_untouched(gan, before):
    after = snapshot(gan)
    assert len(after) == len(before)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    assert gan.steps == 0


def ring_like(n=64, features=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype("float32")
    return x, rng.integers(0, NUM_CLASSES, n)


# ----------------------------------------------------------------------
# GAN(...) construction


def test_discriminator_with_two_outputs_is_refused():
    discriminator = tiny(2, 2)
    pattern = r"discriminator.*\(batch, 1\)"
    with pytest.raises(ValueError, match=pattern) as info:
        keras_gans.GAN(tiny(LATENT, 2), discriminator, latent_dim=LATENT)
    assert "discriminator output of shape (2, 2)" in str(info.value)


def test_discriminator_that_cannot_take_the_samples_is_refused():
    with pytest.raises(
        ValueError, match=r"discriminator could not be called.*\(2, 2\)"
    ):
        keras_gans.GAN(tiny(LATENT, 2), tiny(3, 1), latent_dim=LATENT)


def test_generator_latent_size_must_match_latent_dim():
    with pytest.raises(ValueError, match="latent_dim") as info:
        keras_gans.GAN(tiny(8, 2), tiny(2, 1), latent_dim=LATENT)
    message = str(info.value)
    assert "Received: latent_dim=4" in message
    assert "latent_dim=8" in message  # the size the generator declares


def test_subclassed_generator_built_for_another_latent_size_is_refused():
    class Generator(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, z):
            return self.dense(z)

    generator = Generator()
    generator(np.zeros((1, 8), "float32"))
    pattern = "generator could not be called"
    with pytest.raises(ValueError, match=pattern) as info:
        keras_gans.GAN(generator, tiny(2, 1), latent_dim=LATENT)
    assert "latent_dim=4" in str(info.value)


@pytest.mark.parametrize("latent_dim", [0, -4, 4.0, "4", None])
def test_latent_dim_must_be_a_positive_int(latent_dim):
    with pytest.raises(ValueError, match=received("latent_dim", latent_dim)):
        keras_gans.GAN(tiny(LATENT, 2), tiny(2, 1), latent_dim=latent_dim)


@pytest.mark.parametrize("argument", ["generator", "discriminator"])
@pytest.mark.parametrize("value", ["mlp", np.tanh])
def test_networks_must_be_keras_models(argument, value):
    networks = {"generator": tiny(LATENT, 2), "discriminator": tiny(2, 1)}
    networks[argument] = value
    with pytest.raises(ValueError, match=received(argument, value)):
        keras_gans.GAN(**networks, latent_dim=LATENT)


# ----------------------------------------------------------------------
# fit() with data that does not fit the model


def test_labels_on_an_unconditional_gan_are_refused_by_fit():
    gan = compiled_gan()
    before = snapshot(gan)
    x, y = ring_like()
    with pytest.raises(ValueError, match=r"unconditional.*labels of shape"):
        gan.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert_untouched(gan, before)


def test_conditional_gan_needs_labels_in_fit():
    gan = compiled_gan(conditional=True)
    before = snapshot(gan)
    x, _ = ring_like()
    with pytest.raises(ValueError, match=r"conditional.*labels=None"):
        gan.fit(x, batch_size=16, epochs=1, verbose=0)
    assert_untouched(gan, before)


@pytest.mark.parametrize("sample_shape", [(3,), (2, 1)])
def test_samples_must_have_the_generator_output_shape(sample_shape):
    gan = compiled_gan()
    before = snapshot(gan)
    x = np.zeros((64,) + sample_shape, "float32")
    with pytest.raises(ValueError, match=r"sample shape \(2,\)") as info:
        gan.fit(x, batch_size=16, epochs=1, verbose=0)
    assert f"samples of shape {sample_shape}" in str(info.value)
    assert_untouched(gan, before)


# ----------------------------------------------------------------------
# compile()


@pytest.mark.parametrize("missing", ["g_optimizer", "d_optimizer"])
def test_compile_needs_both_optimizers(missing):
    g_opt, d_opt = optimizers()
    arguments = {"g_optimizer": g_opt, "d_optimizer": d_opt, missing: None}
    with pytest.raises(ValueError, match=received(missing, None)):
        tiny_gan().compile(**arguments)


def test_compile_refuses_an_unknown_optimizer_name():
    with pytest.raises(ValueError, match=received("g_optimizer", "adamm")):
        tiny_gan().compile(g_optimizer="adamm", d_optimizer="adam")


def test_compile_refuses_one_optimizer_for_both_networks():
    optimizer = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="`g_optimizer` and `d_optimizer`"):
        tiny_gan().compile(g_optimizer=optimizer, d_optimizer=optimizer)


def test_unknown_loss_lists_the_known_ones_and_suggests_one():
    g_opt, d_opt = optimizers()
    with pytest.raises(ValueError, match=received("loss", "hinj")) as info:
        tiny_gan().compile(g_optimizer=g_opt, d_optimizer=d_opt, loss="hinj")
    message = str(info.value)
    for name in LOSS_NAMES:
        assert name in message
    assert "Did you mean 'hinge'?" in message


def test_unknown_penalty_lists_the_known_ones_and_suggests_one():
    g_opt, d_opt = optimizers()
    pattern = received("penalty", "wgan-gp")
    with pytest.raises(ValueError, match=pattern) as info:
        tiny_gan().compile(
            g_optimizer=g_opt, d_optimizer=d_opt, penalty="wgan-gp"
        )
    message = str(info.value)
    assert "r1" in message and "wgan_gp" in message
    assert "Did you mean 'wgan_gp'?" in message


@pytest.mark.parametrize(
    "argument, value",
    [("d_steps", 0), ("d_steps", -1), ("d_steps", 2.0), ("ema", 1.5),
     ("ema", 1.0), ("ema", -0.1)],
)
def test_compile_refuses_bad_d_steps_and_ema(argument, value):
    g_opt, d_opt = optimizers()
    with pytest.raises(ValueError, match=received(argument, value)):
        tiny_gan().compile(
            g_optimizer=g_opt, d_optimizer=d_opt, **{argument: value}
        )


@pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="torch.compile only"
)
def test_torch_compile_with_a_penalty_is_refused():
    g_opt, d_opt = optimizers()
    with pytest.raises(ValueError, match="jit_compile=True") as info:
        tiny_gan().compile(
            g_optimizer=g_opt, d_optimizer=d_opt, penalty="r1",
            jit_compile=True,
        )
    assert "penalty=R1(weight=10.0)" in str(info.value)


# ----------------------------------------------------------------------
# generate()


def test_generate_refuses_labels_on_an_unconditional_gan():
    with pytest.raises(ValueError, match=r"unconditional.*labels=3"):
        tiny_gan().generate(4, labels=3)


def test_generate_needs_labels_on_a_conditional_gan():
    gan = compiled_gan(conditional=True)
    with pytest.raises(ValueError, match=r"conditional.*labels=None"):
        gan.generate(4)
    pattern = r"4 ints.*labels=array\(\[0, 1, 2\]\)"
    with pytest.raises(ValueError, match=pattern):
        gan.generate(4, labels=[0, 1, 2])
    with pytest.raises(ValueError, match=r"4 ints.*labels=array\(\[0.5"):
        gan.generate(4, labels=[0.5, 1.0, 1.5, 2.0])
    assert gan.generate(4, labels=[0, 1, 2, 0]).shape == (4, 2)


@pytest.mark.parametrize("n", [0, -1, 2.0])
def test_generate_needs_a_positive_int_n(n):
    with pytest.raises(ValueError, match=received("n", n)):
        tiny_gan().generate(n)


def test_one_hot_labels_are_refused_with_the_shape_named():
    gan = compiled_gan(conditional=True)
    before = snapshot(gan)
    x, y = ring_like()
    one_hot = np.eye(NUM_CLASSES, dtype="float32")[y]
    with pytest.raises(ValueError, match=r"class ids of shape \(batch,\)"):
        gan.fit(x, one_hot, batch_size=16, epochs=1, verbose=0)
    assert_untouched(gan, before)


def test_a_corrected_fit_trains_after_a_refused_one():
    gan = compiled_gan()
    x, y = ring_like()
    with pytest.raises(ValueError):
        gan.fit(x, y, batch_size=16, epochs=1, verbose=0)
    gan.fit(x, batch_size=16, epochs=1, verbose=0)
    assert gan.steps == 4
