"""Lets the tests run from a checkout where the plugin is not installed.

Installed (`pip install plugins/keras-gans-example`, as tox does), the
installed copy is used. Otherwise `src/` is put on `sys.path`; the test of
the entry point then skips, since keras-gans cannot discover the plugin.
"""

import importlib.util
import pathlib
import sys

if importlib.util.find_spec("keras_gans_example") is None:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "src"))
