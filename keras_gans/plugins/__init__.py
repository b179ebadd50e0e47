"""The plugin catalogue: hooks, the host that loads plugins, name lookup.

- `hookspecs`: the hooks a plugin implements (`register_losses`, ...).
- `registry`: `Catalogue`, what the hooks register and who owns it (not
  named `catalogue`: `plugins.catalogue` is the function below).
- `host`: loads the built-ins (`DEFAULT_PLUGINS`) and the installed plugins
  (the `keras_gans` entry-point group) into a catalogue.
- `lookup`: `get_loss`, `build_architecture`, ... by registered name.
- `scaffold`: a new plugin package from `templates/plugin/`.

`catalogue()` is the process-wide catalogue, loaded on first use. This
package imports no Keras: factories are imported when first used, so
listing names (`keras-gans list`, `keras-gans plugins`) loads no backend.
"""

from keras_gans.plugins.registry import KINDS
from keras_gans.plugins.registry import LOAD_PLUGINS_ENV
from keras_gans.plugins.registry import Catalogue
from keras_gans.plugins.registry import CatalogueError
from keras_gans.plugins.registry import Entry
from keras_gans.plugins.registry import PluginInfo
from keras_gans.plugins.host import BUILTIN_PLUGIN
from keras_gans.plugins.host import DEFAULT_PLUGINS
from keras_gans.plugins.host import ENTRY_POINT_GROUP
from keras_gans.plugins.host import load_catalogue

__all__ = [
    "BUILTIN_PLUGIN",
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "KINDS",
    "LOAD_PLUGINS_ENV",
    "Catalogue",
    "CatalogueError",
    "Entry",
    "PluginInfo",
    "catalogue",
    "load_catalogue",
    "reload_catalogue",
]

# The process-wide catalogue; tests swap it (`plugins._catalogue`).
_catalogue = None


def catalogue():
    """The process-wide catalogue, loaded on first use."""
    global _catalogue
    if _catalogue is None:
        _catalogue = load_catalogue()
    return _catalogue


def reload_catalogue():
    """Loads the catalogue again (after installing a plugin, in tests)."""
    global _catalogue
    _catalogue = None
    return catalogue()
