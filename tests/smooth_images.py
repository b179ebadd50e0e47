"""Distinct smooth test images for the data checks
(tests/datasets/test_checks.py, tests/runs/test_check_data.py)."""

import numpy as np


def smooth_images(n, size=32, channels=3, seed=0):
    """Distinct smooth images in [-1, 1], on whole grey levels: sums of
    random low-frequency waves (the 12 of seed 3 at 32x32 have perceptual
    hashes 20 or more bits apart; a brighter or JPEG copy is 0 to 2 bits
    from its original)."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(0, 1, size)
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    images = np.zeros((n, size, size, channels))
    for i in range(n):
        for c in range(channels):
            for _ in range(4):
                fy, fx = rng.uniform(0.5, 3, 2)
                phase = rng.uniform(0, 2 * np.pi)
                images[i, :, :, c] += np.sin(2 * np.pi * (fy * yy + fx * xx)
                                             + phase)
    images /= np.abs(images).max(axis=(1, 2, 3), keepdims=True)
    return (np.rint((images * 0.9 + 1) * 127.5) / 127.5 - 1).astype(
        np.float32)
