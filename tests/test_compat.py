"""Old import paths (`keras_gans.compat`): the old name is the new module.

The aliases here are made up for the test (old names that never existed,
pointing at today's modules), so the test does not depend on which modules
have moved.
"""

import importlib
import sys

import pytest

from keras_gans import compat

ALIASES = {
    "keras_gans._old_arguments": "keras_gans.arguments",
    "keras_gans._old_metrics": "keras_gans.evaluation.metrics",
    # A module that left the package its old parent moved to.
    "keras_gans._old_metrics.names": "keras_gans.plugins.registry",
}


@pytest.fixture
def finder():
    finder = compat.install(ALIASES)
    yield finder
    sys.meta_path.remove(finder)
    for name in list(sys.modules):
        if name.startswith("keras_gans._old_"):
            del sys.modules[name]


def test_an_old_path_is_the_new_module(finder):
    old = importlib.import_module("keras_gans._old_arguments")
    new = importlib.import_module("keras_gans.arguments")
    assert old is new
    assert old.__name__ == "keras_gans.arguments"
    from keras_gans._old_arguments import positive_int

    assert positive_int is new.positive_int


def test_modules_below_an_old_package_path_are_the_new_ones(finder):
    import keras_gans._old_metrics.fid as old_fid
    import keras_gans.evaluation.metrics.fid as new_fid

    assert old_fid is new_fid
    assert importlib.import_module("keras_gans._old_metrics") is (
        importlib.import_module("keras_gans.evaluation.metrics"))
    with pytest.raises(ModuleNotFoundError, match="_old_metrics.nothing"):
        importlib.import_module("keras_gans._old_metrics.nothing")


def test_patching_through_the_old_name_patches_the_module(
        finder, monkeypatch):
    old = importlib.import_module("keras_gans._old_metrics.distances")
    monkeypatch.setattr(old, "BLOCK_ELEMENTS", 7)
    from keras_gans.evaluation.metrics import distances

    assert distances.BLOCK_ELEMENTS == 7


def test_other_names_are_left_to_the_usual_finders(finder):
    assert finder.target("keras_gans.arguments") is None
    assert finder.target("keras_gans._old_argumentsx") is None
    assert finder.target("keras_gans._old_metrics.kid") == (
        "keras_gans.evaluation.metrics.kid")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("keras_gans._never_existed")


def test_the_longest_old_path_wins(finder):
    assert finder.target("keras_gans._old_metrics.names") == (
        "keras_gans.plugins.registry")
    import keras_gans._old_metrics.names as old
    import keras_gans.plugins.registry as new

    assert old is new


def test_installing_twice_adds_one_finder(finder):
    assert compat.install(ALIASES) is finder
    assert sum(f is finder for f in sys.meta_path) == 1


def test_importing_a_submodule_by_its_old_path_keeps_the_package_names(
        finder):
    # `keras_gans.evaluation.metrics.fid` is both a module and, in the
    # package, the function users call: the old path must not rebind the
    # function.
    import keras_gans.evaluation.metrics as metrics

    fid = metrics.fid
    old_module = importlib.import_module("keras_gans._old_metrics.fid")
    from keras_gans._old_metrics.fid import FewSamplesWarning

    assert metrics.fid is fid and callable(metrics.fid)
    assert old_module is sys.modules["keras_gans.evaluation.metrics.fid"]
    assert FewSamplesWarning is old_module.FewSamplesWarning
