"""Where the repository and the test folder are, for tests in any subfolder.

Tests live in folders that mirror the package (tests/core, tests/runs, ...),
so a test cannot find the repository root by counting parent folders of its
own file; it imports these instead.
"""

import os

TESTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TESTS)
