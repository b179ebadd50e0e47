"""Which weights a trained GAN samples with, given latents, truncation.

One rule (`GAN.export_generator`): the EMA weights when the GAN keeps an
EMA, the raw generator otherwise, for `gan(z)`, `predict`, `generate` and
the exported model alike.
"""

import numpy as np
import pytest
from scipy import stats

import keras
import keras_gans
from keras_gans import latent
from toy_models import conditional_mlp, mlp, optimizers

LATENT = 4


def tiny_gan(ema=0.5, conditional=False):
    if conditional:
        generator = conditional_mlp(LATENT, 2, num_classes=3, width=8)
        discriminator = conditional_mlp(2, 1, num_classes=3, width=8)
    else:
        generator = mlp(LATENT, 2, width=8, depth=1)
        discriminator = mlp(2, 1, width=8, depth=1)
    gan = keras_gans.GAN(generator, discriminator, latent_dim=LATENT,
                         seed=0)
    g_opt, d_opt = optimizers(learning_rate=0.05)
    gan.compile(g_optimizer=g_opt, d_optimizer=d_opt, ema=ema)
    return gan


def with_moved_averages(gan):
    """Sets the EMA weights apart from the raw ones, as training leaves
    them (a fit() would cost a compile per backend; tests/cli/test_cli.py
    checks a trained run's), so a test reading the raw weights where the
    EMA ones belong fails."""
    for average in gan.ema_weights:
        average.assign(average * 0.5 + 0.1)
    return gan


@pytest.fixture(scope="module")
def ema_gan():
    return with_moved_averages(tiny_gan())


def test_every_way_of_sampling_uses_the_ema_weights(ema_gan):
    z = latent.prior_noise(16, LATENT, seed=3)
    raw = keras.ops.convert_to_numpy(ema_gan.generator(z))
    exported = ema_gan.export_generator()
    expected = keras.ops.convert_to_numpy(exported(z))
    # The EMA and raw outputs differ: using the raw ones is caught.
    assert np.abs(expected - raw).max() > 1e-2
    # The exported model carries the averages themselves.
    for average, weight in zip(ema_gan.ema_weights,
                               exported.trainable_variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(average),
                                      keras.ops.convert_to_numpy(weight))
    for output in (
        keras.ops.convert_to_numpy(ema_gan(z)),
        ema_gan.predict(z, verbose=0),
        ema_gan.generate(z=z),
        ema_gan.generate(16, seed=3),
    ):
        np.testing.assert_allclose(output, expected, atol=1e-6)
    # The switch back to the raw weights.
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ema_gan(z, use_ema=False)), raw,
        atol=1e-6)
    np.testing.assert_allclose(ema_gan.generate(z=z, use_ema=False), raw,
                               atol=1e-6)


def test_without_ema_the_exported_generator_is_a_copy_of_the_raw_one():
    gan = tiny_gan(ema=None)
    exported = gan.export_generator()
    z = latent.prior_noise(8, LATENT, seed=1)
    assert exported is not gan.generator
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(exported(z)),
        keras.ops.convert_to_numpy(gan.generator(z)), atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gan(z)),
                               gan.generate(z=z), atol=1e-6)


def test_conditional_export_takes_labels_like_generate():
    gan = with_moved_averages(tiny_gan(conditional=True))
    z = latent.prior_noise(6, LATENT, seed=2)
    labels = np.array([0, 1, 2, 0, 1, 2], dtype="int32")
    exported = gan.export_generator()
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(exported([z, labels])),
        gan.generate(z=z, labels=labels), atol=1e-6)
    assert not np.allclose(
        gan.generate(z=z, labels=labels),
        gan.generate(z=z, labels=labels, use_ema=False), atol=1e-3)


def test_explicit_latents_are_checked_against_the_model(ema_gan):
    with pytest.raises(ValueError, match=r"shape \(n, 4\).*Received: z of "
                                         r"shape \(3, 5\)"):
        ema_gan.generate(z=np.zeros((3, 5)))
    with pytest.raises(ValueError, match="must match the number"):
        ema_gan.generate(2, z=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="either `z` or `truncation`"):
        ema_gan.generate(z=np.zeros((3, 4)), truncation=1.0)
    for bad in (0, -1.0, float("nan"), "1", True):
        with pytest.raises(ValueError, match="Received: truncation="):
            ema_gan.generate(3, truncation=bad)


def numpy_truncated(n, dim, seed, threshold):
    """The resampling rule written independently: draw, then redraw the
    coordinates beyond the threshold, one array pass at a time."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, dim), dtype=np.float32)
    while True:
        flat = z.reshape(-1)
        bad = np.flatnonzero(np.abs(flat) > threshold)
        if bad.size == 0:
            return z
        flat[bad] = rng.standard_normal(bad.size, dtype=np.float32)


@pytest.mark.parametrize("threshold", [0.5, 1.0, 2.0])
def test_truncation_resamples_to_a_truncated_normal(threshold):
    z = latent.prior_noise(5000, 8, seed=7, truncation=threshold)
    assert np.abs(z).max() <= threshold
    np.testing.assert_array_equal(z, numpy_truncated(5000, 8, 7, threshold))
    np.testing.assert_array_equal(
        z, latent.prior_noise(5000, 8, seed=7, truncation=threshold))
    # 40,000 coordinates against the standard normal cut at +-threshold:
    # the KS distance of a correct draw is ~1/sqrt(40,000) = 0.005; the
    # untruncated normal would be off by far more.
    reference = stats.truncnorm(-threshold, threshold)
    assert stats.kstest(z.reshape(-1), reference.cdf).pvalue > 1e-3
    assert stats.kstest(latent.prior_noise(5000, 8, seed=7).reshape(-1),
                        reference.cdf).pvalue < 1e-6


def test_truncated_samples_decode_the_truncated_latents(ema_gan):
    z = latent.prior_noise(32, LATENT, seed=5, truncation=0.7)
    np.testing.assert_allclose(ema_gan.generate(32, seed=5, truncation=0.7),
                               ema_gan.generate(z=z), atol=1e-6)
    np.testing.assert_array_equal(latent.prior_noise(32, LATENT, seed=5),
                                  latent.requested(32, LATENT, 5))


def test_slerp_follows_the_great_circle():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 16))
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    t = np.linspace(0, 1, 9)[:, None]
    path = latent.slerp(a, b, t)
    np.testing.assert_allclose(path[0], a, atol=1e-6)
    np.testing.assert_allclose(path[-1], b, atol=1e-6)
    # Unit endpoints: every frame stays on the unit sphere...
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1.0, atol=1e-6)
    # ...at the angle t * omega from a, in the plane of a and b: the
    # rotation cos(t omega) a + sin(t omega) u, u the unit vector of that
    # plane orthogonal to a.
    omega = np.arccos(a @ b)
    u = b - (a @ b) * a
    u /= np.linalg.norm(u)
    np.testing.assert_allclose(
        path, np.cos(t * omega) * a + np.sin(t * omega) * u, atol=1e-6)
    # Parallel vectors: the straight line.
    np.testing.assert_allclose(latent.slerp(a, 2 * a, 0.5), 1.5 * a,
                               atol=1e-6)
