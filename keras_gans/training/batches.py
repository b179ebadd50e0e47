"""Training batches in an order that a resumed run can repeat exactly.

Keras shuffles array data with its global random state, so the order of an
epoch cannot be recomputed after a crash. Here the order of epoch `e` is a
pure function of `(seed, e)` (`epoch_order`), and `OrderedBatches` can
start at any `(epoch, batch)`: a run resumed from a checkpoint taken in the
middle of an epoch sees exactly the batches the uninterrupted run would.
"""

import math

import keras
import numpy as np

__all__ = ["OrderedBatches", "epoch_order"]


def epoch_order(seed, epoch, num_samples):
    """The sample order of epoch `epoch` (counted from 0) of a run.

    A pure function of its arguments: the same seed and epoch give the same
    permutation on every machine and backend (NumPy's PCG64 generator).
    """
    return np.random.default_rng([int(seed), int(epoch)]).permutation(
        num_samples
    )


class OrderedBatches(keras.utils.PyDataset):
    """Batches of `x` (and `y`) in `epoch_order`, from a starting position.

    The dataset has no end: item `i` is batch `start + i` counted across
    epochs, so `fit(..., steps_per_epoch=...)` reads the batches of one epoch
    after another. Each item costs one gather of `batch_size` rows (the copy
    any shuffled batching makes); the permutation is computed once per
    epoch.

    Args:
        x: array of samples, `(num_samples, ...)`.
        y: array of labels, `(num_samples,)`, or None.
        batch_size: samples per batch; the last batch of an epoch is smaller
            when `batch_size` does not divide the number of samples.
        seed: seed of the data order.
        epoch: the epoch of the first batch (counted from 0).
        batch: the first batch's index within that epoch.
    """

    def __init__(self, x, y, batch_size, seed, epoch=0, batch=0):
        super().__init__()
        self.x = x
        self.y = y
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.steps_per_epoch = math.ceil(len(x) / self.batch_size)
        if not 0 <= batch < self.steps_per_epoch:
            raise ValueError(
                f"`batch` must be in [0, {self.steps_per_epoch}), the batches "
                f"of one epoch. Received: batch={batch}"
            )
        self.start = int(epoch) * self.steps_per_epoch + int(batch)
        self._order = (None, None)

    @property
    def num_batches(self):
        return None  # endless: fit() takes `steps_per_epoch` per epoch

    def position(self, index):
        """`(epoch, batch)` of item `index`."""
        return divmod(self.start + index, self.steps_per_epoch)

    def rows(self, index):
        """The sample indices of item `index`."""
        epoch, batch = self.position(index)
        if self._order[0] != epoch:
            self._order = (epoch, epoch_order(self.seed, epoch, len(self.x)))
        begin = batch * self.batch_size
        return self._order[1][begin:begin + self.batch_size]

    def __getitem__(self, index):
        rows = self.rows(index)
        if self.y is None:
            return (self.x[rows],)
        return self.x[rows], self.y[rows]
