"""Tests for the toy datasets and the mode-coverage metric (NumPy only)."""

import ast
import dataclasses
import importlib
import math
import pathlib

import numpy as np
import pytest

from keras_gans.datasets import grid
from keras_gans.datasets import grid_centers
from keras_gans.datasets import ring
from keras_gans.datasets import ring_centers
from keras_gans.evaluation.metrics import ModeCoverage
from keras_gans.evaluation.metrics import mode_coverage
import paths

# Computes in NumPy only: tested once (tests/conftest.py).
pytestmark = pytest.mark.backend_independent

PACKAGE_DIR = pathlib.Path(paths.REPO) / "keras_gans"


# --------------------------------------------------------------------------
# Centers
# --------------------------------------------------------------------------


def test_ring_centers_are_8_distinct_points_on_radius_2():
    centers = ring_centers()
    assert centers.shape == (8, 2)
    assert centers.dtype == np.float32
    np.testing.assert_allclose(np.hypot(centers[:, 0], centers[:, 1]), 2.0,
                               rtol=1e-6)
    # Independent reference: angle k * pi / 4, measured with arctan2.
    angles = np.mod(np.arctan2(centers[:, 1], centers[:, 0]), 2 * np.pi)
    np.testing.assert_allclose(angles, np.arange(8) * np.pi / 4, atol=1e-6)
    # All distinct: the minimal pairwise distance is the chord 2 r sin(pi/8).
    pairwise = np.linalg.norm(centers[:, None] - centers[None], axis=-1)
    pairwise[np.diag_indices(8)] = np.inf
    np.testing.assert_allclose(pairwise.min(), 4 * math.sin(math.pi / 8),
                               rtol=1e-6)


def test_ring_centers_explicit_values():
    s = math.sqrt(2.0)
    expected = [(2, 0), (s, s), (0, 2), (-s, s), (-2, 0), (-s, -s), (0, -2),
                (s, -s)]
    np.testing.assert_allclose(ring_centers(), expected, atol=1e-6)
    np.testing.assert_allclose(ring_centers(num_modes=4, radius=1.0),
                               [(1, 0), (0, 1), (-1, 0), (0, -1)], atol=1e-6)


def test_grid_centers_are_the_25_points():
    centers = grid_centers()
    assert centers.shape == (25, 2)
    assert centers.dtype == np.float32
    expected = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(c) for c in centers.tolist()} == expected


def test_grid_centers_custom_values():
    np.testing.assert_array_equal(grid_centers(values=(0, 1)),
                                  [[0, 0], [0, 1], [1, 0], [1, 1]])


# --------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sampler, centers, std",
    [(ring, ring_centers(), 0.02), (grid, grid_centers(), 0.05)],
    ids=["ring", "grid"],
)
def test_samples_follow_the_mixture(sampler, centers, std):
    n = 100_000
    x, y = sampler(num_samples=n, seed=123)
    assert x.shape == (n, 2) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int32
    k = len(centers)
    assert y.min() >= 0 and y.max() < k
    # Labels roughly uniform: each count within 5 binomial sigmas.
    counts = np.bincount(y, minlength=k)
    sigma = math.sqrt(n * (1 / k) * (1 - 1 / k))
    assert np.all(np.abs(counts - n / k) < 5 * sigma), counts
    # Per mode: mean at the center, per-axis std close to the requested std.
    residual = x.astype(np.float64) - centers[y]
    for mode in range(k):
        r = residual[y == mode]
        np.testing.assert_allclose(r.mean(axis=0), 0.0, atol=5 * std / 30)
        np.testing.assert_allclose(r.std(axis=0), std, rtol=0.06)


def test_custom_std_and_ring_shape():
    x, y = ring(num_samples=50_000, std=0.1, seed=0, num_modes=5, radius=3.0)
    residual = x - ring_centers(num_modes=5, radius=3.0)[y]
    assert y.max() == 4
    np.testing.assert_allclose(residual.std(), 0.1, rtol=0.03)


@pytest.mark.parametrize("sampler", [ring, grid])
def test_seed_reproducibility(sampler):
    x1, y1 = sampler(num_samples=1000, seed=7)
    x2, y2 = sampler(num_samples=1000, seed=7)
    x3, y3 = sampler(num_samples=1000, seed=8)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    # A Generator is accepted as seed as well.
    x4, _ = sampler(num_samples=1000, seed=np.random.default_rng(7))
    np.testing.assert_array_equal(x1, x4)


def test_seed_none_gives_fresh_samples():
    x1, _ = ring(num_samples=100)
    x2, _ = ring(num_samples=100)
    assert not np.array_equal(x1, x2)


# --------------------------------------------------------------------------
# mode_coverage
# --------------------------------------------------------------------------


def test_exact_centers_give_perfect_coverage():
    centers = ring_centers()
    samples = np.tile(centers, (2500, 1))  # 20000 samples, 2500 per mode.
    result = mode_coverage(samples, centers, std=0.02)
    assert isinstance(result, ModeCoverage)
    assert result.modes == 8
    assert result.num_modes == 8
    assert result.high_quality == 1.0
    assert result.reverse_kl == pytest.approx(0.0, abs=1e-12)


def test_true_data_is_covered():
    x, _ = grid(num_samples=20_000, std=0.05, seed=0)
    result = mode_coverage(x, grid_centers(), std=0.05)
    assert result.modes == 25
    # P(chi_2 <= 9) = 1 - exp(-4.5) ~= 0.989.
    assert result.high_quality == pytest.approx(1 - math.exp(-4.5), abs=0.005)
    assert result.reverse_kl < 0.01


def test_single_mode_collapse():
    centers = ring_centers()
    rng = np.random.default_rng(0)
    samples = centers[3] + 0.001 * rng.standard_normal((1000, 2))
    result = mode_coverage(samples, centers, std=0.02)
    assert result.modes == 1
    assert result.high_quality == 1.0
    assert result.reverse_kl == pytest.approx(math.log(8), rel=1e-12)


def test_samples_far_from_all_modes():
    centers = ring_centers()
    samples = np.full((100, 2), 10.0)
    result = mode_coverage(samples, centers, std=0.02)
    assert result.modes == 0
    assert result.high_quality == 0.0
    assert result.reverse_kl == float("inf")
    assert result.num_modes == 8


def test_known_histogram_matches_closed_form_kl():
    centers = ring_centers()
    # 3 modes with 50 / 25 / 25 % of the HQ samples, plus 100 junk samples.
    hq = np.concatenate([np.repeat(centers[[0]], 200, axis=0),
                         np.repeat(centers[[2]], 100, axis=0),
                         np.repeat(centers[[5]], 100, axis=0)])
    junk = np.full((100, 2), -10.0)
    samples = np.concatenate([hq, junk])
    result = mode_coverage(samples, centers, std=0.02)
    p = np.array([0.5, 0.25, 0.25])
    expected_kl = float(np.sum(p * np.log(p * 8)))
    # Closed form: 0.5 log 4 + 2 * 0.25 log 2 = 1.5 log 2.
    assert expected_kl == pytest.approx(1.5 * math.log(2))
    assert result.modes == 3
    assert result.high_quality == pytest.approx(400 / 500)
    assert result.reverse_kl == pytest.approx(expected_kl, rel=1e-12)


@pytest.mark.parametrize("threshold", [3.0, 2.0])
def test_threshold_boundary(threshold):
    centers = ring_centers()
    std = 0.02
    radius = threshold * std
    # Offsets along a diagonal so both coordinates are involved.
    direction = np.array([1.0, 1.0]) / math.sqrt(2.0)
    inside = centers[1] + 0.999 * radius * direction
    outside = centers[4] + 1.001 * radius * direction
    result = mode_coverage(np.stack([inside, outside]), centers, std=std,
                           threshold=threshold)
    assert result.high_quality == 0.5
    assert result.modes == 1
    assert result.reverse_kl == pytest.approx(math.log(8))


def test_nearest_center_assignment():
    centers = np.array([[0.0, 0.0], [1.0, 0.0]])
    # Both samples are HQ for a huge threshold; each goes to its nearest.
    samples = np.array([[0.4, 0.0], [0.6, 0.0]])
    result = mode_coverage(samples, centers, std=1.0, threshold=100.0)
    assert result.modes == 2
    assert result.reverse_kl == pytest.approx(0.0, abs=1e-12)


def test_chunking_matches_unchunked(monkeypatch):
    # `keras_gans.evaluation.metrics.mode_coverage` is shadowed by the function of the
    # same name on the package, so fetch the submodule explicitly.
    mc = importlib.import_module("keras_gans.evaluation.metrics.mode_coverage")

    x, _ = grid(num_samples=3000, std=0.3, seed=1)
    centers = grid_centers()
    full = mode_coverage(x, centers, std=0.05)
    monkeypatch.setattr(mc, "_MAX_CHUNK_ELEMENTS", 7 * 25 * 2)
    chunked = mode_coverage(x, centers, std=0.05)
    assert full == chunked
    # Independent reference computation.
    d = np.linalg.norm(x[:, None].astype(np.float64) - centers[None], axis=-1)
    hq = d.min(axis=1) <= 3 * 0.05
    assert full.high_quality == pytest.approx(hq.mean())
    assert full.modes == len(np.unique(d.argmin(axis=1)[hq]))


def test_non_finite_samples_are_not_high_quality():
    centers = ring_centers()
    samples = np.array([[np.nan, 0.0], [np.inf, 1.0], list(centers[0])])
    result = mode_coverage(samples, centers, std=0.02)
    assert result.high_quality == pytest.approx(1 / 3)
    assert result.modes == 1


def test_accepts_lists_and_float32():
    centers = ring_centers()  # float32
    samples = centers.tolist()
    result = mode_coverage(samples, centers.tolist(), std=0.02)
    assert result.modes == 8


def test_result_is_frozen_and_as_dict():
    result = mode_coverage(ring_centers(), ring_centers(), std=0.02)
    assert result.as_dict() == {"modes": 8, "high_quality": 1.0,
                                "reverse_kl": result.reverse_kl,
                                "num_modes": 8}
    assert isinstance(result.modes, int)
    assert isinstance(result.high_quality, float)
    assert isinstance(result.reverse_kl, float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.modes = 3


# --------------------------------------------------------------------------
# Argument validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, kwargs, name",
    [
        (ring, {"num_samples": -3}, "num_samples"),
        (ring, {"num_samples": 0}, "num_samples"),
        (ring, {"num_samples": 2.5}, "num_samples"),
        (ring, {"num_samples": True}, "num_samples"),
        (ring, {"std": 0.0}, "std"),
        (ring, {"std": -1.0}, "std"),
        (ring, {"std": float("nan")}, "std"),
        (ring, {"num_modes": 0}, "num_modes"),
        (ring, {"radius": -2.0}, "radius"),
        (grid, {"num_samples": -3}, "num_samples"),
        (grid, {"std": -0.05}, "std"),
        (ring_centers, {"num_modes": -1}, "num_modes"),
        (ring_centers, {"radius": 0}, "radius"),
        (grid_centers, {"values": ()}, "values"),
        (grid_centers, {"values": (1, 1)}, "values"),
        (grid_centers, {"values": [[1, 2]]}, "values"),
    ],
)
def test_dataset_bad_arguments(fn, kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`") as info:
        fn(**kwargs)
    assert f"Received: {name}" in str(info.value)


def test_dataset_error_message_style():
    with pytest.raises(ValueError) as info:
        ring(num_samples=-3)
    assert "Received: num_samples=-3" in str(info.value)


@pytest.mark.parametrize(
    "samples, centers, kwargs, name",
    [
        (np.zeros((10,)), np.zeros((8, 2)), {}, "samples"),
        (np.zeros((0, 2)), np.zeros((8, 2)), {}, "samples"),
        (np.zeros((10, 2, 1)), np.zeros((8, 2)), {}, "samples"),
        (np.array([["a", "b"]]), np.zeros((8, 2)), {}, "samples"),
        (np.zeros((10, 2)), np.zeros((8,)), {}, "centers"),
        (np.zeros((10, 2)), np.zeros((0, 2)), {}, "centers"),
        (np.zeros((10, 2)), np.full((8, 2), np.nan), {}, "centers"),
        (np.zeros((10, 3)), np.zeros((8, 2)), {}, "centers"),
        (np.zeros((10, 2)), np.zeros((8, 2)), {"std": 0.0}, "std"),
        (np.zeros((10, 2)), np.zeros((8, 2)), {"std": -1.0}, "std"),
        (np.zeros((10, 2)), np.zeros((8, 2)), {"threshold": 0.0},
         "threshold"),
    ],
)
def test_mode_coverage_bad_arguments(samples, centers, kwargs, name):
    kwargs = {"std": 0.02, **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`"):
        mode_coverage(samples, centers, **kwargs)


# --------------------------------------------------------------------------
# Pure NumPy
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relpath",
    ["datasets/__init__.py", "datasets/toy.py",
     "evaluation/metrics/__init__.py", "evaluation/metrics/mode_coverage.py"],
)
def test_modules_do_not_import_keras_or_backends(relpath):
    tree = ast.parse((PACKAGE_DIR / relpath).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"keras", "tensorflow", "jax", "torch"}, imported
