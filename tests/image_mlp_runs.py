"""`keras-gans run` with the tests' `image_mlp` architecture registered, in
this process or in a subprocess that a test can kill.

Resume tests on image datasets train `image_mlp` (toy_models.py) rather
than a convolutional network, which JAX runs slowly on a CPU; the
subprocess needs the architecture registered the same way as the test
process, which `use` does.
"""

import os
import subprocess
import sys

import keras

import keras_gans
from paths import TESTS
from plugin_catalogue import use_test_plugin
from toy_models import image_mlp

PLUGIN = "image-mlp-test"

DRIVER = f"""
import sys
sys.path.insert(0, {TESTS!r})
from keras_gans import cli, plugins
from toy_models import image_mlp
catalogue = plugins.load_catalogue()
catalogue.add_plugin(plugins.PluginInfo({PLUGIN!r}, "toy_models"))
catalogue.register_function("architectures", {PLUGIN!r})(
    "image_mlp", image_mlp)
plugins._catalogue = catalogue
cli.main(sys.argv[1:], prog_name="keras-gans")
"""


def use(monkeypatch):
    """Registers `image_mlp` in this process' catalogue for the test."""
    use_test_plugin(monkeypatch, PLUGIN, "toy_models",
                    architectures={"image_mlp": image_mlp})


def start(arguments, log_path):
    """`keras-gans <arguments>` with `image_mlp` registered, as a
    subprocess writing to `log_path`."""
    root = os.path.dirname(os.path.dirname(keras_gans.__file__))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_BACKEND=keras.backend.backend(),
               PYTHONPATH=os.pathsep.join(
                   [root, os.environ.get("PYTHONPATH", "")]))
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [sys.executable, "-c", DRIVER, *map(str, arguments)],
            stdout=log, stderr=subprocess.STDOUT, env=env)
