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

from keras_gans import lazy

_HOMES = {"ADA": "ada", "Augmentation": "base", "DiffAugment": "diffaugment"}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy.exports(
    __name__, {name: f"{__name__}.{home}" for name, home in _HOMES.items()})
