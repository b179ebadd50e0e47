"""`example_least_squares_symmetric`: LSGAN with targets -1, 1 and 0."""

import keras
from keras import ops

from keras_gans.losses import GANLoss


@keras.saving.register_keras_serializable(package="keras_gans_example")
class SymmetricLeastSquares(GANLoss):
    """LSGAN (Mao et al. 2017) with targets fake=-1, real=1, generator=0.

    With a = -1, b = 1 and c = 0 (so b - c = 1 and b - a = 2), minimizing
    the generator loss minimizes the Pearson chi-squared divergence between
    the mixture of real and fake data and twice the fake data (the paper's
    Theorem 1). keras-gans' built-in `least_squares` uses a=0, b=1, c=1.

        D: 0.5 * mean((D(x) - real_target)^2) + 0.5 * mean((D(G(z)) - fake_target)^2)
        G: 0.5 * mean((D(G(z)) - generator_target)^2)

    Args:
        real_target: b, what D should output on real data.
        fake_target: a, what D should output on generated data.
        generator_target: c, what G wants D to output on its samples.
    """

    name = "example_least_squares_symmetric"

    def __init__(self, real_target=1.0, fake_target=-1.0, generator_target=0.0):
        self.real_target = float(real_target)
        self.fake_target = float(fake_target)
        self.generator_target = float(generator_target)
        if self.real_target == self.fake_target:
            raise ValueError(
                "`real_target` and `fake_target` must differ, or the "
                "discriminator has nothing to learn. Received: "
                f"real_target={real_target!r}, fake_target={fake_target!r}"
            )

    def discriminator_loss(self, real_logits, fake_logits):
        r = ops.cast(real_logits, "float32")
        f = ops.cast(fake_logits, "float32")
        return 0.5 * ops.mean(ops.square(r - self.real_target)) + 0.5 * (
            ops.mean(ops.square(f - self.fake_target))
        )

    def generator_loss(self, fake_logits, real_logits=None):
        f = ops.cast(fake_logits, "float32")
        return 0.5 * ops.mean(ops.square(f - self.generator_target))

    def get_config(self):
        return {
            "real_target": self.real_target,
            "fake_target": self.fake_target,
            "generator_target": self.generator_target,
        }

    def __repr__(self):
        return (
            f"SymmetricLeastSquares(real_target={self.real_target}, "
            f"fake_target={self.fake_target}, "
            f"generator_target={self.generator_target})"
        )
