"""Old import paths that keep working after modules move.

`ALIASES` maps an old module path to the new one. `install()` puts an
`AliasFinder` first on `sys.meta_path`: importing an old path, or a path
below it (`keras_gans.metrics.fid` under `keras_gans.metrics`), imports the
new module and binds that very module object to the old name as well. So
`keras_gans.metrics.fid is keras_gans.evaluation.metrics.fid`: patching one
patches the other, `isinstance` holds across both names, and a class
registered with Keras is registered once (a module imported twice under two
names would register two classes under one Keras name).

Importing this module imports nothing else of keras-gans.
"""

import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["ALIASES", "AliasFinder", "install"]

# old module path -> new module path; filled in as modules move (issue 10).
ALIASES = {
    "keras_gans.batches": "keras_gans.training.batches",
    "keras_gans.callbacks": "keras_gans.training.callbacks",
    "keras_gans.catalogue_api": "keras_gans.plugins.lookup",
    "keras_gans.checkpoints": "keras_gans.training.checkpoints",
    "keras_gans.features": "keras_gans.evaluation.features",
    "keras_gans.guards": "keras_gans.training.guards",
    "keras_gans.hookspecs": "keras_gans.plugins.hookspecs",
    "keras_gans.metrics": "keras_gans.evaluation.metrics",
    "keras_gans.metrics.callback": "keras_gans.evaluation.callback",
    "keras_gans.naming": "keras_gans.plugins.registry",
    "keras_gans.recipe": "keras_gans.runs.recipe",
    "keras_gans.recipe_schema": "keras_gans.runs.recipe_schema",
    "keras_gans.resume": "keras_gans.runs.resume",
    "keras_gans.run": "keras_gans.runs.train",
    "keras_gans.run_directory": "keras_gans.runs.directory",
    "keras_gans.scaffold": "keras_gans.plugins.scaffold",
    "keras_gans.tensorboard": "keras_gans.training.tensorboard",
    "keras_gans.architectures.spectral_norm": "keras_gans.layers.spectral_norm",
}


class _AliasLoader(importlib.abc.Loader):
    """Loads an old path as the module already imported under its new one."""

    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        _bind_submodules(spec.name, module)
        return module

    def exec_module(self, module):
        """Nothing to run: the module ran once, under its new name."""


class AliasFinder(importlib.abc.MetaPathFinder):
    """Finds old module paths by the new ones.

    Args:
        aliases: `{old path: new path}`.
    """

    def __init__(self, aliases):
        self.aliases = dict(aliases)

    def target(self, name):
        """The new path of module `name`, or None when it is not an old
        one. The longest old path that matches wins, so a module can move
        out of a package that moved elsewhere (`keras_gans.metrics.callback`
        apart from `keras_gans.metrics`)."""
        matches = [old for old in self.aliases
                   if name == old or name.startswith(old + ".")]
        if not matches:
            return None
        old = max(matches, key=len)
        return self.aliases[old] + name[len(old):]

    def find_spec(self, fullname, path=None, target=None):
        new = self.target(fullname)
        if new is None or importlib.util.find_spec(new) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(new))


def _bind_submodules(old, module):
    """Binds the submodules already imported below `module` to their old
    paths too (`keras_gans.metrics.fid` when `keras_gans.metrics` is
    imported by its old name).

    Python looks a submodule up in `sys.modules` once its package is
    imported and, only when it finds none there, loads it and sets it as an
    attribute of the package. Through an alias that package is the new one,
    whose attribute of that name may be something else: `metrics.fid` is a
    function beside the module `metrics.fid`. Found in `sys.modules`, the
    submodule is imported without touching the package.
    """
    new = module.__name__
    for name, submodule in list(sys.modules.items()):
        if name.startswith(new + ".") and submodule is not None:
            sys.modules.setdefault(old + name[len(new):], submodule)


def install(aliases=None):
    """Puts an `AliasFinder` for `aliases` (default `ALIASES`) first on
    `sys.meta_path`, once; returns it."""
    aliases = ALIASES if aliases is None else aliases
    for finder in sys.meta_path:
        if isinstance(finder, AliasFinder) and finder.aliases == aliases:
            return finder
    finder = AliasFinder(aliases)
    sys.meta_path.insert(0, finder)
    return finder
