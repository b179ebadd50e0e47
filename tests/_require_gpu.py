"""Exits with status 1 unless the Keras backend in KERAS_BACKEND sees a GPU.

Used as the first command of the `*-gpu` tox environments so that they fail
loudly instead of silently running the test suite on the CPU. This is a
plain script; pytest does not collect it (its name does not match
`test_*.py`).

Usage: KERAS_BACKEND=jax python tests/_require_gpu.py
"""

import os
import sys


def _tensorflow_gpus():
    import tensorflow as tf

    return [d.name for d in tf.config.list_physical_devices("GPU")]


def _jax_gpus():
    import jax

    try:
        return [str(d) for d in jax.devices("gpu")]
    except RuntimeError:
        return []


def _torch_gpus():
    import torch

    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]


_CHECKS = {"tensorflow": _tensorflow_gpus, "jax": _jax_gpus, "torch": _torch_gpus}


def main():
    backend = os.environ.get("KERAS_BACKEND", "")
    if backend not in _CHECKS:
        print(
            f"_require_gpu.py: KERAS_BACKEND must be one of {sorted(_CHECKS)}. "
            f"Received: KERAS_BACKEND={backend!r}",
            file=sys.stderr,
        )
        return 1
    try:
        gpus = _CHECKS[backend]()
    except ImportError as e:
        print(f"_require_gpu.py: cannot import the {backend} backend: {e}",
              file=sys.stderr)
        return 1
    if not gpus:
        print(
            f"_require_gpu.py: no GPU visible to the {backend} backend "
            f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r}). "
            "Run the CPU environment instead (e.g. `tox -e "
            f"{backend}`), or check the CUDA driver / wheel.",
            file=sys.stderr,
        )
        return 1
    print(f"_require_gpu.py: {backend} sees {len(gpus)} GPU(s): {', '.join(gpus)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
