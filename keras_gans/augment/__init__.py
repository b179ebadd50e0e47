"""Augmentations applied to real and fake images before the discriminator.

`DiffAugment` (Zhao et al. 2020) and `ADA` (Karras et al. 2020), written
in `keras.ops` so they run under jit on every backend. Each transform is
a pure function of the images and explicit random parameters
(`diffaugment.translation`, `ada.transform`, ...), separate from the
draws, so the same draws give the same images on every backend. Pass one
to `keras_gans.GAN(..., augment=...)`, or name it in a recipe:
`train.augment = { name = "ada", target = 0.6 }`.

The classes are imported on first use (they need Keras), so that the
catalogue can import `keras_gans.augment.plugin`, which registers them,
without loading a backend.
"""

import importlib

_HOMES = {"ADA": "ada", "Augmentation": "base", "DiffAugment": "diffaugment"}
__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        module = importlib.import_module(f"keras_gans.augment.{_HOMES[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(
        f"module 'keras_gans.augment' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})
