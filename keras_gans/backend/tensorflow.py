"""TensorFlow gradients: `tf.GradientTape`, nested for second order."""

import contextlib

import tensorflow as tf
from keras import ops

# XLA, also on a CPU where Keras' "auto" would not use it.
COMPILED_BY_DEFAULT = True

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
