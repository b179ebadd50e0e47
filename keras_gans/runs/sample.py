"""Sampling a saved model: find it, load it, draw from it.

A source is a run directory (its `gan.keras`, else its newest checkpoint,
else `generator.keras`) or a `.keras` file holding a GAN or a bare
generator. A bare generator is sampled the way `GAN.generate` samples:
the same latent draw for the same seed, labels as the run trained with.
"""

import os

from keras_gans.runs.directory import RunDirectory
from keras_gans.runs.errors import NoModelError

__all__ = ["SampleError", "generate_with", "is_conditional", "labels_for",
           "model_and_run", "num_classes", "run_modes"]


class SampleError(ValueError):
    """Labels that do not fit the model (labels for an unconditional
    model, a class id out of range, a conditional model whose classes are
    unknown)."""


def model_and_run(source, echo=None):
    """Finds the model to load for `source`.

    Args:
        source: a run directory or a `.keras` file (a file inside a run
            directory, such as a checkpoint, finds its run).
        echo: called with a line for each damaged checkpoint skipped.

    Returns:
        `(model path, RunDirectory or None)`.

    Raises:
        NoModelError: for a directory with no gan.keras, checkpoint or
            generator.keras.
    """
    source = os.fspath(source)
    if os.path.isfile(source):
        return source, RunDirectory.of_model(source)
    from keras_gans.training.checkpoints import latest_checkpoint

    run_dir = RunDirectory(source)
    gan_path, checkpoints, generator_path = run_dir.model_paths()
    if os.path.isfile(gan_path):
        return gan_path, run_dir
    checkpoint, _ = latest_checkpoint(checkpoints, echo=echo)
    if checkpoint:
        return checkpoint, run_dir
    if os.path.isfile(generator_path):
        return generator_path, run_dir
    raise NoModelError(
        f"{source} holds no {RunDirectory.GAN}, checkpoint or "
        f"{RunDirectory.GENERATOR}."
    )


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
                  num_classes=None):
    """Samples from a bare generator, drawing z as `GAN.generate` does.

    A single-input generator given labels reads z joined with the one-hot
    labels (`label_mode="one_hot_concat"`; `num_classes` needed).
    """
    import keras
    import numpy as np

    from keras_gans import labels as labels_module

    mode = None
    latent_dim = int(generator.inputs[0].shape[-1])
    if labels is not None:
        mode = labels_module.INDEX
        if labels_module.number_of_inputs(generator) == 1:
            mode = labels_module.ONE_HOT_CONCAT
            latent_dim -= num_classes
    z = np.random.default_rng(seed).standard_normal(
        (n, latent_dim), dtype=np.float32
    )
    batches = []
    for start in range(0, n, batch_size):
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
