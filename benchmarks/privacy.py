"""What differential privacy costs a GAN on the digits: quality at epsilon
about 1, about 8 and without privacy, same networks, steps and seed.

Issue 13's benchmark. `recipes/seed_mlp.toml` (latent 10; G and D one
hidden layer of 20, no BatchNorm, so DP-SGD takes D as it is) on the 1,438
training digits of 8x8 (`data.params.split = "train"`; the 359 test digits
are held out for FID and precision/recall), batch 32 (q = 32/1,438), for
`--epochs` epochs, trained three times on the active backend
(`KERAS_BACKEND`) in this process:

- `none`: no [privacy] table;
- `eps8`, `eps1`: `privacy.target_epsilon = 8` and `1`, clip 1, delta the
  default 1/(10 N); the noise multiplier is computed from the target, the
  steps and q (`keras_gans.privacy.accounting`, RDP, Poisson sampling
  assumed).

Each run is scored with `keras_gans.evaluate` (`domain_classifier`
features, 5,000 samples, seed 0): FID, precision/recall (k = 3) and
memorization (the share of samples nearer a training image than that
image's nearest neighbour, `keras_gans.evaluation.metrics`). The table
also gives the final epsilon and the training time per step of each run
(measured in the same process, one run after the other, so load hits
them unevenly: the interleaved step timing is `benchmarks/privacy_step.py`'s).

    KERAS_BACKEND=torch python benchmarks/privacy.py \\
        --json benchmarks/results/privacy_torch.json
    KERAS_BACKEND=jax python benchmarks/privacy.py --epochs 5  # a short check
"""

import argparse
import json
import os
import platform
import shutil
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RECIPE = os.path.join(os.path.dirname(HERE), "recipes", "seed_mlp.toml")
CONTENDERS = {"none": None, "eps8": 8.0, "eps1": 1.0}
METRICS = "fid,pr,memorization"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100,
                        help="epochs of every run (seed_mlp's 100)")
    parser.add_argument("--samples", type=int, default=5_000,
                        help="generated samples each score uses")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--seed", type=int, default=0,
                        help="train.seed of every run (weights, data order)")
    parser.add_argument("--directory", help="keep the runs here (default: "
                        "a temporary folder, removed at the end)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    unknown = [c for c in args.contenders.split(",") if c not in CONTENDERS]
    if unknown:
        parser.error(f"unknown contenders {unknown}; known: "
                     f"{list(CONTENDERS)}. Received: --contenders "
                     f"{args.contenders}")
    return args


def overrides(epochs, target, seed):
    settings = ["data.params.split=train", f"train.epochs={epochs}",
                f"train.seed={seed}",
                "output.checkpoint_every=0", "output.sample_every=0",
                "output.log_images_every=0"]
    if target is not None:
        settings.append(f"privacy.target_epsilon={target}")
    return settings


def measure(name, target, args, directory):
    import keras_gans

    run = os.path.join(directory, name)
    shutil.rmtree(run, ignore_errors=True)
    started = time.time()
    result = keras_gans.train(RECIPE, overrides(args.epochs, target,
                                                args.seed),
                              output=run, verbose=0)
    trained = time.time() - started
    scores = keras_gans.evaluate(run, metrics=METRICS,
                                 num_samples=args.samples, verbose=0)
    privacy = result.metrics.get("privacy") or {}
    row = {
        "contender": name,
        "seed": args.seed,
        "target_epsilon": target,
        "steps": result.steps,
        "epsilon": privacy.get("epsilon"),
        "delta": privacy.get("delta"),
        "noise_multiplier": privacy.get("noise_multiplier"),
        "fit_time_s": result.metrics["fit_time_s"],
        "ms_per_step": 1000 * result.metrics["fit_time_s"] / result.steps,
        "wall_s": round(trained, 1),
        **scores.values,
    }
    print(json.dumps(row), flush=True)
    return row, scores.protocol


def table(rows):
    def number(value, digits=3):
        return "" if value is None else f"{value:.{digits}g}"

    lines = ["| run | noise multiplier | epsilon (delta) | FID | precision "
             "| recall | memorization | ms/step |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        epsilon = ("none" if row["epsilon"] is None else
                   f"{row['epsilon']:.3g} ({row['delta']:.2g})")
        lines.append(
            f"| {row['contender']} | {number(row['noise_multiplier'])} | "
            f"{epsilon} | {number(row.get('fid'))} | "
            f"{number(row.get('precision'))} | {number(row.get('recall'))} "
            f"| {number(row.get('memorization'))} | "
            f"{row['ms_per_step']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    import keras

    directory = args.directory or tempfile.mkdtemp(prefix="privacy-")
    started, load = time.time(), os.getloadavg()
    rows, protocol = [], None
    try:
        for name in args.contenders.split(","):
            row, protocol = measure(name, CONTENDERS[name], args, directory)
            rows.append(row)
    finally:
        if not args.directory:
            shutil.rmtree(directory, ignore_errors=True)
    print(table(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump({
                "backend": keras.backend.backend(),
                "keras": keras.__version__,
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
                "load_average_before": load,
                "load_average_after": os.getloadavg(),
                "epochs": args.epochs,
                "seed": args.seed,
                "samples": args.samples,
                "total_s": round(time.time() - started, 1),
                "protocol": protocol,
                "rows": rows,
            }, file, indent=2, default=str)
            file.write("\n")


if __name__ == "__main__":
    main()
