"""The exceptions a run raises, worded for the library.

The command line maps each to its message and exit code; Python callers
catch them by class.
"""

__all__ = ["ModelLoadError", "NoModelError", "RunError"]


class RunError(RuntimeError):
    """A run that cannot start or continue, for a reason outside the recipe
    (a missing checkpoint, a download that failed, an existing directory)."""


class NoModelError(RunError):
    """A run directory holding no saved model (no gan.keras, checkpoint or
    generator.keras)."""


class ModelLoadError(RunError):
    """A `.keras` file Keras cannot load (damaged, or a class no installed
    plugin provides)."""
