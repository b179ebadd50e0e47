"""`PatchConv2D` and `accelerate`: the same functions by faster routes.

`PatchConv2D` must compute what `keras.layers.Conv2D` computes, with its
first and second derivatives (a gradient penalty differentiates the input
gradient); `accelerate` must rewrite a model in place without changing what
it computes or which variables it trains. Models stay tiny: JAX's CPU
convolutions are slow.
"""

import logging

import numpy as np
import pytest

import keras
from keras import layers
from keras import ops

import keras_gans
from keras_gans import backend
from keras_gans.layers import PatchConv2D
from keras_gans.layers import SubPixelConv2DTranspose
from keras_gans.layers import accelerate

BACKEND = keras.backend.backend()


def conv_pair(x, **kwargs):
    """A Conv2D and a PatchConv2D with the same (random) weights."""
    native = layers.Conv2D(bias_initializer="random_normal", **kwargs)
    native.build(x.shape)
    patch = PatchConv2D(**kwargs)
    patch.build(x.shape)
    patch.set_weights(native.get_weights())
    return native, patch


def first_and_second_order(layer, x, projection):
    """Outputs; kernel and bias gradients of a projection of the outputs;
    and kernel and bias gradients of a penalty on the input gradient."""

    def projected():
        out = layer(x)
        return ops.sum(ops.convert_to_tensor(projection) * out), out

    (_, out), grads = backend.value_and_grad(
        projected, [layer.kernel, layer.bias]
    )

    def penalty():
        grad = backend.input_gradient(
            lambda points: ops.leaky_relu(layer(points), 0.2), x
        )
        value = ops.sum(ops.square(grad))
        return value, value

    _, second = backend.value_and_grad(penalty, [layer.kernel, layer.bias])
    return [ops.convert_to_numpy(t) for t in [out, *grads, *second]]


@pytest.mark.parametrize(
    "kernel_size,strides,padding,size",
    [
        (5, 2, "same", (8, 9)),  # keras-io WGAN-GP critic's convolutions
        (4, 2, "valid", (9, 8)),
        ((3, 2), (2, 1), "same", (7, 6)),
    ],
)
def test_patch_conv_matches_conv2d_to_second_order(
    kernel_size, strides, padding, size
):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, *size, 3), "float32")
    native, patch = conv_pair(
        x, filters=4, kernel_size=kernel_size, strides=strides,
        padding=padding,
    )
    assert patch._windows is not None
    projection = rng.standard_normal(
        native.compute_output_shape(x.shape), "float32"
    )
    expected = first_and_second_order(native, x, projection)
    received = first_and_second_order(patch, x, projection)
    assert received[0].shape == expected[0].shape
    for a, b in zip(expected, received):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


def test_patch_conv_falls_back_where_unsupported():
    x = np.random.default_rng(0).standard_normal((2, 9, 9, 4), "float32")
    for kwargs in ({"dilation_rate": 2}, {"groups": 2}):
        native, patch = conv_pair(x, filters=4, kernel_size=3, **kwargs)
        assert patch._windows is None
        np.testing.assert_allclose(
            ops.convert_to_numpy(patch(x)), ops.convert_to_numpy(native(x)),
            rtol=1e-6, atol=1e-6,
        )


def critic():
    """A small keras-io WGAN-GP style critic: 5x5 stride-2 convolutions."""
    image = keras.Input((12, 12, 1))
    x = layers.Conv2D(4, 5, strides=2, padding="same")(image)  # 12 -> 6
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(8, 5, strides=2, padding="same")(x)  # 6 -> 3
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(8, 1)(x)  # pointwise, stride 1: never rewritten
    x = layers.Flatten()(x)
    return keras.Model(image, layers.Dense(1)(x), name="critic")


def upsampler(latent_dim=4):
    z = keras.Input((latent_dim,))
    x = layers.Dense(2 * 2 * 4)(z)
    x = layers.Reshape((2, 2, 4))(x)
    x = layers.Conv2DTranspose(4, 4, strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same")(x)
    return keras.Model(z, x, name="upsampler")


def test_accelerate_rewrites_in_place_with_equal_outputs():
    rng = np.random.default_rng(0)
    model = critic()
    x = rng.standard_normal((3, 12, 12, 1), "float32")
    before = ops.convert_to_numpy(model(x))
    layer_objects = list(model.layers)
    variables = list(model.variables)

    changes = accelerate(model, second_order=True)

    names = [layer.name for layer in model.layers[1:6:2]]
    assert changes == [
        (names[0], "Conv2D", "PatchConv2D",
         "second-order gradient of a strided convolution"),
        (names[1], "Conv2D", "PatchConv2D",
         "output no larger than its kernel"),
    ]
    assert model.layers == layer_objects
    assert all(a is b for a, b in zip(model.variables, variables))
    assert type(model.layers[5]) is layers.Conv2D
    np.testing.assert_allclose(
        ops.convert_to_numpy(model(x)), before, rtol=1e-5, atol=1e-6
    )
    assert accelerate(model, second_order=True) == []


def test_accelerate_first_order_keeps_large_outputs_native():
    model = critic()
    changes = accelerate(model)
    assert [c[3] for c in changes] == ["output no larger than its kernel"]
    assert type(model.layers[1]) is layers.Conv2D


def test_accelerate_transposed_convolutions_and_reload(tmp_path):
    rng = np.random.default_rng(0)
    model = upsampler()
    z = rng.standard_normal((3, 4), "float32")
    before = ops.convert_to_numpy(model(z))
    changes = accelerate(model)
    assert [c[1:3] for c in changes] == [
        ("Conv2DTranspose", "SubPixelConv2DTranspose")
    ] * 2
    np.testing.assert_allclose(
        ops.convert_to_numpy(model(z)), before, rtol=1e-5, atol=1e-6
    )
    assert accelerate(upsampler(), conv_transpose=False) == []

    path = tmp_path / "upsampler.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.layers[3], SubPixelConv2DTranspose)
    np.testing.assert_allclose(
        ops.convert_to_numpy(reloaded(z)), before, rtol=1e-5, atol=1e-6
    )


def test_accelerate_leaves_subclasses_alone():
    class MyConv(layers.Conv2D):
        pass

    model = keras.Sequential(
        [keras.Input((4, 4, 1)), MyConv(2, 5, strides=2, padding="same")]
    )
    assert accelerate(model, second_order=True) == []
    assert type(model.layers[0]) is MyConv


def wgan(jit_compile, penalty="wgan_gp", batch_norm=False):
    keras.utils.set_random_seed(0)
    generator = keras.Sequential(
        [keras.Input((4,)), layers.Dense(144), layers.Reshape((12, 12, 1))]
        + ([layers.BatchNormalization()] if batch_norm else [])
    )
    gan = keras_gans.GAN(generator, critic(), latent_dim=4, seed=1)
    gan.compile(
        g_optimizer=keras.optimizers.Adam(1e-3),
        d_optimizer=keras.optimizers.Adam(1e-3),
        loss="wasserstein",
        penalty=penalty,
        jit_compile=jit_compile,
    )
    return gan


def ring_mlp_gan():
    """An MLP GAN with a penalty: no convolutions."""
    from toy_models import mlp

    gan = keras_gans.GAN(mlp(4, 2), mlp(2, 1), latent_dim=4)
    gan.compile(
        g_optimizer=keras.optimizers.Adam(1e-3),
        d_optimizer=keras.optimizers.Adam(1e-3),
        loss="wasserstein",
        penalty="wgan_gp",
    )
    return gan


def _xla_on_cpu():
    """Whether XLA would run on a CPU here (JAX, or TensorFlow's XLA)."""
    if BACKEND == "jax":
        import jax

        return jax.default_backend() == "cpu"
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return not tf.config.list_logical_devices("GPU")
    return False


def rewritten(gan):
    return [
        type(layer).__name__ for layer in gan.discriminator.layers
        if isinstance(layer, layers.Conv2D)
    ]


FAST = ["PatchConv2D", "PatchConv2D", "Conv2D"]
NATIVE = ["Conv2D", "Conv2D", "Conv2D"]


def test_auto_compile_rule_per_backend():
    with_penalty, first_order = wgan("auto"), wgan("auto", penalty=None)
    if BACKEND == "torch":
        assert with_penalty.jit_compile is first_order.jit_compile is False
        assert rewritten(with_penalty) == rewritten(first_order) == NATIVE
    elif BACKEND == "jax":
        assert with_penalty.jit_compile is first_order.jit_compile is True
        # The critic's first layer is rewritten for its second-order
        # gradient only, its second (output 3x3, kernel 5x5) always.
        assert rewritten(with_penalty) == (FAST if _xla_on_cpu() else NATIVE)
        assert rewritten(first_order) == (
            ["Conv2D", "PatchConv2D", "Conv2D"] if _xla_on_cpu() else NATIVE
        )
    else:
        # On a CPU: XLA with rewrites for a penalty, TensorFlow's own
        # kernels for a first-order step of convolutional networks, XLA for
        # the MLP GAN (no convolutions). On a GPU: XLA, nothing rewritten.
        assert with_penalty.jit_compile is True
        # Only the layer whose output (3x3) is no larger than its kernel.
        assert rewritten(with_penalty) == (
            ["Conv2D", "PatchConv2D", "Conv2D"] if _xla_on_cpu() else NATIVE
        )
        assert first_order.jit_compile is not _xla_on_cpu()
        assert rewritten(first_order) == NATIVE
        assert ring_mlp_gan().jit_compile is True


@pytest.mark.skipif(BACKEND != "tensorflow", reason="TensorFlow's rule")
def test_tensorflow_takes_xla_for_large_batch_norm_networks(monkeypatch):
    # Through BatchNormalization, a first-order step of large networks is
    # faster under XLA (with the rewrites) on a CPU too: dcgan64 1.22x, the
    # keras-io WGAN-GP's networks 1.99x (benchmarks/RESULTS.md); small ones
    # (these have a few thousand weights) do not repay XLA's compile.
    from keras_gans.backend import tensorflow as tf_backend

    small = wgan("auto", penalty=None, batch_norm=True)
    assert small.jit_compile is not _xla_on_cpu()
    assert rewritten(small) == NATIVE
    monkeypatch.setattr(tf_backend, "BATCH_NORM_XLA_MIN_WEIGHTS", 1_000)
    large = wgan("auto", penalty=None, batch_norm=True)
    assert large.jit_compile is True
    assert rewritten(large) == (
        ["Conv2D", "PatchConv2D", "Conv2D"] if _xla_on_cpu() else NATIVE
    )
    assert "BatchNormalization" in large._compile_note
    # The same networks without BatchNormalization keep TensorFlow's kernels.
    assert wgan("auto", penalty=None).jit_compile is not _xla_on_cpu()


def test_explicit_jit_compile_is_honoured():
    gan = wgan(False)
    assert gan.jit_compile is False
    assert rewritten(gan) == NATIVE
    if BACKEND != "torch":  # torch.compile cannot take a penalty
        gan = wgan(True)
        assert gan.jit_compile is True
        # JAX's XLA is also slow on the penalty through the first layer.
        expected = FAST if BACKEND == "jax" else [
            "Conv2D", "PatchConv2D", "Conv2D"
        ]
        assert rewritten(gan) == (expected if _xla_on_cpu() else NATIVE)


def test_fit_logs_the_chosen_path_and_why(caplog):
    gan = wgan("auto")
    x = np.random.default_rng(0).uniform(-1, 1, (4, 12, 12, 1)).astype("float32")
    with caplog.at_level(logging.INFO, logger="keras_gans"):
        gan.fit(x, batch_size=4, epochs=1, verbose=0)
    (record,) = [r for r in caplog.records if r.name == "keras_gans"]
    message = record.getMessage()
    assert message.startswith(f"keras-gans: {BACKEND} training step")
    reason = {
        "tensorflow": "XLA: ",
        "jax": "JAX runs the step compiled by XLA",
        "torch": "torch.compile cannot differentiate twice",
    }[BACKEND]
    assert reason in message
    count = sum(name == "PatchConv2D" for name in rewritten(gan))
    assert (f"Rewrote {count} layers" in message) == (count > 0)


@pytest.mark.skipif(BACKEND != "jax", reason="XLA on a CPU: JAX")
def test_accelerated_jit_step_trains_like_the_eager_native_one():
    # On JAX, the compiled step (rewritten critic) and the eager step
    # (native layers) draw the same random numbers: one step from the same
    # weights must give the same weights, to float32 rounding.
    x = np.random.default_rng(0).uniform(-1, 1, (4, 12, 12, 1)).astype("float32")
    fast, native = wgan("auto"), wgan(False)
    assert rewritten(fast) == FAST and rewritten(native) == NATIVE
    native.set_weights(fast.get_weights())
    for gan in (fast, native):
        gan.fit(x, batch_size=4, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(fast.get_weights(), native.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
