"""The registry: the catalogue of named factories, with their owners.

A plugin's hook calls `register(name, factory, description=...)` once per
name; the catalogue keeps the entry and the plugin that made it. A name
registered by two plugins is usable by neither: looking it up raises an
error naming both owners. A plugin that fails is recorded with its error
(`PluginInfo`) and its names are left out, so one bad plugin never takes the
rest down.

A factory may be registered as a `"module:attribute"` string with its
description; the module is imported when the factory is first used, so
listing names imports no Keras.

Importing this module imports nothing else of keras-gans.
"""

import dataclasses
import difflib
import importlib

# The environment variable naming the third-party plugins to load (read
# by `keras_gans.plugins.host`; the duplicate-name message points to it).
LOAD_PLUGINS_ENV = "KERAS_GANS_LOAD_PLUGINS"

KINDS = {
    "architectures": "architecture",
    "losses": "loss",
    "penalties": "penalty",
    "datasets": "dataset",
    "metrics": "metric",
    "features": "feature extractor",
    "callbacks": "callback",
    "augmentations": "augmentation",
}


class CatalogueError(ValueError):
    """A name that is unknown, registered twice, or owned by a broken plugin."""


@dataclasses.dataclass(frozen=True)
class Entry:
    """One registered factory and the plugin that registered it.

    `target` is the factory itself, or a `"module:attribute"` reference
    that `factory` imports on first use.
    """

    kind: str
    name: str
    target: object
    description: str
    plugin: str

    @property
    def factory(self):
        """The factory, importing its module first for a reference.

        Raises:
            CatalogueError: when the reference cannot be imported or does
                not name a callable.
        """
        if not isinstance(self.target, str):
            return self.target
        if self.target not in _resolved:
            _resolved[self.target] = self._load()
        return _resolved[self.target]

    def _load(self):
        module_name, _, attribute = self.target.partition(":")
        what = f"The {KINDS[self.kind]} {self.name!r} of plugin {self.plugin!r}"
        try:
            value = importlib.import_module(module_name)
            for part in attribute.split("."):
                value = getattr(value, part)
        except Exception as error:
            raise CatalogueError(
                f"{what} could not be imported: {type(error).__name__}: "
                f"{error}. Received: factory={self.target!r}"
            ) from error
        if not callable(value):
            raise CatalogueError(
                f"{what} must name a callable factory. "
                f"Received: factory={self.target!r} ({value!r})"
            )
        return value


# "module:attribute" -> the imported factory
_resolved = {}


def _is_reference(factory):
    """Whether `factory` is a `"module:attribute"` string."""
    if not isinstance(factory, str):
        return False
    module_name, colon, attribute = factory.partition(":")
    names = module_name.split(".") + attribute.split(".")
    return bool(colon) and all(n.isidentifier() for n in names)


@dataclasses.dataclass
class PluginInfo:
    """What `keras-gans plugins` shows about one plugin."""

    name: str
    module: str
    version: str | None = None
    error: str | None = None
    conflicts: list = dataclasses.field(default_factory=list)
    registered: dict = dataclasses.field(default_factory=dict)

    @property
    def status(self):
        return "broken" if self.error else "ok"

    def as_dict(self):
        return {
            "name": self.name,
            "module": self.module,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "conflicts": list(self.conflicts),
            "registered": {k: sorted(v) for k, v in self.registered.items()},
        }


class Catalogue:
    """Named factories of every kind, with their owners and any problems."""

    def __init__(self):
        self.entries = {kind: {} for kind in KINDS}
        self.duplicates = {kind: {} for kind in KINDS}
        self.plugins = {}

    # -- filling ---------------------------------------------------------

    def add_plugin(self, info):
        self.plugins[info.name] = info

    def register_function(self, kind, plugin):
        """The `register` callback handed to one plugin's hook."""

        def register(name, factory, *, description=""):
            self._register(kind, plugin, name, factory, description)

        return register

    def _register(self, kind, plugin, name, factory, description):
        if not isinstance(name, str) or not name:
            raise CatalogueError(
                f"A {KINDS[kind]} name must be a non-empty string. "
                f"Received: name={name!r} from plugin {plugin!r}"
            )
        if not (callable(factory) or _is_reference(factory)):
            raise CatalogueError(
                f"The factory registered as {KINDS[kind]} {name!r} must be "
                "callable, or a 'module:attribute' string naming one. "
                f"Received: factory={factory!r} from plugin {plugin!r}"
            )
        self.plugins[plugin].registered.setdefault(kind, []).append(name)
        existing = self.entries[kind].get(name)
        if existing is not None and existing.plugin != plugin:
            owners = self.duplicates[kind].setdefault(name, [existing.plugin])
            owners.append(plugin)
            message = self._duplicate_message(kind, name)
            for owner in owners:
                # One message per (kind, name), naming every owner so far.
                conflicts = self.plugins[owner].conflicts
                conflicts[:] = [
                    c for c in conflicts
                    if not c.startswith(f"The {KINDS[kind]} {name!r} ")
                ]
                conflicts.append(message)
            return
        self.entries[kind][name] = Entry(
            kind, name, factory, description.strip(), plugin
        )

    def mark_broken(self, plugin, error, kind=None):
        """Records an error of `plugin` and withdraws the names it affects.

        An import error withdraws everything; an error raised in one hook
        withdraws the names that hook registered, so only what needs them
        fails.
        """
        info = self.plugins[plugin]
        where = f"in register_{kind}: " if kind else ""
        message = f"{where}{type(error).__name__}: {error}"
        info.error = message if not info.error else f"{info.error}; {message}"
        for registered_kind, names in info.registered.items():
            if kind is not None and registered_kind != kind:
                continue
            for name in names:
                entry = self.entries[registered_kind].get(name)
                if entry is not None and entry.plugin == plugin:
                    del self.entries[registered_kind][name]

    # -- lookup ----------------------------------------------------------

    def names(self, kind):
        """Usable names of a kind (duplicates and broken plugins left out)."""
        _check_kind(kind)
        return sorted(
            n for n in self.entries[kind] if n not in self.duplicates[kind]
        )

    def get(self, kind, name, argument=None):
        """The entry for `name`, or a `CatalogueError` saying why not."""
        _check_kind(kind)
        noun = KINDS[kind]
        argument = argument or noun
        if name in self.duplicates[kind]:
            raise CatalogueError(
                f"{self._duplicate_message(kind, name)} "
                f"Received: {argument}={name!r}"
            )
        if name not in self.entries[kind]:
            broken = [p for p in self.plugins.values() if p.error]
            note = ""
            if broken:
                listed = "; ".join(f"{p.name!r} ({p.error})" for p in broken)
                note = (
                    "Plugins that failed to load, which may provide it: "
                    f"{listed}. Run `keras-gans plugins` for details."
                )
            error = unknown_name_error(
                noun, argument, name, self.names(kind), kind, note
            )
            raise CatalogueError(str(error))
        return self.entries[kind][name]

    def create(self, kind, name, argument=None, **params):
        """Calls the factory registered as `name` with `params`."""
        return self.get(kind, name, argument).factory(**params)

    def _duplicate_message(self, kind, name):
        owners = self.duplicates[kind][name]
        listed = ", ".join(repr(o) for o in owners[:-1])
        listed += f" and {owners[-1]!r}"
        return (
            f"The {KINDS[kind]} {name!r} is registered by {len(owners)} "
            f"plugins, {listed}; none of them is used. Uninstall all but "
            f"one, or choose the plugins to load with {LOAD_PLUGINS_ENV}."
        )

    def import_factories(self):
        """Imports every factory registered by reference.

        Listing names imports nothing, but a saved model may use classes
        (layers, losses) that a plugin's modules register with Keras when
        imported; loading a model calls this first. A reference that fails
        to import marks its plugin broken for that kind, as a hook that
        raises does.
        """
        for kind in KINDS:
            for entry in list(self.entries[kind].values()):
                try:
                    entry.factory
                except CatalogueError as error:
                    self.mark_broken(entry.plugin, error, kind)

    def listing(self, kind):
        """Rows of `{name, description, plugin}` for usable names."""
        return [
            {
                "name": n,
                "description": self.entries[kind][n].description,
                "plugin": self.entries[kind][n].plugin,
            }
            for n in self.names(kind)
        ]


def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(
            f"Unknown kind of plugin object. Known kinds: {', '.join(KINDS)}. "
            f"Received: kind={kind!r}"
        )


def unknown_name_error(kind, argument, name, known, plural=None, note=""):
    """Builds the `ValueError` for a name that is not registered.

    The message lists every known name and, where one is close, suggests it.
    """
    known = sorted(known)
    plural = plural or f"{kind}s"
    message = f"Unknown {kind} {name!r}. Known {plural}: {', '.join(known)}."
    close = difflib.get_close_matches(str(name), known, n=1)
    if close:
        message += f" Did you mean {close[0]!r}?"
    if note:
        message += f" {note}"
    return ValueError(f"{message} Received: {argument}={name!r}")
