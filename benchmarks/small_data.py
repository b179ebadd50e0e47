"""Small data: no augmentation, DiffAugment and ADA on 100, 500 and all digits.

Issue 16's benchmark. scikit-learn's digits at 28x28 (as
`recipes/dcgan.toml` loads them) are split once, by
`keras_gans.datasets.digits(split=...)` (stratified, seed 0): 359 held-out
test digits and a pool of 1,438 training digits. The pool is shuffled once
(`--seed`) and its first 100, 500 and all 1,438 images are written to
`.npz` files; `recipes/dcgan.toml` then trains on each with

- `train.augment = false`,
- `{ name = "diffaugment", policy = "color,translation,cutout" }`,
- `{ name = "ada", target = 0.6 }`,

every run for the same number of generator steps (`--steps`, default 800:
`train.steps` replaces the recipe's 28 epochs = 1,568 steps, so that nine
runs fit in 20 minutes of a shared 2-core CPU), with the recipe otherwise
unchanged (batch 32, R1 gamma 1, EMA 0.995, seed 0). Each run is one
`keras_gans.train` call in its own process (`KERAS_BACKEND=--backend`),
which then scores the run's final GAN the way `keras-gans evaluate` does
(`keras_gans.evaluation.scoring.score`), under one protocol for all runs:

- `--samples` generated samples (default 1,438, seed 0, EMA weights);
- FID, KID, precision/recall (k = 3) and density/coverage (k = 5) against
  the 359 HELD-OUT digits, on the `domain_classifier` features (the cached
  64-feature CNN trained on the 1,438 training digits' labels; its test
  accuracy and sha256 are printed);
- memorization against the run's OWN training images (the share of samples
  closer to one of them than a quarter of the median nearest-neighbour
  distance among them), on the same features.

Floor rows score each real training subset against the held-out digits the
same way (FID and KID are biased by the sample count: 100 real images score
worse than 1,438 of the same digits). For ADA the table gives p and r_t at
the end of training. With the paper's `ramp_images = 500_000`, p moves by
at most `batch * steps / 500_000` in a run (0.05 in 800 steps of 32);
`--augments ada-fast` adds ADA with `ramp_images = 20_000`. KID is given
as computed: on these features (ReLU outputs in the tens) the cubic
kernel makes it large, and it is comparable only within this table.

    python benchmarks/small_data.py                      # 9 runs, ~13 min (TF, busy 2-core CPU)
    python benchmarks/small_data.py --quick              # 20 steps, < 3 min
    python benchmarks/small_data.py --sizes 100 --steps 300 --backend jax
    python benchmarks/small_data.py --json benchmarks/results/small_data_tensorflow.json

Threads: the backends' defaults.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RECIPE = os.path.join(ROOT, "recipes", "dcgan.toml")
IMAGE_SIZE = 28
# The classifier quality.py and `keras-gans evaluate` use for digits run on
# the train split (cached by these parameters).
CLASSIFIER_PARAMS = {"image_size": IMAGE_SIZE, "split": "train"}
AUGMENTS = {
    "none": False,
    "diffaugment": {"name": "diffaugment",
                    "policy": "color,translation,cutout"},
    "ada": {"name": "ada", "target": 0.6},
    # Not run by default: ADA with p free to move 25 times faster than the
    # paper's 500k images from 0 to 1, so that it can matter in ~1,000 steps.
    "ada-fast": {"name": "ada", "target": 0.6, "ramp_images": 20_000},
}
DEFAULT_AUGMENTS = "none,diffaugment,ada"
METRICS = "fid,kid,pr,dc,memorization"


def write_subsets(directory, sizes, seed):
    """Writes the first `size` digits of the shuffled training pool to
    `<directory>/digits_<size>.npz` for each size; returns
    `{size label: (path, count)}`."""
    import numpy as np

    from keras_gans.datasets import digits

    pool, _ = digits(image_size=IMAGE_SIZE, split="train")
    order = np.random.default_rng(seed).permutation(len(pool))
    subsets = {}
    for size in sizes:
        count = len(pool) if size == "all" else int(size)
        if not 1 <= count <= len(pool):
            raise SystemExit(f"--sizes: each size must be 1..{len(pool)} "
                             f"or 'all'. Received: size={size!r}")
        path = os.path.join(directory, f"digits_{count}.npz")
        np.savez(path, x=pool[np.sort(order[:count])])
        subsets[size] = (path, count)
    return subsets


def recipe_for(npz_path, augment, steps, run_parent, jit_compile="auto",
               train_seed=None):
    """`recipes/dcgan.toml` as a dict, trained on `npz_path` for `steps`
    generator steps with `augment` (and `train_seed` unless None); no
    sample grids, one final checkpoint."""
    with open(RECIPE, "rb") as file:
        recipe = tomllib.load(file)
    recipe["data"]["dataset"] = "npz"
    recipe["data"]["params"] = {"path": npz_path}
    del recipe["train"]["epochs"]
    recipe["train"]["steps"] = steps
    recipe["train"]["augment"] = augment
    recipe["train"]["jit_compile"] = jit_compile
    if train_seed is not None:
        recipe["train"]["seed"] = train_seed
    recipe["output"].update(dir=run_parent, sample_every=0,
                            checkpoint_every=0, log_images_every=0)
    return recipe


def held_out_digits():
    """The 359 test digits (never trained on, by the GANs or the
    classifier)."""
    from keras_gans.datasets import digits

    return digits(image_size=IMAGE_SIZE, split="test")[0]


def classifier():
    """The cached `domain_classifier` for digits, prepared for 28x28."""
    from keras_gans.evaluation.scoring import create_extractor

    extractor = create_extractor("domain_classifier", "digits",
                                 CLASSIFIER_PARAMS)
    extractor.prepare((IMAGE_SIZE, IMAGE_SIZE, 1))
    return extractor


def score(extractor, samples, train_x, held_x):
    """Every metric of `METRICS`; memorization against `train_x`."""
    from keras_gans.evaluation.scoring import resolve_metrics
    from keras_gans.evaluation.scoring import score as score_features

    return score_features(resolve_metrics(METRICS), extractor, samples,
                          train_x, held_x, verbose=0)


def worker(specs):
    """Runs in a child process: trains and scores each spec in turn,
    printing one JSON row each."""
    import keras

    for spec in specs:
        train_and_score(spec)
        keras.backend.clear_session()


def train_and_score(spec):
    """One run: trains, scores, prints its row as `ROW {json}`."""
    import numpy as np

    import keras_gans

    recipe = recipe_for(spec["npz"], spec["augment"], spec["steps"],
                        spec["directory"], spec["jit_compile"],
                        spec["train_seed"])
    output = os.path.join(spec["directory"], spec["name"])
    result = keras_gans.train(recipe, output=output, verbose=0)
    with np.load(spec["npz"]) as data:
        train_x = data["x"]
    extractor = classifier()
    samples = result.gan.generate(spec["samples"], seed=spec["seed"])
    values = score(extractor, samples, train_x, held_out_digits())
    logs = result.final_logs
    row = {"name": spec["name"], "size": len(train_x),
           "augment": spec["label"], "steps": result.steps,
           "epochs": result.epochs, "samples": len(samples),
           "train_s": result.wall_time_s, "fit_s": result.fit_time_s,
           "ada_p": logs.get("aug/p"), "ada_rt": logs.get("aug/rt"),
           "run": os.fspath(output), **values}
    print("ROW " + json.dumps(row), flush=True)


def run_worker(specs, env):
    """Runs `worker(specs)` in a subprocess; returns its rows, each with
    the process's seconds divided among them."""
    command = [sys.executable, os.path.abspath(__file__), "--worker",
               json.dumps(specs)]
    started = time.time()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    rows = [json.loads(line[4:]) for line in done.stdout.splitlines()
            if line.startswith("ROW ")]
    if done.returncode != 0 or len(rows) != len(specs):
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-6000:])
        names = ", ".join(spec["name"] for spec in specs)
        raise SystemExit(f"Run {names} failed (exit code "
                         f"{done.returncode}).")
    for row in rows:
        row["process_s"] = (time.time() - started) / len(rows)
    return rows


def floor_rows(subsets, extractor, held_x):
    """The real training subsets scored like the generated sets."""
    import numpy as np

    rows = []
    for size, (path, count) in subsets.items():
        with np.load(path) as data:
            real = data["x"]
        values = score(extractor, real, real, held_x)
        values.pop("memorization", None)  # the training set itself
        values.pop("memorization_threshold", None)
        rows.append({"name": f"real {count}", "size": count,
                     "augment": "real", "samples": count, **values})
    return rows


def cell(value, spec):
    return "-" if value is None else format(value, spec)


def print_table(rows, protocol):
    print(f"\n{protocol['num_held_out']} held-out digits; features: "
          f"domain_classifier ({protocol['architecture']}, 64 features, "
          f"test accuracy {protocol['test_accuracy']:.3f}, sha256 "
          f"{protocol['weights_sha256'][:12]}...); {protocol['backend']}, "
          f"{protocol['steps']} generator steps of batch 32\n")
    print("| train images | augment | samples | FID | KID | precision "
          "| recall | density | coverage | memorization | ADA p | ADA r_t "
          "| train time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        copied = row.get("memorization")
        seconds = row.get("train_s")
        print(f"| {row['size']} | {row['augment']} | {row['samples']} | "
              f"{row['fid']:.2f} | {row['kid']:.3g} | "
              f"{row['precision']:.3f} | {row['recall']:.3f} | "
              f"{row['density']:.3f} | {row['coverage']:.3f} | "
              f"{cell(copied, '.1%')} | {cell(row.get('ada_p'), '.4f')} | "
              f"{cell(row.get('ada_rt'), '.3f')} | "
              f"{cell(seconds and seconds / 60, '.1f')}"
              f"{' min' if seconds else ''} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=800,
                        help="generator steps of every run (the same for "
                             "every size)")
    parser.add_argument("--sizes", default="100,500,all",
                        help="training images per run: counts or 'all' "
                             "(1,438)")
    parser.add_argument("--augments", default=DEFAULT_AUGMENTS,
                        help=f"among {', '.join(AUGMENTS)}")
    parser.add_argument("--samples", type=int, default=1438,
                        help="generated samples scored per run")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the subset draw and of the samples")
    parser.add_argument("--train-seed", type=int, default=None,
                        help="train.seed of every run (default: the "
                             "recipe's, 0)")
    parser.add_argument("--backend",
                        default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    parser.add_argument("--quick", action="store_true",
                        help="20 steps, 200 samples, no XLA/jit, all runs in "
                             "one process: checks that it works")
    parser.add_argument("--directory", default=None,
                        help="where the data and runs go (default: a "
                             "temporary folder)")
    parser.add_argument("--json", default=None)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(json.loads(args.worker))

    if args.quick:
        args.steps, args.samples = 20, 200
    augments = args.augments.split(",")
    unknown = sorted(set(augments) - set(AUGMENTS))
    if unknown:
        parser.error(f"--augments: unknown {unknown}; choose among "
                     f"{', '.join(AUGMENTS)}")
    os.environ["KERAS_BACKEND"] = args.backend
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get(
                   "PYTHONPATH", "")]))
    sys.path.insert(0, ROOT)
    directory = args.directory or tempfile.mkdtemp(prefix="small_data-")
    os.makedirs(directory, exist_ok=True)
    started = time.time()
    load_before = os.getloadavg()
    subsets = write_subsets(directory, args.sizes.split(","), args.seed)

    specs = [{"name": f"{count}-{label}", "label": label, "npz": path,
              "augment": AUGMENTS[label], "steps": args.steps,
              "samples": args.samples, "seed": args.seed,
              "directory": directory, "train_seed": args.train_seed,
              # --quick: compiling the step would take most of its time.
              "jit_compile": False if args.quick else "auto"}
             for path, count in subsets.values() for label in augments]
    # A process per run; --quick runs them all in one (start-up and
    # TensorFlow's import would take most of its time).
    groups = [specs] if args.quick else [[spec] for spec in specs]
    rows = []
    for group in groups:
        for row in run_worker(group, env):
            rows.append(row)
            print(f"{row['name']}: FID {row['fid']:.2f}, precision "
                  f"{row['precision']:.3f}, recall {row['recall']:.3f}, "
                  f"memorization {row['memorization']:.1%}"
                  + (f", ADA p {row['ada_p']:.4f}" if row["ada_p"] is not
                     None else "")
                  + f" ({row['train_s']:.0f} s of training)", flush=True)

    extractor = classifier()
    held_x = held_out_digits()
    floors = floor_rows(subsets, extractor, held_x)
    record = extractor.record
    protocol = {"backend": args.backend, "steps": args.steps,
                "train_seed": args.train_seed,
                "batch_size": 32, "samples": args.samples, "seed": args.seed,
                "num_held_out": len(held_x), "metrics": METRICS,
                "architecture": record["architecture"],
                "test_accuracy": record["test_accuracy"],
                "weights_sha256": record["weights_sha256"],
                "augments": {label: AUGMENTS[label] for label in augments}}
    print_table(floors + rows, protocol)
    total = time.time() - started
    print(f"\nTotal {total / 60:.1f} min; load average before "
          f"{load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}; "
          f"{os.cpu_count()} CPUs")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump({"protocol": protocol, "floor": floors, "runs": rows,
                       "total_s": total, "cpus": os.cpu_count(),
                       "load_before": load_before,
                       "load_after": os.getloadavg(),
                       "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                             time.gmtime())},
                      file, indent=2)
    return None


if __name__ == "__main__":
    main()
