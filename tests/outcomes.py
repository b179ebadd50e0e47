"""Thresholds on training outcomes that say what they measured.

A learning test (marked `learning`) asserts its outcomes through the
`outcome` fixture of conftest.py, for example
`outcome.at_most("circle_ratio", end / start, 0.5)`. The check is an
ordinary assertion; when the environment variable `KERAS_GANS_OUTCOMES`
names a file, it first appends one JSON line (test, check, value, limit,
seed), so that `benchmarks/test_margins.py` can run the learning tests under
several seeds and thread settings and report how far each value stayed from
its limit.
"""

import json
import os

OUTCOMES_FILE = "KERAS_GANS_OUTCOMES"


class Outcomes:
    """Checks of one test's outcomes against their limits.

    Args:
        test: the pytest node id of the test, recorded with each value.
        seed: the suite's seed (`KERAS_GANS_TEST_SEED`), recorded too.
    """

    def __init__(self, test, seed):
        self.test = test
        self.seed = seed

    def at_most(self, check, value, limit):
        """Asserts `value <= limit` after recording it."""
        self._record(check, value, limit, "at_most")
        assert value <= limit, f"{check} = {value:.4g}, expected <= {limit}"

    def at_least(self, check, value, limit):
        """Asserts `value >= limit` after recording it."""
        self._record(check, value, limit, "at_least")
        assert value >= limit, f"{check} = {value:.4g}, expected >= {limit}"

    def _record(self, check, value, limit, bound):
        path = os.environ.get(OUTCOMES_FILE)
        if not path:
            return
        line = json.dumps({
            "test": self.test, "check": check, "value": float(value),
            "limit": float(limit), "bound": bound, "seed": self.seed,
        })
        with open(path, "a") as file:
            file.write(line + "\n")
