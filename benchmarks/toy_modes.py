"""Mode coverage of keras-gans on the 2-D ring and grid benchmarks.

Trains one fixed recipe (printed above the tables) on ring8 and grid25 for
each backend and seed, scores 2,500 generated samples with
`keras_gans.evaluation.metrics.mode_coverage` and prints one table per dataset next to
the published numbers of REFERENCES.md section 1.

Each backend runs in its own subprocess with `KERAS_BACKEND` set, since
Keras picks its backend at import. Only the public API is used.

    python benchmarks/toy_modes.py          # every importable backend
    python benchmarks/toy_modes.py --backends jax --steps 12000 --json out.json
"""

import argparse
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time

BACKENDS = ("tensorflow", "jax", "torch")
BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}

# Protocol of REFERENCES.md section 1.
DATASETS = {
    "ring8": {
        "description": "8 Gaussians on a circle of radius 2, std 0.02",
        "std": 0.02,
    },
    "grid25": {
        "description": "25 Gaussians on {-4,-2,0,2,4}^2, std 0.05",
        "std": 0.05,
    },
}
NUM_EVAL_SAMPLES = 2_500
HQ_THRESHOLD = 3.0  # in units of the data std

# The one recipe used on every backend and both datasets.
RECIPE = {
    "latent_dim": 16,
    "generator": "MLP 16 -> 4 x Dense(256, relu) -> Dense(2)",
    "generator_width": 256,
    "generator_depth": 4,
    "discriminator": "MLP 2 -> 3 x Dense(256, relu) -> Dense(1) (logit)",
    "discriminator_width": 256,
    "discriminator_depth": 3,
    "loss": "non_saturating",
    "penalty": "R1(weight=1.0) on real samples, every D step",
    "r1_weight": 1.0,
    "d_steps": 1,
    "optimizer": "Adam(beta_1=0.0, beta_2=0.99) for G and D",
    "beta_1": 0.0,
    "beta_2": 0.99,
    "learning_rate": 1e-3,
    "final_learning_rate": 1e-5,
    "schedule": "lr 1e-3 decayed linearly to 1e-5 over the run "
    "(keras.optimizers.schedules.PolynomialDecay)",
    "batch_size": 128,
    "ema": 0.99,
    "steps": 2500,
    "samples": "generate() with the EMA weights of G",
    "training_data": "fresh samples each step: ring()/grid() with "
    "num_samples = steps * batch_size, seed = run seed",
}

# REFERENCES.md section 1, "Published tables (modes / HQ %)". Each source
# used its own architecture and budget; see the notes there.
PUBLISHED = [
    # method, ring modes, ring HQ %, grid modes, grid HQ %, source
    ("GAN", 1, 99.3, 3.3, 0.5, "VEEGAN (Srivastava et al. 2017) Table 1"),
    ("Unrolled GAN", 7.6, 35.6, 23.6, 16, "VEEGAN Table 1"),
    ("VEEGAN", 8, 52.9, 24.6, 40, "VEEGAN Table 1"),
    ("WGAN-GP", 6.8, 59.6, 24.2, 28.7, "GDPP (Elfeki et al. 2019) Table 1"),
    ("GDPP-GAN", 8.0, 71.7, 24.8, 68.5, "GDPP Table 1"),
    ("GAN (PacGAN setup)", 6.3, 98.2, 17.3, 94.8,
     "PacGAN (Lin et al. 2018) Table 1"),
    ("PacGAN4", 7.8, 95.9, 24.8, 93.6, "PacGAN Table 1"),
]


# ----------------------------------------------------------------------
# Worker: runs in a subprocess, on the backend KERAS_BACKEND names.


def _import_keras_gans():
    try:
        import keras_gans  # noqa: F401
    except ImportError:
        # Running from a clone without `pip install -e .`.
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, os.path.dirname(here))


def _mlp(keras, input_dim, output_dim, width, depth):
    inputs = keras.Input((input_dim,))
    x = inputs
    for _ in range(depth):
        x = keras.layers.Dense(width, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(output_dim)(x))


def _optimizer(keras, recipe, steps):
    schedule = keras.optimizers.schedules.PolynomialDecay(
        recipe["learning_rate"],
        decay_steps=steps,
        end_learning_rate=recipe["final_learning_rate"],
    )
    return keras.optimizers.Adam(
        schedule, beta_1=recipe["beta_1"], beta_2=recipe["beta_2"]
    )


def train_and_score(dataset, seed, recipe, steps):
    """Trains the recipe on one dataset and seed; returns a result dict."""
    import keras

    import keras_gans
    from keras_gans import datasets
    from keras_gans.evaluation.metrics import mode_coverage

    std = DATASETS[dataset]["std"]
    num_samples = steps * recipe["batch_size"]
    if dataset == "ring8":
        x, _ = datasets.ring(num_samples, std=std, seed=seed)
        centers = datasets.ring_centers()
    else:
        x, _ = datasets.grid(num_samples, std=std, seed=seed)
        centers = datasets.grid_centers()

    keras.utils.set_random_seed(seed)
    latent = recipe["latent_dim"]
    gan = keras_gans.GAN(
        generator=_mlp(
            keras, latent, 2,
            recipe["generator_width"], recipe["generator_depth"],
        ),
        discriminator=_mlp(
            keras, 2, 1,
            recipe["discriminator_width"], recipe["discriminator_depth"],
        ),
        latent_dim=latent,
        seed=seed,
    )
    gan.compile(
        g_optimizer=_optimizer(keras, recipe, steps),
        d_optimizer=_optimizer(keras, recipe, steps * recipe["d_steps"]),
        loss=recipe["loss"],
        d_steps=recipe["d_steps"],
        penalty=keras_gans.penalties.R1(weight=recipe["r1_weight"]),
        ema=recipe["ema"],
    )
    start = time.perf_counter()
    gan.fit(
        x, batch_size=recipe["batch_size"], epochs=1, shuffle=False,
        verbose=0,
    )
    train_seconds = time.perf_counter() - start

    samples = gan.generate(NUM_EVAL_SAMPLES, seed=10_000 + seed)
    coverage = mode_coverage(samples, centers, std=std, threshold=HQ_THRESHOLD)
    return {
        "dataset": dataset,
        "seed": seed,
        "steps": steps,
        "modes": coverage.modes,
        "num_modes": coverage.num_modes,
        "high_quality": coverage.high_quality,
        "reverse_kl": coverage.reverse_kl,
        "train_seconds": train_seconds,
    }


def run_worker(args):
    _import_keras_gans()
    import keras

    backend = keras.backend.backend()
    versions = {"keras": keras.__version__}
    module = importlib.import_module(BACKEND_MODULES[backend])
    versions[backend] = getattr(module, "__version__", "?")
    runs = []
    for dataset in args.datasets:
        for seed in args.seeds:
            result = train_and_score(dataset, seed, RECIPE, args.steps)
            result["backend"] = backend
            runs.append(result)
            print(
                f"[{backend}] {dataset} seed {seed}: "
                f"{result['modes']}/{result['num_modes']} modes, "
                f"HQ {100 * result['high_quality']:.1f} %, "
                f"reverse KL {result['reverse_kl']:.3f}, "
                f"{result['train_seconds']:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            # Written after every run, so a crash keeps what finished.
            with open(args.worker_out, "w") as f:
                json.dump({"versions": versions, "runs": runs}, f)


# ----------------------------------------------------------------------
# Parent: one subprocess per backend, then the tables.


def _thread_env(threads):
    """Environment variables limiting every backend to `threads` threads."""
    if not threads:
        return {}
    n = str(threads)
    xla = os.environ.get("XLA_FLAGS", "")
    xla_threads = f"intra_op_parallelism_threads={n}"
    if threads == 1:
        xla_threads = "--xla_cpu_multi_thread_eigen=false " + xla_threads
    return {
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "TF_NUM_INTRAOP_THREADS": n,
        "TF_NUM_INTEROP_THREADS": n,
        "XLA_FLAGS": f"{xla} {xla_threads}".strip(),
    }


def run_backend(backend, args):
    """Runs the worker on one backend; returns (result or None, seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        env = dict(os.environ)
        env["KERAS_BACKEND"] = backend
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.update(_thread_env(args.threads))
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--worker-out",
            out,
            "--datasets",
            ",".join(args.datasets),
            "--seeds",
            ",".join(map(str, args.seeds)),
            "--steps",
            str(args.steps),
        ]
        start = time.perf_counter()
        # The worker's own output (progress lines, backend logs) goes to
        # stderr, so stdout keeps only the report.
        process = subprocess.run(command, env=env, stdout=sys.stderr)
        seconds = time.perf_counter() - start
        result = None
        if os.path.exists(out):
            with open(out) as f:
                result = json.load(f)
        if process.returncode != 0:
            print(
                f"[{backend}] worker failed with exit status "
                f"{process.returncode}",
                file=sys.stderr,
            )
            if result is not None:
                result["failed"] = process.returncode
        return result, seconds


def summarize(runs):
    modes = [r["modes"] for r in runs]
    hq = [r["high_quality"] for r in runs]
    kl = [r["reverse_kl"] for r in runs]
    seconds = [r["train_seconds"] for r in runs]
    return {
        "seeds": [r["seed"] for r in runs],
        "modes_mean": sum(modes) / len(modes),
        "modes_min": min(modes),
        "high_quality_mean": sum(hq) / len(hq),
        "high_quality_min": min(hq),
        "reverse_kl_mean": sum(kl) / len(kl),
        "train_seconds_mean": sum(seconds) / len(seconds),
        "train_seconds_total": sum(seconds),
    }


def _finite(value):
    """`value` with every non-finite float replaced by None (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def print_recipe(args):
    r = RECIPE
    print("Recipe (the same on every backend and dataset):")
    print(f"  generator      {r['generator']}, z ~ N(0, I)")
    print(f"  discriminator  {r['discriminator']}")
    print(f"  loss           {r['loss']}, d_steps {r['d_steps']}")
    print(f"  penalty        {r['penalty']}")
    print(f"  optimizer      {r['optimizer']}")
    print(f"  learning rate  {r['schedule']}")
    print(f"  batch          {r['batch_size']}")
    print(f"  steps          {args.steps} generator steps")
    print(f"  EMA            {r['ema']} on G's weights; {r['samples']}")
    print(f"  data           {r['training_data']}")
    print(
        f"Protocol: {NUM_EVAL_SAMPLES} samples per run; high quality (HQ) = "
        f"within {HQ_THRESHOLD:g} std of the nearest mean; a mode is captured "
        "when it is the nearest mean of >= 1 HQ sample; reverse KL of the HQ "
        "mode histogram to uniform. Seeds: "
        + ", ".join(map(str, args.seeds))
        + "."
    )
    threads = args.threads if args.threads else "backend default"
    print(f"Threads per backend: {threads}.")


def print_table(dataset, results):
    num_modes = 8 if dataset == "ring8" else 25
    column = 1 if dataset == "ring8" else 3
    print()
    print(f"{dataset}: {DATASETS[dataset]['description']}")
    header = (
        f"{'method':<28} {'modes mean':>10} {'min':>4} {'HQ % mean':>9} "
        f"{'HQ % min':>8} {'rev KL':>7} {'s/seed':>7}  source"
    )
    print(header)
    print("-" * len(header))
    for backend, backend_result in results.items():
        runs = [r for r in backend_result["runs"] if r["dataset"] == dataset]
        if not runs:
            continue
        s = summarize(runs)
        print(
            f"{'keras-gans (' + backend + ')':<28} "
            f"{s['modes_mean']:>10.2f} {s['modes_min']:>4d} "
            f"{100 * s['high_quality_mean']:>9.1f} "
            f"{100 * s['high_quality_min']:>8.1f} "
            f"{s['reverse_kl_mean']:>7.3f} {s['train_seconds_mean']:>7.1f}  "
            f"this run, {len(runs)} seeds"
        )
    for row in PUBLISHED:
        modes, hq = row[column], row[column + 1]
        print(
            f"{row[0]:<28} {modes:>10} {'':>4} {hq:>9} {'':>8} {'':>7} "
            f"{'':>7}  {row[5]}"
        )
    print(f"(out of {num_modes} modes; published rows use their own setups)")


def _list(kind, choices=None):
    def parse(text):
        items = [item.strip() for item in text.split(",") if item.strip()]
        if kind is int:
            try:
                items = [int(item) for item in items]
            except ValueError:
                raise argparse.ArgumentTypeError(
                    f"expected comma-separated integers, got {text!r}"
                )
        if not items:
            raise argparse.ArgumentTypeError("expected at least one value")
        if choices is not None:
            unknown = [item for item in items if item not in choices]
            if unknown:
                raise argparse.ArgumentTypeError(
                    f"unknown {unknown}; choose from {', '.join(choices)}"
                )
        return items

    return parse


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text}"
        )
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--backends",
        type=_list(str, BACKENDS),
        help="comma-separated; default: every one of tensorflow, jax, torch "
        "that is importable",
    )
    parser.add_argument(
        "--datasets",
        type=_list(str, tuple(DATASETS)),
        default=list(DATASETS),
        help="comma-separated (default: ring8,grid25)",
    )
    parser.add_argument(
        "--seeds",
        type=_list(int),
        default=[0, 1, 2],
        help="comma-separated (default: 0,1,2)",
    )
    parser.add_argument(
        "--steps",
        type=_positive_int,
        default=RECIPE["steps"],
        help=f"generator steps per run (default: {RECIPE['steps']}); the "
        "learning-rate decay spans the whole run",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads per backend (default 1: fastest for these small "
        "MLPs and fair across backends; 0 leaves the backends' defaults)",
    )
    parser.add_argument(
        "--json", metavar="PATH", help="write the results here"
    )
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.worker_out:
        run_worker(args)
        return 0

    start = time.perf_counter()
    if args.backends is None:
        args.backends = [
            b for b in BACKENDS if importlib.util.find_spec(BACKEND_MODULES[b])
        ]
        if not args.backends:
            print(
                "None of tensorflow, jax, torch is importable.",
                file=sys.stderr,
            )
            return 1
    else:
        missing = [
            b
            for b in args.backends
            if not importlib.util.find_spec(BACKEND_MODULES[b])
        ]
        if missing:
            print(f"Not importable: {', '.join(missing)}.", file=sys.stderr)
            return 2

    results = {}
    backend_seconds = {}
    failed = []
    for backend in args.backends:
        result, seconds = run_backend(backend, args)
        backend_seconds[backend] = seconds
        if result is None or "failed" in result:
            failed.append(backend)
        if result is not None:
            results[backend] = result
    total_seconds = time.perf_counter() - start

    print_recipe(args)
    for dataset in args.datasets:
        print_table(dataset, results)
    print()
    print(
        "Wall time: "
        + ", ".join(f"{b} {s:.0f} s" for b, s in backend_seconds.items())
        + f"; total {total_seconds:.0f} s "
        f"({platform.machine()}, {os.cpu_count()} CPUs)."
    )
    if failed:
        print(f"FAILED backends: {', '.join(failed)}")

    if args.json:
        summary = {
            dataset: {
                backend: summarize(
                    [r for r in result["runs"] if r["dataset"] == dataset]
                )
                for backend, result in results.items()
                if any(r["dataset"] == dataset for r in result["runs"])
            }
            for dataset in args.datasets
        }
        payload = {
            "recipe": dict(RECIPE, steps=args.steps),
            "protocol": {
                "datasets": DATASETS,
                "num_samples": NUM_EVAL_SAMPLES,
                "hq_threshold_std": HQ_THRESHOLD,
                "seeds": args.seeds,
                "threads": args.threads,
            },
            "published": [
                dict(
                    zip(
                        (
                            "method",
                            "ring8_modes",
                            "ring8_hq_percent",
                            "grid25_modes",
                            "grid25_hq_percent",
                            "source",
                        ),
                        row,
                    )
                )
                for row in PUBLISHED
            ],
            "results": results,
            "summary": summary,
            "wall_seconds": {
                "backends": backend_seconds,
                "total": total_seconds,
            },
            "failed": failed,
            "python": platform.python_version(),
        }
        with open(args.json, "w") as f:
            # Reverse KL is inf when no sample is HQ: written as null.
            json.dump(_finite(payload), f, indent=2)
        print(f"Results written to {args.json}.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
