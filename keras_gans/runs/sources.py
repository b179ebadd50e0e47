"""Which saved model a user means: one answer for every command.

`sample`, `evaluate`, `export`, `interpolate` and `train.init_from` all
take what a user typed and ask `resolve` for the model file to load:

- a run directory: its `gan.keras`, else its newest complete
  checkpoint, else its `generator.keras`;
- a run directory and `step=N`: its checkpoint written after step N
  (`checkpoints/step_0000000N.keras`);
- a `.keras` file (a checkpoint, `gan.keras`, a generator): that file; a
  file inside a run directory finds its run;
- a Keras model folder (`config.json` and weights, as
  `model.save("hf://...")` uploads): that folder;
- `hf://owner/repo`: the repository's Keras model folder, downloaded by
  `huggingface_hub` as `keras.saving.load_model("hf://owner/repo")` does;
- `hf://owner/repo/path/file.keras`: that one file of the repository,
  downloaded the same way.

Everything is checked before any model is loaded: a path that does not
exist, a file that is no Keras model, a directory that is no run, a step
with no checkpoint (the message lists the steps that have one), `step`
with anything but a run directory, a Hub address without
`huggingface_hub` installed or that cannot be downloaded.

Importing this module imports no Keras.
"""

import dataclasses
import os
import re
import zipfile

from keras_gans.runs.directory import RunDirectory
from keras_gans.runs.errors import MissingPackageError, NoModelError, RunError

__all__ = ["HUB_PREFIX", "HubDownloadError", "Resolved", "SourceError",
           "checkpoint_steps", "resolve"]

HUB_PREFIX = "hf://"
EXPECTED = ("a run directory (from keras-gans run), a checkpoint or other "
            ".keras file, a Keras model folder, or hf://owner/repo[/file]")
_STEP_NAME = re.compile(r"^step_(\d+)\.keras$")
# What a Keras model folder or `.keras` zip holds (Keras' saving_lib).
_CONFIG = "config.json"


class SourceError(RunError):
    """What a user named as a model is not one: a missing path, a file
    that is no Keras model, a directory that is no run, a malformed Hub
    address or a repository without the model, or a step without a
    checkpoint (`reason="unknown_step"`, `details["steps"]` lists those
    with one) or with anything but a run (`"step_needs_run"`).
    """


class HubDownloadError(RunError):
    """A Hugging Face Hub download that failed: the Hub could not be
    reached, or has no such repository."""


@dataclasses.dataclass(frozen=True)
class Resolved:
    """The model to load for what a user typed.

    Attributes:
        path: a local `.keras` file or Keras model folder (for the Hub, in
            huggingface_hub's cache).
        run_dir: the `RunDirectory` it belongs to, or None.
        step: the checkpoint's step when a run's checkpoint was chosen by
            step, else None (a loaded GAN knows its own: `gan.steps`).
        source: what the user typed (`hf://...` for the Hub).
    """

    path: str
    run_dir: RunDirectory | None
    step: int | None
    source: str


def resolve(source, step=None, echo=None):
    """Finds the model file `source` names (see the module docstring).

    Args:
        source: a run directory, a `.keras` file, a Keras model folder or
            `hf://owner/repo[/file]` (str or PathLike).
        step: with a run directory, the step of the checkpoint to load;
            None for the newest model.
        echo: called with a line for each damaged checkpoint skipped.

    Returns:
        A `Resolved`.

    Raises:
        SourceError: for anything that is not a model (see the class).
        NoModelError: a run directory holding no model yet.
        MissingPackageError: `hf://` without `huggingface_hub` installed.
        HubDownloadError: the Hub cannot be reached or has no such
            repository.
    """
    typed = os.fspath(source)
    if step is not None and (isinstance(step, bool)
                             or not isinstance(step, int) or step < 0):
        raise ValueError("`step` must be an integer >= 0 or None. "
                         f"Received: step={step!r}")
    if typed.startswith(HUB_PREFIX):
        _refuse_step(typed, step, "a Hugging Face Hub address")
        return Resolved(_download(typed), None, None, typed)
    if not os.path.exists(typed):
        raise SourceError(
            f"{typed} does not exist: expected {EXPECTED}.",
            "Check the path. Received: source=" + repr(typed))
    if os.path.isfile(typed):
        _refuse_step(typed, step, "a file")
        _check_model_file(typed)
        return Resolved(typed, RunDirectory.of_model(typed), None, typed)
    if os.path.isfile(os.path.join(typed, _CONFIG)):
        _refuse_step(typed, step, "a Keras model folder")
        return Resolved(typed, None, None, typed)
    run_dir = RunDirectory(typed)
    if step is not None:
        return Resolved(_checkpoint_at(run_dir, step), run_dir, step, typed)
    return Resolved(_newest_model(run_dir, echo), run_dir, None, typed)


def checkpoint_steps(run_dir):
    """`{step: path}` of the checkpoints a run directory holds (named by
    step; files are not opened)."""
    folder = RunDirectory(os.fspath(run_dir)).checkpoints
    try:
        names = os.listdir(folder)
    except OSError:
        return {}
    found = {}
    for name in names:
        match = _STEP_NAME.match(name)
        if match:
            found[int(match.group(1))] = os.path.join(folder, name)
    return dict(sorted(found.items()))


def _refuse_step(typed, step, what):
    if step is not None:
        raise SourceError(
            f"A step chooses one of a run directory's checkpoints, but "
            f"{typed} is {what}.",
            "Pass the run directory with the step, or the file without "
            f"one. Received: source={typed!r}, step={step}",
            reason="step_needs_run")


def _check_model_file(path):
    """Refuses a file that is not a Keras `.keras` zip (a config.json
    inside a zip)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if _CONFIG in archive.namelist():
                return
            what = f"a zip without the {_CONFIG} a .keras file holds"
    except (zipfile.BadZipFile, OSError) as error:
        what = f"not a zip archive ({type(error).__name__}: {error})"
    raise SourceError(
        f"{path} is not a Keras model file: {what}.",
        f"Expected {EXPECTED}. Received: source={path!r}")


def _newest_model(run_dir, echo):
    """A run's `gan.keras`, else its newest checkpoint, else its
    `generator.keras`."""
    from keras_gans.training.checkpoints import latest_checkpoint

    gan_path, checkpoints, generator_path = run_dir.model_paths()
    if os.path.isfile(gan_path):
        return gan_path
    checkpoint, _ = latest_checkpoint(checkpoints, echo=echo)
    if checkpoint:
        return checkpoint
    if os.path.isfile(generator_path):
        return generator_path
    if not run_dir.is_run():
        raise SourceError(
            f"{run_dir.path} holds no {RunDirectory.GAN}, checkpoint or "
            f"{RunDirectory.GENERATOR}, and no {RunDirectory.RECIPE}: it is "
            "not a keras-gans run.",
            f"Expected {EXPECTED}. Received: source={run_dir.path!r}")
    raise NoModelError(
        f"{run_dir.path} holds no {RunDirectory.GAN}, checkpoint or "
        f"{RunDirectory.GENERATOR}."
    )


def _checkpoint_at(run_dir, step):
    """The checkpoint a run wrote after `step`; refuses a missing one,
    listing the steps that have one."""
    from keras_gans.training.checkpoints import CheckpointError
    from keras_gans.training.checkpoints import check_complete

    found = checkpoint_steps(run_dir)
    if step in found:
        try:
            check_complete(found[step])
        except CheckpointError as error:
            raise SourceError(
                f"The checkpoint of step {step} is damaged: {error}.",
                "Choose another step, or the run directory without one for "
                "its newest model.") from None
        return found[step]
    if not run_dir.is_run() and not found:
        raise SourceError(
            f"{run_dir.path} is not a keras-gans run: it holds no "
            f"{RunDirectory.RECIPE} or checkpoints.",
            f"Expected {EXPECTED}. Received: source={run_dir.path!r}")
    listed = (", ".join(str(s) for s in found) if found else
              "none (the run wrote no checkpoint yet)")
    raise SourceError(
        f"{run_dir.path} has no checkpoint at step {step}. Steps with a "
        f"checkpoint: {listed}.",
        "Choose one of those steps (a run keeps its newest "
        "output.keep_checkpoints). Received: step=" + str(step),
        reason="unknown_step", steps=list(found))


# ----------------------------------------------------------------------
# The Hugging Face Hub


def _download(address):
    """Downloads `hf://owner/repo[/file]` as Keras does (huggingface_hub's
    `snapshot_download`, `library_name="keras"`); returns the local
    folder, or the file within it."""
    parts = address[len(HUB_PREFIX):].strip("/").split("/")
    if len(parts) < 2 or not all(parts):
        raise SourceError(
            f"{address} is not a Hugging Face Hub address.",
            "Expected hf://owner/repo (a Keras model folder, as "
            "model.save('hf://owner/repo') writes) or "
            f"hf://owner/repo/file.keras. Received: source={address!r}")
    try:
        import huggingface_hub
    except ImportError:
        raise MissingPackageError(
            f"Loading {address} needs huggingface_hub, which is not "
            "installed.",
            "Install it (pip install huggingface_hub, or pip install "
            "'keras-gans[hub]'), or download the model yourself and pass "
            "the local .keras file.", package="huggingface_hub") from None
    import keras

    repo_id, filename = "/".join(parts[:2]), "/".join(parts[2:]) or None
    # snapshot_download asks for the repository first and fails at once
    # when the Hub cannot be reached (hf_hub_download retries for ~25 s).
    try:
        folder = huggingface_hub.snapshot_download(
            repo_id=repo_id,
            allow_patterns=[filename] if filename else None,
            library_name="keras", library_version=keras.__version__)
    except Exception as error:
        raise _download_error(address, error) from error
    if filename is None:
        if not os.path.isfile(os.path.join(folder, _CONFIG)):
            raise SourceError(
                f"{address} holds no Keras model folder (no {_CONFIG} at its "
                "top).",
                "Name the .keras file inside it: "
                f"hf://{repo_id}/FILE.keras.")
        return folder
    path = os.path.join(folder, *filename.split("/"))
    if not os.path.isfile(path):
        raise SourceError(
            f"{address}: the repository {repo_id} has no file {filename}.",
            "Check the file's path in the repository.")
    _check_model_file(path)
    return path


def _download_error(address, error):
    """A `HubDownloadError` for a failed download: no such repository,
    or no network."""
    from huggingface_hub import constants
    from huggingface_hub import errors

    endpoint = constants.ENDPOINT
    detail = f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"
    if isinstance(error, (errors.RepositoryNotFoundError,
                          errors.RevisionNotFoundError,
                          errors.GatedRepoError)):
        return HubDownloadError(
            f"Could not download {address}: the Hub at {endpoint} has no "
            f"such repository, or it is private or gated ({detail}).",
            "Check the address, or log in (huggingface-cli login) for a "
            "private repository.")
    return HubDownloadError(
        f"Could not download {address}: the Hugging Face Hub at {endpoint} "
        f"could not be reached, and the model is not in the local cache "
        f"({detail}).",
        "Connect this machine to the network (or set HF_ENDPOINT to a "
        "reachable mirror), or download the model elsewhere and pass the "
        "local .keras file.")
