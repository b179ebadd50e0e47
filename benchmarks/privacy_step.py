"""The cost of DP-SGD on the discriminator: training steps/s with and without.

For the active Keras backend (`KERAS_BACKEND`), each model trains with
`GAN.fit` twice from the same weights: without privacy, and with
`compile(privacy=...)` (per-example gradients by the backend's own
vectorisation, clipping and noise). A step is one D update and one G
update (`d_steps=1`); only the D update changes, so the ratio understates
the cost of the private D update alone. The two contenders are timed in
interleaved blocks (AB, BA, AB, ...) after a warm-up block, so load on the
machine hits both alike; the ratio is the private steps/s over the
non-private steps/s measured in the same run.

Models: `digits_mlp`, keras_gans' MLP at the digits' size (8x8x1, latent
10, two hidden layers of 128); `dcgan28`, a small DCGAN discriminator on
28x28x1 without BatchNorm (which privacy refuses): two stride-2 4x4
convolutions of 32 and 64 channels with LeakyReLU, and the generator
mirroring it.

    KERAS_BACKEND=jax python benchmarks/privacy_step.py --json out.json
"""

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

MODELS = ("digits_mlp", "dcgan28")
BATCH = 64


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--steps", type=int, default=20,
                        help="training steps per timed block")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed blocks per contender")
    parser.add_argument("--noise-multiplier", type=float, default=1.0)
    parser.add_argument("--l2-norm-clip", type=float, default=1.0)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    unknown = [m for m in args.models.split(",") if m not in MODELS]
    if unknown:
        parser.error(f"unknown models {unknown}; known: {list(MODELS)}. "
                     f"Received: --models {args.models}")
    return args


def networks(name):
    """(generator, discriminator, sample shape, latent size)."""
    import keras

    from keras_gans.architectures.mlp import mlp

    if name == "digits_mlp":
        generator, discriminator = mlp(10, (8, 8, 1), width=128, depth=2,
                                       output_activation="tanh")
        return generator, discriminator, (8, 8, 1), 10
    z = keras.Input((64,))
    x = keras.layers.Dense(7 * 7 * 64)(z)
    x = keras.layers.Reshape((7, 7, 64))(x)
    x = keras.layers.Conv2DTranspose(32, 4, strides=2, padding="same",
                                     activation="relu")(x)
    x = keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same",
                                     activation="tanh")(x)
    generator = keras.Model(z, x)
    images = keras.Input((28, 28, 1))
    x = images
    for channels in (32, 64):
        x = keras.layers.Conv2D(channels, 4, strides=2, padding="same")(x)
        x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.Flatten()(x)
    discriminator = keras.Model(images, keras.layers.Dense(1)(x))
    return generator, discriminator, (28, 28, 1), 64


def contender(name, privacy):
    """A compiled GAN on fresh copies of the model's networks."""
    import keras
    import keras_gans

    keras.utils.set_random_seed(0)
    generator, discriminator, shape, latent = networks(name)
    gan = keras_gans.GAN(generator, discriminator, latent_dim=latent, seed=0)
    gan.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                privacy=privacy)
    return gan, shape


def time_block(gan, x, steps):
    start = time.perf_counter()
    gan.fit(x, batch_size=BATCH, epochs=1, steps_per_epoch=steps,
            verbose=0, shuffle=False)
    return steps / (time.perf_counter() - start)


def run_model(name, args):
    privacy = {"noise_multiplier": args.noise_multiplier,
               "l2_norm_clip": args.l2_norm_clip}
    plain, shape = contender(name, None)
    private, _ = contender(name, privacy)
    x = np.random.default_rng(0).uniform(
        -1, 1, size=(BATCH * args.steps,) + shape).astype("float32")
    pair = {"plain": plain, "private": private}
    for gan in pair.values():  # warm-up: compile, first allocations
        time_block(gan, x, args.steps)
    rates = {key: [] for key in pair}
    for repeat in range(args.repeats):
        order = ("plain", "private") if repeat % 2 == 0 else (
            "private", "plain")
        for key in order:
            rates[key].append(time_block(pair[key], x, args.steps))
    plain_rate = statistics.median(rates["plain"])
    private_rate = statistics.median(rates["private"])
    return {
        "model": name,
        "batch_size": BATCH,
        "jit_compile": bool(private.jit_compile),
        "steps_per_s_plain": plain_rate,
        "steps_per_s_private": private_rate,
        "ratio_private_over_plain": private_rate / plain_rate,
        "blocks": rates,
    }


def main(argv=None):
    args = parse_args(argv)
    import keras

    results = {
        "backend": keras.backend.backend(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average_at_start": os.getloadavg()[0],
        "steps_per_block": args.steps,
        "repeats": args.repeats,
        "models": [run_model(name, args)
                   for name in args.models.split(",")],
    }
    for row in results["models"]:
        print(f"{results['backend']:10s} {row['model']:10s} "
              f"plain {row['steps_per_s_plain']:8.2f} steps/s  "
              f"private {row['steps_per_s_private']:8.2f} steps/s  "
              f"ratio {row['ratio_private_over_plain']:.3f}")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=2)
    return results


if __name__ == "__main__":
    main()
