"""Streamed image folders against the in-memory path: peak memory and speed.

Creates synthetic folders of PNGs (random-ish pictures: smooth colour fields
plus noise, so they do not compress to nothing) under `--root`:

- `small`: 1,000 PNGs of 96x96, trained at 64x64;
- `large`: 100,000 PNGs of 96x96, trained at 64x64 (4.9 GB as float32);
- `big`: 20,000 PNGs of 256x256, trained at 64x64.

then measures, each case in its own process (peak RSS = the process's
`ru_maxrss` from `os.wait4`, i.e. its VmHWM):

- `index`: indexing a folder with a cold cache (every file checked);
- `pipeline`: the data pipeline alone, as training reads it: an
  `OrderedBatches` over the streamed folder with `workers` threads, read
  through Keras' own `PyDataset` adapter (its prefetch queue), batches of
  64 at 64x64; images/s over `--batches` batches after one warm-up batch;
- `dcgan64`: what the DCGAN training step consumes at 64x64: `GAN.fit` of
  `keras_gans.architectures.dcgan` (latent 100, width 64, batch 16, as
  benchmarks/throughput.py's dcgan64) on an array in memory; images/s;
- `run`: `keras-gans run` of a small DCGAN (width 16, latent 32, batch 64,
  `--steps` steps at 64x64) on each folder, streamed and, where the float32
  array fits in half the memory available, in memory (`stream = false`);
  peak RSS and wall time; `packed` is the same run on the large folder
  packed by `keras-gans prepare-data`.

Then it prints the two claims of issue 11 with their ratios:

(a) training on the large folder peaks within 300 MB of the small one;
(b) the pipeline alone delivers >= 3x the images/s the dcgan64 step
    consumes.

    python benchmarks/data_pipeline.py                 # all, torch backend
    python benchmarks/data_pipeline.py --quick         # 1/10 of the sizes
    python benchmarks/data_pipeline.py --json out.json --keep

The folders are deleted at the end unless `--keep` (creating them takes
minutes). Threads: the process defaults (all cores) for every case.
"""

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RECIPE = """name = "data_pipeline"

[model]
architecture = "dcgan"
latent_dim = 32
params = {{ width = 16 }}

[data]
dataset = "{dataset}"
batch_size = 64
params = {params}

[train]
steps = {steps}
penalty = false
ema = false

[output]
samples = 16
sample_every = 0
log_images_every = 0
checkpoint_every = 0
"""
FOLDERS = {"small": (1_000, 96), "large": (100_000, 96),
           "big": (20_000, 256)}
TRAIN_SIZE = 64
PIPELINE_BATCH = 64
MiB = 2**20


# ----------------------------------------------------------------------
# Synthetic folders


def _write_images(job):
    """Writes PNGs `first .. first + count - 1` of `size` into `folder`."""
    import numpy as np
    from PIL import Image

    folder, first, count, size = job
    rng = np.random.default_rng(first)
    for i in range(first, first + count):
        coarse = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
        field = np.asarray(Image.fromarray(coarse).resize(
            (size, size), Image.Resampling.BICUBIC), dtype=np.int16)
        noise = rng.integers(-24, 25, (size, size, 3), dtype=np.int16)
        pixels = np.clip(field + noise, 0, 255).astype(np.uint8)
        sub = os.path.join(folder, f"{i // 1000:03d}")
        os.makedirs(sub, exist_ok=True)
        Image.fromarray(pixels).save(os.path.join(sub, f"{i:06d}.png"),
                                     compress_level=1)
    return count


def make_folder(folder, count, size, processes):
    """Creates the folder (reused when it already holds `count` PNGs)."""
    marker = os.path.join(folder, ".complete")
    if os.path.exists(marker):
        return 0.0
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    chunk = 500
    jobs = [(folder, first, min(chunk, count - first), size)
            for first in range(0, count, chunk)]
    with multiprocessing.Pool(processes) as pool:
        for _ in pool.imap_unordered(_write_images, jobs):
            pass
    open(marker, "w").close()
    return time.perf_counter() - started


def folder_bytes(folder):
    return sum(entry.stat().st_size for sub in os.scandir(folder)
               if sub.is_dir() for entry in os.scandir(sub.path))


# ----------------------------------------------------------------------
# Cases, each in its own process


def run_process(command, env=None):
    """Runs `command`; returns (seconds, peak RSS in MiB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=env, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, output


def worker(case, argument):
    """The measuring side of a case; prints one JSON line."""
    if case == "index":
        from keras_gans.datasets import index
        from keras_gans.datasets.image_files import decoder

        started = time.perf_counter()
        found = index.index_folder(argument["folder"], "none",
                                   decoder(TRAIN_SIZE))
        print(json.dumps({"files": len(found), "checked": found.checked,
                          "seconds": time.perf_counter() - started}))
    elif case == "pipeline":
        print(json.dumps(pipeline(**argument)))
    elif case == "dcgan64":
        print(json.dumps(dcgan64(**argument)))


def pipeline(folder, workers, batches, image_size=TRAIN_SIZE):
    """Images/s of streamed batches read through Keras' PyDataset adapter."""
    from keras.src.trainers.data_adapters.py_dataset_adapter import (
        PyDatasetAdapter)

    from keras_gans.datasets import image_folder
    from keras_gans.datasets import packed
    from keras_gans.training import OrderedBatches

    if folder.endswith(".npy"):
        x, _ = packed(folder)
    else:
        x, _ = image_folder(folder, image_size, stream=True)
    data = OrderedBatches(x, None, PIPELINE_BATCH, seed=0, workers=workers,
                          max_queue_size=2 * workers)
    adapter = PyDatasetAdapter(data, shuffle=False)
    adapter.on_epoch_begin()
    iterator = adapter.get_numpy_iterator()
    next(iterator)  # warm-up: threads started, first batch decoded
    images = 0
    started = time.perf_counter()
    for _ in range(batches):
        batch = next(iterator)[0]
        assert batch.shape[1:] == (image_size, image_size, 3)
        images += len(batch)  # the last batch of an epoch is smaller
    seconds = time.perf_counter() - started
    adapter.on_epoch_end()
    return {"images_per_s": images / seconds, "seconds": seconds}


def dcgan64(steps):
    """Images/s the dcgan64 training step consumes (GAN.fit, in memory)."""
    import keras
    import numpy as np

    from keras_gans import GAN
    from keras_gans.architectures.dcgan import dcgan

    batch = 16
    keras.utils.set_random_seed(0)
    generator, discriminator = dcgan(100, (64, 64, 3))
    gan = GAN(generator, discriminator, latent_dim=100)
    gan.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    x = np.random.default_rng(0).uniform(
        -1, 1, ((steps + 2) * batch, 64, 64, 3)).astype("float32")
    gan.fit(x[:2 * batch], batch_size=batch, epochs=1, verbose=0)
    started = time.perf_counter()
    gan.fit(x[2 * batch:], batch_size=batch, epochs=1, verbose=0)
    seconds = time.perf_counter() - started
    return {"images_per_s": steps * batch / seconds, "seconds": seconds,
            "backend": keras.backend.backend()}


def measure(case, argument, env):
    command = [sys.executable, os.path.abspath(__file__), "--worker", case,
               json.dumps(argument)]
    seconds, peak, output = run_process(command, env)
    result = json.loads(output.strip().splitlines()[-1])
    return dict(result, wall_s=seconds, peak_mib=peak)


def train(dataset, params, directory, steps, env):
    """`keras-gans run` of a small DCGAN; wall time and peak RSS."""
    table = "{" + ", ".join(f"{k} = {json.dumps(v)}"
                            for k, v in params.items()) + "}"
    recipe = directory + ".toml"
    os.makedirs(os.path.dirname(recipe), exist_ok=True)
    with open(recipe, "w") as file:
        file.write(RECIPE.format(dataset=dataset, params=table, steps=steps))
    command = [sys.executable, "-m", "keras_gans.cli", "run", recipe,
               "--output", directory]
    seconds, peak, _ = run_process(command, env)
    with open(os.path.join(directory, "metrics.json")) as file:
        metrics = json.load(file)
    return {"wall_s": seconds, "peak_mib": peak,
            "fit_s": metrics["fit_time_s"],
            "train_images_per_s": steps * 64 / metrics["fit_time_s"]}


def available_bytes():
    with open("/proc/meminfo") as file:
        for line in file:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


# ----------------------------------------------------------------------
# Main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.join(
        tempfile.gettempdir(), "keras_gans_data_pipeline"))
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--quick", action="store_true",
                        help="folders of 1/10 the size")
    parser.add_argument("--processes", type=int, default=2,
                        help="processes that write the PNGs")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--steps", type=int, default=30,
                        help="steps of each keras-gans run")
    parser.add_argument("--dcgan-steps", type=int, default=8,
                        help="dcgan64 steps timed (after two untimed)")
    parser.add_argument("--workers", default="1,2,4",
                        help="pipeline threads to time (the first default "
                             "of data.workers, 4, is the claim's)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the folders")
    parser.add_argument("--create-only", action="store_true",
                        help="create the folders (kept) and stop")
    parser.add_argument("--json")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker[0], json.loads(args.worker[1]))

    scale = 10 if args.quick else 1
    env = dict(os.environ, KERAS_BACKEND=args.backend,
               TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_GANS_CACHE=os.path.join(args.root, "cache"),
               PYTHONPATH=os.pathsep.join([ROOT, HERE,
                                           os.environ.get("PYTHONPATH", "")]))
    results = {"backend": args.backend, "cpus": os.cpu_count(),
               "load_before": os.getloadavg(), "folders": {}, "index": {},
               "pipeline": {}, "runs": {}}
    folders = {}
    for name, (count, size) in FOLDERS.items():
        count //= scale
        folder = os.path.join(args.root, f"{name}_{count}_{size}")
        seconds = make_folder(folder, count, size, args.processes)
        folders[name] = folder
        results["folders"][name] = {
            "count": count, "size": size, "created_s": seconds,
            "mib": folder_bytes(folder) / MiB,
            "float32_mib": count * TRAIN_SIZE**2 * 3 * 4 / MiB}
        print(f"{name}: {count:,} PNGs of {size}x{size}, "
              f"{results['folders'][name]['mib']:,.0f} MiB "
              f"(created in {seconds:.0f} s)", flush=True)

    if args.create_only:
        return None
    shutil.rmtree(env["KERAS_GANS_CACHE"], ignore_errors=True)
    for name, folder in folders.items():
        results["index"][name] = measure("index", {"folder": folder}, env)
        print(f"index {name}: {results['index'][name]}", flush=True)

    workers = [int(w) for w in args.workers.split(",")]
    for name in ("small", "large", "big"):
        for count in workers:
            key = f"{name} workers={count}"
            results["pipeline"][key] = measure(
                "pipeline", {"folder": folders[name], "workers": count,
                             "batches": args.batches}, env)
            print(f"pipeline {key}: {results['pipeline'][key]}", flush=True)
    results["dcgan64"] = measure("dcgan64", {"steps": args.dcgan_steps},
                                 env)
    print(f"dcgan64 step: {results['dcgan64']}", flush=True)

    runs = os.path.join(args.root, "runs")
    shutil.rmtree(runs, ignore_errors=True)
    room = available_bytes() / 2
    for name in ("small", "large", "big"):
        for stream in (True, False):
            key = f"{name} {'streamed' if stream else 'in memory'}"
            need = results["folders"][name]["float32_mib"] * MiB
            if not stream and need > room:
                results["runs"][key] = {"skipped": f"needs {need / 2**30:.1f}"
                                        " GiB of float32, more than half "
                                        "the memory available"}
            else:
                results["runs"][key] = train(
                    "image_folder", {"path": folders[name],
                                     "image_size": TRAIN_SIZE,
                                     "stream": stream},
                    os.path.join(runs, key.replace(" ", "_")), args.steps,
                    env)
            print(f"run {key}: {results['runs'][key]}", flush=True)
    packed = os.path.join(args.root, "large64.npy")
    seconds, peak, _ = run_process(
        [sys.executable, "-m", "keras_gans.cli", "prepare-data",
         folders["large"], "--image-size", str(TRAIN_SIZE), "-o", packed],
        env)
    results["prepare_data"] = {"wall_s": seconds, "peak_mib": peak,
                               "mib": os.path.getsize(packed) / MiB}
    print(f"prepare-data large: {results['prepare_data']}", flush=True)
    results["pipeline"]["large packed workers=1"] = measure(
        "pipeline", {"folder": packed, "workers": 1,
                     "batches": args.batches}, env)
    results["runs"]["large packed"] = train(
        "packed", {"path": packed}, os.path.join(runs, "large_packed"),
        args.steps, env)
    print(f"run large packed: {results['runs']['large packed']}", flush=True)
    results["load_after"] = os.getloadavg()
    report(results, workers)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=2)
    if not args.keep:
        shutil.rmtree(args.root, ignore_errors=True)


def report(results, workers):
    print(f"\nBackend {results['backend']}, {results['cpus']} CPUs, load "
          f"average {results['load_before'][0]:.1f} before, "
          f"{results['load_after'][0]:.1f} after.\n")
    print("| folder | files | PNG MiB | float32 MiB at 64x64 | index s "
          "(cold) | index peak MiB |")
    print("|---|---|---|---|---|---|")
    for name, folder in results["folders"].items():
        index = results["index"][name]
        print(f"| {name} | {folder['count']:,} ({folder['size']}x"
              f"{folder['size']}) | {folder['mib']:,.0f} | "
              f"{folder['float32_mib']:,.0f} | {index['seconds']:.1f} | "
              f"{index['peak_mib']:,.0f} |")
    print("\n| pipeline (batches of 64 at 64x64) | images/s | peak MiB |")
    print("|---|---|---|")
    for key, value in results["pipeline"].items():
        print(f"| {key} | {value['images_per_s']:,.0f} | "
              f"{value['peak_mib']:,.0f} |")
    print(f"\ndcgan64 training step ({results['dcgan64']['backend']}, "
          f"batch 16): {results['dcgan64']['images_per_s']:,.1f} images/s")
    print("\n| keras-gans run (DCGAN width 16, batch 64) | peak MiB | wall s "
          "| fit s | images/s in fit |")
    print("|---|---|---|---|---|")
    for key, value in results["runs"].items():
        if "skipped" in value:
            print(f"| {key} | skipped: {value['skipped']} | | | |")
            continue
        print(f"| {key} | {value['peak_mib']:,.0f} | {value['wall_s']:.1f} "
              f"| {value['fit_s']:.1f} | {value['train_images_per_s']:,.0f} "
              "|")
    runs = results["runs"]
    growth = (runs["large streamed"]["peak_mib"]
              - runs["small streamed"]["peak_mib"])
    print(f"\n(a) peak RSS, large streamed - small streamed: {growth:+,.0f} "
          f"MiB (claim: <= 300 MB = 286 MiB): "
          f"{'holds' if growth * MiB <= 300e6 else 'FAILS'}")
    default = f"large workers={4 if 4 in workers else workers[-1]}"
    ratio = (results["pipeline"][default]["images_per_s"]
             / results["dcgan64"]["images_per_s"])
    print(f"(b) pipeline ({default}) / dcgan64 step images/s: {ratio:.1f}x "
          f"(claim: >= 3x): {'holds' if ratio >= 3 else 'FAILS'}")


if __name__ == "__main__":
    main()
