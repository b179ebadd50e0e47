"""The layers keras-gans adds to Keras.

- `SubPixelConv2DTranspose`: `Conv2DTranspose` as one convolution and
  depth-to-space (its kernel gradient avoids XLA's slow path).
- `PatchConv2D`: `Conv2D` as gathered windows times a matrix (for small
  outputs and for the second-order gradients of gradient penalties).
- `SpectralNormalization`: `keras.layers.SpectralNormalization` that
  leaves the stored kernel untouched (SNGAN's discriminator).
- `accelerate(model)`: rewrites a model's slow layers into these, in place,
  with the same weights. `GAN.compile` does it where XLA runs on a CPU.
"""

from keras_gans.layers.accelerate import accelerate
from keras_gans.layers.patches import PatchConv2D
from keras_gans.layers.spectral_norm import SpectralNormalization
from keras_gans.layers.subpixel import SubPixelConv2DTranspose
from keras_gans.layers.subpixel import phase_taps

__all__ = [
    "PatchConv2D",
    "SpectralNormalization",
    "SubPixelConv2DTranspose",
    "accelerate",
    "phase_taps",
]
