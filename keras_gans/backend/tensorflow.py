"""TensorFlow gradients: `tf.GradientTape`, nested for second order."""

import contextlib

import keras
import tensorflow as tf
from keras import ops

from keras_gans.backend.read_only import ReadOnlyScope

# Native transposed convolutions are fast here.
SUBPIXEL_CONV_TRANSPOSE = False


def value_and_grad(fn, variables):
    with tf.GradientTape() as tape:
        loss, aux = fn()
    grads = tape.gradient(
        loss,
        [v.value for v in variables],
        unconnected_gradients=tf.UnconnectedGradients.ZERO,
    )
    return (loss, aux), grads


def per_example_value_and_grad(fn, variables, batch):
    """`tf.vectorized_map` (pfor) of a `tf.GradientTape` over the examples.

    The function runs in a `ReadOnlyScope`, so an assignment inside the
    vectorised loop raises instead of being lost.
    """

    def one(example):
        with ReadOnlyScope():
            with tf.GradientTape() as tape:
                loss, aux = fn(example)
            grads = tape.gradient(
                loss,
                [v.value for v in variables],
                unconnected_gradients=tf.UnconnectedGradients.ZERO,
            )
        return (loss, aux), grads

    (losses, aux), grads = tf.vectorized_map(one, tuple(batch))
    return (losses, aux), list(grads)


def input_gradient(fn, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = ops.sum(ops.cast(fn(x), "float32"))
    # Recorded by any enclosing tape, so a penalty built on this gradient
    # can itself be differentiated with respect to the model's weights.
    return tape.gradient(total, x)


def train_step(model, data):
    return model.gan_step(data)


def make_train_function(model, keras_make_train_function, force):
    # Keras' own trainer runs `steps_per_execution` steps per call here.
    return keras_make_train_function(force)


def without_gradients():
    # Nothing outside a tape is recorded.
    return contextlib.nullcontext()


def replica_loss_scale():
    # Under tf.distribute the optimizer sums gradients over replicas, so a
    # per-replica mean must be divided by the replica count.
    return 1.0 / tf.distribute.get_strategy().num_replicas_in_sync


def replica_rows():
    """The replica's id and count under a `tf.distribute` strategy.

    Each replica of a `MirroredStrategy` (or a multi-worker one) runs the
    step on its own rows of the global batch, in replica order.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


def sync_variables(model):
    # Variables always hold the current values on this backend.
    return None


def apply_gradients(optimizer, grads, variables):
    optimizer.apply(grads, variables)


def keep_variables_on_error(model):
    # Variables are updated in place and never emptied on this backend.
    return contextlib.nullcontext()


def check_compiled_penalty(penalty):
    # Second-order gradients compile on this backend.
    return None


def _has_gpu():
    return bool(tf.config.list_logical_devices("GPU"))


# The BatchNorm rule's measured models have 2-6.3 million weights; XLA's
# compile (10-100 s on a CPU) pays back only over many heavy steps, so
# smaller networks (the tests' have 3-20 thousand) keep TensorFlow's own
# kernels, which start at once.
BATCH_NORM_XLA_MIN_WEIGHTS = 1_000_000


def _has_batch_norm(*models):
    return any(
        isinstance(layer, keras.layers.BatchNormalization)
        for model in models
        for layer in model._flatten_layers(include_self=True)
    )


def _has_convolutions(*models):
    convolutions = (
        keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D,
        keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
        keras.layers.Conv3DTranspose, keras.layers.DepthwiseConv1D,
        keras.layers.DepthwiseConv2D, keras.layers.SeparableConv1D,
        keras.layers.SeparableConv2D,
    )
    return any(
        isinstance(layer, convolutions)
        for model in models
        for layer in model._flatten_layers(include_self=True)
    )


def resolve_jit_compile(gan, penalty):
    """`(jit_compile, reason)` for `jit_compile="auto"`.

    Measured on a CPU (`benchmarks/RESULTS.md`, seconds per step):
    TensorFlow's own kernels run first-order steps of convolutional GANs
    without BatchNormalization as fast as XLA or faster (guide28 2.1 vs
    3.9, cGAN 2.2 vs 2.4, the keras-io DCGAN 0.81x under XLA); with
    BatchNormalization, XLA is faster (dcgan64 1.22-1.57x, the keras-io
    WGAN-GP's networks with a first-order loss 1.99x), for networks large
    enough to repay XLA's compile (`BATCH_NORM_XLA_MIN_WEIGHTS`).
    BatchNormalization is the feature that separates the five measured
    models, not a proven cause: dcgan64 with it removed still ran 1.28x
    faster under XLA. A gradient penalty runs faster under XLA once
    `accelerate_networks` has rewritten the
    convolutions XLA is slow on (keras-io WGAN-GP 9.8 vs 17.2); float16
    (slow in TensorFlow's CPU kernels) and convolution-free networks run
    faster under XLA. On a GPU, XLA.
    """
    if _has_gpu():
        return True, "XLA: TensorFlow on a GPU"
    if gan._uses_float16():
        return True, (
            "XLA: float16 on a CPU, where TensorFlow's own float16 kernels "
            "are slow"
        )
    if not _has_convolutions(gan.generator, gan.discriminator):
        return True, "XLA: no convolutions"
    if penalty is not None:
        return True, (
            "XLA: a gradient penalty through convolutions on a CPU, faster "
            "under XLA with its slow convolutions rewritten"
        )
    weights = gan.generator.count_params() + gan.discriminator.count_params()
    if (_has_batch_norm(gan.generator, gan.discriminator)
            and weights >= BATCH_NORM_XLA_MIN_WEIGHTS):
        return True, (
            "XLA: a first-order step of large convolutional networks with "
            "BatchNormalization on a CPU, faster under XLA"
        )
    return False, (
        "no XLA: a first-order step of convolutional networks without "
        "BatchNormalization, or with fewer than "
        f"{BATCH_NORM_XLA_MIN_WEIGHTS:,} weights, on a CPU, where "
        "TensorFlow's own kernels are as fast as XLA's or start sooner"
    )


def accelerate_networks(generator, discriminator, jit_compile, penalty):
    """Rewrites the convolutions XLA runs slowly, when XLA runs on a CPU.

    TensorFlow's XLA takes the second-order gradient of ordinary strided
    convolutions at full speed (unlike JAX's), so only transposed
    convolutions and convolutions whose output is no larger than their
    kernel are rewritten: rewriting every strided convolution of dcgan64's
    critic halved its WGAN-GP speed here. Returns
    `keras_gans.layers.accelerate`'s list of changes.
    """
    if not jit_compile or _has_gpu():
        return []
    from keras_gans.layers import accelerate

    return accelerate(generator) + accelerate(discriminator)


def launch(devices, argv):
    # One process drives every device of this host.
    return None


def replica_logs(logs):
    # Keras aggregates the trackers over a strategy's replicas.
    return logs
