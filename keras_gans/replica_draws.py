"""Random draws for a batch that data-parallel replicas split.

Under data parallelism each replica runs the training step on its own rows
of the global batch. Were each replica to draw its latent vectors (or a
penalty's interpolation weights) for its rows alone, every replica would
read the same seed-generator state and draw the same numbers, so N devices
would train on N copies of one draw instead of what one device draws for
the global batch. Drawing for the global batch and keeping this replica's
rows makes N devices compute what one device computes.
"""

from keras import ops

from keras_gans import backend


def batch_rows(draw, shape):
    """`draw(shape)` as one device would draw it for the global batch,
    restricted to this replica's rows.

    Args:
        draw: a function of a shape returning a random array of that shape
            (e.g. `lambda s: keras.random.normal(s, seed=seed_generator)`).
        shape: this replica's shape, rows first.

    Returns:
        An array of `shape`: rows `index * rows` to `(index + 1) * rows` of
        the global draw, where `(index, count) = backend.replica_rows()`.
    """
    index, count = backend.replica_rows()
    if isinstance(count, int) and count == 1:
        return draw(shape)
    rows = shape[0]
    full = draw((rows * count,) + tuple(shape[1:]))
    start = (index * rows,) + (0,) * (len(shape) - 1)
    return ops.slice(full, start, shape)
