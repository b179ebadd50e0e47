"""keras-gans: generative adversarial networks for Keras 3 on any backend."""

from keras_gans import datasets
from keras_gans import losses
from keras_gans import metrics
from keras_gans import penalties
from keras_gans.gan import GAN

__version__ = "0.1.0"

__all__ = ["GAN", "datasets", "losses", "metrics", "penalties", "__version__"]
