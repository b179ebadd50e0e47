"""keras-gans: generative adversarial networks for Keras 3 on any backend.

Attributes are imported on first use, so `import keras_gans` (and the
`keras-gans` command) does not import Keras or a backend until needed: the
command line can still choose the backend after it starts.
"""

import importlib
import sys

from keras_gans import compat

# Old module paths (`keras_gans.callbacks`, ...) import the modules that
# replaced them; installed before any other import of the package.
compat.install()

from keras_gans.plugins.hookspecs import hookimpl  # noqa: E402

__version__ = "0.1.0"

_ATTRIBUTES = {
    "GAN": "keras_gans.gan",
    "build_architecture": "keras_gans.plugins.lookup",
    "get_loss": "keras_gans.plugins.lookup",
    "get_penalty": "keras_gans.plugins.lookup",
    "load_dataset": "keras_gans.plugins.lookup",
    "load_model": "keras_gans.saving",
    "registered": "keras_gans.plugins.lookup",
    "compare": "keras_gans.runs.api",
    "evaluate": "keras_gans.runs.api",
    "sample": "keras_gans.runs.api",
    "train": "keras_gans.runs.api",
    "VAE": "keras_gans.vae",
}
_SUBMODULES = (
    "architectures",
    "backend",
    "datasets",
    "evaluation",
    "features",
    "layers",
    "losses",
    "metrics",
    "penalties",
    "plugins",
    "runs",
    "saving",
    "training",
)

__all__ = sorted([*_ATTRIBUTES, *_SUBMODULES, "hookimpl", "__version__"])


def __getattr__(name):
    if name in _ATTRIBUTES:
        value = getattr(importlib.import_module(_ATTRIBUTES[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"keras_gans.{name}")
    else:
        raise AttributeError(f"module 'keras_gans' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return __all__


if "keras" in sys.modules:
    # Keras is loaded, so its backend is already fixed: register the GAN,
    # the VAE, losses, penalties and layers now, so that
    # `keras.models.load_model` finds them.
    importlib.import_module("keras_gans.gan")
    importlib.import_module("keras_gans.vae")
    importlib.import_module("keras_gans.layers")
