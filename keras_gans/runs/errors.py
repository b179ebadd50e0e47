"""The exceptions a run raises, worded for the library.

The command line maps each to its message and exit code; Python callers
catch them by class.
"""

__all__ = ["RunError"]


class RunError(RuntimeError):
    """A run that cannot start or continue, for a reason outside the recipe
    (a missing checkpoint, a download that failed, an existing directory)."""
