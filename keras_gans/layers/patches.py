"""`PatchConv2D`: a convolution computed as patches times a matrix.

XLA's CPU backend (JAX, and TensorFlow with `jit_compile=True`) runs some
convolutions through a generic loop at 0.1-0.5 GFLOP/s instead of its fast
kernels (`benchmarks/second_order.py`, `benchmarks/RESULTS.md`):

- a convolution whose output is no larger than its kernel, such as the last
  5x5 stride-2 convolution of the keras-io WGAN-GP critic (4x4 -> 2x2, 256
  -> 512 channels): 5.4 s forward on JAX, where the patch form takes 40 ms;
- the input gradient of such a strided convolution (a base-dilated
  convolution), and the kernel gradient of that input gradient, which every
  gradient penalty (WGAN-GP, R1) differentiates: 3.6-11.6 s per layer
  instead of 0.3-0.4 s.

Gathering the `kh * kw` shifted windows of the input as channels ("im2col")
turns the convolution into one matrix product, and its first and second
derivatives into matrix products and strided slices, which XLA runs at full
speed.
"""

import keras
from keras import ops


def same_padding(size, kernel, stride):
    """TensorFlow's "same" padding `(before, after)` along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def output_size(size, kernel, stride, padding):
    """Output length along one axis for `padding` "same" or "valid"."""
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


@keras.saving.register_keras_serializable(package="keras_gans")
class PatchConv2D(keras.layers.Conv2D):
    """`Conv2D` as the input's windows gathered into channels, times a matrix.

    Same arguments, weights (Keras' `(kh, kw, in, filters)` kernel) and
    outputs as `keras.layers.Conv2D`, to float rounding. Supported:
    channels-last data, `padding="same"` or `"valid"`, no dilation, one
    group, and a known input height and width; any other configuration runs
    Keras' own convolution.

    The gathered windows take `kh * kw / (sh * sw)` times the input's memory,
    so `keras_gans.layers.accelerate` uses this layer only where XLA's own
    convolution is slow (see the module docstring).
    """

    def build(self, input_shape):
        super().build(input_shape)
        self.prepare(input_shape)

    def prepare(self, input_shape):
        """Plans the windows for inputs of `input_shape`.

        Called by `build`, and by `keras_gans.layers.accelerate` on a built
        `Conv2D` whose class it changes to this one.
        """
        self._windows = None
        height, width = tuple(input_shape)[1:3]
        supported = (
            self.rank == 2
            and self.data_format == "channels_last"
            and self.padding in ("same", "valid")
            and tuple(self.dilation_rate) == (1, 1)
            and self.groups == 1
            and height is not None
            and width is not None
        )
        if not supported:
            return
        axes = []
        for size, kernel, stride in zip(
            (height, width), self.kernel_size, self.strides
        ):
            pads = (
                same_padding(size, kernel, stride)
                if self.padding == "same" else (0, 0)
            )
            out = output_size(size, kernel, stride, self.padding)
            axes.append((pads, out))
        self._windows = axes

    def call(self, inputs):
        if self._windows is None:
            return super().call(inputs)
        outputs = ops.matmul(self.patches(inputs), self.patch_kernel())
        if self.use_bias:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def patches(self, inputs):
        """The `(batch, out_h, out_w, kh * kw * in)` windows of `inputs`."""
        ((pad_h, out_h), (pad_w, out_w)) = self._windows
        if any(pad_h) or any(pad_w):
            inputs = ops.pad(inputs, [[0, 0], list(pad_h), list(pad_w), [0, 0]])
        stride_h, stride_w = self.strides
        span_h = stride_h * (out_h - 1) + 1
        span_w = stride_w * (out_w - 1) + 1
        kernel_h, kernel_w = self.kernel_size
        windows = [
            inputs[:, i:i + span_h:stride_h, j:j + span_w:stride_w, :]
            for i in range(kernel_h)
            for j in range(kernel_w)
        ]
        return windows[0] if len(windows) == 1 else ops.concatenate(
            windows, axis=-1
        )

    def patch_kernel(self):
        """The kernel as a `(kh * kw * in, filters)` matrix (windows' order)."""
        return ops.reshape(self.kernel, (-1, self.filters))
