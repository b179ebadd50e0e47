"""`SubPixelConv2DTranspose` computes what `keras.layers.Conv2DTranspose` does."""

import numpy as np
import pytest

import keras
from keras import ops

from keras_gans import backend
from keras_gans.architectures.dcgan import conv_transpose_class
from keras_gans.architectures.dcgan import dcgan
from keras_gans.layers import SubPixelConv2DTranspose


def layer_pair(x, **kwargs):
    """A native and a sub-pixel layer with the same (random) weights."""
    native = keras.layers.Conv2DTranspose(
        bias_initializer="random_normal", **kwargs
    )
    native.build(x.shape)
    subpixel = SubPixelConv2DTranspose(**kwargs)
    subpixel.build(x.shape)
    subpixel.set_weights(native.get_weights())
    return native, subpixel


def outputs_and_gradients(layer, x, weights):
    """Outputs, and gradients of a fixed projection w.r.t. kernel and bias."""

    def loss():
        out = layer(x)
        return ops.sum(ops.convert_to_tensor(weights) * out), out

    (_, out), grads = backend.value_and_grad(loss, [layer.kernel, layer.bias])
    return [ops.convert_to_numpy(t) for t in [out] + list(grads)]


@pytest.mark.parametrize(
    "kernel_size,strides",
    [(4, 2), (3, 2), (5, 2), ((4, 3), (2, 1))],
)
def test_same_outputs_and_gradients_as_conv2d_transpose(kernel_size, strides):
    x = np.random.default_rng(0).standard_normal((2, 5, 6, 3), "float32")
    native, subpixel = layer_pair(
        x, filters=4, kernel_size=kernel_size, strides=strides, padding="same"
    )
    assert subpixel._plan is not None
    projection = np.random.default_rng(1).standard_normal(
        native.compute_output_shape(x.shape), "float32"
    )
    expected = outputs_and_gradients(native, x, projection)
    received = outputs_and_gradients(subpixel, x, projection)
    assert received[0].shape == expected[0].shape
    for a, b in zip(expected, received):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)


def test_unsupported_configurations_run_keras_own_layer():
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3), "float32")
    native, subpixel = layer_pair(
        x, filters=2, kernel_size=3, strides=2, padding="valid"
    )
    assert subpixel._plan is None
    np.testing.assert_allclose(
        ops.convert_to_numpy(subpixel(x)), ops.convert_to_numpy(native(x))
    )


def test_dcgan_generators_agree_across_formulations(tmp_path):
    z = np.random.default_rng(0).standard_normal((2, 8), "float32")
    native, _ = dcgan(8, (32, 32, 1), width=4, conv_transpose="native")
    subpixel, _ = dcgan(8, (32, 32, 1), width=4, conv_transpose="subpixel")
    subpixel.set_weights(native.get_weights())
    expected = ops.convert_to_numpy(native(z, training=False))
    np.testing.assert_allclose(
        ops.convert_to_numpy(subpixel(z, training=False)), expected, atol=1e-5
    )
    # The layer reloads from a .keras file as itself.
    path = str(tmp_path / "generator.keras")
    subpixel.save(path)
    loaded = keras.models.load_model(path)
    assert any(isinstance(l, SubPixelConv2DTranspose) for l in loaded.layers)
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded(z, training=False)), expected, atol=1e-5
    )


def test_dcgan_auto_uses_subpixel_only_on_jax():
    chosen = conv_transpose_class("auto")
    if keras.backend.backend() == "jax":
        assert chosen is SubPixelConv2DTranspose
    else:
        assert chosen is keras.layers.Conv2DTranspose
    with pytest.raises(ValueError, match="conv_transpose.*Received"):
        dcgan(8, (32, 32, 1), conv_transpose="fast")
