"""The GAN that tests/distribution/test_jax.py trains, and the script its
subprocesses run.

Every run trains the same tiny GAN the same way (seed 0, d_steps=2, a
gradient penalty, an EMA) on the same ring data, so a distributed run can be
compared weight by weight with one device. `python jax_distributed.py KIND
OUT` trains it in a fresh process, where JAX can still be given several CPU
devices or join other processes, and saves the weights to OUT.npz
(with, but for "process", those of the same training on one device after
the distribution is closed) and what it did to OUT.json:

- "devices": data parallel over 2 simulated CPU devices, fed the global batch.
- "process": one of the processes named by the KERAS_DISTRIBUTION_*
  variables, fed only its own rows of every global batch; the chief also
  saves the GAN with `save_weights` to OUT + ".weights.h5".
- "model": model parallel on 4 simulated CPU devices (mesh batch 2 x
  model 2, Dense kernels split on "model"); also records how the
  generator's kernels, their Adam moments and their EMA weights are split.
"""

import json
import sys

import numpy as np

STEPS = 4
BATCH = 16
MESH = {"batch": 2, "model": 2}
# Rows of every Dense kernel split over the model axis: every kernel of the
# two MLPs below has an even number of rows (16, 8 or 2).
LAYOUT = {".*dense.*kernel": ["model", None]}


def ring_data():
    """The STEPS global batches of BATCH rows, in training order."""
    from keras_gans.datasets import ring

    x, _ = ring(STEPS * BATCH, seed=0)
    return x


def process_rows(x, index, count):
    """Process `index`'s rows of every global batch of `x` (the run layer's
    contract: the index-th block of `BATCH // count` rows of each)."""
    local = BATCH // count
    return x.reshape(STEPS, count, local, -1)[:, index].reshape(-1, x.shape[1])


def build(g_optimizer="sgd"):
    """The compiled, untrained GAN (seed 0)."""
    import keras

    import keras_gans
    from toy_models import mlp

    keras.utils.set_random_seed(0)
    gan = keras_gans.GAN(mlp(16, 2, width=8), mlp(2, 1, width=8),
                         latent_dim=16)
    gan.compile(
        # SGD: Adam would hide a gradient off by a constant factor.
        g_optimizer=(keras.optimizers.SGD(0.05) if g_optimizer == "sgd"
                     else keras.optimizers.Adam(0.001)),
        d_optimizer=keras.optimizers.SGD(0.05),
        penalty="wgan_gp", d_steps=2, ema=0.9,
    )
    return gan


def train(x, batch_size, g_optimizer="sgd"):
    """The GAN after one epoch over `x` in batches of `batch_size`."""
    gan = build(g_optimizer)
    gan.fit(x, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    return gan


def weights(gan):
    """G's, D's and the EMA's weights as numpy arrays, in a fixed order."""
    variables = (gan.generator.weights + gan.discriminator.weights
                 + gan.ema_weights)
    return {f"w{i:02d}": np.asarray(v.value) for i, v in enumerate(variables)}


def _split_rows(variables):
    """{path: [shape, shape of one device's piece]} of each variable."""
    return {v.path: [list(v.shape),
                     list(v.value.sharding.shard_shape(tuple(v.shape)))]
            for v in variables}


def main(kind, out):
    from keras_gans import backend

    x = ring_data()
    report = {}
    if kind == "devices":
        dist = backend.distribute(2)
        gan = train(x, BATCH)
    elif kind == "process":
        dist = backend.distribute("all")
        fed = process_rows(x, dist.process_index, dist.process_count)
        gan = train(fed, BATCH // dist.process_count)
        report["fed"] = fed.tolist()
        # Saving creates variables, which under a multi-process
        # distribution every process must do together: the others save
        # too, somewhere nobody reads (as the run layer's non-chiefs do).
        gan.save_weights(out + (".weights.h5" if dist.is_chief
                                else ".discarded.weights.h5"))
    elif kind == "model":
        dist = backend.distribute(4, mode="model_parallel", mesh=MESH,
                                  layout=LAYOUT)
        gan = train(x, BATCH, g_optimizer="adam")
        kernels = [v for v in gan.generator.trainable_variables
                   if v.path.endswith("kernel")]
        ema = [average for average, v in zip(
            gan.ema_weights, gan.generator.trainable_variables)
            if v.path.endswith("kernel")]
        moments = [v for v in gan.g_optimizer.variables
                   if "kernel" in v.path]
        report["split"] = {
            "kernels": _split_rows(kernels), "ema": _split_rows(ema),
            "moments": _split_rows(moments),
        }
    else:
        raise ValueError(f"Unknown kind. Received: {kind!r}")
    report["distribution"] = {
        "mode": dist.mode, "replicas": dist.replicas,
        "process_index": dist.process_index,
        "process_count": dist.process_count, "local_rows": dist.local_rows,
        "devices": list(dist.devices),
    }
    arrays = {"distributed_" + key: value
              for key, value in weights(gan).items()}
    dist.close()
    if kind != "process":
        # The reference: the same GAN on this process's first CPU device,
        # fed the global batches. Trained here rather than in the test's
        # process, which may run on a GPU (another float32 matmul); the
        # processes are compared with the "devices" run's.
        one = train(x, BATCH,
                    g_optimizer="adam" if kind == "model" else "sgd")
        arrays.update({"one_device_" + key: value
                       for key, value in weights(one).items()})
    np.savez(out, **arrays)
    with open(out + ".json", "w") as file:
        json.dump(report, file)


if __name__ == "__main__":
    main(*sys.argv[1:])
