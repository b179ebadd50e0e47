"""Datasets for GAN experiments (NumPy arrays; no TensorFlow needed)."""

from keras_gans.datasets.folder import SkippedFilesWarning
from keras_gans.datasets.folder import image_folder
from keras_gans.datasets.folder import image_folder_classes
from keras_gans.datasets.folder import npz
from keras_gans.datasets.images import DatasetDownloadError
from keras_gans.datasets.images import cifar10
from keras_gans.datasets.images import digits
from keras_gans.datasets.images import fashion_mnist
from keras_gans.datasets.images import mnist
from keras_gans.datasets.packed import pack_folder
from keras_gans.datasets.packed import packed
from keras_gans.datasets.toy import grid
from keras_gans.datasets.toy import grid_centers
from keras_gans.datasets.toy import ring
from keras_gans.datasets.toy import ring_centers

__all__ = [
    "ring",
    "grid",
    "ring_centers",
    "grid_centers",
    "digits",
    "mnist",
    "fashion_mnist",
    "cifar10",
    "image_folder",
    "image_folder_classes",
    "npz",
    "packed",
    "pack_folder",
    "DatasetDownloadError",
    "SkippedFilesWarning",
]
