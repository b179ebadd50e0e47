"""What a dataset factory returns, taken apart without knowing which one.

A factory gives an array, a pair `(x, y)` of arrays (`y` may be None), or
an iterable dataset (tf.data, PyDataset, DataLoader). Training and
evaluation both need to tell these apart, so the helpers live with the
datasets rather than in either.
"""

import numpy as np

__all__ = ["is_array_like", "peek", "split_dataset"]


def split_dataset(loaded):
    """Splits what a dataset factory returned.

    Args:
        loaded: an array, or a pair `(x, y)` of arrays where `y` may be
            None (no labels, as `image_folder` and `npz` give without
            `labels`), or a dataset that yields batches.

    Returns:
        `(x, y, is_array)`: `is_array` is False for a dataset that yields
        batches, returned whole as `x`.
    """
    if isinstance(loaded, np.ndarray):
        return loaded, None, True
    if isinstance(loaded, (tuple, list)) and len(loaded) == 2 and (
        is_array_like(loaded[0])
        and (loaded[1] is None or is_array_like(loaded[1]))
    ):
        return loaded[0], loaded[1], True
    if is_array_like(loaded):
        return np.asarray(loaded), None, True
    return loaded, None, False


def is_array_like(value):
    """Whether `value` converts to an array with a known shape (NumPy,
    a backend tensor, a memory map)."""
    return hasattr(value, "__array__") and hasattr(value, "shape")


def peek(dataset):
    """The first batch of a tf.data dataset, PyDataset or DataLoader."""
    if hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__"):
        return dataset[0]
    return next(iter(dataset))
