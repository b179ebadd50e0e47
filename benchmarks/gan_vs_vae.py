"""GAN against VAE on the digits and the ring of 8 Gaussians, one protocol.

Issue 14's benchmark. For each pair, trains the GAN recipe and the VAE
recipe (`keras-gans run`, one subprocess each, `KERAS_BACKEND=--backend`),
or takes the runs already in `--directory` (a run with a metrics.json is
not trained again), then scores both with `keras-gans compare`: the same
feature extractor, real data, sample count and seed for the two runs, and
each run's parameters, training time (from its metrics.json) and samples/s
(measured by compare, batch 256 for both).

- digits: `recipes/seed_mlp.toml` (the material's MLP GAN: latent 10, one
  hidden layer of 20) against `recipes/vae_digits.toml` (the VAE with the
  same sizes), both on the 1,438 training digits of 8x8
  (`data.params.split = "train"`, so that the 359 test digits are held out
  for FID, KID and precision/recall/density/coverage); `domain_classifier`
  features; 5,000 samples.
- ring8: `recipes/ring8.toml` against `recipes/vae_ring8.toml`; `pixels`
  features (the 2-D points) and mode coverage (modes captured, share of
  samples within 3 std of a mode); 2,500 samples (REFERENCES.md
  section 1's protocol).
- digits28: `recipes/dcgan.toml` against `recipes/vae_digits.toml` with
  DCGAN-shaped networks (`model.architecture = "conv"`, width 32, latent
  64) for dcgan's 28 epochs, both on the 1,438 training digits at 28x28;
  as digits otherwise.

Writes each pair's compare.md/.json/.png under `--directory`, copies the
pictures to `benchmarks/gan_vs_vae_<pair>.png` (`--pictures`), prints the
tables, and with `--json` saves them with the load average and times.

    python benchmarks/gan_vs_vae.py                        # both pairs
    python benchmarks/gan_vs_vae.py --pairs ring8 --quick  # a short check
    python benchmarks/gan_vs_vae.py --directory runs/gan_vs_vae \\
        --json benchmarks/results/gan_vs_vae_tensorflow.json

Threads: the backends' defaults.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PAIRS = {
    "digits": {"gan": "seed_mlp.toml", "vae": "vae_digits.toml",
               "set": ["data.params.split=train"], "samples": 5_000},
    "ring8": {"gan": "ring8.toml", "vae": "vae_ring8.toml", "set": [],
              "samples": 2_500},
    # Convolutional networks at 28x28: the quick-start DCGAN against a VAE
    # of DCGAN's shape (`conv`), for the same 28 epochs (1,232 updates).
    "digits28": {"gan": "dcgan.toml", "vae": "vae_digits.toml",
                 "set": ["data.params.split=train",
                         "data.params.image_size=28"],
                 "vae_set": ["model.architecture=conv",
                             "model.params={ width = 32 }",
                             "model.latent_dim=64", "train.epochs=28",
                             "output.sample_every=1",
                             "output.checkpoint_every=10"],
                 "samples": 5_000},
}
# --quick: short runs (40 steps, or 1 epoch for a recipe counted in
# epochs), few samples, no XLA/jit.
QUICK_SET = ["train.jit_compile=false", "output.checkpoint_every=0",
             "output.sample_every=0"]
QUICK_SAMPLES = 400


def command(*args):
    """`python -m keras_gans.cli ARGS` from this tree."""
    return [sys.executable, "-m", "keras_gans.cli", *map(str, args)]


def call(args, env, log):
    """Runs a command, its output into `log`; stops the benchmark when it
    fails, showing the end of the log."""
    with open(log, "a", encoding="utf-8") as file:
        file.write("$ " + " ".join(args) + "\n")
        file.flush()
        done = subprocess.run(args, env=env, stdout=file,
                              stderr=subprocess.STDOUT, cwd=ROOT)
    if done.returncode != 0:
        with open(log, encoding="utf-8") as file:
            sys.stderr.write(file.read()[-4000:])
        raise SystemExit(f"keras-gans {args[3]} failed (exit code "
                         f"{done.returncode}); log: {log}")


def trained(run, recipe):
    """Whether `run` holds a finished run (its metrics.json has steps) of
    `recipe`; stops the benchmark when it holds another recipe's run."""
    try:
        with open(os.path.join(run, "metrics.json"), encoding="utf-8") as f:
            finished = "steps" in json.load(f)
    except (OSError, ValueError):
        return False
    with open(recipe, "rb") as file:
        expected = tomllib.load(file)["name"]
    with open(os.path.join(run, "recipe.toml"), "rb") as file:
        found = tomllib.load(file)["name"]
    if found != expected:
        raise SystemExit(f"{run} holds a run of {found}, not of {expected}: "
                         "remove it or choose another --directory.")
    return finished


def quick_length(recipe):
    """`train.steps=40`, or `train.epochs=1` for a recipe counted in
    epochs (a recipe sets one of them, not both)."""
    with open(recipe, "rb") as file:
        counted = tomllib.load(file).get("train", {})
    return "train.epochs=1" if "epochs" in counted else "train.steps=40"


def train(pair, kind, directory, extra, env, log, quick=False):
    """The run of `pair`'s `kind` recipe: trained unless already there."""
    run = os.path.join(directory, f"{pair}-{kind}")
    recipe = os.path.join(ROOT, "recipes", PAIRS[pair][kind])
    if trained(run, recipe):
        print(f"{pair}-{kind}: taking the run in {run}", flush=True)
        return run
    shutil.rmtree(run, ignore_errors=True)  # an unfinished one
    args = ["run", recipe, "--output", run]
    if quick:
        extra = extra + QUICK_SET + [quick_length(recipe)]
    for setting in PAIRS[pair]["set"] + PAIRS[pair].get(f"{kind}_set",
                                                         []) + extra:
        args += ["--set", setting]
    started = time.time()
    call(command(*args), env, log)
    print(f"{pair}-{kind}: trained in {time.time() - started:.0f} s "
          f"({run})", flush=True)
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default=",".join(PAIRS),
                        help=f"among {', '.join(PAIRS)}")
    parser.add_argument("--backend",
                        default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    parser.add_argument("--samples", type=int, default=None,
                        help="samples per run (default: 5,000 for digits, "
                             "2,500 for ring8)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the generated samples")
    parser.add_argument("--set", action="append", default=[],
                        help="a recipe override for every run (repeat)")
    parser.add_argument("--quick", action="store_true",
                        help="40 steps, 400 samples, no XLA/jit: checks "
                             "that it works")
    parser.add_argument("--directory", default=None,
                        help="where the runs and comparisons go (default: a "
                             "temporary folder); runs already there are "
                             "taken")
    parser.add_argument("--pictures", default=HERE,
                        help="folder for gan_vs_vae_<pair>.png ('' for none)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    pairs = args.pairs.split(",")
    unknown = sorted(set(pairs) - set(PAIRS))
    if unknown:
        parser.error(f"--pairs: unknown {unknown}; choose among "
                     f"{', '.join(PAIRS)}")
    extra = list(args.set)
    env = dict(os.environ, KERAS_BACKEND=args.backend,
               TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get(
                   "PYTHONPATH", "")]))
    directory = os.path.abspath(
        args.directory or tempfile.mkdtemp(prefix="gan_vs_vae-"))
    os.makedirs(directory, exist_ok=True)
    log = os.path.join(directory, "log.txt")
    started = time.time()
    load_before = os.getloadavg()

    results = {}
    for pair in pairs:
        runs = [train(pair, kind, directory, extra, env, log, args.quick)
                for kind in ("gan", "vae")]
        samples = args.samples or (QUICK_SAMPLES if args.quick
                                   else PAIRS[pair]["samples"])
        out = os.path.join(directory, f"compare-{pair}")
        compare_started = time.time()
        call(command("compare", *runs, "-o", out, "-n", samples, "--seed",
                     args.seed, "--backend", args.backend), env, log)
        with open(os.path.join(out, "compare.json"), encoding="utf-8") as f:
            results[pair] = json.load(f)
        results[pair]["compare_s"] = time.time() - compare_started
        if args.pictures:
            picture = os.path.join(args.pictures, f"gan_vs_vae_{pair}.png")
            shutil.copyfile(os.path.join(out, "compare.png"), picture)
            results[pair]["picture"] = picture
        with open(os.path.join(out, "compare.md"), encoding="utf-8") as f:
            print(f"\n## {pair}\n\n{f.read()}", flush=True)

    total = time.time() - started
    print(f"Total {total / 60:.1f} min; load average before "
          f"{load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}; "
          f"{os.cpu_count()} CPUs; runs and logs in {directory}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump({"pairs": results, "backend": args.backend,
                       "overrides": extra, "quick": args.quick,
                       "total_s": total,
                       "cpus": os.cpu_count(), "load_before": load_before,
                       "load_after": os.getloadavg(),
                       "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                             time.gmtime())},
                      file, indent=2)


if __name__ == "__main__":
    main()
