"""Shared test setup: every test starts from the same seed and dtype policy."""

import keras
import pytest


@pytest.fixture(autouse=True)
def fresh_keras_state():
    keras.utils.set_random_seed(0)
    keras.config.set_dtype_policy("float32")
    yield
    # No clear_session(): its full garbage collection costs ~0.3-1.4 s per
    # test here, and no test depends on fresh layer names.
    keras.config.set_dtype_policy("float32")


def pytest_report_header(config):
    return f"keras backend: {keras.backend.backend()}"
