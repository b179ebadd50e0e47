"""The exceptions a run raises, worded for the library.

The command line maps each to its message and exit code; Python callers
catch them by class.
"""

from keras_gans.advice import Advised

__all__ = ["MissingPackageError", "ModelLoadError", "NoModelError",
           "OutputExistsError", "RunError"]


class RunError(Advised, RuntimeError):
    """A run that cannot start or continue, for a reason outside the recipe
    (a missing checkpoint, a download that failed, an existing directory).

    `problem`, `remedy` and `reason` (`keras_gans.advice.Advised`) let the
    command line give the remedy in its own words.
    """


class NoModelError(RunError):
    """A run directory holding no saved model (no gan.keras, checkpoint or
    generator.keras)."""


class ModelLoadError(RunError):
    """A `.keras` file Keras cannot load (damaged, or a class no installed
    plugin provides)."""


class OutputExistsError(RunError):
    """An output folder that already holds files (`reason="not_empty"`
    for `sample --outdir`), or an output path taken by something else."""


class MissingPackageError(RunError):
    """A format that needs a package this environment lacks (`package`
    names it)."""
