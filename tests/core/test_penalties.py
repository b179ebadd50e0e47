"""Gradient penalties: values and second-order gradients against references.

The reference is an independent float64 numpy model of a small tanh MLP
discriminator, D(x) = tanh(x K1 + b1) K2 + b2, whose input gradient has a
closed form; the penalty's gradient with respect to D's weights is then
taken by central finite differences of that numpy function.
"""

import numpy as np
import pytest

import keras
import keras_gans
from keras import ops
from keras_gans import backend
from keras_gans.penalties import R1, WGANGP

IN, HIDDEN = 3, 5


def reference_weights(seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(IN, HIDDEN)),
        rng.normal(size=(HIDDEN,)) * 0.5,
        rng.normal(size=(HIDDEN, 1)),
        rng.normal(size=(1,)),
    ]


def numpy_input_gradient(weights, x):
    k1, b1, k2, _ = weights
    h = np.tanh(x @ k1 + b1)
    return ((1.0 - h**2) * k2[:, 0]) @ k1.T


def numpy_r1(weights, x, gamma):
    g = numpy_input_gradient(weights, x)
    return 0.5 * gamma * np.mean(np.sum(g**2, axis=1))


def numpy_wgan_gp(weights, x, lam):
    g = numpy_input_gradient(weights, x)
    norm = np.sqrt(np.sum(g**2, axis=1))
    return lam * np.mean((norm - 1.0) ** 2)


def finite_difference_gradient(penalty_fn, weights, eps=1e-6):
    grads = []
    for index, w in enumerate(weights):
        grad = np.zeros_like(w)
        for position in np.ndindex(w.shape):
            shifted = [v.copy() for v in weights]
            shifted[index][position] += eps
            up = penalty_fn(shifted)
            shifted[index][position] -= 2 * eps
            down = penalty_fn(shifted)
            grad[position] = (up - down) / (2 * eps)
        grads.append(grad)
    return grads


def keras_discriminator(weights):
    model = keras.Sequential(
        [
            keras.Input((IN,)),
            keras.layers.Dense(HIDDEN, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )
    model.set_weights([w.astype("float32") for w in weights])
    return model


def points(n=16, seed=1):
    return np.random.default_rng(seed).normal(size=(n, IN))


CASES = [
    (R1(weight=2.0), lambda w, x: numpy_r1(w, x, gamma=2.0)),
    (WGANGP(weight=10.0), lambda w, x: numpy_wgan_gp(w, x, lam=10.0)),
]


@pytest.mark.parametrize("penalty, reference", CASES, ids=["r1", "wgan_gp"])
def test_penalty_value_and_weight_gradient_match_reference(penalty, reference):
    weights, x = reference_weights(), points()
    model = keras_discriminator(weights)

    def penalty_value():
        value = penalty.at(lambda p: model(p, training=True), ops.array(x, "float32"))
        return value, None

    (value, _), grads = backend.value_and_grad(
        penalty_value, model.trainable_variables
    )

    np.testing.assert_allclose(
        float(ops.convert_to_numpy(value)), reference(weights, x), rtol=1e-5
    )
    expected = finite_difference_gradient(lambda w: reference(w, x), weights)
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(
            ops.convert_to_numpy(got), want, rtol=1e-3, atol=1e-4
        )


def test_input_gradient_matches_closed_form():
    weights, x = reference_weights(), points()
    model = keras_discriminator(weights)
    grad = backend.input_gradient(model, ops.array(x, "float32"))
    np.testing.assert_allclose(
        ops.convert_to_numpy(grad),
        numpy_input_gradient(weights, x),
        rtol=1e-5,
        atol=1e-6,
    )


def test_wgan_gp_interpolates_with_one_uniform_alpha_per_sample():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(2000, 4, 4, 1)).astype("float32")
    fake = rng.normal(size=(2000, 4, 4, 1)).astype("float32")
    seed = keras.random.SeedGenerator(0)
    x_hat = ops.convert_to_numpy(
        WGANGP().interpolate(ops.array(real), ops.array(fake), seed)
    )
    alpha = (x_hat - real) / (fake - real)
    per_sample = alpha.reshape(2000, -1)
    # One alpha per sample, shared by all of its pixels.
    np.testing.assert_allclose(
        per_sample, per_sample[:, :1].repeat(16, axis=1), atol=1e-3
    )
    a = per_sample[:, 0]
    assert a.min() >= -1e-3 and a.max() <= 1 + 1e-3
    # U[0, 1]: mean 1/2 and quartiles at 1/4 and 3/4, not N(0, 1).
    assert abs(a.mean() - 0.5) < 0.03
    assert abs(np.mean(a < 0.25) - 0.25) < 0.03
    assert abs(np.mean(a < 0.75) - 0.75) < 0.03


class PenaltyOnly:
    """A zero adversarial loss, so D's update is the penalty's gradient alone."""

    def discriminator_loss(self, real_logits, fake_logits):
        return 0.0 * (ops.mean(real_logits) + ops.mean(fake_logits))

    def generator_loss(self, fake_logits, real_logits=None):
        return 0.0 * ops.mean(fake_logits)


def constant_generator(point, latent_dim=4):
    """G(z) = point for every z: zero kernel, bias at the point."""
    generator = keras.Sequential(
        [keras.Input((latent_dim,)), keras.layers.Dense(IN)]
    )
    generator.set_weights(
        [np.zeros((latent_dim, IN), "float32"), point.astype("float32")]
    )
    return generator


@pytest.mark.parametrize("penalty, reference", CASES, ids=["r1", "wgan_gp"])
def test_compiled_fit_step_descends_the_penalty_gradient(penalty, reference):
    # One fit() step, compiled as by default (XLA on TensorFlow, jit on JAX),
    # with SGD(lr=1): D's weights must move by exactly -grad(penalty).
    weights = reference_weights()
    point = points(1, seed=2)[0]
    batch = np.repeat(point[None], 8, axis=0)  # real == fake == x_hat
    gan = keras_gans.GAN(
        constant_generator(point), keras_discriminator(weights), latent_dim=4
    )
    gan.compile(
        g_optimizer=keras.optimizers.SGD(1.0),
        d_optimizer=keras.optimizers.SGD(1.0),
        loss=PenaltyOnly(),
        penalty=penalty,
    )
    gan.fit(batch.astype("float32"), batch_size=8, epochs=1, verbose=0)

    expected = finite_difference_gradient(lambda w: reference(w, batch), weights)
    for before, after, grad in zip(
        weights, gan.discriminator.get_weights(), expected
    ):
        np.testing.assert_allclose(after, before - grad, rtol=1e-3, atol=1e-4)
