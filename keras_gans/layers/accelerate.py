"""`accelerate(model)`: the slow convolutions of any model, made fast in place.

On a CPU, XLA (JAX, and TensorFlow with `jit_compile=True`) is very slow on
three convolution patterns that ordinary GAN models contain
(`benchmarks/RESULTS.md`):

- the kernel gradient of a strided `Conv2DTranspose` (~80 forward passes);
- a `Conv2D` whose output is no larger than its kernel (the last 5x5
  stride-2 convolutions of a critic: 5.4 s instead of 40 ms);
- the second-order gradient of a strided `Conv2D`, which every gradient
  penalty takes through the discriminator (3.6-11.6 s a layer instead of
  0.3-0.4 s).

`accelerate` changes the class of each such layer to a subclass computing
the same function from the same weights by another route
(`SubPixelConv2DTranspose`, `PatchConv2D`). It works in place: the model,
its layers and their variables stay the same objects, so references held
by the caller (a generator kept aside for sampling) train with the GAN.
A saved model stores the new class names, registered with Keras as
`keras_gans>...`, and reloads once `keras_gans` is imported.
"""

import keras

from keras_gans.layers.patches import PatchConv2D
from keras_gans.layers.patches import output_size
from keras_gans.layers.subpixel import SubPixelConv2DTranspose


def _input_shape(layer):
    shapes = getattr(layer, "_build_shapes_dict", None) or {}
    shape = shapes.get("input_shape")
    return None if shape is None else tuple(shape)


def _patch_reason(layer, second_order):
    """Why `layer` (an exact `Conv2D`) should become a `PatchConv2D`."""
    shape = _input_shape(layer)
    if shape is None or len(shape) != 4 or layer.data_format != "channels_last":
        return None
    outputs = [
        output_size(size, kernel, stride, layer.padding)
        for size, kernel, stride in zip(
            shape[1:3], layer.kernel_size, layer.strides
        )
        if size is not None
    ]
    if len(outputs) == 2 and all(
        out <= kernel for out, kernel in zip(outputs, layer.kernel_size)
    ):
        return "output no larger than its kernel"
    if second_order and max(layer.strides) > 1:
        return "second-order gradient of a strided convolution"
    return None


def accelerate(model, conv_transpose=True, second_order=False):
    """Rewrites, in place, the convolutions XLA runs slowly on a CPU.

    Each rewritten layer computes the same outputs (to float rounding) from
    the same variables; see the module docstring for which layers and why.
    Layers of other classes, including subclasses of `Conv2D`, and
    configurations the fast forms do not support are left as they are.

    Args:
        model: a built Keras model (or layer); nested models are included.
        conv_transpose: rewrite strided `Conv2DTranspose` layers into
            `SubPixelConv2DTranspose` (slow only on JAX).
        second_order: the model is differentiated twice (the discriminator
            of a GAN trained with a gradient penalty): rewrite its strided
            `Conv2D` layers too.

    Returns:
        A list of `(layer name, old class name, new class name, reason)`,
        one per rewritten layer.
    """
    changes = []
    for layer in model._flatten_layers(include_self=True):
        if not layer.built:
            continue
        kind = type(layer)
        if kind is keras.layers.Conv2DTranspose and conv_transpose:
            if max(layer.strides) == 1:
                continue
            new, reason = SubPixelConv2DTranspose, "kernel gradient"
            layer.__class__ = new
            layer.prepare()
            supported = layer._plan is not None
        elif kind is keras.layers.Conv2D:
            reason = _patch_reason(layer, second_order)
            if reason is None:
                continue
            new = PatchConv2D
            layer.__class__ = new
            layer.prepare(_input_shape(layer))
            supported = layer._windows is not None
        else:
            continue
        if not supported:
            layer.__class__ = kind
            continue
        changes.append((layer.name, kind.__name__, new.__name__, reason))
    return changes
