"""Package attributes imported on first use.

Several packages export names whose modules need Keras (and so load a
backend), while the plugin catalogue must import those packages' plugin
modules without loading one: `keras-gans list` answers in well under a
second. Such a package names where each export lives and gets a module
`__getattr__` (PEP 562) that imports it when first asked for.
"""

import importlib
import sys

__all__ = ["exports"]


def exports(package, homes):
    """A module `__getattr__` and `__dir__` for `package`'s lazy names.

    Args:
        package: the package's `__name__`.
        homes: `{name: module}`: the attribute `name` is `module.name`,
            imported on first access and then kept in the package, so the
            import happens once.

    Returns:
        `(__getattr__, __dir__)`, to assign at the package's top level.
    """

    def __getattr__(name):
        if name not in homes:
            raise AttributeError(
                f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(homes[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
