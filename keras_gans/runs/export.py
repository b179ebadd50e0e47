"""Exporting a run's generator for serving: .keras, SavedModel, ONNX, TFLite.

The generator exported is `GAN.export_generator()` (the EMA weights when
the run kept an EMA): the model `generate()` samples. The formats other
than `.keras` go through Keras' `Model.export`, which needs a package per
format and backend; `required_packages` says which, so a missing one is
named before any work.
"""

import dataclasses
import importlib.util
import os
import shutil
import warnings

from keras_gans import files
from keras_gans.runs.errors import MissingPackageError, OutputExistsError
from keras_gans.runs.sample import open_source

__all__ = ["DEFAULT_PATHS", "Exported", "FORMATS", "export",
           "required_packages"]

# keras-gans' format name -> Keras' `Model.export` format.
FORMATS = {"keras": None, "saved_model": "tf_saved_model", "onnx": "onnx",
           "tflite": "litert"}

# The .keras default is not "generator.keras": exporting from inside a run
# folder must not write over the run's own file.
DEFAULT_PATHS = {"keras": "generator_export.keras",
                 "saved_model": "generator_saved_model",
                 "onnx": "generator.onnx", "tflite": "generator.tflite"}

# (format, backend) -> the modules Keras' exporter imports (a pip name
# where it differs). None: the backend cannot produce the format.
_NEEDS = {
    ("saved_model", "tensorflow"): ["tensorflow"],
    ("saved_model", "jax"): ["tensorflow"],
    ("saved_model", "torch"): ["tensorflow", "torch_xla"],
    ("onnx", "tensorflow"): ["tf2onnx", "onnx"],
    ("onnx", "jax"): ["jax2onnx", "onnx"],
    ("onnx", "torch"): ["onnxscript", "onnx"],
    ("tflite", "tensorflow"): ["tensorflow"],
    ("tflite", "jax"): None,
    ("tflite", "torch"): ["litert_torch"],
}


@dataclasses.dataclass(frozen=True)
class Exported:
    """What `export` wrote.

    Attributes:
        path: the file (a folder for `saved_model`).
        format: the format name.
        model_path: the `.keras` file exported from.
        inputs: the exported model's input shapes (batch as None).
    """

    path: str
    format: str
    model_path: str
    inputs: list


def required_packages(fmt, backend):
    """The packages `fmt` needs on `backend` that are not installed.

    Raises:
        MissingPackageError: for a format the backend cannot produce.
    """
    needs = _NEEDS.get((fmt, backend), [])
    if needs is None:
        raise MissingPackageError(
            f"Keras cannot export format {fmt!r} from the {backend} "
            "backend.",
            "Export from the TensorFlow or PyTorch backend "
            "(KERAS_BACKEND=tensorflow): the .keras file loads on any.",
            reason="export_backend", format=fmt, backend=backend)
    return [name for name in needs if importlib.util.find_spec(name) is None]


def _check(fmt, path):
    import keras

    if fmt not in FORMATS:
        raise ValueError(f"`fmt` must be one of {list(FORMATS)}. "
                         f"Received: fmt={fmt!r}")
    backend = keras.backend.backend()
    missing = required_packages(fmt, backend)
    if missing:
        pip = " ".join(name.replace("_", "-") for name in missing)
        verb = "is" if len(missing) == 1 else "are"
        raise MissingPackageError(
            f"Exporting to {fmt} on the {backend} backend needs "
            f"{' and '.join(missing)}, which {verb} not installed.",
            f"Install what is missing (pip install {pip}), or export on "
            "another backend (KERAS_BACKEND).",
            reason="missing_package", format=fmt, packages=missing, pip=pip)
    if os.path.isdir(path):
        raise OutputExistsError(
            f"{path} is an existing folder; the export would replace it.",
            "Choose a new output path, or remove the folder first.",
            reason="export_exists")


def _call_once(model):
    """Calls `model` on one zero input: Keras' exporters refuse a model
    that was loaded or cloned but never called."""
    import keras

    values = [keras.ops.zeros((1, *t.shape[1:]), dtype=t.dtype)
              for t in model.inputs]
    model(values[0] if len(values) == 1 else values, training=False)


def export(source, fmt="keras", output=None, *, echo=None, step=None):
    """Writes the generator of a run or model in a format for serving.

    Args:
        source: a run directory or a `.keras` file (a GAN or a generator).
        fmt: `"keras"`, `"saved_model"` (TensorFlow's SavedModel folder,
            endpoint `serve`), `"onnx"` or `"tflite"`.
        output: the file (folder for `saved_model`) to write; default
            `DEFAULT_PATHS[fmt]` in the current folder.
        echo: called with a line for each damaged checkpoint skipped.
        step: with a run directory, the step of the checkpoint to load
            (None: the newest model; `runs.sources.resolve`).

    Returns:
        An `Exported`.

    Raises:
        MissingPackageError: a package the format needs on this backend is
            not installed, or the backend cannot produce the format.
        OutputExistsError: `output` is an existing folder.
        SourceError, NoModelError, ModelLoadError: as `keras_gans.sample`.
    """
    path = os.fspath(output if output is not None else DEFAULT_PATHS[fmt])
    _check(fmt, path)
    loaded = open_source(source, echo, step)
    generator = loaded.generator
    inputs = [tuple(t.shape) for t in generator.inputs]
    _call_once(generator)
    if fmt == "keras":
        from keras_gans.training.checkpoints import atomic_save

        atomic_save(generator, path)
    elif fmt == "saved_model":
        temporary = path + ".part"
        shutil.rmtree(temporary, ignore_errors=True)
        try:
            generator.export(temporary, format=FORMATS[fmt], verbose=False)
            os.replace(temporary, path)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
    else:
        with files.replacing(path) as temporary, warnings.catch_warnings():
            # PyTorch's tracer warns of shapes it records as constants:
            # the batch axis stays dynamic, the rest is fixed by design.
            warnings.filterwarnings(
                "ignore", message=".*might cause the trace to be incorrect")
            generator.export(temporary, format=FORMATS[fmt], verbose=False)
    return Exported(path=path, format=fmt, model_path=loaded.model_path,
                    inputs=inputs)
