"""Peak memory of `keras-gans sample --outdir` for 10,000 samples vs 1,000.

Each size runs in a fresh process (the CLI, as a user runs it) on the
same saved model: a dense generator of 28x28x1 images (MNIST-sized
digits; latent 64). Peak RSS is the child's `ru_maxrss`. Bounded memory
shows as a ratio near 1: the folder writer holds one batch of images and
the (n, 64) latents, never n images. The reference row runs `generate(n)`
at once in a fresh process, which holds all n images.

    KERAS_BACKEND=torch python benchmarks/sample_folder.py
"""

import argparse
import os
import subprocess
import sys
import tempfile

HOLD_ALL = """
import sys, keras, keras_gans
gan = keras.models.load_model(sys.argv[1])
x = gan.generate(int(sys.argv[2]), seed=0, batch_size=256)
print(x.nbytes)
"""


def make_model(path):
    import keras

    import keras_gans

    z = keras.Input((64,))
    x = keras.layers.Dense(256, activation="relu")(z)
    x = keras.layers.Dense(28 * 28, activation="tanh")(x)
    generator = keras.Model(z, keras.layers.Reshape((28, 28, 1))(x))
    images = keras.Input((28, 28, 1))
    logits = keras.layers.Dense(1)(keras.layers.Flatten()(images))
    gan = keras_gans.GAN(generator, keras.Model(images, logits),
                         latent_dim=64, seed=0)
    gan.compile(g_optimizer="adam", d_optimizer="adam", ema=0.999)
    gan.save(path)


def peak_rss_mib(command):
    """Runs `command`; returns that child's own peak RSS in MiB (`wait4`
    gives one child's usage; Linux reports KiB)."""
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"failed ({child.returncode}): {command}")
    return usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as work:
        model = os.path.join(work, "gan.keras")
        make_model(model)
        rows = []
        for n in sizes:
            outdir = os.path.join(work, f"out{n}")
            mib = peak_rss_mib([
                sys.executable, "-m", "keras_gans.cli", "sample", model,
                "--outdir", outdir, "-n", str(n), "--batch-size",
                str(args.batch_size)])
            assert len(os.listdir(outdir)) == n
            rows.append(("sample --outdir", n, mib))
        for n in sizes:
            mib = peak_rss_mib([sys.executable, "-c", HOLD_ALL, model,
                                   str(n)])
            rows.append(("generate(n) held", n, mib))
    import keras

    print(f"backend {keras.backend.backend()}, batch {args.batch_size}, "
          "28x28x1 images")
    print(f"{'what':<18} {'n':>7} {'peak RSS MiB':>13}")
    for what, n, mib in rows:
        print(f"{what:<18} {n:>7} {mib:>13.0f}")
    folder = [mib for what, _, mib in rows if what.startswith("sample")]
    held = [mib for what, _, mib in rows if what.startswith("generate")]
    print(f"ratio {sizes[-1]} / {sizes[0]}: sample --outdir "
          f"{folder[-1] / folder[0]:.2f}, generate held "
          f"{held[-1] / held[0]:.2f}")


if __name__ == "__main__":
    main()
