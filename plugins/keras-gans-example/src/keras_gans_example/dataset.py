"""`example_spiral`: a 2-D spiral with labelled arms (NumPy only)."""

import math
import numbers

import numpy as np


def spiral(num_samples=10_000, arms=2, turns=1.5, noise=0.05, radius=2.0,
           seed=None):
    """Samples points on the arms of an Archimedean spiral.

    Arm `k` is the curve `r(t) = radius * t`, angle
    `2 * pi * (turns * t + k / arms)`, for t uniform in [0.1, 1]; Gaussian
    noise of standard deviation `noise` is added to each coordinate.

    Args:
        num_samples: number of points.
        arms: number of interleaved arms; a point's label is its arm.
        turns: turns of each arm around the origin.
        noise: standard deviation of the Gaussian noise (0 for none).
        radius: radius at the end of each arm.
        seed: seed of the NumPy generator; the same seed gives the same
            points. None draws fresh randomness.

    Returns:
        `(x, labels)`: float32 points of shape `(num_samples, 2)` and int32
        arm indices of shape `(num_samples,)` in `[0, arms)`.

    Raises:
        ValueError: for an argument of the wrong type or value.

    Example:

    >>> x, y = spiral(num_samples=100, arms=3, seed=0)
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((100, 2), dtype('float32'), (100,), dtype('int32'))
    """
    num_samples = _positive_int("num_samples", num_samples)
    arms = _positive_int("arms", arms)
    turns = _number("turns", turns, minimum=0.0, strict=True)
    noise = _number("noise", noise, minimum=0.0, strict=False)
    radius = _number("radius", radius, minimum=0.0, strict=True)

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, arms, size=num_samples)
    t = rng.uniform(0.1, 1.0, size=num_samples)
    angle = 2.0 * np.pi * (turns * t + labels / arms)
    points = radius * t[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1)
    if noise:
        points = points + rng.normal(0.0, noise, size=points.shape)
    return points.astype(np.float32), labels.astype(np.int32)


def _positive_int(name, value):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < 1
    ):
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value!r}"
        )
    return int(value)


def _number(name, value, minimum, strict):
    ok = (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value > minimum if strict else value >= minimum)
    )
    if not ok:
        relation = ">" if strict else ">="
        raise ValueError(
            f"`{name}` must be a finite number {relation} {minimum:g}. "
            f"Received: {name}={value!r}"
        )
    return float(value)
