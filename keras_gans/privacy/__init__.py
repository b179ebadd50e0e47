"""Differentially private training of the discriminator (DP-SGD).

The discriminator is the only network that sees real data, so training it
with DP-SGD (Abadi et al. 2016: clip each example's gradient, add Gaussian
noise to the sum) makes the generator differentially private too: its
updates read real data only through D. `Privacy` holds the mechanism's two
numbers; how much privacy a run spends (epsilon at delta) follows from them,
the sampling rate and the number of discriminator updates, and is computed
by `keras_gans.privacy.accounting`.
"""

import dataclasses
import numbers


@dataclasses.dataclass(frozen=True)
class Privacy:
    """The DP-SGD mechanism applied to every discriminator update.

    Args:
        noise_multiplier: standard deviation of the Gaussian noise added to
            the sum of clipped per-example gradients, in units of
            `l2_norm_clip` (sigma in Abadi et al.).
        l2_norm_clip: each example's gradient (over all of D's trainable
            weights together) is scaled down to at most this L2 norm.
    """

    noise_multiplier: float
    l2_norm_clip: float

    def __post_init__(self):
        for name in ("noise_multiplier", "l2_norm_clip"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not value >= 0
                or value == float("inf")
            ):
                raise ValueError(
                    f"`{name}` must be a finite number >= 0. "
                    f"Received: {name}={value!r}"
                )
        if self.l2_norm_clip == 0:
            raise ValueError(
                "`l2_norm_clip` must be positive: a clip of 0 scales every "
                "gradient to zero and D would not learn. Received: "
                "l2_norm_clip=0"
            )
        object.__setattr__(self, "noise_multiplier",
                           float(self.noise_multiplier))
        object.__setattr__(self, "l2_norm_clip", float(self.l2_norm_clip))

    def get_config(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def get(identifier):
    """A `Privacy` from None, a `Privacy`, or a dict of its arguments.

    Raises:
        ValueError: for anything else, or invalid numbers.
    """
    if identifier is None or isinstance(identifier, Privacy):
        return identifier
    if isinstance(identifier, dict):
        unknown = sorted(set(identifier) - {"noise_multiplier",
                                            "l2_norm_clip"})
        if unknown:
            raise ValueError(
                "`privacy` takes noise_multiplier and l2_norm_clip. "
                f"Received unknown keys: {unknown}"
            )
        return Privacy(**identifier)
    raise ValueError(
        "`privacy` must be None, a keras_gans.privacy.Privacy or a dict "
        "with noise_multiplier and l2_norm_clip. "
        f"Received: privacy={identifier!r}"
    )
