"""The callbacks `keras-gans run` trains with, in one namespace.

- `SampleGrid`: a PNG of samples from a fixed latent batch after each epoch.
- `TensorBoard` (from `training.tensorboard`): losses, D's outputs,
  learning rates and speed every N steps and per epoch, sample pictures
  and the recipe, written without importing TensorFlow.
- `Checkpoint` (from `training.checkpoints`): the full GAN every N
  epochs, written atomically, keeping the last K.
- `StopAtStep`: ends training after a number of generator updates.
- `Progress`: a line per epoch with the run's speed and time left.
"""

from keras_gans.training.checkpoints import Checkpoint
from keras_gans.training.checkpoints import atomic_save
from keras_gans.training.checkpoints import checkpoint_path
from keras_gans.training.checkpoints import list_checkpoints
from keras_gans.training.pictures import SampleGrid
from keras_gans.training.progress import Progress
from keras_gans.training.progress import format_duration
from keras_gans.training.stop import StopAtStep
from keras_gans.training.tensorboard import EventWriter
from keras_gans.training.tensorboard import ScalarWriter
from keras_gans.training.tensorboard import TensorBoard

__all__ = [
    "Checkpoint",
    "EventWriter",
    "Progress",
    "SampleGrid",
    "ScalarWriter",
    "StopAtStep",
    "TensorBoard",
    "atomic_save",
    "checkpoint_path",
    "format_duration",
    "list_checkpoints",
]
