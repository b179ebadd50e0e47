"""Data-parallel scaling: steps/s and images/s on 1, 2, 4 and 8 devices.

For each backend and each recipe's model (`recipes/dcgan.toml`,
`recipes/sngan_cifar10.toml`: their architectures, losses, penalties,
d_steps and optimizers, built by the run layer's `build_gan`), training
runs with `GAN.fit` on N devices through `keras_gans.backend.distribute`,
the same path `keras-gans run --devices N` takes. Weak scaling: every
device gets `--per-device-batch` rows, so the global batch grows with N,
as it does when a user adds devices to a run.

    scaling efficiency(N) = images/s on N devices / (N * images/s on 1)

Each (backend, recipe, N) runs in fresh processes: JAX gets N simulated
host devices (`XLA_FLAGS=--xla_force_host_platform_device_count=N`) when
it has no accelerator, TensorFlow splits the CPU into N logical devices,
PyTorch starts N ranks with `torch.distributed.run` (gloo on CPU, NCCL on
GPU). On a CPU the N "devices" share the same cores, so such figures
show that distributed training runs and what its overhead is, not a
speed-up; the speed-up is measured on a machine with N accelerators.

The data is random, in the shape of each recipe's dataset (28x28x1
digits, 32x32x3 CIFAR-10): throughput does not depend on its values.

    python benchmarks/scaling.py --backend jax --devices 1,2 --quick
    python benchmarks/scaling.py --all --json scaling.json
"""

import argparse
import json
import os
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULT_PREFIX = "SCALING_RESULT "

# recipe: the sample shape of the dataset it names.
RECIPES = {
    "dcgan": (28, 28, 1),
    "sngan_cifar10": (32, 32, 3),
}
# --quick: small widths, so a CPU finishes every configuration in minutes.
QUICK_OVERRIDES = {
    "dcgan": ["model.params.width=8"],
    "sngan_cifar10": ["model.params.width=16", "train.d_steps=1"],
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS,
                        help="default: KERAS_BACKEND")
    parser.add_argument("--all", action="store_true",
                        help="every backend, one table")
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--devices", default="1,2,4,8",
                        help="device counts, comma-separated")
    parser.add_argument("--per-device-batch", type=int, default=None,
                        help="rows per device (default: the recipe's "
                             "batch size, 8 with --quick)")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps (default 20, 10 with --quick)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="untimed steps first (compilation)")
    parser.add_argument("--quick", action="store_true",
                        help="narrow networks and few steps (CPU)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--child", action="store_true",
                        help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.recipes = args.recipes.split(",")
    unknown = [r for r in args.recipes if r not in RECIPES]
    if unknown:
        parser.error(f"unknown recipes {unknown}; known: {list(RECIPES)}. "
                     f"Received: --recipes {','.join(args.recipes)}")
    try:
        args.devices = [int(n) for n in args.devices.split(",")]
    except ValueError:
        parser.error(f"--devices takes counts like 1,2,4. Received: "
                     f"--devices {args.devices}")
    if args.steps is None:
        args.steps = 10 if args.quick else 20
    return args


def child_env(backend, count):
    """The environment of one configuration's process(es)."""
    env = dict(os.environ, KERAS_BACKEND=backend)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (ROOT, env.get("PYTHONPATH")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if backend == "jax":
        # Only the host platform is split; an accelerator's devices are
        # what they are.
        env["XLA_FLAGS"] = (
            env.get("XLA_FLAGS", "")
            + f" --xla_force_host_platform_device_count={count}").strip()
    return env


def child_command(backend, recipe, count, args):
    """The command line measuring one (backend, recipe, N)."""
    options = [os.path.abspath(__file__), "--child", "--backend", backend,
               "--recipes", recipe, "--count", str(count),
               "--steps", str(args.steps), "--warmup", str(args.warmup)]
    if args.per_device_batch:
        options += ["--per-device-batch", str(args.per_device_batch)]
    if args.quick:
        options.append("--quick")
    if backend == "torch" and count > 1:
        return [sys.executable, "-m", "torch.distributed.run", "--standalone",
                f"--nproc-per-node={count}"] + options
    return [sys.executable] + options


def measure(backend, recipe, count, args):
    """Runs one configuration; returns its result, or an error record."""
    command = child_command(backend, recipe, count, args)
    print(f"== {backend} {recipe} on {count} devices", file=sys.stderr,
          flush=True)
    completed = subprocess.run(command, env=child_env(backend, count),
                               stdout=subprocess.PIPE, text=True,
                               check=False)
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    return {"backend": backend, "recipe": recipe, "devices": count,
            "error": f"exit {completed.returncode}; its error is above"}


def worker(args):
    """One configuration, inside its process (one rank on PyTorch)."""
    import types

    import keras
    import numpy as np

    from keras_gans import backend as gans_backend
    from keras_gans import plugins
    from keras_gans.runs import recipe as recipe_module
    from keras_gans.runs.train import build_gan

    (name,) = args.recipes
    distribution = gans_backend.distribute(args.count)
    overrides = QUICK_OVERRIDES[name] if args.quick else []
    recipe = recipe_module.load(os.path.join(ROOT, "recipes", name + ".toml"),
                                overrides)
    per_device = args.per_device_batch or (8 if args.quick
                                           else recipe.data.batch_size)
    global_batch = per_device * distribution.replicas
    shape = RECIPES[name]
    data = types.SimpleNamespace(sample_shape=shape, num_classes=None)
    with distribution.scope():
        gan = build_gan(recipe, data, plugins.catalogue())
        distribution.synchronize(gan)
        # This process's rows: all of every global batch, or its share.
        rows = global_batch
        if distribution.local_rows:
            rows = global_batch // distribution.process_count
        steps = args.warmup + args.steps
        rng = np.random.default_rng(distribution.process_index)
        x = rng.uniform(-1, 1, (steps * rows,) + shape).astype("float32")
        gan.fit(x[:args.warmup * rows], batch_size=rows, epochs=1,
                verbose=0, shuffle=False)
        started = time.perf_counter()
        gan.fit(x[args.warmup * rows:], batch_size=rows, epochs=1,
                verbose=0, shuffle=False)
        seconds = time.perf_counter() - started
    distribution.close()
    if not distribution.is_chief:
        return
    result = {
        "backend": keras.backend.backend(),
        "recipe": name,
        "devices": args.count,
        "replicas": distribution.replicas,
        "processes": distribution.process_count,
        "device_names": list(distribution.devices),
        "per_device_batch": per_device,
        "global_batch": global_batch,
        "d_steps": recipe.train.d_steps,
        # TensorFlow turns XLA off under a strategy with several replicas.
        "jit_compile": bool(gan.jit_compile),
        "steps": args.steps,
        "seconds": round(seconds, 4),
        "steps_per_s": round(args.steps / seconds, 4),
        "images_per_s": round(args.steps * global_batch / seconds, 2),
        "overrides": overrides,
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def with_efficiency(results):
    """Adds each result's scaling efficiency against the same backend and
    recipe on one device (measured in the same run)."""
    single = {(r["backend"], r["recipe"]): r["images_per_s"]
              for r in results if r.get("devices") == 1 and "error" not in r}
    for result in results:
        base = single.get((result["backend"], result["recipe"]))
        if base and "error" not in result:
            result["efficiency"] = round(
                result["images_per_s"] / (result["devices"] * base), 3)
    return results


def markdown(results):
    lines = ["| backend | recipe | devices | global batch | compiled | "
             "steps/s | images/s | efficiency |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['backend']} | {r['recipe']} | {r['devices']}"
                         f" | | | | {r['error']} | |")
            continue
        lines.append(
            f"| {r['backend']} | {r['recipe']} | {r['devices']} | "
            f"{r['global_batch']} | {r.get('jit_compile', '')} | "
            f"{r['steps_per_s']:.3f} | "
            f"{r['images_per_s']:.1f} | {r.get('efficiency', '')} |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        worker(args)
        return
    if args.all:
        backends = BACKENDS
    else:
        backend = args.backend or os.environ.get("KERAS_BACKEND")
        if backend not in BACKENDS:
            sys.exit("Set KERAS_BACKEND or pass --backend (or --all).")
        backends = (backend,)
    results = [measure(b, recipe, n, args) for b in backends
               for recipe in args.recipes for n in args.devices]
    results = with_efficiency(results)
    print(markdown(results))
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"load_average": os.getloadavg(),
                       "cpu_count": os.cpu_count(), "results": results},
                      file, indent=1)


if __name__ == "__main__":
    main()
