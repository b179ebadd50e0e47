"""Gradient penalties on the discriminator.

A penalty needs the gradient of D's output with respect to its input, and the
gradient of that with respect to D's weights: a second-order gradient. The
first is taken by `keras_gans.backend.input_gradient`, which each backend
implements so that the second comes out of the ordinary training gradient.
"""

import abc

import keras
from keras import ops

from keras_gans import backend
from keras_gans import replica_draws


def _per_sample_squared_norm(grad):
    axes = list(range(1, len(grad.shape)))
    return ops.sum(ops.square(ops.cast(grad, "float32")), axis=axes)


@keras.saving.register_keras_serializable(package="keras_gans")
class GradientPenalty(abc.ABC):
    """Base class. `penalty(discriminator, real, fake, seed)` returns a scalar.

    `discriminator` is a function from samples to logits (labels already bound
    for conditional models); `seed` is a `keras.random.SeedGenerator` for
    penalties that sample (WGAN-GP's interpolation weights).
    """

    name = None

    def __init__(self, weight):
        if not weight >= 0:
            raise ValueError(
                "A penalty weight must be a non-negative number. "
                f"Received: weight={weight!r}"
            )
        self.weight = float(weight)

    @abc.abstractmethod
    def __call__(self, discriminator, real, fake, seed):
        """Returns the weighted penalty, a float32 scalar."""

    def get_config(self):
        return {"weight": self.weight}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(weight={self.weight})"


@keras.saving.register_keras_serializable(package="keras_gans")
class WGANGP(GradientPenalty):
    """WGAN-GP (Gulrajani et al. 2017): weight * E[(||grad D(x_hat)|| - 1)^2].

    `x_hat = real + alpha * (fake - real)` with one `alpha ~ U[0, 1]` per
    sample, and the gradient norm taken per sample over all non-batch axes.

    Args:
        weight: lambda, 10 in the paper.
        target: the norm the gradient is pulled towards (1 in the paper).
    """

    name = "wgan_gp"

    def __init__(self, weight=10.0, target=1.0):
        super().__init__(weight)
        self.target = float(target)

    def interpolate(self, real, fake, seed):
        """Points on straight lines between real and fake samples."""
        alpha_shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
        alpha = replica_draws.batch_rows(
            lambda shape: keras.random.uniform(shape, seed=seed,
                                               dtype=real.dtype),
            alpha_shape,
        )
        return real + alpha * (fake - real)

    def __call__(self, discriminator, real, fake, seed):
        return self.at(discriminator, self.points(real, fake, seed))

    def points(self, real, fake, seed):
        """Where the penalty is evaluated: `interpolate`'s points."""
        return self.interpolate(real, ops.cast(fake, real.dtype), seed)

    def at(self, discriminator, points):
        """The penalty evaluated at the given points."""
        grad = backend.input_gradient(discriminator, points)
        # The epsilon keeps the norm's gradient finite where grad == 0.
        norm = ops.sqrt(_per_sample_squared_norm(grad) + 1e-12)
        return self.weight * ops.mean(ops.square(norm - self.target))

    def get_config(self):
        return {"weight": self.weight, "target": self.target}


@keras.saving.register_keras_serializable(package="keras_gans")
class R1(GradientPenalty):
    """R1 (Mescheder et al. 2018): gamma / 2 * E[||grad D(x_real)||^2].

    Args:
        weight: gamma. 10 is common for images; toy data often uses 0.1.
    """

    name = "r1"

    def __init__(self, weight=10.0):
        super().__init__(weight)

    def __call__(self, discriminator, real, fake, seed):
        return self.at(discriminator, self.points(real, fake, seed))

    def points(self, real, fake, seed):
        """Where the penalty is evaluated: the real samples."""
        return real

    def at(self, discriminator, points):
        """The penalty evaluated at the given points."""
        grad = backend.input_gradient(discriminator, points)
        return 0.5 * self.weight * ops.mean(_per_sample_squared_norm(grad))


BUILTIN_PENALTIES = {cls.name: cls for cls in (WGANGP, R1)}


def get(identifier):
    """Returns a penalty from a name, a config dict, a penalty or None.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        from keras_gans import plugins

        return plugins.catalogue().create("penalties", identifier, "penalty")
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        "Expected `penalty` to be None, a penalty name or a callable "
        "`penalty(discriminator, real, fake, seed)`. "
        f"Received: penalty={identifier!r}"
    )
