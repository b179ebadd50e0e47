"""Memorization: copies of training samples are found, fresh samples not."""

import numpy as np
import pytest

from keras_gans.datasets import digits
from keras_gans.evaluation.metrics import memorization

# Computes in NumPy only: tested once (tests/conftest.py).
pytestmark = pytest.mark.backend_independent


def test_share_of_noisy_copies_among_fresh_gaussian_samples():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(2000, 16))
    copies = train[rng.choice(2000, 300, replace=False)]
    copies = copies + rng.normal(size=copies.shape) * 0.01
    fresh = rng.normal(size=(700, 16))
    result = memorization(train, np.concatenate([copies, fresh]))
    assert result.count == 300
    assert result.share == pytest.approx(0.3)
    assert result.threshold == pytest.approx(0.25 * result.typical_distance)
    assert memorization(train, fresh).share == 0.0


def test_held_out_digits_are_not_memorized_and_copies_are():
    train, _ = digits(image_size=8, split="train")
    test, _ = digits(image_size=8, split="test")
    train = train.reshape(len(train), -1)
    test = test.reshape(len(test), -1)
    assert memorization(train, test).share == 0.0
    mixed = np.concatenate([train[:40], test[:160]])
    assert memorization(train, mixed).share == pytest.approx(40 / 200)


def test_threshold_follows_the_fraction():
    rng = np.random.default_rng(1)
    train = rng.normal(size=(500, 4))
    tight = memorization(train, train[:10] + 0.2, fraction=0.01)
    loose = memorization(train, train[:10] + 0.2, fraction=5.0)
    assert tight.share == 0.0 and loose.share == 1.0
    assert loose.threshold == pytest.approx(500 * tight.threshold)


def test_bad_fraction_is_refused():
    with pytest.raises(ValueError, match="fraction"):
        memorization(np.ones((5, 2)), np.ones((5, 2)), fraction=0)
