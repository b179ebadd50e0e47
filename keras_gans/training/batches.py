"""Training batches in an order that a resumed run can repeat exactly.

Keras shuffles array data with its global random state, so the order of an
epoch cannot be recomputed after a crash. Here the order of epoch `e` is a
pure function of `(seed, e)` (`epoch_order`), and `OrderedBatches` can
start at any `(epoch, batch)`: a run resumed from a checkpoint taken in the
middle of an epoch sees exactly the batches the uninterrupted run would.
The optional random horizontal flip is a pure function of
`(seed, epoch, sample)` too (`epoch_flips`), so it resumes exactly as well.

The same class batches arrays in memory and streamed datasets
(`keras_gans.datasets.streaming.ImageRows`, whose rows are decoded when
read): with `workers > 1`, Keras' `PyDataset` machinery reads the next
batches in that many threads while the step runs (a queue of
`max_queue_size` batches), in order.
"""

import math

import keras
import numpy as np

__all__ = ["OrderedBatches", "epoch_flips", "epoch_order"]

# Keeps the flips' random stream apart from the order's.
_FLIP_STREAM = 1


def epoch_order(seed, epoch, num_samples):
    """The sample order of epoch `epoch` (counted from 0) of a run.

    A pure function of its arguments: the same seed and epoch give the same
    permutation on every machine and backend (NumPy's PCG64 generator).
    """
    return np.random.default_rng([int(seed), int(epoch)]).permutation(
        num_samples
    )


def epoch_flips(seed, epoch, num_samples):
    """Which samples epoch `epoch` flips left-right (`flip=True`): a bool
    array over the samples, a pure function of its arguments (each sample
    flipped with probability 1/2, drawn again every epoch)."""
    rng = np.random.default_rng([int(seed), int(epoch), _FLIP_STREAM])
    return rng.random(num_samples) < 0.5


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
        flip: whether to flip images `(n, height, width, channels)`
            left-right, each with probability 1/2 (`epoch_flips`).
        workers: threads reading batches ahead (1: none, read in the
            training loop).
        max_queue_size: batches read ahead at most, with `workers > 1`.
        part: `(index, count)`: each item holds only the `index`-th of
            `count` equal parts of the batch (the rows one process of a
            multi-process run trains on); `(0, 1)`, the whole batch.
    """

    def __init__(self, x, y, batch_size, seed, epoch=0, batch=0, *,
                 flip=False, workers=1, max_queue_size=10, part=(0, 1)):
        super().__init__(workers=int(workers),
                         max_queue_size=int(max_queue_size))
        if flip and len(x.shape) != 4:
            raise ValueError(
                "`flip` flips images of shape (height, width, channels), "
                f"but the samples have shape {tuple(x.shape[1:])}. "
                f"Received: flip={flip!r}"
            )
        self.flip = bool(flip)
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
        index, count = (int(value) for value in part)
        if not 0 <= index < count:
            raise ValueError(
                "`part` must be (index, count) with 0 <= index < count. "
                f"Received: part={part!r}")
        self.part = (index, count)
        self._order = (None, None, None)

    @property
    def num_batches(self):
        return None  # endless: fit() takes `steps_per_epoch` per epoch

    def position(self, index):
        """`(epoch, batch)` of item `index`."""
        return divmod(self.start + index, self.steps_per_epoch)

    def _epoch(self, epoch):
        """`(order, flips)` of an epoch, kept for the latest one (one tuple,
        replaced whole: worker threads read it)."""
        cached = self._order
        if cached[0] != epoch:
            flips = (epoch_flips(self.seed, epoch, len(self.x)) if self.flip
                     else None)
            cached = (epoch, epoch_order(self.seed, epoch, len(self.x)),
                      flips)
            self._order = cached
        return cached[1], cached[2]

    def rows(self, index):
        """The sample indices of item `index`."""
        epoch, batch = self.position(index)
        order, _ = self._epoch(epoch)
        begin = batch * self.batch_size
        rows = order[begin:begin + self.batch_size]
        index, count = self.part
        share = len(rows) // count
        return rows[index * share:(index + 1) * share]

    def __getitem__(self, index):
        rows = self.rows(index)
        x = self.x[rows]
        if self.flip:
            flipped = self._epoch(self.position(index)[0])[1][rows]
            x[flipped] = x[flipped, :, ::-1]
        if self.y is None:
            return (x,)
        return x, self.y[rows]
