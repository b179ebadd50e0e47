"""Precision, recall, density and coverage against a plain reference, exact
expectations and the sanity case of Naeem et al.'s README."""

from math import comb

import numpy as np
import pytest

from keras_gans.evaluation.metrics import density_coverage
from keras_gans.evaluation.metrics import distances
from keras_gans.evaluation.metrics import precision_recall
from keras_gans.evaluation.metrics import prdc

# Computes in NumPy only: tested once (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def _plain_prdc(real, fake, k):
    """The definitions, on full distance matrices (small sets only)."""
    def pairwise(a, b):
        return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))

    real_radii = np.sort(pairwise(real, real), axis=1)[:, k]  # [:, 0] is self
    fake_radii = np.sort(pairwise(fake, fake), axis=1)[:, k]
    cross = pairwise(real, fake)  # (real, fake)
    inside_real = cross < real_radii[:, None]
    return (
        inside_real.any(axis=0).mean(),
        (cross < fake_radii[None, :]).any(axis=1).mean(),
        inside_real.sum(axis=0).mean() / k,
        (cross.min(axis=1) < real_radii).mean(),
    )


@pytest.mark.parametrize("block_elements", [2**23, 1000])
def test_prdc_equals_the_plain_definitions(monkeypatch, block_elements):
    # 1,000 elements per block forces many blocks of a few rows each.
    monkeypatch.setattr(distances, "BLOCK_ELEMENTS", block_elements)
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 6))
    fake = rng.normal(size=(250, 6)) * 1.3 + 0.2
    expected = _plain_prdc(real, fake, k=4)
    result = prdc(real, fake, k=4)
    assert (result.precision, result.recall, result.density,
            result.coverage) == pytest.approx(expected, abs=1e-12)
    assert precision_recall(real, fake, k=4) == pytest.approx(expected[:2])
    assert density_coverage(real, fake, k=4) == pytest.approx(expected[2:])


def test_density_and_coverage_expectations_for_one_distribution():
    # Real and generated samples from one distribution: each real ball
    # holds a new point with probability k / N (exchangeability), so
    # E[density] = 1; a real sample is uncovered when none of the N fakes
    # ranks among its k nearest of the 2N - 1 other points, so
    # E[coverage] = 1 - C(N-1, k) / C(2N-1, k).
    n, k, draws = 1000, 5, 20
    values = []
    for seed in range(draws):
        real, fake = np.random.default_rng(seed).normal(size=(2, n, 16))
        result = prdc(real, fake, k=k)
        values.append((result.density, result.coverage))
    density, coverage = np.mean(values, axis=0)
    spread = np.std(values, axis=0) / np.sqrt(draws)  # about 0.012, 0.0013
    assert density == pytest.approx(1.0, abs=4 * spread[0])
    expected = 1 - comb(n - 1, k) / comb(2 * n - 1, k)  # 0.96898
    assert coverage == pytest.approx(expected, abs=4 * spread[1])


def test_agrees_with_the_reference_prdc_package():
    """The same numbers as clovaai's `prdc` package (the authors' code,
    installed for tests) on the same samples, for k = 3 and k = 5."""
    reference = pytest.importorskip("prdc")
    rng = np.random.default_rng(7)
    real = rng.normal(size=(1500, 64))
    fake = rng.normal(size=(1200, 64)) * 1.2 + 0.1
    for k in (3, 5):
        expected = reference.compute_prdc(real, fake, nearest_k=k)
        result = prdc(real, fake, k=k)
        for name, value in expected.items():
            assert getattr(result, name) == pytest.approx(value, abs=1e-9), name


def test_readme_sanity_case_of_naeem_et_al():
    """clovaai/generative-evaluation-prdc: two sets of 10,000 samples from
    N(0, I_1000), k = 5 give precision 0.477, recall 0.471, density 1.056,
    coverage 0.974.

    Those are one unseeded draw. The authors' own `prdc` package gives
    density 0.913, 0.988 and 1.070 on `default_rng(0)`, `(1)` and `(2)`
    draws (precision 0.456-0.497, coverage 0.956-0.974): density varies by
    about +-0.08 between draws (hub points in 1,000 dimensions) around its
    exact expectation 1 (see the test above), so no implementation matches
    1.056 to +-0.02 on a fresh draw. Precision, recall and coverage are
    held to +-0.02; density to the draw-to-draw spread. The test above
    shows that ours equals the reference package on the same samples.
    """
    np.random.seed(3)
    real = np.random.normal(size=(10_000, 1000))
    fake = np.random.normal(size=(10_000, 1000))
    result = prdc(real, fake, k=5)
    assert result.precision == pytest.approx(0.477, abs=0.02)
    assert result.recall == pytest.approx(0.471, abs=0.02)
    assert result.density == pytest.approx(1.056, abs=0.15)
    assert result.coverage == pytest.approx(0.974, abs=0.02)


def test_identical_sets_have_full_precision_and_coverage():
    x = np.random.default_rng(1).normal(size=(500, 3))
    result = prdc(x, x, k=3)
    assert result.precision == 1.0 and result.recall == 1.0
    assert result.coverage == 1.0


def test_disjoint_sets_score_zero():
    rng = np.random.default_rng(2)
    result = prdc(rng.normal(size=(200, 3)), rng.normal(size=(200, 3)) + 50)
    assert result.as_dict() == {"precision": 0.0, "recall": 0.0,
                                "density": 0.0, "coverage": 0.0, "k": 5}


def test_too_few_samples_for_k_are_refused():
    with pytest.raises(ValueError, match="k=5 need more than 5 samples"):
        prdc(np.ones((5, 2)), np.ones((10, 2)), k=5)
