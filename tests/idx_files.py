"""Writing MNIST's IDX files (gzip, big-endian header, uint8 payload), so
tests can put a dataset in the Keras cache without downloading it."""

import gzip

import numpy as np


def write_idx(path, array, magic):
    """Writes `array` (uint8) at `path` as a gzip IDX file with `magic`
    (2051 images, 2049 labels)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (magic.to_bytes(4, "big")
              + b"".join(d.to_bytes(4, "big") for d in array.shape))
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())
