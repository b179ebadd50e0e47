"""The built-in generator/discriminator architectures.

Each factory has the signature
`factory(latent_dim, sample_shape, num_classes=None, **params)` and returns
`(generator, discriminator)`, two functional `keras.Model`s that plug into
`keras_gans.GAN`: G maps z (and int32 labels of shape `(batch,)` when
`num_classes` is given) to samples of `sample_shape`; D maps samples (and
labels) to logits of shape `(batch, 1)`. Image generators end in tanh, so
images are channels-last in [-1, 1].

- `mlp`: fully connected, for vector (toy) data.
- `dcgan`: DCGAN (Radford et al. 2016) for 28x28, 32x32 and 64x64 images.
- `cdcgan`: class-conditional DCGAN with a projection discriminator.
- `conv`: DCGAN-shaped, for both kinds: with `kind="vae"` a VAE's decoder
  and encoder (factories that take `kind` build VAEs; `mlp` does too).
- `sngan_resnet`: SNGAN's 32x32 ResNet with spectral normalization in D.

The factories are imported on first use (they need Keras), so that the
catalogue can import `keras_gans.architectures.plugin`, which registers
them, without loading a backend.
"""

import sys
import types

from keras_gans import lazy

__all__ = ["cdcgan", "conv", "dcgan", "mlp", "sngan_resnet"]
__getattr__, __dir__ = lazy.exports(
    __name__, {name: f"{__name__}.{name}" for name in __all__})


class _Package(types.ModuleType):
    """Keeps `architectures.mlp` the factory, as an eager import did: each
    factory shares its name with its module, and importing a submodule sets
    the package attribute of that name to the module (the catalogue imports
    `keras_gans.architectures.mlp` before anyone asks for the factory)."""

    def __setattr__(self, name, value):
        if name in __all__ and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
