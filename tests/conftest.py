"""Shared test setup: every test starts from the same seed and dtype policy.

The seed is 0 unless `KERAS_GANS_TEST_SEED` sets another:
`benchmarks/test_margins.py` runs the learning tests under several seeds to
measure how much room their thresholds leave.
"""

import gc
import os

import keras
import pytest

from outcomes import Outcomes

SEED_VARIABLE = "KERAS_GANS_TEST_SEED"


def _suite_seed():
    text = os.environ.get(SEED_VARIABLE, "0")
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise pytest.UsageError(
            f"{SEED_VARIABLE} must be a non-negative integer (the seed of "
            f"every test). Received: {SEED_VARIABLE}={text!r}"
        )
    return seed


def pytest_configure(config):
    config.suite_seed = _suite_seed()
    _full_float32_matmuls_on_jax_gpus()


def _full_float32_matmuls_on_jax_gpus():
    """On a GPU, JAX multiplies float32 matrices (and convolves) in TF32 by
    default, with 10 bits of mantissa: the tests that compare two ways of
    computing the same thing (a rewritten layer against the original,
    batches of 256 against one batch) are written for float32 rounding.
    Measured on an H200: 8 of 16 such tests failed under TF32 and 2 with
    JAX_DEFAULT_MATMUL_PRECISION=highest. The environment variable reaches
    the CLI runs that tests start in subprocesses; users keep JAX's
    default."""
    if keras.backend.backend() != "jax":
        return
    import jax

    if jax.default_backend() == "gpu":
        os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")
        jax.config.update("jax_default_matmul_precision",
                          os.environ["JAX_DEFAULT_MATMUL_PRECISION"])


@pytest.fixture(scope="session")
def test_seed(pytestconfig):
    """The suite's seed: 0, or `KERAS_GANS_TEST_SEED`."""
    return pytestconfig.suite_seed


@pytest.fixture(autouse=True)
def fresh_keras_state(test_seed):
    keras.utils.set_random_seed(test_seed)
    keras.config.set_dtype_policy("float32")
    yield
    # No clear_session(): its full garbage collection costs ~0.3-1.4 s per
    # test here, and no test depends on fresh layer names.
    keras.config.set_dtype_policy("float32")
    if keras.backend.backend() == "tensorflow":
        _collect_the_tests_garbage()


def _collect_the_tests_garbage():
    """Frees the test's reference cycles now, then exempts what survives
    from later collections (`gc.freeze`).

    TensorFlow registers every traced function in its eager context, and
    unregistering one is slow and slower the more are registered (measured:
    deleting 50 took 0.3 s with 200 others registered, 1.7 s with 3,000).
    Left to Python's automatic collector, the cycles of hundreds of tests
    piled up and went in single generation-2 passes of 20 to 111 s, the
    main reason the TensorFlow suite's time swung by minutes. Collected
    after each test, each pass holds one test's objects. Measured with two
    workers on an idle machine: 481 s for the suite (1,002 tests), where
    913 tests took 593-624 s before; the slowest test 20 s, where stalls of
    40-80 s were common. On JAX, where collections took 4 s in all, this
    made no difference, so it runs on TensorFlow only.
    """
    gc.collect()
    gc.freeze()


@pytest.fixture
def outcome(request, test_seed):
    """Checks of a learning test's outcomes that record what they measured
    (see outcomes.py)."""
    return Outcomes(request.node.nodeid, test_seed)


def pytest_report_header(config):
    header = f"keras backend: {keras.backend.backend()}"
    if config.suite_seed:
        header += f", {SEED_VARIABLE}={config.suite_seed}"
    return header


# Code that computes nothing through Keras gives the same result on every
# backend, so its tests run in one tox environment only: PyTorch's, the
# quickest suite.
INDEPENDENT_TESTS_BACKEND = "torch"


def pytest_collection_modifyitems(config, items):
    """Skips `backend_independent` tests outside `INDEPENDENT_TESTS_BACKEND`.

    Marked: modules testing code that computes in NumPy or plain Python
    only (the metrics on features, the recipe schema, the toy datasets). Running them under TensorFlow and JAX
    too tested nothing new and cost about 25 s of each of those suites (the
    PRDC reference case of Naeem et al. alone, 10,000 x 1,000 features,
    15 s).
    """
    if keras.backend.backend() == INDEPENDENT_TESTS_BACKEND:
        return
    skip = pytest.mark.skip(
        reason="backend-independent code: tested once, with KERAS_BACKEND="
        f"{INDEPENDENT_TESTS_BACKEND}"
    )
    for item in items:
        if item.get_closest_marker("backend_independent"):
            item.add_marker(skip)
