"""FID against closed forms: two Gaussians, a set with itself, np.cov."""

import numpy as np
import pytest

from keras_gans.evaluation.metrics import fid
from keras_gans.evaluation.metrics.fid import FewSamplesWarning
from keras_gans.evaluation.metrics.fid import GaussianStats
from keras_gans.evaluation.metrics.fid import frechet_distance

# Computes in NumPy only: tested once (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def _rotation(dim, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q


def _commuting_gaussians(dim=6):
    """Two covariances sharing eigenvectors: Tr sqrt(S1 S2) = sum sqrt(ab)."""
    q = _rotation(dim, seed=1)
    a = np.linspace(0.5, 3.0, dim)
    b = np.linspace(2.0, 0.2, dim)
    mu1 = np.zeros(dim)
    mu2 = np.linspace(-1.0, 1.0, dim)
    expected = (mu1 - mu2) @ (mu1 - mu2) + np.sum(a + b - 2 * np.sqrt(a * b))
    return (mu1, (q * a) @ q.T), (mu2, (q * b) @ q.T), expected


def test_frechet_distance_of_commuting_covariances_is_the_closed_form():
    (mu1, s1), (mu2, s2), expected = _commuting_gaussians()
    value = frechet_distance(mu1, s1, mu2, s2)
    assert value == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_of_non_commuting_2x2_is_the_closed_form():
    # For 2x2 M with eigenvalues >= 0: Tr sqrt(M) = sqrt(Tr M + 2 sqrt(det M)).
    s1 = np.array([[2.0, 0.6], [0.6, 0.5]])
    s2 = np.array([[1.0, -0.3], [-0.3, 3.0]])
    assert not np.allclose(s1 @ s2, s2 @ s1)
    product = s1 @ s2
    root_det = np.sqrt(np.linalg.det(product))
    trace_sqrt = np.sqrt(np.trace(product) + 2 * root_det)
    expected = 1.0**2 + 2.0**2 + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt
    value = frechet_distance([0.0, 0.0], s1, [1.0, -2.0], s2)
    assert value == pytest.approx(expected, rel=1e-12)


def test_fid_of_samples_from_two_gaussians_matches_the_closed_form():
    (mu1, s1), (mu2, s2), expected = _commuting_gaussians()
    rng = np.random.default_rng(0)
    n = 200_000
    x = rng.multivariate_normal(mu1, s1, size=n)
    y = rng.multivariate_normal(mu2, s2, size=n)
    # Sampling error: covariance entries carry a relative error of about
    # sqrt(2 / n) = 0.3 %. With seeds 0-3 the estimate missed the closed
    # form by +0.005, -0.015, -0.001 and +0.046 (sd about 0.025); the
    # tolerance is 4 such sd, 1.7 % of the distance.
    assert expected == pytest.approx(5.9389, abs=1e-4)
    assert fid(x, y) == pytest.approx(expected, abs=0.1)


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(3000, 64)) * 5.0 + 100.0
    assert fid(x, x) == pytest.approx(0.0, abs=1e-8)


def test_fid_is_symmetric_and_grows_with_a_shift():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(2, 2000, 8))
    assert fid(x, y) == pytest.approx(fid(y, x), rel=1e-9)
    # Shifting every coordinate by 1 adds |shift|^2 = 8.
    assert fid(x, x + 1.0) == pytest.approx(8.0, rel=1e-9)


def test_batched_statistics_equal_numpy_mean_and_cov():
    # A large offset is where sum-of-squares formulas lose their digits.
    x = np.random.default_rng(2).normal(size=(1001, 5)) + 1e6
    stats = GaussianStats.of(x, batch_rows=7)
    assert stats.count == 1001
    np.testing.assert_allclose(stats.mean, x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(
        stats.covariance, np.cov(x, rowvar=False), rtol=1e-9, atol=1e-9
    )


def test_fewer_samples_than_dimensions_warns():
    x = np.random.default_rng(3).normal(size=(50, 64))
    with pytest.warns(FewSamplesWarning, match="50 samples of 64 features"):
        fid(x, x + 1.0)


@pytest.mark.parametrize(
    "real, fake, match",
    [
        (np.ones((10, 3)), np.ones((10, 4)), "same feature dimension"),
        (np.ones((1, 3)), np.ones((10, 3)), "at least 2 samples"),
        (np.full((10, 3), np.nan), np.ones((10, 3)), "finite"),
        (np.ones(10), np.ones((10, 3)), "2-D array"),
    ],
)
def test_bad_features_are_refused_with_the_reason(real, fake, match):
    with pytest.raises(ValueError, match=match):
        fid(real, fake)
