"""Why JAX convolutions are slow on a CPU: forward and backward, piece by piece.

Times, in one process, the convolutions of the 28x28 guide GAN's generator
(its second `Conv2DTranspose`, 14x14 -> 28x28, 128 -> 128 channels, kernel
4, stride 2) and of a stride-2 `Conv2D` on JAX (`jax.lax`, jitted) in NHWC
and NCHW, next to PyTorch's `conv_transpose2d` / `conv2d` on the same
shapes, and the sub-pixel formulation of the transposed convolution that
`keras_gans.layers.SubPixelConv2DTranspose` uses (one stride-1 convolution
to 4x the channels, then depth-to-space). Prints GFLOP/s per operation.

    KERAS_BACKEND=jax python benchmarks/jax_conv.py [--batch 64] [--repeats 5]
    XLA_FLAGS=--xla_cpu_use_thunk_runtime=false python benchmarks/jax_conv.py
"""

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402


def best_time(fn, *args, repeats=5):
    """Best wall time of `fn(*args)` after one warm-up call."""
    jax.block_until_ready(fn(*args))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - start)
    return best


def jax_ops(layout):
    """Jitted forward and forward+backward of both convolutions in `layout`."""
    numbers = (layout, "HWIO", layout)

    def conv(x, w):
        return lax.conv_general_dilated(
            x, w, (2, 2), "SAME", dimension_numbers=numbers
        )

    def conv_transpose(x, w):
        return lax.conv_transpose(
            x, w, (2, 2), "SAME", dimension_numbers=numbers
        )

    def with_grads(f, argnums=(0, 1)):
        return jax.jit(jax.grad(lambda x, w: jnp.sum(f(x, w)), argnums=argnums))

    return {
        "conv fwd": jax.jit(conv),
        "conv fwd+bwd": with_grads(conv),
        "conv input grad": with_grads(conv, 0),
        "conv kernel grad": with_grads(conv, 1),
        "conv_transpose fwd": jax.jit(conv_transpose),
        "conv_transpose fwd+bwd": with_grads(conv_transpose),
        "conv_transpose input grad": with_grads(conv_transpose, 0),
        "conv_transpose kernel grad": with_grads(conv_transpose, 1),
    }


def subpixel_ops():
    """The sub-pixel transposed convolution (NHWC), via keras-gans' layer."""
    import keras
    from keras_gans.layers import SubPixelConv2DTranspose

    layer = SubPixelConv2DTranspose(128, 4, strides=2, padding="same")
    layer.build((None, 14, 14, 128))

    def forward(x, w):
        return layer.transposed_conv(x, w)

    def total(x, w):
        return jnp.sum(forward(x, w))

    del keras
    return {
        "subpixel conv_transpose fwd": jax.jit(forward),
        "subpixel conv_transpose fwd+bwd": jax.jit(
            jax.grad(total, argnums=(0, 1))
        ),
    }


def torch_times(batch, repeats):
    """PyTorch (NCHW) times of the same operations, if torch is installed."""
    try:
        import torch
        from torch.nn import functional
    except ImportError:
        return {}
    x_t = torch.randn(batch, 128, 14, 14)
    w_t = torch.randn(128, 128, 4, 4)
    x_c = torch.randn(batch, 64, 14, 14)
    w_c = torch.randn(128, 64, 3, 3)

    def timed(fn):
        fn()
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        return best

    def fwd_bwd(op, x, w, **kwargs):
        x = x.clone().requires_grad_(True)
        w = w.clone().requires_grad_(True)

        def run():
            op(x, w, **kwargs).sum().backward()

        return run

    with torch.no_grad():
        forward_t = timed(
            lambda: functional.conv_transpose2d(x_t, w_t, stride=2, padding=1)
        )
        forward_c = timed(
            lambda: functional.conv2d(x_c, w_c, stride=2, padding=1)
        )
    return {
        "conv fwd": forward_c,
        "conv fwd+bwd": timed(
            fwd_bwd(functional.conv2d, x_c, w_c, stride=2, padding=1)
        ),
        "conv_transpose fwd": forward_t,
        "conv_transpose fwd+bwd": timed(
            fwd_bwd(functional.conv_transpose2d, x_t, w_t, stride=2, padding=1)
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    batch = args.batch
    rng = np.random.default_rng(0)

    def normal(*shape):
        return jnp.asarray(rng.standard_normal(shape, dtype=np.float32))

    # Forward FLOPs; a forward+backward pass (input and kernel gradients)
    # is counted as three times that, one gradient (with its forward) as
    # twice.
    flops = {
        "conv": 2 * batch * 7 * 7 * 3 * 3 * 64 * 128,
        "conv_transpose": 2 * batch * 14 * 14 * 4 * 4 * 128 * 128,
    }
    inputs = {
        "NHWC": {
            "conv": (normal(batch, 14, 14, 64), normal(3, 3, 64, 128)),
            "conv_transpose": (normal(batch, 14, 14, 128), normal(4, 4, 128, 128)),
        },
    }
    inputs["NCHW"] = {
        name: (jnp.transpose(x, (0, 3, 1, 2)), w)
        for name, (x, w) in inputs["NHWC"].items()
    }
    rows = []
    for layout in ("NHWC", "NCHW"):
        for name, fn in jax_ops(layout).items():
            op = name.split()[0]
            seconds = best_time(fn, *inputs[layout][op], repeats=args.repeats)
            rows.append((f"jax {layout}", name, op, seconds))
    for name, fn in subpixel_ops().items():
        seconds = best_time(
            fn, *inputs["NHWC"]["conv_transpose"], repeats=args.repeats
        )
        rows.append(("jax NHWC", name, "conv_transpose", seconds))
    for name, seconds in torch_times(batch, args.repeats).items():
        rows.append(("torch NCHW", name, name.split()[0], seconds))

    print(f"jax {jax.__version__}, XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}")
    print("| library | operation | ms | GFLOP/s |")
    print("|---|---|---|---|")
    for library, name, op, seconds in rows:
        work = flops[op] * (3 if "bwd" in name else 1)
        if "grad" in name:
            work = flops[op] * 2  # the forward pass and one gradient
        print(
            f"| {library} | {name} | {seconds * 1e3:.1f} | "
            f"{work / seconds / 1e9:.1f} |"
        )


if __name__ == "__main__":
    main()
