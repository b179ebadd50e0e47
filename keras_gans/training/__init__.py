"""Callbacks that train a GAN safely, usable with plain `fit()`.

- `TensorBoard`: losses, D's outputs, learning rates, speed, sample
  pictures and the recipe, written without importing TensorFlow.
- `Checkpoint`, `restore`, `Restored`, `CheckpointError`: the full GAN
  saved atomically every N steps or epochs, found again after a crash.
- `DivergenceGuard`, `Divergence`: stop before a NaN or infinite value
  reaches a checkpoint.
- `PrivacyAccountant`, `BudgetSpent`: epsilon of a DP-SGD GAN in the logs,
  and a stop at a privacy budget.
- `SampleGrid`: a PNG of samples from a fixed latent batch per epoch.
- `StopAtStep`: ends `fit()` after a number of generator updates.
- `OrderedBatches`, `epoch_order`: batches in an order fixed by a seed and
  an epoch, so a resumed run sees the data a single run would.
"""

from keras_gans.training.batches import OrderedBatches
from keras_gans.training.batches import epoch_order
from keras_gans.training.checkpoints import Checkpoint
from keras_gans.training.checkpoints import CheckpointError
from keras_gans.training.checkpoints import Restored
from keras_gans.training.checkpoints import restore
from keras_gans.training.guards import Divergence
from keras_gans.training.guards import DivergenceGuard
from keras_gans.training.pictures import SampleGrid
from keras_gans.training.privacy import BudgetSpent
from keras_gans.training.privacy import PrivacyAccountant
from keras_gans.training.stop import StopAtStep
from keras_gans.training.tensorboard import TensorBoard

__all__ = [
    "BudgetSpent",
    "Checkpoint",
    "CheckpointError",
    "Divergence",
    "DivergenceGuard",
    "OrderedBatches",
    "PrivacyAccountant",
    "Restored",
    "SampleGrid",
    "StopAtStep",
    "TensorBoard",
    "epoch_order",
    "restore",
]
