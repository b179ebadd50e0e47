"""What a gradient penalty costs per convolution, on each framework's CPU path.

A gradient penalty (WGAN-GP, R1) differentiates the discriminator's input
gradient with respect to its weights: for a strided convolution, the input
gradient is a transposed convolution, and the penalty needs that transposed
convolution's kernel gradient. This times, for the four 5x5 stride-2
convolutions of the keras-io WGAN-GP critic (batch 64, "same" padding):

- `fwd`: the convolution;
- `grad W`: its kernel gradient (what a plain D update needs);
- `grad x`: its input gradient (the penalty's first derivative);
- `penalty grad W`: the kernel gradient of `sum(grad_x ** 2)`, the
  second-order term every penalty step pays;

in each of these forms (`SECOND_ORDER_FORMS`, default `native,patches`):

- `native`: the framework's strided convolution;
- `patches`: the `kh * kw` strided windows gathered as channels, times the
  kernel as a matrix (what `keras_gans.layers.PatchConv2D` does);
- `space-to-depth`: the input rearranged into 2x2 blocks as channels, then
  one stride-1 convolution with the kernel's phases (no faster on XLA: its
  derivatives still contain the slow reversed-window convolutions).

Frameworks, chosen by `KERAS_BACKEND` (Keras is not imported): TensorFlow
(`tf.function`, with and without XLA), JAX (`jax.jit`), PyTorch (eager,
native form only). Every form is checked against the native one (forward
and penalty gradient). Prints the median milliseconds of `--repeats` calls
after a warm-up, and the forward multiply-adds over that time.

    KERAS_BACKEND=tensorflow python benchmarks/second_order.py
    KERAS_BACKEND=jax python benchmarks/second_order.py --layers 2,3
"""

import argparse
import functools
import math
import os
import statistics
import time

import numpy as np

# (height, width, in channels, out channels) of the critic's convolutions
LAYERS = [(32, 32, 1, 64), (16, 16, 64, 128), (8, 8, 128, 256),
          (4, 4, 256, 512)]
KERNEL, STRIDE = 5, 2


def same_padding(size, kernel=KERNEL, stride=STRIDE):
    """TensorFlow's "same" padding (before, after) along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def s2d_plan(size, kernel=KERNEL, stride=STRIDE):
    """Padding (before, after) so the padded size is a multiple of `stride`
    with room for every tap, and the phase-kernel width."""
    before, _ = same_padding(size, kernel, stride)
    out = -(-size // stride)
    taps = -(-kernel // stride)
    padded = stride * (out + taps - 1)
    return (before, padded - size - before), taps


def FORMS(native, s2d, patches):
    """The formulations chosen with --forms, as (name, function) pairs."""
    chosen = os.environ.get("SECOND_ORDER_FORMS", "native,patches")
    every = {"native": native, "space-to-depth": s2d, "patches": patches}
    return [(name, every[name]) for name in chosen.split(",")]


def flops(h, w, cin, cout):
    out = -(-h // STRIDE) * -(-w // STRIDE)
    return 2 * out * KERNEL * KERNEL * cin * cout


def median_ms(fn, sync, repeats):
    sync(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sync(fn())
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


# ----------------------------------------------------------------------
# TensorFlow


def tensorflow_cases(x, w, jit):
    import tensorflow as tf

    x, w = tf.constant(x), tf.constant(w)
    h = x.shape[1]
    pads_same = same_padding(h)
    (low, high), taps = s2d_plan(h)
    extra = taps * STRIDE - KERNEL

    def native(x, w):
        x = tf.pad(x, [[0, 0], pads_same, pads_same, [0, 0]])
        return tf.nn.conv2d(x, w, STRIDE, "VALID")

    def s2d(x, w):
        x = tf.pad(x, [[0, 0], [low, high], [low, high], [0, 0]])
        x = tf.nn.space_to_depth(x, STRIDE)
        k = tf.pad(w, [[0, extra], [0, extra], [0, 0], [0, 0]])
        cin, cout = w.shape[2], w.shape[3]
        k = tf.reshape(k, (taps, STRIDE, taps, STRIDE, cin, cout))
        k = tf.transpose(k, (0, 2, 1, 3, 4, 5))
        k = tf.reshape(k, (taps, taps, STRIDE * STRIDE * cin, cout))
        return tf.nn.conv2d(x, k, 1, "VALID")

    def patches(x, w):
        x = tf.pad(x, [[0, 0], pads_same, pads_same, [0, 0]])
        out = -(-h // STRIDE)
        span = STRIDE * (out - 1) + 1
        columns = [
            x[:, i:i + span:STRIDE, j:j + span:STRIDE, :]
            for i in range(KERNEL) for j in range(KERNEL)
        ]
        columns = tf.concat(columns, axis=-1)
        return tf.matmul(
            tf.reshape(columns, (-1, columns.shape[-1])),
            tf.reshape(w, (-1, w.shape[-1])),
        )

    def programs(conv):
        def grad_w(x, w):
            with tf.GradientTape() as tape:
                tape.watch(w)
                total = tf.reduce_sum(conv(x, w))
            return tape.gradient(total, w)

        def grad_x(x, w):
            with tf.GradientTape() as tape:
                tape.watch(x)
                total = tf.reduce_sum(conv(x, w) ** 2)
            return tape.gradient(total, x)

        def penalty_grad_w(x, w):
            with tf.GradientTape() as outer:
                outer.watch(w)
                with tf.GradientTape() as inner:
                    inner.watch(x)
                    total = tf.reduce_sum(tf.nn.leaky_relu(conv(x, w), 0.2))
                g = inner.gradient(total, x)
                penalty = tf.reduce_sum(g**2)
            return outer.gradient(penalty, w)

        return {
            "fwd": conv,
            "grad W": grad_w,
            "grad x": grad_x,
            "penalty grad W": penalty_grad_w,
        }

    def sync(value):
        return value.numpy()

    cases = {}
    for form, conv in FORMS(native, s2d, patches):
        for name, fn in programs(conv).items():
            cases[(form, name)] = functools.partial(
                tf.function(fn, jit_compile=jit), x, w
            )
    return cases, sync


# ----------------------------------------------------------------------
# JAX


def jax_cases(x, w):
    import jax
    import jax.numpy as jnp
    from jax import lax

    x, w = jnp.asarray(x), jnp.asarray(w)
    h = x.shape[1]
    pads_same = same_padding(h)
    (low, high), taps = s2d_plan(h)
    extra = taps * STRIDE - KERNEL
    numbers = ("NHWC", "HWIO", "NHWC")

    def native(x, w):
        return lax.conv_general_dilated(
            x, w, (STRIDE, STRIDE), [pads_same, pads_same],
            dimension_numbers=numbers,
        )

    def s2d(x, w):
        n, hh, ww, c = x.shape
        x = jnp.pad(x, [(0, 0), (low, high), (low, high), (0, 0)])
        hp = x.shape[1] // STRIDE
        x = x.reshape(n, hp, STRIDE, hp, STRIDE, c)
        x = x.transpose(0, 1, 3, 2, 4, 5).reshape(n, hp, hp, STRIDE**2 * c)
        cin, cout = w.shape[2], w.shape[3]
        k = jnp.pad(w, [(0, extra), (0, extra), (0, 0), (0, 0)])
        k = k.reshape(taps, STRIDE, taps, STRIDE, cin, cout)
        k = k.transpose(0, 2, 1, 3, 4, 5).reshape(
            taps, taps, STRIDE**2 * cin, cout
        )
        return lax.conv_general_dilated(
            x, k, (1, 1), "VALID", dimension_numbers=numbers
        )

    def patches(x, w):
        x = jnp.pad(x, [(0, 0), pads_same, pads_same, (0, 0)])
        out = -(-h // STRIDE)
        span = STRIDE * (out - 1) + 1
        columns = [
            x[:, i:i + span:STRIDE, j:j + span:STRIDE, :]
            for i in range(KERNEL) for j in range(KERNEL)
        ]
        columns = jnp.concatenate(columns, axis=-1)
        return columns @ w.reshape(-1, w.shape[-1])

    def programs(conv):
        def inner(x, w):
            return jnp.sum(jax.nn.leaky_relu(conv(x, w), 0.2))

        def penalty(w, x):
            return jnp.sum(jax.grad(inner)(x, w) ** 2)

        # Arguments, not closures: XLA would constant-fold captured arrays.
        return {
            "fwd": jax.jit(conv),
            "grad W": jax.jit(lambda x, w: jax.grad(
                lambda w: jnp.sum(conv(x, w)))(w)),
            "grad x": jax.jit(lambda x, w: jax.grad(
                lambda x: jnp.sum(conv(x, w) ** 2))(x)),
            "penalty grad W": jax.jit(
                lambda x, w: jax.grad(penalty)(w, x)
            ),
        }

    cases = {}
    for form, conv in FORMS(native, s2d, patches):
        for name, fn in programs(conv).items():
            cases[(form, name)] = functools.partial(fn, x, w)
    return cases, jax.block_until_ready


# ----------------------------------------------------------------------
# PyTorch


def torch_cases(x, w):
    import torch
    from torch.nn import functional as F

    x = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    w = torch.from_numpy(w).permute(3, 2, 0, 1).contiguous()
    h = x.shape[2]
    pads_same = same_padding(h)

    def native(x, w):
        x = F.pad(x, (*pads_same, *pads_same))
        return F.conv2d(x, w, stride=STRIDE)

    def grad_w():
        wr = w.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(native(x, wr).sum(), wr)
        return g

    def grad_x():
        xr = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad((native(xr, w) ** 2).sum(), xr)
        return g

    def penalty_grad_w():
        wr = w.detach().requires_grad_(True)
        xr = x.detach().requires_grad_(True)
        total = F.leaky_relu(native(xr, wr), 0.2).sum()
        (g,) = torch.autograd.grad(total, xr, create_graph=True)
        (gw,) = torch.autograd.grad((g**2).sum(), wr)
        return gw

    cases = {
        ("native", "fwd"): lambda: native(x, w),
        ("native", "grad W"): grad_w,
        ("native", "grad x"): grad_x,
        ("native", "penalty grad W"): penalty_grad_w,
    }
    return cases, lambda value: value


# ----------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layers", default="0,1,2,3",
                        help="which of the critic's 4 convolutions")
    args = parser.parse_args()
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    rng = np.random.default_rng(0)
    print(f"backend {backend}, batch {args.batch}, load average "
          f"{os.getloadavg()[0]:.2f}")
    print("| framework | layer | form | operation | ms | fwd GFLOP/s equiv |")
    print("|---|---|---|---|---|---|")
    for index in map(int, args.layers.split(",")):
        h, w_, cin, cout = LAYERS[index]
        x = rng.standard_normal((args.batch, h, w_, cin), "float32")
        w = rng.standard_normal((KERNEL, KERNEL, cin, cout), "float32")
        w *= 1 / math.sqrt(KERNEL * KERNEL * cin)
        if backend == "tensorflow":
            variants = [("tf graph", tensorflow_cases(x, w, False)),
                        ("tf XLA", tensorflow_cases(x, w, True))]
        elif backend == "jax":
            variants = [("jax jit", jax_cases(x, w))]
        else:
            variants = [("torch eager", torch_cases(x, w))]
        work = flops(h, w_, cin, cout) * args.batch
        label = f"{h}x{w_}x{cin}->{cout}"
        for framework, (cases, sync) in variants:
            forms = sorted({form for form, _ in cases})
            for form in forms:
                if form == "native" or ("native", "fwd") not in cases:
                    continue
                # Every form computes the same function.
                for name in ("fwd", "penalty grad W"):
                    a = np.asarray(sync(cases[("native", name)]()))
                    b = np.asarray(sync(cases[(form, name)]())).reshape(a.shape)
                    scale = np.abs(a).max()
                    assert np.abs(a - b).max() <= 1e-4 * scale, (form, name)
            for (form, name), fn in cases.items():
                ms = median_ms(fn, sync, args.repeats)
                print(f"| {framework} | {label} | {form} | {name} | "
                      f"{ms:.1f} | {work / ms / 1e6:.1f} |", flush=True)


if __name__ == "__main__":
    main()
