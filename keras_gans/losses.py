"""Adversarial losses, each with a discriminator and a generator part.

Every loss takes raw discriminator outputs (logits, shape `(batch, 1)`) and is
written with `keras.ops`, so it runs unchanged on every backend. Logits are
cast to float32 first, which keeps mixed-precision training stable.
"""

import abc

import keras
from keras import ops



def _logits(x):
    return ops.cast(x, "float32")


@keras.saving.register_keras_serializable(package="keras_gans")
class GANLoss(abc.ABC):
    """Base class: `discriminator_loss` and `generator_loss` on logits.

    Subclasses set `generator_needs_real_logits = True` when the generator
    part also depends on `D(x_real)` (relativistic losses); the training step
    then evaluates the discriminator on real data in the generator pass too.
    """

    name = None
    generator_needs_real_logits = False

    @abc.abstractmethod
    def discriminator_loss(self, real_logits, fake_logits):
        """The loss the discriminator minimizes."""

    @abc.abstractmethod
    def generator_loss(self, fake_logits, real_logits=None):
        """The loss the generator minimizes."""

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}()"


@keras.saving.register_keras_serializable(package="keras_gans")
class NonSaturating(GANLoss):
    """Goodfellow et al. (2014), with the generator maximizing log D(G(z))."""

    name = "non_saturating"

    def discriminator_loss(self, real_logits, fake_logits):
        r, f = _logits(real_logits), _logits(fake_logits)
        return ops.mean(ops.softplus(-r)) + ops.mean(ops.softplus(f))

    def generator_loss(self, fake_logits, real_logits=None):
        return ops.mean(ops.softplus(-_logits(fake_logits)))


@keras.saving.register_keras_serializable(package="keras_gans")
class Minimax(NonSaturating):
    """The original minimax game: the generator minimizes log(1 - D(G(z)))."""

    name = "minimax"

    def generator_loss(self, fake_logits, real_logits=None):
        return -ops.mean(ops.softplus(_logits(fake_logits)))


@keras.saving.register_keras_serializable(package="keras_gans")
class Wasserstein(GANLoss):
    """WGAN critic loss (Arjovsky et al. 2017); pair it with a penalty."""

    name = "wasserstein"

    def discriminator_loss(self, real_logits, fake_logits):
        return ops.mean(_logits(fake_logits)) - ops.mean(_logits(real_logits))

    def generator_loss(self, fake_logits, real_logits=None):
        return -ops.mean(_logits(fake_logits))


@keras.saving.register_keras_serializable(package="keras_gans")
class Hinge(GANLoss):
    """Hinge loss of SAGAN / SNGAN (Miyato et al. 2018)."""

    name = "hinge"

    def discriminator_loss(self, real_logits, fake_logits):
        r, f = _logits(real_logits), _logits(fake_logits)
        return ops.mean(ops.relu(1.0 - r)) + ops.mean(ops.relu(1.0 + f))

    def generator_loss(self, fake_logits, real_logits=None):
        return -ops.mean(_logits(fake_logits))


@keras.saving.register_keras_serializable(package="keras_gans")
class LeastSquares(GANLoss):
    """LSGAN (Mao et al. 2017) with targets a=0 (fake), b=1 (real), c=1."""

    name = "least_squares"

    def discriminator_loss(self, real_logits, fake_logits):
        r, f = _logits(real_logits), _logits(fake_logits)
        return 0.5 * ops.mean(ops.square(r - 1.0)) + 0.5 * ops.mean(
            ops.square(f)
        )

    def generator_loss(self, fake_logits, real_logits=None):
        return 0.5 * ops.mean(ops.square(_logits(fake_logits) - 1.0))


@keras.saving.register_keras_serializable(package="keras_gans")
class RelativisticAverage(GANLoss):
    """RaSGAN (Jolicoeur-Martineau 2018): each side judged against the other's mean."""

    name = "relativistic_average"
    generator_needs_real_logits = True

    def discriminator_loss(self, real_logits, fake_logits):
        r, f = _logits(real_logits), _logits(fake_logits)
        return ops.mean(ops.softplus(-(r - ops.mean(f)))) + ops.mean(
            ops.softplus(f - ops.mean(r))
        )

    def generator_loss(self, fake_logits, real_logits=None):
        if real_logits is None:
            raise ValueError(
                "relativistic_average needs the real logits in the generator "
                "loss. Received: real_logits=None"
            )
        r, f = _logits(real_logits), _logits(fake_logits)
        return ops.mean(ops.softplus(-(f - ops.mean(r)))) + ops.mean(
            ops.softplus(r - ops.mean(f))
        )


BUILTIN_LOSSES = {
    cls.name: cls
    for cls in (
        NonSaturating,
        Minimax,
        Wasserstein,
        Hinge,
        LeastSquares,
        RelativisticAverage,
    )
}


def get(identifier):
    """Returns a loss object from a name, a config dict or a loss object.

    Args:
        identifier: a name registered by keras-gans or a plugin, such as
            `"hinge"`, a serialized loss, or
            any object with `discriminator_loss` and `generator_loss` methods.

    Returns:
        The loss object.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if isinstance(identifier, str):
        from keras_gans import plugins

        return plugins.catalogue().create("losses", identifier, "loss")
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    if hasattr(identifier, "discriminator_loss") and hasattr(
        identifier, "generator_loss"
    ):
        return identifier
    raise ValueError(
        "Expected `loss` to be a loss name or an object with "
        "`discriminator_loss` and `generator_loss` methods. "
        f"Received: loss={identifier!r}"
    )
