"""A recipe's `[privacy]` table, turned into the run's DP-SGD plan.

`plan` settles, before anything is built or written, the numbers a
private run trains and reports with: the sampling rate, delta, the noise
(given, or computed from `target_epsilon`), the epsilon the planned steps
will spend, and the step at which `max_epsilon` is reached; a new run
whose plan spends more than `max_epsilon` is refused. The run trains with
`GAN.compile(privacy=plan.privacy)` and `plan.accountant()`
(`keras_gans.training.PrivacyAccountant`), and writes `plan.record(...)`
into metrics.json.

Why delta defaults to 1 / (10 N): delta bounds the probability that the
guarantee fails outright, and a mechanism that publishes each example
with probability 1 / N satisfies (0, 1/N)-DP while leaking one example in
full on average, so delta must lie well below 1 / N. 1 / (10 N) is the
largest such value in common use (MNIST's 60,000 examples with delta 1e-5
in Abadi et al. 2016 and the Opacus examples is 1 / (1.7 N)); a recipe
sets a smaller one when it wants more. A delta of 1 / N or more is
refused.
"""

import dataclasses

from keras_gans.privacy import Privacy
from keras_gans.privacy import accounting
from keras_gans.runs.directory import RunDirectory
from keras_gans.runs.errors import RunError
from keras_gans.runs.recipe import RecipeError

__all__ = ["PrivacyPlan", "plan", "planned_steps", "summary_line"]

ACCOUNTANT = "RDP (dp-accounting), Poisson-subsampled Gaussian"


@dataclasses.dataclass
class PrivacyPlan:
    """What a private run trains and reports with.

    Attributes:
        privacy: the mechanism `GAN.compile(privacy=...)` gets.
        dataset_size, batch_size: N and the batch, q = batch_size / N.
        delta: the delta epsilon is reported at.
        d_steps: noisy D updates per step (accounted as one Gaussian of
            noise sigma / sqrt(d_steps)).
        planned_steps: the steps the recipe asks for.
        planned_epsilon: the epsilon they spend.
        max_epsilon: the budget, or None.
        budget_steps: the last step within the budget, or None.
        noise_from: "noise_multiplier", "target_epsilon" or "checkpoint".
        target_epsilon: the recipe's target, or None.
    """

    privacy: Privacy
    dataset_size: int
    batch_size: int
    delta: float
    d_steps: int
    planned_steps: int
    planned_epsilon: float
    max_epsilon: float | None = None
    budget_steps: int | None = None
    noise_from: str = "noise_multiplier"
    target_epsilon: float | None = None

    @property
    def sampling_rate(self):
        return self.batch_size / self.dataset_size

    def epsilon(self, steps):
        """epsilon at `delta` after `steps` steps."""
        return accounting.epsilon(self.privacy.noise_multiplier,
                                  self.sampling_rate, steps, self.delta,
                                  self.d_steps)

    def accountant(self):
        """The callback that logs epsilon and stops at `max_epsilon`."""
        from keras_gans.training.privacy import PrivacyAccountant

        return PrivacyAccountant(self.dataset_size, self.batch_size,
                                 self.delta, self.max_epsilon)

    def describe(self):
        """One line on the mechanism and its plan, printed when training
        starts."""
        origin = {"target_epsilon": " (computed from target_epsilon)",
                  "checkpoint": " (the checkpoint's)"}.get(self.noise_from,
                                                          "")
        budget = ("" if self.max_epsilon is None else
                  f"; max_epsilon {self.max_epsilon:g} stops it at step "
                  f"{self.budget_steps}")
        over = ""
        if (self.target_epsilon is not None
                and self.planned_epsilon > self.target_epsilon):
            over = (f" That is above target_epsilon = "
                    f"{self.target_epsilon:g}: the checkpoint's noise was "
                    "computed for the run's first plan; set max_epsilon to "
                    "stop within a budget.")
        return (
            f"DP-SGD on the discriminator: noise multiplier "
            f"{self.privacy.noise_multiplier:.4g}{origin}, clip "
            f"{self.privacy.l2_norm_clip:g}, q = {self.batch_size}/"
            f"{self.dataset_size}; {self.planned_steps} steps spend epsilon "
            f"{self.planned_epsilon:.4g} at delta {self.delta:.3g}{budget}. "
            f"({accounting.SAMPLING_ASSUMPTION}.){over}")

    def record(self, steps, stopped_at=None):
        """The `privacy` block of metrics.json after `steps` steps."""
        return {
            "epsilon": self.epsilon(steps),
            "delta": self.delta,
            "steps": int(steps),
            "noise_multiplier": self.privacy.noise_multiplier,
            "l2_norm_clip": self.privacy.l2_norm_clip,
            "noise_from": self.noise_from,
            "sampling_rate": self.sampling_rate,
            "dataset_size": self.dataset_size,
            "batch_size": self.batch_size,
            "d_steps": self.d_steps,
            "max_epsilon": self.max_epsilon,
            "stopped_at_max_epsilon": stopped_at is not None,
            "accountant": ACCOUNTANT,
            "sampling": accounting.SAMPLING_ASSUMPTION,
        }


def plan(recipe, data, epochs, checkpoint_privacy=None, resume=False):
    """The DP-SGD plan of a recipe, or None when it trains without it.

    Args:
        recipe: the resolved `Recipe`.
        data: the run's `train.Data` (its number of examples).
        epochs: the run's planned epochs (`train.plan_epochs`).
        checkpoint_privacy: resuming, the `Privacy` the checkpoint's GAN
            was compiled with (None: trained without).
        resume: whether the run continues a checkpoint; a resumed run is
            not refused for its budget: it stops at it.

    Raises:
        RecipeError: delta at or above 1/N, a target no noise reaches, or
            planned steps that spend more than max_epsilon.
        RunError: a resumed run whose privacy differs from its
            checkpoint's.
    """
    table = recipe.privacy
    if not table.enabled():
        if checkpoint_privacy is not None:
            raise RunError(
                "The checkpoint was trained with DP-SGD (noise multiplier "
                f"{checkpoint_privacy.noise_multiplier:g}), but the recipe "
                "has no [privacy] table.",
                f"Resume with the run's own recipe ({RunDirectory.RECIPE}), "
                "or start a new run.",
                reason="privacy_mismatch")
        return None
    if resume and checkpoint_privacy is None:
        raise RunError(
            "The recipe trains with DP-SGD ([privacy]), but the checkpoint "
            "was trained without it: its privacy cannot be accounted.",
            "Start a new run.", reason="privacy_mismatch")
    size = data.num_samples
    if size is None:
        raise RecipeError([
            f"privacy: dataset {recipe.data.dataset!r} is read batch by "
            "batch with no known number of examples, which the sampling "
            "rate (batch_size / N) needs; use a dataset held in memory or "
            "remove the [privacy] table"])
    batch_size = recipe.data.batch_size
    steps = planned_steps(recipe, data, epochs)
    delta = table.delta if table.delta is not None else 1 / (10 * size)
    if delta >= 1 / size:
        raise RecipeError([
            f"privacy.delta: {delta:g} is not below 1/N = {1 / size:.3g} "
            f"for the {size:,} training examples: a delta that large allows "
            "leaking an example outright; set it below 1/N (default: "
            f"1/(10 N) = {1 / (10 * size):.3g})"])
    d_steps = recipe.train.d_steps
    rate = batch_size / size
    noise, origin = table.noise_multiplier, "noise_multiplier"
    if checkpoint_privacy is not None:
        if noise is not None and noise != checkpoint_privacy.noise_multiplier:
            raise RunError(
                f"The recipe sets privacy.noise_multiplier = {noise:g}, but "
                "the checkpoint trained with "
                f"{checkpoint_privacy.noise_multiplier:g}.",
                "Resume with the run's own noise, or start a new run.",
                reason="privacy_mismatch")
        noise, origin = checkpoint_privacy.noise_multiplier, "checkpoint"
    elif noise is None:
        try:
            noise = accounting.noise_multiplier_for(
                table.target_epsilon, rate, steps, delta, d_steps)
        except ValueError as error:
            raise RecipeError([f"privacy.target_epsilon: {error}"]) from None
        origin = "target_epsilon"
    clip = (checkpoint_privacy.l2_norm_clip if checkpoint_privacy is not None
            else table.l2_norm_clip)
    result = PrivacyPlan(
        Privacy(noise_multiplier=noise, l2_norm_clip=clip), size,
        batch_size, delta, d_steps, steps,
        accounting.epsilon(noise, rate, steps, delta, d_steps),
        table.max_epsilon, noise_from=origin,
        target_epsilon=table.target_epsilon)
    if table.max_epsilon is None:
        return result
    result.budget_steps = accounting.steps_within(
        table.max_epsilon, noise, rate, delta, d_steps)
    if not resume and result.planned_epsilon > table.max_epsilon:
        raise RecipeError([
            f"privacy.max_epsilon: the run's {steps:,} steps would "
            f"spend epsilon {result.planned_epsilon:.4g} at delta "
            f"{delta:.3g} (noise multiplier {noise:.4g}, q = {batch_size}/"
            f"{size}, d_steps {d_steps}), above max_epsilon = "
            f"{table.max_epsilon:g}; the budget lasts "
            f"{result.budget_steps:,} steps. Train fewer steps, raise the "
            "noise, or raise max_epsilon"])
    return result


def summary_line(record):
    """A run summary's line on the privacy spent (metrics.json's
    `privacy` block)."""
    stopped = (" (stopped there: max_epsilon reached)"
               if record.get("stopped_at_max_epsilon") else "")
    return (f"Privacy: epsilon {record['epsilon']:.4g} at delta "
            f"{record['delta']:.3g} after {record['steps']} steps{stopped} "
            f"(noise multiplier {record['noise_multiplier']:.4g}, clip "
            f"{record['l2_norm_clip']:g}; {record['sampling']}).")


def planned_steps(recipe, data, epochs):
    """The steps a run will have made at its end: `train.steps`, or its
    epochs times the batches of an epoch."""
    if recipe.train.steps is not None:
        return recipe.train.steps
    return epochs * data.steps_per_epoch
