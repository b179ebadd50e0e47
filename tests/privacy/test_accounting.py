"""keras_gans.privacy.accounting against an independent accountant
(Opacus' RDP accountant), the closed form of the unsampled Gaussian, and
the d_steps composition."""

import itertools
import math
import sys
import warnings

import pytest

from keras_gans.privacy import accounting

# NumPy and dp-accounting only: the same on every backend (conftest.py).
pytestmark = pytest.mark.backend_independent

# The Renyi orders dp-accounting's RDP accountant searches
# (rdp_privacy_accountant.DEFAULT_RDP_ORDERS), written out: the closed form
# below minimises over the same orders.
ORDERS = ([1 + x / 10.0 for x in range(1, 100)] + list(range(11, 64))
          + [128, 256, 512, 1024])


def opacus_epsilon(sigma, q, steps, delta):
    """Opacus' RDP accountant on the same orders as dp-accounting's (its
    own default orders stop at 63, where a tiny epsilon is not yet at its
    best order)."""
    opacus = pytest.importorskip(
        "opacus.accountants",
        reason="opacus is not installed (the torch tox env installs it)")
    theirs = opacus.RDPAccountant()
    theirs.history = [(sigma, q, steps)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "optimal order ..."
        return theirs.get_epsilon(delta, alphas=ORDERS)


def test_epsilon_equals_opacus_rdp_accountant_to_one_percent():
    # (sigma, q, steps, delta) giving epsilon from 0.02 to about 20;
    # measured: the two agree to 0.31 % or better on all of them.
    grid = list(itertools.product((0.7, 1.0, 2.0, 5.0), (0.001, 0.02),
                                  (1, 3_000), (1e-5,)))
    grid += [(1.0, 0.1, 50, 1e-3), (2.0, 0.25, 200, 1e-6),
             (0.8, 0.004, 15_000, 1e-4)]
    far = []
    for sigma, q, steps, delta in grid:
        expected = opacus_epsilon(sigma, q, steps, delta)
        ours = accounting.epsilon(sigma, q, steps, delta)
        if not math.isclose(ours, expected, rel_tol=0.01):
            far.append((sigma, q, steps, delta, ours, expected))
    assert not far, far


def test_far_beyond_useful_budgets_epsilon_is_not_below_opacus():
    # sigma 0.6, q 0.25, 300 steps: epsilon about 100. dp-accounting drops
    # the orders below 1.8 where its series does not converge, so it
    # reports more than Opacus (162 against 105 measured), never less.
    ours = accounting.epsilon(0.6, 0.25, 300, 1e-5)
    assert ours >= opacus_epsilon(0.6, 0.25, 300, 1e-5)


def gaussian_epsilon(sigma, steps, delta):
    """epsilon of `steps` Gaussian mechanisms of noise multiplier sigma
    (no subsampling): RDP steps * alpha / (2 sigma^2) at order alpha,
    converted with Balle et al. 2020 (Prop. 12 of arXiv:2004.00010),
    minimised over the orders."""
    return min(steps * a / (2 * sigma**2) + math.log1p(-1 / a)
               - math.log(delta * a) / (a - 1) for a in ORDERS)


@pytest.mark.parametrize("sigma,steps,delta", [
    (1.0, 1, 1e-5), (4.0, 10, 1e-6), (20.0, 400, 1e-3), (0.8, 3, 1e-2)])
def test_without_subsampling_epsilon_is_the_gaussians_closed_form(
        sigma, steps, delta):
    ours = accounting.epsilon(sigma, 1.0, steps, delta)
    assert ours == pytest.approx(gaussian_epsilon(sigma, steps, delta),
                                 rel=1e-9)


@pytest.mark.parametrize("k", [2, 5])
def test_d_steps_on_one_batch_compose_as_one_gaussian(k):
    # Unsampled: k updates per step for T steps are k*T Gaussians.
    assert accounting.epsilon(3.0, 1.0, 7, 1e-5, updates_per_step=k) == (
        pytest.approx(gaussian_epsilon(3.0, 7 * k, 1e-5), rel=1e-9))
    # Subsampled: one Gaussian of sigma / sqrt(k), sampled once per step.
    assert accounting.epsilon(1.5, 0.01, 500, 1e-5, updates_per_step=k) == (
        pytest.approx(accounting.epsilon(1.5 / math.sqrt(k), 0.01, 500,
                                         1e-5), rel=1e-12))
    # The k updates read the same batch: they must cost more than k*T
    # steps on independent batches would (the run must not report that).
    assert accounting.epsilon(1.5, 0.01, 500, 1e-5, updates_per_step=k) > (
        1.2 * accounting.epsilon(1.5, 0.01, 500 * k, 1e-5))


@pytest.mark.parametrize("target,q,steps,k", [
    (1.0, 0.01, 1000, 1), (8.0, 0.05, 2000, 1), (3.0, 0.02, 300, 3)])
def test_calibrated_noise_is_the_smallest_that_meets_the_target(
        target, q, steps, k):
    tolerance = 1e-3
    sigma = accounting.noise_multiplier_for(target, q, steps, 1e-5,
                                            updates_per_step=k,
                                            tolerance=tolerance)
    spent = accounting.epsilon(sigma, q, steps, 1e-5, updates_per_step=k)
    assert spent <= target
    # Within the tolerance of the smallest: a little less noise overspends.
    assert accounting.epsilon(sigma - 2 * tolerance, q, steps, 1e-5,
                              updates_per_step=k) > target
    assert spent == pytest.approx(target, rel=0.01)


def test_edges_no_steps_and_no_noise():
    assert accounting.epsilon(1.0, 0.1, 0, 1e-5) == 0.0
    assert accounting.epsilon(0.0, 0.1, 10, 1e-5) == math.inf


@pytest.mark.parametrize("call,name", [
    (lambda: accounting.epsilon(-1.0, 0.1, 10, 1e-5), "noise_multiplier"),
    (lambda: accounting.epsilon(1.0, 1.5, 10, 1e-5), "sampling_rate"),
    (lambda: accounting.epsilon(1.0, 0.1, 2.5, 1e-5), "steps"),
    (lambda: accounting.epsilon(1.0, 0.1, 10, 1.0), "delta"),
    (lambda: accounting.epsilon(1.0, 0.1, 10, 1e-5, 0), "updates_per_step"),
    (lambda: accounting.noise_multiplier_for(0, 0.1, 10, 1e-5),
     "target_epsilon"),
])
def test_bad_values_are_refused_by_name(call, name):
    with pytest.raises(ValueError, match=f"`{name}`.*Received: {name}="):
        call()


def test_a_missing_dp_accounting_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dp_accounting", None)
    with pytest.raises(ImportError, match=r"keras-gans\[privacy\]"):
        accounting.epsilon(1.0, 0.1, 10, 1e-5)


@pytest.mark.parametrize("budget,sigma,q,k", [
    (1.0, 1.2, 0.01, 1), (0.5, 0.7, 0.02, 2)])
def test_steps_within_a_budget_is_the_last_step_that_fits(budget, sigma, q,
                                                          k):
    steps = accounting.steps_within(budget, sigma, q, 1e-5, k)
    assert accounting.epsilon(sigma, q, steps, 1e-5, k) <= budget
    assert accounting.epsilon(sigma, q, steps + 1, 1e-5, k) > budget


def test_epsilon_is_dp_accountings_rdp_accountant_composed_over_the_steps():
    """One step's RDP is computed once and scaled: the same numbers as the
    accountant composing every step."""
    import dp_accounting

    for sigma, q, steps, k in ((1.1, 0.02, 700, 1), (0.9, 0.1, 40, 3)):
        accountant = dp_accounting.rdp.RdpAccountant()
        accountant.compose(dp_accounting.SelfComposedDpEvent(
            dp_accounting.PoissonSampledDpEvent(
                q, dp_accounting.GaussianDpEvent(sigma / math.sqrt(k))),
            steps))
        assert accounting.epsilon(sigma, q, steps, 1e-5, k) == (
            pytest.approx(accountant.get_epsilon(1e-5), rel=1e-12))
