"""Built-in losses against float64 numpy versions of the published formulas."""

import json

import numpy as np
import pytest

import keras
from keras import ops
from keras_gans import losses

NAMES = [
    "non_saturating",
    "minimax",
    "wasserstein",
    "hinge",
    "least_squares",
    "relativistic_average",
]


# ----------------------------------------------------------------------
# Reference implementations, float64 numpy, written from the papers.
# D(x) = sigmoid(C(x)) where C is the raw discriminator output (the logit).
# log D and log(1 - D) use the identities log sigmoid(x) = -log(1 + e^-x)
# and 1 - sigmoid(x) = sigmoid(-x), so +-100 logits stay finite here too.


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def log_one_minus_sigmoid(x):
    return log_sigmoid(-x)


def mean(x):
    return float(np.mean(x))


def goodfellow_d(r, f):
    # D maximizes E[log D(x)] + E[log(1 - D(G(z)))] (Goodfellow et al. 2014).
    return -mean(log_sigmoid(r)) - mean(log_one_minus_sigmoid(f))


def wgan_d(r, f):
    # The critic maximizes E[C(x)] - E[C(G(z))] (Arjovsky et al. 2017).
    return mean(f) - mean(r)


def hinge_d(r, f):
    # E[max(0, 1 - C(x))] + E[max(0, 1 + C(G(z)))] (Miyato et al. 2018).
    return mean(np.maximum(0.0, 1.0 - r)) + mean(np.maximum(0.0, 1.0 + f))


def lsgan_d(r, f, a=0.0, b=1.0):
    # 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2] (Mao et al. 2017).
    return 0.5 * mean((r - b) ** 2) + 0.5 * mean((f - a) ** 2)


def lsgan_g(f, r, c=1.0):
    return 0.5 * mean((f - c) ** 2)


def rasgan_d(r, f):
    # Jolicoeur-Martineau 2018: D~(x_r) = sigmoid(C(x_r) - E C(x_f)),
    # D~(x_f) = sigmoid(C(x_f) - E C(x_r));
    # L_D = -E[log D~(x_r)] - E[log(1 - D~(x_f))].
    return -mean(log_sigmoid(r - np.mean(f))) - mean(
        log_one_minus_sigmoid(f - np.mean(r))
    )


def rasgan_g(f, r):
    # L_G = -E[log D~(x_f)] - E[log(1 - D~(x_r))].
    return -mean(log_sigmoid(f - np.mean(r))) - mean(
        log_one_minus_sigmoid(r - np.mean(f))
    )


REFERENCE = {
    # name: (discriminator loss(r, f), generator loss(f, r))
    "non_saturating": (goodfellow_d, lambda f, r: -mean(log_sigmoid(f))),
    "minimax": (goodfellow_d, lambda f, r: mean(log_one_minus_sigmoid(f))),
    "wasserstein": (wgan_d, lambda f, r: -mean(f)),
    "hinge": (hinge_d, lambda f, r: -mean(f)),
    "least_squares": (lsgan_d, lsgan_g),
    "relativistic_average": (rasgan_d, rasgan_g),
}


def logits_pair(kind, batch=64, seed=0):
    """Real and fake logits of shape (batch, 1), float64."""
    rng = np.random.default_rng(seed)
    shape = (batch, 1)
    if kind == "unit":
        return rng.standard_normal(shape), rng.standard_normal(shape)
    if kind == "wide":
        return 20 * rng.standard_normal(shape), 20 * rng.standard_normal(shape)
    # Saturated: +-50 and +-100, where exp() overflows float32 and
    # 1 - sigmoid() rounds to 0, so a naive log(sigmoid) gives inf or nan.
    magnitudes = rng.choice([50.0, 100.0], size=(2,) + shape)
    signs = rng.choice([-1.0, 1.0], size=(2,) + shape)
    real, fake = magnitudes * signs
    if kind == "saturated_right":  # D is confidently right
        return np.abs(real), -np.abs(fake)
    if kind == "saturated_wrong":  # D is confidently wrong
        return -np.abs(real), np.abs(fake)
    return real, fake


def evaluate(loss, real, fake, dtype="float32"):
    real = ops.convert_to_tensor(np.asarray(real, dtype=dtype))
    fake = ops.convert_to_tensor(np.asarray(fake, dtype=dtype))
    d_loss = loss.discriminator_loss(real, fake)
    g_loss = loss.generator_loss(fake, real)
    for value in (d_loss, g_loss):
        assert tuple(value.shape) == ()
        assert keras.backend.standardize_dtype(value.dtype) == "float32"
    return float(ops.convert_to_numpy(d_loss)), float(
        ops.convert_to_numpy(g_loss)
    )


KINDS = ["unit", "wide", "saturated", "saturated_right", "saturated_wrong"]


@pytest.mark.parametrize("name", NAMES)
def test_loss_matches_the_published_formula(name):
    loss = losses.get(name)
    reference_d, reference_g = REFERENCE[name]
    for kind in KINDS:
        real, fake = logits_pair(kind)
        d_loss, g_loss = evaluate(loss, real, fake)
        assert np.isfinite([d_loss, g_loss]).all(), (kind, d_loss, g_loss)
        np.testing.assert_allclose(
            d_loss, reference_d(real, fake), rtol=1e-5, atol=1e-6, err_msg=kind
        )
        np.testing.assert_allclose(
            g_loss, reference_g(fake, real), rtol=1e-5, atol=1e-6, err_msg=kind
        )


def test_float16_logits_give_float32_losses():
    real, fake = logits_pair("unit")
    real[:4], fake[:4] = 50.0, -50.0  # exp(50) overflows float16
    # The same float16-rounded values, given as float32.
    real_rounded = real.astype("float16").astype("float32")
    fake_rounded = fake.astype("float16").astype("float32")
    for name in NAMES:
        loss = losses.get(name)
        half = evaluate(loss, real, fake, dtype="float16")
        single = evaluate(loss, real_rounded, fake_rounded)
        np.testing.assert_allclose(
            half, single, rtol=1e-6, atol=1e-7, err_msg=name
        )
        # And close to the exact result on the unrounded logits.
        reference_d, reference_g = REFERENCE[name]
        np.testing.assert_allclose(
            half,
            (reference_d(real, fake), reference_g(fake, real)),
            rtol=2e-3,
            atol=2e-3,
            err_msg=name,
        )


def test_losses_push_each_network_the_right_way():
    """D's loss falls as real logits rise or fake fall; G's as fake rise."""
    rng = np.random.default_rng(1)
    # Inside (0, 1), where every loss is strictly monotone in the logits.
    real = rng.uniform(0.1, 0.9, (32, 1))
    fake = rng.uniform(0.1, 0.9, (32, 1))
    for name in NAMES:
        loss = losses.get(name)
        d_loss, g_loss = evaluate(loss, real, fake)
        assert evaluate(loss, real + 0.05, fake)[0] < d_loss, name
        assert evaluate(loss, real, fake - 0.05)[0] < d_loss, name
        assert evaluate(loss, real, fake + 0.05)[1] < g_loss, name


def test_get_by_name_and_serialized_round_trip():
    real, fake = logits_pair("unit")
    for name in NAMES:
        loss = losses.get(name)
        assert isinstance(loss, losses.GANLoss), name
        assert loss.name == name
        assert losses.get(loss) is loss
        config = keras.saving.serialize_keras_object(loss)
        config = json.loads(json.dumps(config))  # as in a .keras file
        restored = losses.get(config)
        assert type(restored) is type(loss), (name, config)
        assert restored is not loss
        assert evaluate(restored, real, fake) == evaluate(loss, real, fake)


def test_get_returns_a_custom_loss_object_unchanged():
    class Custom:
        def discriminator_loss(self, real_logits, fake_logits):
            return ops.mean(fake_logits) - ops.mean(real_logits)

        def generator_loss(self, fake_logits, real_logits=None):
            return -ops.mean(fake_logits)

    custom = Custom()
    assert losses.get(custom) is custom


def test_relativistic_generator_loss_needs_real_logits():
    loss = losses.get("relativistic_average")
    assert loss.generator_needs_real_logits
    with pytest.raises(ValueError, match="real_logits=None"):
        loss.generator_loss(ops.zeros((4, 1)))
