"""The built-in catalogue: each `DEFAULT_PLUGINS` module registers
references that resolve, with descriptions that hold, and imports no
backend."""

import importlib
import json
import os
import subprocess
import sys

import pytest

from keras_gans import plugins
from keras_gans.losses import BUILTIN_LOSSES
from keras_gans.penalties import BUILTIN_PENALTIES

from paths import REPO


def _builtin_entries():
    """(module, entry) for every name a `DEFAULT_PLUGINS` module registers,
    each module's hooks called with a catalogue of its own."""
    entries = []
    for module in plugins.DEFAULT_PLUGINS:
        catalogue = plugins.Catalogue()
        catalogue.add_plugin(
            plugins.PluginInfo(plugins.BUILTIN_PLUGIN, module))
        for kind in plugins.KINDS:
            hook = getattr(importlib.import_module(module),
                           f"register_{kind}", None)
            if hook is not None:
                hook(register=catalogue.register_function(
                    kind, plugins.BUILTIN_PLUGIN))
        entries += [(module, entry) for kind in plugins.KINDS
                    for entry in catalogue.entries[kind].values()]
    return entries


MODULE_ENTRIES = _builtin_entries()
ENTRIES = [entry for _, entry in MODULE_ENTRIES]


def _first_docstring_line(obj):
    return obj.__doc__.strip().splitlines()[0]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_reference_resolves_and_description_is_its_docstring(entry):
    module_name, attribute = entry.target.split(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    assert callable(factory)
    # The description is written out so that listing imports nothing; it
    # must stay the factory's own summary line.
    assert entry.description == _first_docstring_line(factory)
    registered = plugins.catalogue().get(entry.kind, entry.name)
    assert registered.plugin == plugins.BUILTIN_PLUGIN
    assert registered.factory is factory


def test_every_kind_is_covered_and_names_match_the_modules():
    by_kind = {}
    for entry in ENTRIES:
        by_kind.setdefault(entry.kind, {})[entry.name] = entry.target
    assert set(by_kind) == set(plugins.KINDS)
    assert {name: target.split(":")[1]
            for name, target in by_kind["losses"].items()} == {
        name: cls.__name__ for name, cls in BUILTIN_LOSSES.items()}
    assert {name: target.split(":")[1]
            for name, target in by_kind["penalties"].items()} == {
        name: cls.__name__ for name, cls in BUILTIN_PENALTIES.items()}


def test_each_builtin_registers_what_sits_next_to_it():
    # A new dataset is its module plus one row in datasets/plugin.py.
    for module, entry in MODULE_ENTRIES:
        defined_in = entry.target.split(":")[0]
        if module == "keras_gans.core_plugin":
            assert defined_in in ("keras_gans.losses",
                                  "keras_gans.penalties"), entry
        else:
            package = module.rpartition(".")[0]
            assert defined_in.startswith(package + "."), entry


def test_loading_the_builtins_imports_no_backend():
    code = (
        "import json, sys\n"
        "from keras_gans import plugins\n"
        "catalogue = plugins.load_catalogue()\n"
        "print(json.dumps({\n"
        "    'names': sum(len(catalogue.names(k)) for k in plugins.KINDS),\n"
        "    'imported': [m for m in ('keras', 'tensorflow', 'jax', 'torch')\n"
        "                 if m in sys.modules]}))\n"
    )
    env = dict(os.environ, PYTHONPATH=REPO,
               **{plugins.LOAD_PLUGINS_ENV: ""})
    result = subprocess.run([sys.executable, "-c", code], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out == {"names": len(ENTRIES), "imported": []}
