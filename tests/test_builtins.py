"""The built-in catalogue: references that resolve, descriptions that hold."""

import importlib

import pytest

from keras_gans import plugins
from keras_gans.builtins import BUILTINS
from keras_gans.losses import BUILTIN_LOSSES
from keras_gans.penalties import BUILTIN_PENALTIES

ENTRIES = [
    (kind, name, reference, description)
    for kind, table in BUILTINS.items()
    for name, (reference, description) in table.items()
]


def _first_docstring_line(obj):
    return obj.__doc__.strip().splitlines()[0]


@pytest.mark.parametrize(
    "kind,name,reference,description", ENTRIES, ids=[e[1] for e in ENTRIES]
)
def test_reference_resolves_and_description_is_its_docstring(
    kind, name, reference, description
):
    module_name, attribute = reference.split(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    assert callable(factory)
    # The description is written out so that listing imports nothing; it
    # must stay the factory's own summary line.
    assert description == _first_docstring_line(factory)
    entry = plugins.catalogue().get(kind, name)
    assert entry.plugin == plugins.BUILTIN_PLUGIN
    assert entry.factory is factory


def test_every_kind_is_covered_and_names_match_the_modules():
    assert set(BUILTINS) == set(plugins.KINDS)
    assert {
        name: reference.split(":")[1]
        for name, (reference, _) in BUILTINS["losses"].items()
    } == {name: cls.__name__ for name, cls in BUILTIN_LOSSES.items()}
    assert {
        name: reference.split(":")[1]
        for name, (reference, _) in BUILTINS["penalties"].items()
    } == {name: cls.__name__ for name, cls in BUILTIN_PENALTIES.items()}
