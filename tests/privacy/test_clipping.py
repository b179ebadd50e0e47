"""DP-SGD on the discriminator: per-example clipping, noise, refusals.

The private update is checked against an independent reference: a Python
loop over single examples, each differentiated by the ordinary
`backend.value_and_grad` on a batch of one and clipped in numpy, with the
same draws (z, then the penalty's points) from a copy of the GAN's seed.
"""

import re

import numpy as np
import pytest

import keras
import keras_gans
from keras import ops
from keras_gans import backend
from keras_gans.privacy import Privacy
from toy_models import conditional_mlp, mlp

LATENT = 4
BATCH = 4
SEED = 3
TENSORFLOW = keras.backend.backend() == "tensorflow"
# TensorFlow's stateless RNG draws other numbers under XLA than without
# it, so a step compiled with XLA sees another z than the loop reference:
# there the step runs as a tf.function without XLA (still a graph, with
# pfor), and the XLA step is checked with a z-independent generator.
STEP_JIT = False if TENSORFLOW else "auto"


def conv_discriminator():
    """A tiny convolutional D on 6x6 images (JAX convolves slowly here);
    two convolutions, so one reads several channels."""
    images = keras.Input((6, 6, 1))
    x = images
    for _ in range(2):
        x = keras.layers.Conv2D(2, 3, strides=2, padding="same",
                                activation="relu")(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(images, keras.layers.Dense(1)(x))


def conv_generator():
    z = keras.Input((LATENT,))
    x = keras.layers.Dense(36, activation="tanh")(z)
    return keras.Model(z, keras.layers.Reshape((6, 6, 1))(x))


def networks(kind):
    """(generator, discriminator, real batch, labels) for a kind of D."""
    rng = np.random.default_rng(0)
    if kind == "conv":
        real = rng.uniform(-1, 1, size=(BATCH, 6, 6, 1))
        return conv_generator(), conv_discriminator(), real, None
    real = rng.normal(size=(BATCH, 2))
    if kind == "conditional":
        labels = rng.integers(0, 3, size=(BATCH,)).astype("int32")
        return (conditional_mlp(LATENT, 2, 3, width=8),
                conditional_mlp(2, 1, 3, width=8), real, labels)
    return mlp(LATENT, 2, width=8), mlp(2, 1, width=8), real, None


def private_gan(generator, discriminator, privacy, penalty=None,
                loss="non_saturating", **compile_args):
    """A GAN whose D takes plain SGD steps of size 1: its weights then
    move by minus the applied gradient."""
    gan = keras_gans.GAN(generator, discriminator, latent_dim=LATENT,
                         seed=SEED)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.01),
                d_optimizer=keras.optimizers.SGD(1.0), loss=loss,
                penalty=penalty, privacy=privacy, **compile_args)
    return gan


def weights(model):
    return [ops.convert_to_numpy(v).astype("float64")
            for v in model.trainable_variables]


def loop_gradients(generator, discriminator, penalty, real, labels):
    """Each example's D gradient, one `backend.value_and_grad` at a time.

    Draws z (then the penalty's points) from a fresh copy of the GAN's
    seed, in the order the training step does.
    """
    seed = keras.random.SeedGenerator(SEED)
    real = ops.convert_to_tensor(real.astype("float32"))
    if labels is not None:
        labels = ops.convert_to_tensor(labels)
    gan_loss = keras_gans.losses.get("non_saturating")
    penalty = keras_gans.penalties.get(penalty)

    def d(x, y):
        return discriminator(x if y is None else [x, y], training=True)

    z = keras.random.normal((BATCH, LATENT), seed=seed)
    fake = generator(z if labels is None else [z, labels], training=True)
    points = None
    if penalty is not None:
        points = penalty.points(real, fake, seed)
    per_example = []
    for i in range(BATCH):
        y = None if labels is None else labels[i:i + 1]

        def loss_fn():
            loss = gan_loss.discriminator_loss(d(real[i:i + 1], y),
                                               d(fake[i:i + 1], y))
            if points is not None:
                loss = loss + penalty.at(lambda x: d(x, y), points[i:i + 1])
            return loss, None

        _, grads = backend.value_and_grad(
            loss_fn, discriminator.trainable_variables)
        per_example.append([ops.convert_to_numpy(g).astype("float64")
                            for g in grads])
    return per_example


def clipped_mean(per_example, clip):
    """numpy DP-SGD without noise: clip each example, sum, divide by B."""
    norms = np.array([np.sqrt(sum(np.sum(g ** 2) for g in grads))
                      for grads in per_example])
    factors = np.minimum(1.0, clip / norms)
    mean = [sum(f * grads[k] for f, grads in zip(factors, per_example))
            / len(per_example) for k in range(len(per_example[0]))]
    return mean, norms


# Each kind of D with a clip below most examples' norms; two of them (one
# with a penalty) also with a clip above every norm. Each case compiles a
# step, which JAX does slowly on a CPU (2 s for the MLP, 6 s with
# convolutions): there the unclipped cases, whose only difference is
# keras.ops code run alike on every backend (`clipping.py`), and the
# convolutional D without a penalty (the one with R1 runs) are left to
# TensorFlow and PyTorch.
_NOT_ON_JAX = pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="the per-example gradients are checked by the clipped cases; "
    "each case costs a jit compile")
CASES = [
    ("mlp", None, "most"),
    pytest.param("conv", None, "most", marks=_NOT_ON_JAX),
    ("conditional", None, "most"),
    ("mlp", "wgan_gp", "most"),
    ("conv", "r1", "most"),
    pytest.param("mlp", None, "none", marks=_NOT_ON_JAX),
    pytest.param("conv", "r1", "none", marks=_NOT_ON_JAX),
]


@pytest.mark.parametrize("kind,penalty,clipped", CASES)
def test_private_update_equals_a_loop_over_single_examples(kind, penalty,
                                                           clipped):
    generator, discriminator, real, labels = networks(kind)
    per_example = loop_gradients(generator, discriminator, penalty, real,
                                 labels)
    _, norms = clipped_mean(per_example, np.inf)
    # A quarter of the examples keep their gradient, or all do.
    clip = (float(np.quantile(norms, 0.25)) if clipped == "most"
            else 2.0 * float(norms.max()))
    expected, _ = clipped_mean(per_example, clip)
    assert np.mean(norms > clip) == (0.75 if clipped == "most" else 0.0)

    gan = private_gan(generator, discriminator,
                      Privacy(noise_multiplier=0.0, l2_norm_clip=clip),
                      penalty=penalty, jit_compile=STEP_JIT)
    before = weights(discriminator)
    gan.train_on_batch(real.astype("float32"), labels)
    backend.current().sync_variables(gan)
    for old, new, step in zip(before, weights(discriminator), expected):
        np.testing.assert_allclose(old - new, step, rtol=1e-5, atol=1e-5)


def test_noise_has_the_closed_form_standard_deviation():
    noise_multiplier, clip = 1.5, 0.4
    generator, discriminator = mlp(LATENT, 2, width=8), mlp(2, 1, width=64)
    real = np.random.default_rng(0).normal(size=(BATCH, 2))
    noiseless, _ = clipped_mean(
        loop_gradients(generator, discriminator, None, real, None), clip)
    gan = private_gan(generator, discriminator,
                      dict(noise_multiplier=noise_multiplier,
                           l2_norm_clip=clip),
                      jit_compile=STEP_JIT)
    before = weights(discriminator)
    gan.train_on_batch(real.astype("float32"))
    backend.current().sync_variables(gan)
    noise = np.concatenate([
        (old - new - step).ravel()
        for old, new, step in zip(before, weights(discriminator), noiseless)
    ])
    n = noise.size  # 4,417 weights
    std = noise_multiplier * clip / BATCH
    # sum(noise^2) / std^2 is chi-square with n degrees of freedom: mean n,
    # standard deviation sqrt(2n), so 6 standard deviations bound the
    # ratio of variances by 1 +- 6 sqrt(2/n) (+-12.8 % for n = 4,417).
    ratio = np.sum(noise ** 2) / (n * std ** 2)
    assert abs(ratio - 1.0) < 6 * np.sqrt(2.0 / n)
    # The mean of n normal draws has standard deviation std / sqrt(n).
    assert abs(noise.mean()) < 6 * std / np.sqrt(n)


@pytest.mark.skipif(not TENSORFLOW,
                    reason="JAX: the loop tests run jitted already; PyTorch "
                    "is eager by default, and torch.compile took 124 s to "
                    "trace the per-example transform of a 2-layer MLP")
def test_xla_private_update_equals_a_loop_over_single_examples():
    # G's zero kernel makes the fakes independent of z and R1 draws no
    # points, so the loop reference sees the step's inputs under XLA too.
    generator = keras.Sequential([
        keras.Input((LATENT,)),
        keras.layers.Dense(2, kernel_initializer="zeros",
                           bias_initializer="ones")])
    discriminator = mlp(2, 1, width=8)
    real = np.random.default_rng(0).normal(size=(BATCH, 2))
    per_example = loop_gradients(generator, discriminator, "r1", real, None)
    _, norms = clipped_mean(per_example, np.inf)
    clip = float(np.quantile(norms, 0.25))
    expected, _ = clipped_mean(per_example, clip)

    gan = private_gan(generator, discriminator,
                      dict(noise_multiplier=0.0, l2_norm_clip=clip),
                      penalty="r1", jit_compile=True)
    before = weights(discriminator)
    gan.train_on_batch(real.astype("float32"))
    backend.current().sync_variables(gan)
    for old, new, step in zip(before, weights(discriminator), expected):
        np.testing.assert_allclose(old - new, step, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="JAX's eager step compiles every operation on first use (18 s "
    "here); its jitted step is checked against the eager loop over single "
    "examples above, and JAX draws the same numbers jitted or not")
def test_compiled_private_step_equals_the_eager_one():
    trained = []
    for run_eagerly in (False, True):
        keras.utils.set_random_seed(0)
        gan = private_gan(mlp(LATENT, 2, width=8), mlp(2, 1, width=8),
                          dict(noise_multiplier=1.0, l2_norm_clip=0.5),
                          d_steps=2, jit_compile=STEP_JIT,
                          run_eagerly=run_eagerly)
        x = np.random.default_rng(0).normal(size=(BATCH, 2))
        gan.fit(x.astype("float32"), batch_size=BATCH, epochs=1, verbose=0,
                shuffle=False)
        trained.append(gan)
    for a, b in zip(trained[0].weights, trained[1].weights):
        np.testing.assert_allclose(ops.convert_to_numpy(a),
                                   ops.convert_to_numpy(b),
                                   rtol=1e-4, atol=1e-5)


def test_save_load_keeps_privacy_and_training_resumes_exactly(tmp_path):
    x = np.random.default_rng(0).normal(size=(2 * BATCH, 2)).astype(
        "float32")
    gan = private_gan(mlp(LATENT, 2, width=8), mlp(2, 1, width=8),
                      dict(noise_multiplier=1.0, l2_norm_clip=0.5),
                      jit_compile=STEP_JIT)
    gan.fit(x, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.privacy == Privacy(noise_multiplier=1.0, l2_norm_clip=0.5)
    # Same weights, optimizer state and random stream (z, noise): the
    # next steps are the same numbers.
    for model in (gan, loaded):
        model.fit(x, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(gan.weights, loaded.weights):
        np.testing.assert_array_equal(ops.convert_to_numpy(a),
                                      ops.convert_to_numpy(b))


def batch_norm_discriminator():
    inputs = keras.Input((2,))
    x = keras.layers.Dense(8)(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def test_batch_norm_discriminator_is_refused_before_training():
    discriminator = batch_norm_discriminator()
    gan = keras_gans.GAN(mlp(LATENT, 2, width=8), discriminator,
                         latent_dim=LATENT)
    before = weights(discriminator)
    message = (
        "Training with privacy clips each example's gradient, which is "
        "undefined when the examples of a batch share statistics, as they "
        "do in BatchNormalization. Use keras.layers.LayerNormalization or "
        "GroupNormalization in the discriminator, or no normalization. "
        "Received: a discriminator with BatchNormalization layers ['bn']"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        gan.compile(g_optimizer="sgd", d_optimizer="sgd",
                    privacy=dict(noise_multiplier=1.0, l2_norm_clip=1.0))
    assert not gan.compiled
    for old, new in zip(before, weights(discriminator)):
        np.testing.assert_array_equal(old, new)


@pytest.mark.parametrize("setting,expected", [
    ({"loss": "relativistic_average"},
     "this loss couples the examples of a batch"),
    ({"augment": "ada"}, "adapts to the discriminator's outputs on real"),
    pytest.param({"policy": "mixed_float16"}, "does not support float16",
                 marks=_NOT_ON_JAX),
    ({"penalty": lambda d, real, fake, seed: ops.zeros(())},
     "needs the penalty's methods `points(real, fake, seed)`"),
], ids=["relativistic_loss", "ada", "float16", "plain_penalty"])
def test_what_dp_sgd_cannot_train_is_refused_at_compile(setting, expected):
    if "policy" in setting:
        keras.config.set_dtype_policy(setting["policy"])
    augment = (keras_gans.augment.ADA() if setting.get("augment") == "ada"
               else None)
    generator, discriminator, _, _ = networks(
        "mlp" if augment is None else "conv")
    gan = keras_gans.GAN(generator, discriminator, latent_dim=LATENT,
                         augment=augment)
    with pytest.raises(ValueError, match=re.escape(expected)):
        gan.compile(g_optimizer="sgd", d_optimizer="sgd",
                    loss=setting.get("loss", "non_saturating"),
                    penalty=setting.get("penalty"),
                    privacy=dict(noise_multiplier=1.0, l2_norm_clip=1.0))


def test_a_layer_assigning_variables_in_d_is_refused_at_the_first_step():
    inputs = keras.Input((2,))
    x = keras.layers.Dropout(0.5, seed=1)(keras.layers.Dense(8)(inputs))
    discriminator = keras.Model(inputs, keras.layers.Dense(1)(x))
    gan = private_gan(mlp(LATENT, 2, width=8), discriminator,
                      dict(noise_multiplier=1.0, l2_norm_clip=1.0))
    before = weights(discriminator)
    with pytest.raises(ValueError, match="cannot update variables"):
        gan.fit(np.zeros((BATCH, 2), "float32"), batch_size=BATCH,
                verbose=0)
    assert gan.steps == 0
    for old, new in zip(before, weights(discriminator)):
        np.testing.assert_array_equal(old, new)
