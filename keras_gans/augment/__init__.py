"""Augmentations applied to real and fake images before the discriminator.

`DiffAugment` (Zhao et al. 2020) and `ADA` (Karras et al. 2020), written
in `keras.ops` so they run under jit on every backend. Each transform is
a pure function of the images and explicit random parameters
(`diffaugment.translation`, `ada.transform`, ...), separate from the
draws, so the same draws give the same images on every backend. Pass one
to `keras_gans.GAN(..., augment=...)`, or name it in a recipe:
`train.augment = { name = "ada", target = 0.6 }`.
"""

from keras_gans.augment.ada import ADA
from keras_gans.augment.base import Augmentation
from keras_gans.augment.diffaugment import DiffAugment

__all__ = ["ADA", "Augmentation", "DiffAugment"]
