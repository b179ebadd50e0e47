"""Checks for numeric arguments, shared by the model, datasets and metrics.

Each check raises a ValueError in Keras style (what was expected, then
`Received: name=value`). Pure Python: importing it loads no backend.
"""

import math
import numbers


def is_positive_int(value):
    """True for an integer >= 1 (numpy integers too, booleans not)."""
    return (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and value >= 1
    )


def positive_int(name, value):
    """Returns `value` as an int, or raises if it is not an integer >= 1."""
    if not is_positive_int(value):
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value!r}"
        )
    return int(value)


def positive_float(name, value):
    """Returns `value` as a float, or raises unless it is finite and > 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(
            f"`{name}` must be a finite number > 0. Received: {name}={value!r}"
        )
    return float(value)
