"""Sampling a saved model: find it, load it, draw from it.

A source is a run directory (its `gan.keras`, else its newest checkpoint,
else `generator.keras`; or its checkpoint of a given step), a `.keras`
file holding a GAN or a bare generator, or a Hugging Face Hub address
(`runs.sources` resolves them all). A bare generator is sampled the way
`GAN.generate` samples: the same latent draw for the same seed, labels as
the run trained with.
"""

from keras_gans.runs.directory import RunDirectory

__all__ = ["SampleError", "Source", "generate_with", "is_conditional",
           "labels_for", "model_and_run", "num_classes", "open_source",
           "run_modes"]


class SampleError(ValueError):
    """Labels that do not fit the model (labels for an unconditional
    model, a class id out of range, a conditional model whose classes are
    unknown)."""


def model_and_run(source, echo=None, step=None):
    """Finds the model to load for `source` (`runs.sources.resolve`).

    Args:
        source: a run directory, a `.keras` file (a file inside a run
            directory, such as a checkpoint, finds its run), a Keras model
            folder or `hf://owner/repo[/file]`.
        echo: called with a line for each damaged checkpoint skipped.
        step: with a run directory, the step of the checkpoint to load.

    Returns:
        `(model path, RunDirectory or None)`.

    Raises:
        SourceError: what `source` names is not a model (missing, not a
            run, no checkpoint at `step`, a failed download).
        NoModelError: for a run directory with no gan.keras, checkpoint
            or generator.keras.
        MissingPackageError: `hf://` without huggingface_hub.
    """
    from keras_gans.runs.sources import resolve

    resolved = resolve(source, step=step, echo=echo)
    return resolved.path, resolved.run_dir


def _run_recipe(run_dir):
    return None if run_dir is None else run_dir.read_recipe()


def is_conditional(gan, generator, run_dir=None):
    """Whether the model takes class labels: a GAN says so; a generator
    saved with `label_mode = "one_hot_concat"` has one input, so its run's
    recipe is asked; otherwise a second input means labels."""
    if gan is not None:
        return bool(gan.conditional)
    if ((_run_recipe(run_dir) or {}).get("model") or {}).get(
        "label_mode"
    ) == "one_hot_concat":
        return True  # one input: z joined with the one-hot labels
    try:
        return len(generator.inputs) == 2
    except (AttributeError, TypeError, ValueError):
        return False


def num_classes(run_dir, generator, gan=None):
    """Classes of a conditional generator: from the GAN, the run's recipe,
    else its label embedding; None when unknown."""
    if getattr(gan, "num_classes", None):
        return int(gan.num_classes)
    recipe = _run_recipe(run_dir)
    classes = ((recipe or {}).get("model") or {}).get("num_classes")
    if isinstance(classes, int) and classes > 0:
        return classes
    import keras

    for layer in getattr(generator, "layers", []):
        if isinstance(layer, keras.layers.Embedding):
            return int(layer.input_dim)
        if isinstance(layer, keras.layers.CategoryEncoding):
            return int(layer.num_tokens)
    return None


def labels_for(n, labels, conditional, classes):
    """The `n` int32 labels to sample with, or None for an unconditional
    model.

    Args:
        n: samples.
        labels: class ids, repeated to fill `n`; None gives 0, 1, 2, ...
            cycling through the classes.
        conditional: whether the model takes labels.
        classes: its number of classes (None when unknown).

    Raises:
        SampleError: labels for an unconditional model, a class id out of
            range, or no labels when the classes are unknown.
    """
    import numpy as np

    if not conditional:
        if labels is not None:
            raise SampleError(
                "This model is unconditional and takes no labels. "
                f"Received: labels={list(labels)}")
        return None
    if not labels:
        if classes is None:
            raise SampleError(
                "This model is conditional: pass labels (the number of "
                "classes could not be found).")
        labels = list(range(classes))
    outside = [label for label in labels
               if label < 0 or (classes is not None and label >= classes)]
    if outside:
        known = f"0 to {classes - 1}" if classes else "0 or more"
        raise SampleError(f"class ids are {known}; got {outside[0]}")
    return np.resize(np.asarray(labels, dtype="int32"), n)


def run_modes(run_dir):
    """The mode centers of a run's 2-D toy dataset, or None."""
    recipe = _run_recipe(run_dir)
    if not recipe:
        return None
    from keras_gans import plugins
    from keras_gans.runs import train

    try:
        data = recipe.get("data") or {}
        modes = train.toy_modes(data.get("dataset"), data.get("params") or {},
                                plugins.catalogue())
    except Exception:
        return None
    return None if modes is None else modes[0]


def generate_with(generator, n, seed, labels, batch_size=256,
                  num_classes=None, *, z=None, truncation=None):
    """Samples from a bare generator, drawing z as `GAN.generate` does.

    A single-input generator given labels reads z joined with the one-hot
    labels (`label_mode="one_hot_concat"`; `num_classes` needed). `z` and
    `truncation` as for `GAN.generate`.
    """
    import keras
    import numpy as np

    from keras_gans import labels as labels_module
    from keras_gans import latent

    mode = None
    latent_dim = int(generator.inputs[0].shape[-1])
    if labels is not None:
        mode = labels_module.INDEX
        if labels_module.number_of_inputs(generator) == 1:
            mode = labels_module.ONE_HOT_CONCAT
            latent_dim -= num_classes
    z = latent.requested(n, latent_dim, seed, z, truncation)
    batches = []
    for start in range(0, len(z), batch_size):
        y = None
        if labels is not None:
            y = labels_module.encode(labels[start : start + batch_size], mode,
                                     num_classes)
        inputs = labels_module.generator_inputs(
            keras.ops.convert_to_tensor(z[start : start + batch_size]), y,
            mode,
        )
        out = generator(inputs, training=False)
        batches.append(keras.ops.convert_to_numpy(out).astype("float32"))
    return np.concatenate(batches)


class Source:
    """A loaded run or model, sampled the same way whatever it holds.

    Attributes:
        model_path: the `.keras` file loaded.
        run_dir: its `RunDirectory`, or None for a lone file.
        gan: the `GAN` (or `VAE`), or None for a bare generator.
        generator: the generator to ship: `gan.export_generator()` for a
            GAN (the EMA weights when it has an EMA) or a VAE (its
            decoder), else the file's model.
        conditional: whether it takes class labels.
        num_classes: its number of classes (None when unconditional or
            unknown).
        latent_dim: the size of z.
    """

    def __init__(self, model_path, run_dir, model):
        self.model_path = model_path
        self.run_dir = run_dir
        # A GAN or a VAE: both say whether they are conditional, with how
        # many classes, and ship their generator (`export_generator`).
        self.gan = model if hasattr(model, "generate") else None
        self._model = model if self.gan is None else None
        self.conditional = is_conditional(self.gan, self._model, run_dir)
        self.num_classes = (num_classes(run_dir, self._model, self.gan)
                            if self.conditional else None)
        self._generator = None

    @property
    def latent_dim(self):
        if self.gan is not None:
            return int(self.gan.latent_dim)
        size = int(self._model.inputs[0].shape[-1])
        if self.conditional and len(self._model.inputs) == 1:
            size -= self.num_classes  # z joined with one-hot labels
        return size

    @property
    def generator(self):
        if self._generator is None:
            self._generator = (self._model if self.gan is None
                               else self.gan.export_generator())
        return self._generator

    def labels(self, n, labels):
        """The `n` int32 labels to sample with (see `labels_for`)."""
        return labels_for(n, None if labels is None else list(labels),
                          self.conditional, self.num_classes)

    def generate(self, n=None, seed=None, labels=None, *, z=None,
                 truncation=None, batch_size=256):
        """Samples as `GAN.generate` does, for a GAN or a bare generator.

        Args:
            n, seed, z, truncation, batch_size: as `GAN.generate`.
            labels: int32 labels, one per sample (see `labels`), or None.

        Raises:
            SampleError: labels, `z` or `truncation` that do not fit.
        """
        try:
            if self.gan is not None:
                return self.gan.generate(n, seed=seed, labels=labels, z=z,
                                         truncation=truncation,
                                         batch_size=batch_size)
            return generate_with(self._model, n, seed, labels, batch_size,
                                 num_classes=self.num_classes, z=z,
                                 truncation=truncation)
        except ValueError as error:  # e.g. a label outside the classes
            raise SampleError(str(error)) from None


def open_source(source, echo=None, step=None):
    """Finds and loads the model of a run directory or `.keras` file.

    Args:
        source: as `model_and_run`.
        echo: called with a line for each damaged checkpoint skipped.
        step: with a run directory, the step of the checkpoint to load.

    Returns:
        A `Source`.

    Raises:
        SourceError, NoModelError, MissingPackageError: as
            `model_and_run`.
        ModelLoadError: a model file Keras cannot load.
    """
    from keras_gans.runs.errors import ModelLoadError
    from keras_gans.saving import load_model

    model_path, run_dir = model_and_run(source, echo, step)
    try:
        model = load_model(model_path)
    except Exception as error:
        raise ModelLoadError(
            f"Could not load {model_path}: {type(error).__name__}: {error}"
        ) from error
    return Source(model_path, run_dir, model)
