"""Datasets for GAN experiments (pure NumPy)."""

from keras_gans.datasets.toy import grid
from keras_gans.datasets.toy import grid_centers
from keras_gans.datasets.toy import ring
from keras_gans.datasets.toy import ring_centers

__all__ = ["ring", "grid", "ring_centers", "grid_centers"]
