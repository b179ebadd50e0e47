"""The DP-SGD aggregate of per-example gradients, in `keras.ops`.

Abadi et al. (2016): clip each example's gradient to L2 norm C, sum the
clipped gradients, add Gaussian noise of standard deviation
`noise_multiplier * C` to every coordinate, divide by the batch size.
"""

import keras
from keras import ops

# Added to the norm before dividing by it: a zero gradient then scales by
# C / 1e-6 (harmlessly, it stays zero) instead of C / 0. The value Opacus
# uses; it changes the factor of a gradient of norm n >= C by a relative
# 1e-6 / n at most, far below float32's spread over a sum of examples.
NORM_EPSILON = 1e-6


def per_example_norms(grads):
    """Each example's global L2 norm over all gradient arrays.

    Args:
        grads: a list of arrays, each `(batch_size,) + variable.shape`.

    Returns:
        A float32 array of shape `(batch_size,)`.
    """
    squares = [
        ops.sum(ops.square(ops.cast(g, "float32")),
                axis=tuple(range(1, len(g.shape))))
        if len(g.shape) > 1 else ops.square(ops.cast(g, "float32"))
        for g in grads
    ]
    return ops.sqrt(sum(squares[1:], squares[0]))


def clipped_sum(grads, l2_norm_clip):
    """The sum over examples of each gradient scaled to norm <= `l2_norm_clip`.

    Every example's gradients are scaled by
    `min(1, l2_norm_clip / (norm + NORM_EPSILON))`, one factor for all
    arrays (the norm is global over the model's weights).

    Args:
        grads: a list of arrays, each `(batch_size,) + variable.shape`.
        l2_norm_clip: the bound C on each example's L2 norm.

    Returns:
        A list of float32 arrays, each of its variable's shape.
    """
    factors = ops.minimum(
        1.0, l2_norm_clip / (per_example_norms(grads) + NORM_EPSILON)
    )
    return [
        ops.tensordot(factors, ops.cast(g, "float32"), axes=1) for g in grads
    ]


def private_gradients(grads, privacy, seed_generator):
    """The noisy mean of clipped per-example gradients that D applies.

    Args:
        grads: per-example gradients, a list of arrays each
            `(batch_size,) + variable.shape`.
        privacy: the `keras_gans.privacy.Privacy` mechanism.
        seed_generator: the `keras.random.SeedGenerator` the noise is drawn
            from (the GAN's, so a run repeats and resumes exactly). Nothing
            is drawn when `noise_multiplier` is 0.

    Returns:
        A list of float32 arrays, each of its variable's shape: the clipped
        sum plus `N(0, (noise_multiplier * l2_norm_clip)^2)` per coordinate,
        divided by the batch size.
    """
    batch_size = ops.cast(ops.shape(grads[0])[0], "float32")
    summed = clipped_sum(grads, privacy.l2_norm_clip)
    if privacy.noise_multiplier > 0:
        stddev = privacy.noise_multiplier * privacy.l2_norm_clip
        summed = [
            s + keras.random.normal(ops.shape(s), stddev=stddev,
                                    seed=seed_generator)
            for s in summed
        ]
    return [s / batch_size for s in summed]
