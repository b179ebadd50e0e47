"""The plugin host: loads the built-ins and the installed plugins.

The built-ins are plugins like any other: each module of `DEFAULT_PLUGINS`
implements the hooks for what sits next to it (`architectures/plugin.py`
registers the architectures, ...), as pytest and datasette list their own
default plugins. They are imported by name, so this module depends on none
of them, and together they are one plugin, `keras_gans`. Third-party plugins
are the entry points of the `keras_gans` group. A plugin that fails to
import, or raises in a hook, is recorded as broken with its error and its
names are left out; nothing else is affected, so one bad plugin never takes
the command line down.

`KERAS_GANS_LOAD_PLUGINS` picks which third-party plugins load: a comma
separated list of entry-point names; empty loads none. Unset loads all.
"""

import importlib
import importlib.metadata
import os

import pluggy

from keras_gans.plugins import hookspecs
from keras_gans.plugins.registry import KINDS
from keras_gans.plugins.registry import LOAD_PLUGINS_ENV
from keras_gans.plugins.registry import Catalogue
from keras_gans.plugins.registry import CatalogueError
from keras_gans.plugins.registry import PluginInfo

ENTRY_POINT_GROUP = "keras_gans"
BUILTIN_PLUGIN = "keras_gans"

# The modules registering the built-ins, imported in this order. Each
# registers `"module:attribute"` references and imports no Keras, so that
# listing the catalogue loads no backend.
DEFAULT_PLUGINS = (
    "keras_gans.core_plugin",  # losses, penalties
    "keras_gans.architectures.plugin",
    "keras_gans.datasets.plugin",
    "keras_gans.evaluation.plugin",  # metrics, features, callbacks
    "keras_gans.augment.plugin",
)


def _selected_entry_points():
    """Entry points of the `keras_gans` group allowed by the environment."""
    entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    chosen = os.environ.get(LOAD_PLUGINS_ENV)
    if chosen is None:
        return list(entry_points)
    wanted = {name.strip() for name in chosen.split(",") if name.strip()}
    return [ep for ep in entry_points if ep.name in wanted]


def _version_of(entry_point):
    dist = getattr(entry_point, "dist", None)
    return getattr(dist, "version", None)


def _check_hook_names(manager, plugin):
    """Refuses a plugin implementing a hook that does not exist (a typo)."""
    known = sorted(f"register_{kind}" for kind in KINDS)
    for caller in manager.get_hookcallers(manager.get_plugin(plugin)) or []:
        if not caller.has_spec():
            manager.unregister(name=plugin)
            raise CatalogueError(
                f"Unknown hook {caller.name!r}. Known hooks: "
                f"{', '.join(known)}."
            )


def _register_builtins(manager, catalogue):
    """Registers the `DEFAULT_PLUGINS` modules, under their module names,
    as the one plugin `keras_gans`."""
    from keras_gans import __version__

    catalogue.add_plugin(PluginInfo(
        BUILTIN_PLUGIN, ", ".join(DEFAULT_PLUGINS), version=__version__
    ))
    for module_name in DEFAULT_PLUGINS:
        try:
            manager.register(importlib.import_module(module_name), module_name)
        except Exception as error:  # reported like a third party's
            catalogue.mark_broken(BUILTIN_PLUGIN, error)


def load_catalogue():
    """Loads the built-ins and the selected plugins into a new `Catalogue`."""
    manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
    manager.add_hookspecs(hookspecs)
    catalogue = Catalogue()
    _register_builtins(manager, catalogue)

    failed_imports = set()
    for entry_point in _selected_entry_points():
        info = PluginInfo(
            entry_point.name, entry_point.value, _version_of(entry_point)
        )
        if info.name in catalogue.plugins:
            info.name = f"{info.name} ({info.module})"
        catalogue.add_plugin(info)
        try:
            manager.register(entry_point.load(), info.name)
            _check_hook_names(manager, info.name)
        except Exception as error:  # a plugin must never take us down
            catalogue.mark_broken(info.name, error)
            failed_imports.add(info.name)

    for kind in KINDS:
        hook = getattr(manager.hook, f"register_{kind}")
        for implementation in hook.get_hookimpls():
            plugin = implementation.plugin_name
            if plugin in DEFAULT_PLUGINS:
                plugin = BUILTIN_PLUGIN
            if plugin in failed_imports:
                continue
            try:
                implementation.function(
                    register=catalogue.register_function(kind, plugin)
                )
            except Exception as error:
                catalogue.mark_broken(plugin, error, kind)
    return catalogue
