"""KID against a direct O(n^2) computation written out plainly."""

import numpy as np
import pytest

from keras_gans.evaluation.metrics import kid

# Computes in NumPy only: tested once (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def _direct_mmd2(x, y):
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3, one pair at a time."""
    m, d = x.shape

    def k(a, b):
        return (sum(a[i] * b[i] for i in range(d)) / d + 1.0) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2 * xy / (m * m)


def test_kid_on_whole_sets_equals_the_direct_computation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5))
    y = rng.normal(size=(40, 5)) * 1.5 + 0.5
    # One subset holding every sample: the subset draw only permutes rows.
    result = kid(x, y, subsets=1, subset_size=40)
    assert result.subset_size == 40
    assert result.mean == pytest.approx(_direct_mmd2(x, y), rel=1e-12)
    assert result.std == 0.0


def test_kid_averages_subsets_and_is_seeded():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 4))
    y = rng.normal(size=(300, 4)) + 0.3
    first = kid(x, y, subsets=20, subset_size=100, seed=5)
    again = kid(x, y, subsets=20, subset_size=100, seed=5)
    other = kid(x, y, subsets=20, subset_size=100, seed=6)
    assert first == again
    assert first.mean != other.mean
    assert first.std > 0
    # Every subset is an unbiased estimate of the same MMD^2, so the
    # subset mean agrees with the whole-set value within its spread.
    full = kid(x, y, subsets=1, subset_size=300).mean
    assert first.mean == pytest.approx(full, abs=3 * first.std / np.sqrt(20))


def test_kid_of_one_distribution_is_near_zero_and_can_be_negative():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(2, 1000, 16))
    result = kid(x, y, subsets=50, subset_size=200)
    assert abs(result.mean) < 3 * result.std / np.sqrt(50) + 1e-3


def test_subset_size_is_capped_by_the_smaller_set():
    rng = np.random.default_rng(3)
    result = kid(rng.normal(size=(80, 3)), rng.normal(size=(50, 3)),
                 subsets=3, subset_size=1000)
    assert result.subset_size == 50


def test_kid_refuses_single_samples():
    with pytest.raises(ValueError, match="at least 2 samples"):
        kid(np.ones((1, 3)), np.ones((5, 3)))
