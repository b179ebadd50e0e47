"""Reading pickled arrays (CIFAR-10's batches) without running their code.

A pickle names the functions that rebuild its objects, and `pickle.load`
calls them: a planted file can run `os.system`. The CIFAR-10 "python
version" batches are dicts of bytes keys, lists of ints and bytes, and one
uint8 array, which numpy pickles as a call to `_reconstruct` (protocols
0-4, Python 2's cPickle included) or `_frombuffer` (protocol 5) with
`ndarray` and `dtype`; Python 3 writes bytes at protocols 0-2 as
`_codecs.encode(text, "latin1")`. `load` admits only those names (Python's
"restricting globals" recipe; the codec only as latin-1); any other
reference stops the load before it is called.
"""

import pickle

import numpy as np

__all__ = ["ForbiddenPickleError", "load"]


class ForbiddenPickleError(pickle.UnpicklingError):
    """A pickle that refers to a function or class outside the allowed
    numpy array names: it is refused before anything is called."""


def _allowed():
    """`{(module, name): object}` a pickled numpy array may refer to.

    numpy 2 moved `numpy.core` to `numpy._core`; files name either.
    """
    try:
        from numpy._core import multiarray
        from numpy._core import numeric
    except ImportError:  # numpy 1
        from numpy.core import multiarray
        from numpy.core import numeric
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
               ("_codecs", "encode"): _latin1}
    for package in ("numpy.core", "numpy._core"):
        allowed[f"{package}.multiarray", "_reconstruct"] = (
            multiarray._reconstruct)
        allowed[f"{package}.numeric", "_frombuffer"] = numeric._frombuffer
    return allowed


def _latin1(text, encoding):
    """`_codecs.encode` as Python 3 pickles bytes at protocols 0-2: the
    latin-1 codec only."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise ForbiddenPickleError(
            f"it encodes bytes with {encoding!r}, not latin-1")
    return text.encode("latin-1")


class _ArrayUnpickler(pickle.Unpickler):
    allowed = None

    def find_class(self, module, name):
        if _ArrayUnpickler.allowed is None:
            _ArrayUnpickler.allowed = _allowed()
        found = _ArrayUnpickler.allowed.get((module, name))
        if found is None:
            raise ForbiddenPickleError(
                f"it refers to {module}.{name}, which a file of numpy arrays "
                "never does; it was not called"
            )
        return found


def load(file, encoding="bytes"):
    """Unpickles numpy arrays and what pickle writes without naming a
    class (dicts, lists, tuples, sets, bytes, strings, ints, floats,
    booleans, None) from a binary file, and nothing else.

    Args:
        file: a binary file object.
        encoding: how Python 2 `str` objects are read; `"bytes"` keeps
            them as bytes (what CIFAR-10's batches need).

    Returns:
        The unpickled object.

    Raises:
        ForbiddenPickleError: when the pickle refers to any other function
            or class (nothing it names is called).
        pickle.UnpicklingError, EOFError, ValueError: for a damaged file.
    """
    return _ArrayUnpickler(file, encoding=encoding).load()
