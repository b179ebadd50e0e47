"""The latent noise `generate()` decodes: one definition for every model.

A GAN and a VAE given the same seed draw the same z, so samples of the
two can be compared draw for draw.
"""

import numpy as np

__all__ = ["prior_noise"]


def prior_noise(n, latent_dim, seed=None):
    """`n` standard-normal latent vectors, float32 `(n, latent_dim)`.

    Drawn with NumPy's PCG64 generator from `seed`, so the same seed gives
    the same z on every machine and backend. None draws the seed from
    NumPy's global generator (seeded by `keras.utils.set_random_seed`).
    """
    if seed is None:
        seed = np.random.randint(0, 2**31 - 1)
    return np.random.default_rng(seed).standard_normal(
        (n, latent_dim), dtype=np.float32
    )
