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
- `sngan_resnet`: SNGAN's 32x32 ResNet with spectral normalization in D.
"""

from keras_gans.architectures.cdcgan import cdcgan
from keras_gans.architectures.dcgan import dcgan
from keras_gans.architectures.mlp import mlp
from keras_gans.architectures.sngan_resnet import sngan_resnet

__all__ = ["cdcgan", "dcgan", "mlp", "sngan_resnet"]
