"""Spectral normalization that leaves the wrapped kernel untouched.

`keras.layers.SpectralNormalization` writes `W / sigma` back into the kernel
variable on every training call. A GAN step calls D several times (real
batch, fake batch, penalty) before taking one gradient, and on PyTorch that
in-place write invalidates the graph of the earlier calls ("a variable needed
for gradient computation has been modified by an inplace operation"). This
version computes `W / sigma` as a tensor for each call instead, as in Miyato
et al. 2018 and PyTorch's `spectral_norm`: the stored W stays unnormalized
and gradients flow through the division by sigma on every backend.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gans")
class SpectralNormalization(keras.layers.SpectralNormalization):
    """Runs `layer` with its kernel divided by its largest singular value.

    sigma is estimated by power iteration on the kernel reshaped to
    `(-1, out)`, starting from a vector `u` kept between calls (updated only
    when `training=True`), so one iteration per step suffices once `u` has
    settled. The stored kernel is never modified.

    Args:
        layer: a built-in layer with a `kernel`, such as `Conv2D` or
            `Dense`.
        power_iterations: power-iteration steps per call.
        **kwargs: base layer arguments (`name`, ...).
    """

    def call(self, inputs, training=False):
        # Under mixed precision the reads come autocast; iterate in float32.
        dtype = self.vector_u.dtype
        kernel = ops.cast(self.kernel.value, dtype)
        matrix = ops.reshape(kernel, (-1, kernel.shape[-1]))
        u = ops.cast(self.vector_u.value, dtype)
        for _ in range(self.power_iterations):
            v = _unit(ops.matmul(u, ops.transpose(matrix)))
            u = _unit(ops.matmul(v, matrix))
        # sigma = v W u^T is differentiated in W only; u and v are constants.
        u = ops.stop_gradient(u)
        v = ops.stop_gradient(v)
        sigma = ops.matmul(ops.matmul(v, matrix), ops.transpose(u))
        if training:
            self.vector_u.assign(u)
        normalized = kernel / sigma
        trainable = [
            normalized if variable is self.kernel else variable.value
            for variable in self.layer.trainable_variables
        ]
        non_trainable = [v.value for v in self.layer.non_trainable_variables]
        outputs, _ = self.layer.stateless_call(
            trainable, non_trainable, inputs
        )
        return outputs


def _unit(x):
    return x / (ops.sqrt(ops.sum(ops.square(x))) + 1e-12)
