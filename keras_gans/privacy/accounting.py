"""How much privacy a DP-SGD run of the discriminator spends: epsilon at
delta.

Accounting is done by Google's `dp-accounting` package (the `privacy`
extra), with its RDP accountant: Renyi DP of the Poisson-subsampled
Gaussian mechanism (Mironov 2017; Mironov, Talwar and Zhang 2019), composed
over the steps and converted to (epsilon, delta) with the bound of Balle et
al. 2020 (Proposition 12 of arXiv:2004.00010 / Theorem 21 of
arXiv:1905.09982). RDP rather than PLD because it is what Opacus and
TensorFlow Privacy report, so the numbers compare with theirs, because it
costs milliseconds at any number of steps (the run asks every epoch), and
because it never under-reports: PLD gives a somewhat smaller (tighter)
epsilon for the same run.

What is assumed, and said wherever epsilon is shown:

- **Sampling.** The accounting treats each step's real batch as a Poisson
  sample of the dataset with rate `q = batch_size / dataset_size` (each
  example in with probability q, independently), as Opacus and TensorFlow
  Privacy do for their fixed-size shuffled batches. keras-gans, like them,
  feeds shuffled fixed-size batches (each example exactly once per epoch),
  which is not Poisson sampling: the epsilon reported is the standard one
  of the literature, not a proof about the shuffled pipeline.
- **Several discriminator updates per step** (`d_steps = k`): the k noisy
  updates read the SAME real batch. k Gaussian mechanisms of noise
  multiplier sigma on one subsample, composed adaptively, are exactly one
  Gaussian mechanism of noise multiplier sigma / sqrt(k) (their Renyi
  divergences add: k * alpha / (2 sigma^2) = alpha / (2 (sigma/sqrt k)^2),
  and in f-DP k-fold composition of mu-GDP is sqrt(k) mu-GDP), subsampled
  once per step. That is how `updates_per_step` enters.
"""

import functools
import math
import numbers

import numpy as np

__all__ = ["epsilon", "noise_multiplier_for", "require_dp_accounting",
           "steps_within", "SAMPLING_ASSUMPTION"]

# steps_within's answer when no number of steps spends the budget.
UNLIMITED_STEPS = 2**53

SAMPLING_ASSUMPTION = (
    "epsilon assumes Poisson sampling with rate batch_size / dataset_size "
    "(as Opacus and TensorFlow Privacy do); the batches are shuffled and of "
    "fixed size")


def require_dp_accounting():
    """Imports `dp_accounting`, or says which extra installs it.

    Raises:
        ImportError: when `dp-accounting` is not installed.
    """
    try:
        import dp_accounting
    except ImportError as error:
        raise ImportError(
            "Privacy accounting needs the `dp-accounting` package. Install "
            "it with `pip install keras-gans[privacy]` (or `pip install "
            "dp-accounting`).") from error
    return dp_accounting


def _check(name, value, low=0.0, high=None, low_open=True, integer=False):
    if isinstance(value, bool) or not isinstance(
            value, numbers.Integral if integer else numbers.Real):
        kind = "an integer" if integer else "a number"
        raise ValueError(f"`{name}` must be {kind}. Received: "
                         f"{name}={value!r}")
    too_low = value <= low if low_open else value < low
    if too_low or not math.isfinite(value) or (high is not None
                                               and value > high):
        bound = (f"in ({low:g}, {high:g}]" if high is not None
                 else f"{'>' if low_open else '>='} {low:g}")
        raise ValueError(f"`{name}` must be finite and {bound}. Received: "
                         f"{name}={value!r}")


def _check_plan(sampling_rate, steps, delta, updates_per_step):
    _check("sampling_rate", sampling_rate, high=1.0)
    _check("steps", steps, low=0, low_open=False, integer=True)
    _check("delta", delta, high=1.0)
    if delta >= 1.0:
        raise ValueError("`delta` must be below 1 (it is the probability "
                         f"that the guarantee fails). Received: "
                         f"delta={delta!r}")
    _check("updates_per_step", updates_per_step, low=1, low_open=False,
           integer=True)


def _event(dp_accounting, noise_multiplier, sampling_rate, steps,
           updates_per_step):
    """`steps` compositions of one Poisson-sampled Gaussian whose noise
    multiplier is `noise_multiplier / sqrt(updates_per_step)`."""
    gaussian = dp_accounting.GaussianDpEvent(
        noise_multiplier / math.sqrt(updates_per_step))
    sampled = dp_accounting.PoissonSampledDpEvent(sampling_rate, gaussian)
    return dp_accounting.SelfComposedDpEvent(sampled, int(steps))


def epsilon(noise_multiplier, sampling_rate, steps, delta,
            updates_per_step=1):
    """The epsilon of DP-SGD at `delta` after `steps` steps.

    Args:
        noise_multiplier: sigma, the noise's standard deviation in units
            of the clip norm (`Privacy.noise_multiplier`).
        sampling_rate: q = batch_size / dataset_size, the probability that
            one example is in a step's batch (Poisson sampling assumed; see
            the module docstring).
        steps: the number of sampled batches (generator steps of the GAN).
        delta: the probability that the guarantee may fail; well below
            1 / dataset_size.
        updates_per_step: noisy discriminator updates per step on the same
            batch (`d_steps`); composed as one Gaussian of noise
            `noise_multiplier / sqrt(updates_per_step)`.

    Returns:
        epsilon as a float: 0.0 for no steps, `inf` for no noise.

    Raises:
        ValueError: for a value out of its range.
        ImportError: without `dp-accounting` (the `privacy` extra).
    """
    _check("noise_multiplier", noise_multiplier, low_open=False)
    _check_plan(sampling_rate, steps, delta, updates_per_step)
    if steps == 0:
        return 0.0
    if noise_multiplier == 0:
        return math.inf
    dp_accounting = require_dp_accounting()
    orders, rdp = _one_step_rdp(float(noise_multiplier),
                                float(sampling_rate), int(updates_per_step))
    # What RdpAccountant.get_epsilon does after composing `steps` steps
    # (their RDP is `steps` times one step's), without computing one
    # step's RDP again: that takes up to 0.3 s, and a run asks every epoch.
    spent, _ = dp_accounting.rdp.rdp_privacy_accountant.compute_epsilon(
        orders, steps * rdp, delta)
    return float(spent)


@functools.lru_cache(maxsize=64)
def _one_step_rdp(noise_multiplier, sampling_rate, updates_per_step):
    """`(orders, rdp)` of one step, from dp-accounting's RDP accountant."""
    dp_accounting = require_dp_accounting()
    accountant = dp_accounting.rdp.RdpAccountant()
    accountant.compose(_event(dp_accounting, noise_multiplier,
                              sampling_rate, 1, updates_per_step))
    return np.array(accountant.orders), np.array(accountant.rdp)


def noise_multiplier_for(target_epsilon, sampling_rate, steps, delta,
                         updates_per_step=1, tolerance=1e-3):
    """The smallest noise multiplier whose run spends at most
    `target_epsilon` at `delta` (the same accounting as `epsilon`).

    Found by `dp_accounting.calibrate_dp_mechanism` (Brent's method on the
    accountant's epsilon), which guarantees the epsilon of the returned
    noise does not exceed the target.

    Args:
        target_epsilon: the epsilon the whole run may spend.
        sampling_rate, steps, delta, updates_per_step: as in `epsilon`.
        tolerance: how far above the smallest such noise multiplier the
            answer may lie.

    Returns:
        The noise multiplier, a float.

    Raises:
        ValueError: for a value out of its range, or a target no noise
            level reaches.
        ImportError: without `dp-accounting` (the `privacy` extra).
    """
    _check("target_epsilon", target_epsilon)
    _check_plan(sampling_rate, steps, delta, updates_per_step)
    _check("tolerance", tolerance)
    if steps == 0:
        raise ValueError("`steps` must be at least 1 to calibrate a noise "
                         "multiplier (no step spends any privacy). "
                         "Received: steps=0")
    dp_accounting = require_dp_accounting()
    try:
        return float(dp_accounting.calibrate_dp_mechanism(
            dp_accounting.rdp.RdpAccountant,
            lambda sigma: _event(dp_accounting, sigma, sampling_rate, steps,
                                 updates_per_step),
            target_epsilon, delta,
            dp_accounting.LowerEndpointAndGuess(0.0, 1.0),
            tol=tolerance))
    except dp_accounting.mechanism_calibration.NoBracketIntervalFoundError:
        raise ValueError(
            f"No noise multiplier reaches epsilon {target_epsilon:g} at "
            f"delta {delta:g} in {steps} steps at sampling rate "
            f"{sampling_rate:g}: raise `target_epsilon` or `delta`, or "
            "train fewer steps. Received: "
            f"target_epsilon={target_epsilon!r}") from None


def steps_within(max_epsilon, noise_multiplier, sampling_rate, delta,
                 updates_per_step=1):
    """The most steps whose epsilon (as `epsilon` computes it) stays at or
    below `max_epsilon`: the step at which a run with that budget stops.

    Args:
        max_epsilon: the budget.
        noise_multiplier, sampling_rate, delta, updates_per_step: as in
            `epsilon`.

    Returns:
        An int: 0 when even one step spends more; `UNLIMITED_STEPS` (2**53)
        when no number of steps below it does.

    Raises:
        ValueError: for a value out of its range.
        ImportError: without `dp-accounting` (the `privacy` extra).
    """
    _check("max_epsilon", max_epsilon)

    def within(steps):
        return epsilon(noise_multiplier, sampling_rate, steps, delta,
                       updates_per_step) <= max_epsilon

    if not within(1):
        return 0
    low, high = 1, 2  # within(low), and then not within(high)
    while within(high):
        low, high = high, high * 2
        if high > UNLIMITED_STEPS:
            return UNLIMITED_STEPS
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if within(middle) else (low, middle)
    return low
