"""The latent noise `generate()` decodes: one definition for every model.

A GAN and a VAE given the same seed draw the same z, so samples of the
two can be compared draw for draw.
"""

import numbers

import numpy as np

from keras_gans.arguments import is_positive_int

__all__ = ["decode_walks", "prior_noise", "requested", "slerp", "walk",
           "walk_latents"]


def prior_noise(n, latent_dim, seed=None, truncation=None):
    """`n` standard-normal latent vectors, float32 `(n, latent_dim)`.

    Drawn with NumPy's PCG64 generator from `seed`, so the same seed gives
    the same z on every machine and backend. None draws the seed from
    NumPy's global generator (seeded by `keras.utils.set_random_seed`).

    Args:
        n: number of vectors.
        latent_dim: size of each.
        seed: integer seed, or None.
        truncation: None, or the threshold t > 0 of the truncation trick
            as BigGAN applies it to a Gaussian prior: every coordinate
            with |z_i| > t is redrawn from the same generator, until none
            is. The result follows the standard normal truncated to
            [-t, t]. (StyleGAN's psi-interpolation toward the mean latent
            needs a mapping network; a plain generator has none.)
            `truncation=None` gives exactly the untruncated draw.
    """
    if seed is None:
        seed = np.random.randint(0, 2**31 - 1)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, latent_dim), dtype=np.float32)
    if truncation is None:
        return z
    outside = np.abs(z) > truncation
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()),
                                         dtype=np.float32)
        outside = np.abs(z) > truncation
    return z


def requested(n, latent_dim, seed=None, z=None, truncation=None):
    """The latents `generate(n, seed=, z=, truncation=)` decodes, checked.

    Args:
        n: number of samples; None when `z` is given.
        latent_dim: the model's latent size.
        seed: integer seed of the draw (ignored with `z`).
        z: explicit latents of shape `(n, latent_dim)`, or None.
        truncation: None or a threshold > 0 (see `prior_noise`).

    Returns:
        A float32 array `(n, latent_dim)`.

    Raises:
        ValueError: for a bad `n`, a `z` of the wrong shape or not
            matching `n`, a bad `truncation`, or `z` with `truncation`.
    """
    if truncation is not None and not (
        isinstance(truncation, numbers.Real)
        and not isinstance(truncation, bool)
        and np.isfinite(truncation) and truncation > 0
    ):
        raise ValueError(
            "`truncation` must be None or a threshold > 0 (latent "
            "coordinates beyond it are redrawn), such as 1.0. "
            f"Received: truncation={truncation!r}")
    if z is None:
        if not is_positive_int(n):
            raise ValueError(
                f"`n` must be a positive integer. Received: n={n!r}")
        return prior_noise(n, latent_dim, seed, truncation)
    if truncation is not None:
        raise ValueError(
            "Pass either `z` or `truncation`: truncation applies to the "
            "latents generate() draws, not to given ones. Received: "
            f"truncation={truncation!r} with z")
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or z.shape[1] != latent_dim or z.shape[0] == 0:
        raise ValueError(
            f"`z` must have shape (n, {latent_dim}) with n >= 1. "
            f"Received: z of shape {z.shape}")
    if n is not None and n != z.shape[0]:
        raise ValueError(
            "`n` must match the number of latent vectors in `z` (or be "
            f"left out). Received: n={n!r}, z of shape {z.shape}")
    return z


def slerp(a, b, t):
    """Spherical interpolation between latents `a` and `b` at `t` in [0, 1].

    Follows the great circle through the two vectors (Shoemake 1985), so
    norms stay where a Gaussian prior puts its mass; falls back to a
    straight line for (anti)parallel vectors, where the circle is not
    defined.

    Args:
        a, b: arrays of the same shape `(..., latent_dim)`.
        t: a float, or an array broadcasting against `a[..., :1]`.

    Returns:
        float32 array of `a`'s shape.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    norms = np.linalg.norm(a, axis=-1, keepdims=True) * np.linalg.norm(
        b, axis=-1, keepdims=True)
    cos = np.clip(np.sum(a * b, axis=-1, keepdims=True)
                  / np.maximum(norms, 1e-12), -1.0, 1.0)
    omega = np.arccos(cos)
    sin = np.sin(omega)
    flat = sin < 1e-6
    safe = np.where(flat, 1.0, sin)
    wa = np.where(flat, 1.0 - t, np.sin((1.0 - t) * omega) / safe)
    wb = np.where(flat, t, np.sin(t * omega) / safe)
    return (wa * a + wb * b).astype(np.float32)


def walk(points, frames):
    """`frames` latents along the great circles through `points` in order.

    Args:
        points: array `(p, latent_dim)`, p >= 2: the latents visited.
        frames: number of latents returned, >= 2. Frame 0 is `points[0]`,
            the last is `points[-1]`; the frames in between are spread
            evenly over the `p - 1` legs, each leg a `slerp`.

    Returns:
        float32 array `(frames, latent_dim)`.
    """
    points = np.asarray(points, dtype=np.float32)
    legs = len(points) - 1
    where = np.linspace(0.0, legs, frames)
    leg = np.minimum(where.astype(int), legs - 1)
    t = (where - leg)[:, None]
    return slerp(points[leg], points[leg + 1], t)


def walk_latents(latent_dim, frames, points, walks=1, seed=0):
    """The latents of `walks` walks, each through `points` seeded latents.

    Walk w visits rows `w * points` to `(w + 1) * points - 1` of
    `prior_noise(walks * points, latent_dim, seed)` (the latents
    `generate(walks * points, seed=seed)` decodes), in order, along great
    circles (`walk`). The same arguments give the same latents everywhere:
    `keras-gans interpolate` and the TensorBoard callback's walks agree.

    Args:
        latent_dim: the model's latent size.
        frames: latents per walk, >= 2.
        points: latents each walk visits, >= 2.
        walks: walks side by side.
        seed: seed of the visited latents.

    Returns:
        float32 array `(frames, walks, latent_dim)`.
    """
    anchors = prior_noise(walks * points, latent_dim, seed)
    anchors = anchors.reshape(walks, points, latent_dim)
    return np.stack([walk(anchors[w], frames) for w in range(walks)], axis=1)


def decode_walks(generate, path, labels=None):
    """Samples along walks: `generate` applied to every latent of `path`.

    Args:
        generate: a function taking `z=` and `labels=` as `GAN.generate`
            does (a GAN's, or a loaded model's).
        path: latents `(frames, walks, latent_dim)` (`walk_latents`).
        labels: None, or one class id per walk (a conditional model):
            each walk keeps its class in every frame.

    Returns:
        The samples, shape `(frames, walks, *sample_shape)`.
    """
    frames, walks = path.shape[:2]
    samples = generate(
        z=path.reshape(frames * walks, -1),
        labels=None if labels is None else np.tile(labels, frames))
    return samples.reshape(frames, walks, *samples.shape[1:])
