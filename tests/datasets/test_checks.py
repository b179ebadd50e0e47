"""The data checks (`keras_gans.datasets.checks`) against planted data and
independent computations: the perceptual hash against imagehash's
algorithm written out with SciPy's DCT, the banded near-duplicate search
against comparing every pair, and every finding against what was planted.
"""

import numpy as np
import pytest
from PIL import Image

from keras_gans.datasets import checks
from smooth_images import smooth_images

# Computes in NumPy and Pillow only: tested once (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def reference_phash(image_uint8):
    """imagehash.phash as its source computes it, with SciPy's DCT."""
    fftpack = pytest.importorskip("scipy.fftpack")
    picture = Image.fromarray(image_uint8).convert("L").resize(
        (32, 32), Image.Resampling.LANCZOS)
    pixels = np.asarray(picture)
    dct = fftpack.dct(fftpack.dct(pixels, axis=0), axis=1)
    low = dct[:8, :8]
    return low > np.median(low)


def test_the_perceptual_hash_is_imagehash_phash():
    """The same 64 bits as imagehash's pHash (SciPy DCT-II, median) on
    gray and RGB images of several sizes."""
    images = smooth_images(6, size=40, channels=3, seed=1)
    rng = np.random.default_rng(2)
    noise = rng.integers(0, 256, (3, 17, 23, 1)).astype(np.float32)
    for batch in (images, noise / 127.5 - 1, images[..., :1]):
        bits = checks.phash_bits(batch)
        for image, mine in zip(batch, bits):
            pixels = np.rint((image + 1) * 127.5).astype(np.uint8)
            pixels = pixels[..., 0] if pixels.shape[-1] == 1 else pixels
            np.testing.assert_array_equal(mine, reference_phash(pixels))
    packed = checks.phash(images[:1])
    bits = checks.phash_bits(images[:1]).ravel()
    assert int(packed[0]) == int("".join("1" if b else "0" for b in bits), 2)


def test_near_duplicate_pairs_are_every_pair_within_the_distance():
    """The banded search finds exactly the pairs that comparing all of
    them does, with planted close pairs and repeated hashes."""
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, 1500, dtype=np.uint64) * np.uint64(2) + \
        rng.integers(0, 2, 1500, dtype=np.uint64)
    for k in range(0, 300, 3):  # neighbours 0..6 bits away
        flips = rng.choice(64, size=k % 7, replace=False)
        hashes[k + 1] = hashes[k]
        for bit in flips:
            hashes[k + 1] ^= np.uint64(1) << np.uint64(int(bit))
    hashes[400] = hashes[401] = hashes[402]
    indices = np.arange(1000, 2500)
    distance = checks.hamming(hashes[:, None], hashes[None, :])
    for max_bits in (0, 3, 6):
        first, second = np.nonzero(np.triu(distance <= max_bits, k=1))
        expected = sorted(zip((indices[first]).tolist(),
                              (indices[second]).tolist(),
                              distance[first, second].tolist()))
        found = checks.near_duplicate_pairs(indices, hashes, max_bits)
        assert found == expected
        assert len(found) >= 3  # the planted triple at least


def planted_arrays():
    """20 distinct images, then planted problems at known indices."""
    x = smooth_images(20, size=16, channels=1)
    x[3] = x[0]              # exact duplicate of 0
    x[7] = x[0]              # another
    x[12] = x[5]             # exact duplicate of 5
    x[9] = 0.25              # constant
    x[10] = 0.25 + np.random.default_rng(0).normal(0, 0.002, x[10].shape)
    x[14, 2, 3, 0] = np.nan
    x[15, 0, 0, 0] = np.inf
    x[16, 4, 4, 0] = 1.5     # above tanh's range
    x[17, 1, 1, 0] = -1.01
    x[18] = np.clip(x[2] + 0.05, -1, 1)  # brighter copy of 2
    return x


def test_every_planted_problem_is_listed_and_nothing_else():
    x = planted_arrays()
    y = np.array([0] * 12 + [1] * 6 + [2] * 2)
    report = checks.check_data(x, y, expected_range=(-1.0, 1.0),
                               blank_std=0.01, near_duplicate_bits=2)
    assert report.count == 20 and report.sample_shape == (16, 16, 1)
    assert report.nonfinite == [14, 15]
    assert report.out_of_range == [16, 17]
    assert report.blank == [9, 10]
    assert report.duplicates == [[0, 3, 7], [5, 12]]
    assert [(i, j) for i, j, _ in report.near_duplicates] == [(2, 18)]
    assert report.label_counts == {0: 12, 1: 6, 2: 2}
    assert report.imbalance == 6.0
    finite = np.isfinite(x)
    assert report.value_range == (float(x[finite].min()),
                                  float(x[finite].max()))
    assert len(report.errors()) == 2 and len(report.warnings()) == 3


def test_a_sigmoid_generator_finds_negative_images_out_of_range():
    x = smooth_images(4, size=8, channels=1)
    x[1] = (x[1] + 1) / 2  # this one in [0, 1]
    report = checks.check_data(x, expected_range=(0.0, 1.0))
    assert report.out_of_range == [0, 2, 3]
    unbounded = checks.check_data(x, expected_range=None)
    assert unbounded.out_of_range == [] and unbounded.errors() == []


def test_removals_keep_the_first_of_each_group():
    report = checks.check_data(planted_arrays(), expected_range=(-1, 1),
                               near_duplicate_bits=2)
    removed = report.removals(drop_nonfinite=True, drop_out_of_range=True,
                              drop_blank=True, drop_duplicates=True,
                              drop_near_duplicates=True)
    assert [(r["index"], r["reason"], r.get("duplicate_of"))
            for r in removed] == [
        (3, "duplicate", 0), (7, "duplicate", 0), (9, "blank", None),
        (10, "blank", None), (12, "duplicate", 5), (14, "nonfinite", None),
        (15, "nonfinite", None), (16, "out_of_range", None),
        (17, "out_of_range", None), (18, "near_duplicate", 2)]
    only = report.removals(drop_duplicates=True)
    assert [r["index"] for r in only] == [3, 7, 12]


class CountingRows:
    """An array-like that records the rows each read asked for."""

    def __init__(self, x):
        self.x, self.shape, self.dtype = x, x.shape, x.dtype
        self.reads = []

    def __len__(self):
        return len(self.x)

    def __getitem__(self, rows):
        self.reads.append(rows)
        return self.x[rows]


def test_data_is_read_in_chunks_with_the_same_report():
    """A chunk at a time (bounded memory), and the same findings as one
    read of everything."""
    x = planted_arrays()
    whole = checks.check_data(x, expected_range=(-1, 1), chunk_size=1000)
    rows = CountingRows(x)
    chunked = checks.check_data(rows, expected_range=(-1, 1), chunk_size=6)
    assert [len(range(20)[r]) for r in rows.reads] == [6, 6, 6, 2]
    assert chunked == whole


def test_points_are_checked_for_values_and_duplicates_only():
    """2-D samples (the ring) are not images: no blank or hash checks."""
    x = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    x[7] = x[3]
    x[9] = 0.0
    report = checks.check_data(x, expected_range=None)
    assert report.duplicates == [[3, 7]]
    assert report.blank == [] and report.near_duplicates == []
    assert not report.is_image


@pytest.mark.parametrize("arguments", [
    {"blank_std": -1}, {"near_duplicate_bits": 32},
    {"expected_range": (1, 0)}, {"chunk_size": 0}])
def test_bad_thresholds_are_refused_with_the_value(arguments):
    with pytest.raises(ValueError, match="Received: "):
        checks.check_data(np.zeros((2, 4, 4, 1)), **arguments)
