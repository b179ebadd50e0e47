"""`SubPixelConv2DTranspose`: a transposed convolution without its slow gradient.

`SubPixelConv2DTranspose` computes exactly what `keras.layers.Conv2DTranspose`
computes, from the same kernel, as one stride-1 convolution followed by
depth-to-space ("sub-pixel" convolution, Shi et al. 2016). On a CPU, XLA
(JAX) takes the kernel gradient of a transposed convolution through a very
slow path: for the 28x28 guide GAN's 14x14 -> 28x28 layer it costs about 80
forward passes (`benchmarks/RESULTS.md`); the stride-1 formulation avoids it.
"""

import numpy as np

import keras
from keras import ops


def phase_taps(kernel_size, stride, pad_left):
    """How a stride-`stride` transposed convolution splits into phases.

    Output position `stride * q + a` (phase `a`) receives
    `x[q + t] * w[j]` for every tap with `j = a + pad_left - stride * t`.

    Returns:
        `(offsets, taps)`: `offsets[a]` is phase `a`'s smallest `t`;
        `taps[a][u]` is the kernel index `j` for `t = offsets[a] + u`, or
        None where the window of width `len(taps[a])` has no tap.
    """
    by_phase = []
    for phase in range(stride):
        taps = {}
        for j in range(kernel_size):
            shift = phase + pad_left - j
            if shift % stride == 0:
                taps[shift // stride] = j
        by_phase.append(taps)
    width = max(max(t) - min(t) + 1 for t in by_phase)
    offsets = [min(t) for t in by_phase]
    taps = [
        [t.get(offset + u) for u in range(width)]
        for t, offset in zip(by_phase, offsets)
    ]
    return offsets, taps


@keras.saving.register_keras_serializable(package="keras_gans")
class SubPixelConv2DTranspose(keras.layers.Conv2DTranspose):
    """`Conv2DTranspose` as one stride-1 convolution and depth-to-space.

    Same arguments, weights (the kernel keeps Keras' `(kh, kw, filters,
    in_channels)` layout, so weights load either way) and outputs as
    `keras.layers.Conv2DTranspose`, to float rounding. Supported:
    `padding="same"`, channels-last data, no dilation, no `output_padding`
    and a kernel at least as large as the stride; any other configuration
    runs Keras' own transposed convolution.

    The stride-1 convolution produces all `strides[0] * strides[1]` output
    phases as channels, from phase kernels gathered out of the kernel, so it
    does the same multiply-adds plus a one-pixel border.
    """

    def build(self, input_shape):
        super().build(input_shape)
        self.prepare()

    def prepare(self):
        """Plans the sub-pixel form from the layer's configuration.

        Called by `build`, and by `keras_gans.layers.accelerate` on a built
        `Conv2DTranspose` whose class it changes to this one.
        """
        self._plan = None
        supported = (
            self.padding == "same"
            and self.data_format == "channels_last"
            and tuple(self.dilation_rate) == (1, 1)
            and self.output_padding is None
            and all(k >= s for k, s in zip(self.kernel_size, self.strides))
        )
        if supported:
            self._plan = [
                phase_taps(k, s, max(k - s, 0) // 2)
                for k, s in zip(self.kernel_size, self.strides)
            ]

    def call(self, inputs):
        if self._plan is None:
            return super().call(inputs)
        outputs = self.transposed_conv(inputs, self.kernel)
        if self.use_bias:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def phase_kernel(self, kernel):
        """The stride-1 kernel `(wh, ww, in, phases * filters)`."""
        (_, taps_h), (_, taps_w) = self._plan
        kh, kw, filters, channels = kernel.shape
        # Kernel taps as (in, filters) matrices, plus a zero one for gaps.
        flat = ops.reshape(
            ops.transpose(kernel, (0, 1, 3, 2)), (kh * kw, channels, filters)
        )
        flat = ops.concatenate(
            [flat, ops.zeros((1, channels, filters), dtype=flat.dtype)], axis=0
        )
        wh, ww = len(taps_h[0]), len(taps_w[0])
        index = np.full((wh, ww, len(taps_h), len(taps_w)), kh * kw)
        for a, row_taps in enumerate(taps_h):
            for b, col_taps in enumerate(taps_w):
                for u, j in enumerate(row_taps):
                    for v, i in enumerate(col_taps):
                        if j is not None and i is not None:
                            index[u, v, a, b] = j * kw + i
        phases = len(taps_h) * len(taps_w)
        gathered = ops.take(flat, index.reshape(-1), axis=0)
        gathered = ops.reshape(gathered, (wh, ww, phases, channels, filters))
        gathered = ops.transpose(gathered, (0, 1, 3, 2, 4))
        return ops.reshape(gathered, (wh, ww, channels, phases * filters))

    def transposed_conv(self, inputs, kernel):
        """Conv2DTranspose(inputs) with `kernel`, in the sub-pixel form."""
        (offsets_h, taps_h), (offsets_w, taps_w) = self._plan
        height, width = inputs.shape[1], inputs.shape[2]
        filters = kernel.shape[2]
        low_h, low_w = max(0, -min(offsets_h)), max(0, -min(offsets_w))
        high_h = max(0, max(offsets_h) + len(taps_h[0]) - 1)
        high_w = max(0, max(offsets_w) + len(taps_w[0]) - 1)
        padded = ops.pad(
            inputs, [[0, 0], [low_h, high_h], [low_w, high_w], [0, 0]]
        )
        phases = ops.conv(
            padded, self.phase_kernel(kernel), strides=1, padding="valid"
        )
        blocks = []
        for a, offset_h in enumerate(offsets_h):
            row = []
            for b, offset_w in enumerate(offsets_w):
                channel = (a * len(offsets_w) + b) * filters
                top, left = offset_h + low_h, offset_w + low_w
                row.append(
                    phases[
                        :,
                        top:top + height,
                        left:left + width,
                        channel:channel + filters,
                    ]
                )
            blocks.append(ops.stack(row, axis=3))
        # (batch, h, stride_h, w, stride_w, filters) -> interleaved pixels.
        stacked = ops.stack(blocks, axis=2)
        return ops.reshape(
            stacked,
            (-1, height * len(offsets_h), width * len(offsets_w), filters),
        )
