"""How much room the thresholds of the learning tests leave.

A training run's outcome depends on rounding: another processor, BLAS or
XLA kernel, thread count or batch shape gives an equally valid but
different trajectory. This script runs the tests marked `learning` under
several seeds (`KERAS_GANS_TEST_SEED`, read by tests/conftest.py) and thread
settings, collects every value they check (tests/outcomes.py) and prints,
per check, its limit, the values observed, the worst one and its margin.
Run it before pushing a learning test or changing a training default:

    python benchmarks/test_margins.py                      # KERAS_BACKEND's tests
    python benchmarks/test_margins.py --seeds 0-9 --settings 1,avx2 -- -k ring
    tox -e margins                                         # the same, per backend

Each run is one pytest process over the learning tests; arguments after
`--` go to pytest (paths, `-k`). The exit code is 1 when any check or test
failed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Environment of each thread setting. Every backend reads its own variables:
# PyTorch OMP_NUM_THREADS, TensorFlow TF_NUM_*_THREADS, JAX XLA_FLAGS.
SETTINGS = {
    "1": {
        "about": "one thread in every pool",
        "env": {
            "OMP_NUM_THREADS": "1",
            "TF_NUM_INTRAOP_THREADS": "1",
            "TF_NUM_INTEROP_THREADS": "1",
            "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false "
                         "intra_op_parallelism_threads=1",
        },
    },
    "2": {
        "about": "two intra-op threads, one inter-op thread",
        "env": {
            "OMP_NUM_THREADS": "2",
            "TF_NUM_INTRAOP_THREADS": "2",
            "TF_NUM_INTEROP_THREADS": "1",
            "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=true "
                         "intra_op_parallelism_threads=2",
        },
    },
    "2i2": {
        "about": "two intra-op and two inter-op threads (XLA's defaults)",
        "env": {
            "OMP_NUM_THREADS": "2",
            "TF_NUM_INTRAOP_THREADS": "2",
            "TF_NUM_INTEROP_THREADS": "2",
            "XLA_FLAGS": "",
        },
    },
    "avx2": {
        "about": "one thread, vector kernels capped at AVX2 and TensorFlow's "
                 "oneDNN off, as on a processor without AVX-512",
        "env": {
            "OMP_NUM_THREADS": "1",
            "TF_NUM_INTRAOP_THREADS": "1",
            "TF_NUM_INTEROP_THREADS": "1",
            "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false "
                         "intra_op_parallelism_threads=1 "
                         "--xla_cpu_max_isa=AVX2",
            "ATEN_CPU_CAPABILITY": "avx2",
            "MKL_ENABLE_INSTRUCTIONS": "AVX2",
            "ONEDNN_MAX_CPU_ISA": "AVX2",
            "TF_ENABLE_ONEDNN_OPTS": "0",
        },
    },
}
DEFAULT_SETTINGS = "1,2,2i2"


def parse_seeds(text):
    """`"0-4"` or `"0,3,7"` (or a mix) as a list of ints."""
    seeds = []
    try:
        for part in text.split(","):
            first, _, last = part.partition("-")
            seeds += range(int(first), int(last or first) + 1)
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(
            "expected non-negative seeds such as 0-4 or 0,3,7. "
            f"Received: --seeds={text!r}")
    return seeds


def parse_settings(text):
    names = text.split(",")
    unknown = [name for name in names if name not in SETTINGS]
    if unknown or not text:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(SETTINGS)}. "
            f"Received: --settings={text!r}")
    return names


def run_once(seed, setting, pytest_args):
    """One pytest process over the learning tests: returns the recorded
    checks, the outcome of each test and the wall time."""
    with tempfile.TemporaryDirectory() as scratch:
        records = os.path.join(scratch, "outcomes.jsonl")
        report = os.path.join(scratch, "junit.xml")
        env = dict(os.environ, KERAS_GANS_TEST_SEED=str(seed),
                   KERAS_GANS_OUTCOMES=records, PYTHONHASHSEED="0",
                   TF_CPP_MIN_LOG_LEVEL="2")
        env.update(SETTINGS[setting]["env"])
        command = [sys.executable, "-m", "pytest", "-m", "learning", "-q",
                   "-p", "no:cacheprovider", f"--junitxml={report}",
                   *pytest_args]
        start = time.time()
        process = subprocess.run(command, cwd=REPO, env=env, text=True,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
        wall = time.time() - start
        checks = []
        if os.path.exists(records):
            with open(records) as file:
                checks = [json.loads(line) for line in file]
        results = read_results(report) if os.path.exists(report) else {}
    if process.returncode not in (0, 1) or not results:
        sys.exit(f"pytest could not run the learning tests (exit code "
                 f"{process.returncode}):\n{process.stdout[-4000:]}")
    return checks, results, wall


def read_results(junit_path):
    """`{node id: "passed" | "failed" | "skipped"}` from a JUnit report."""
    results = {}
    for case in ElementTree.parse(junit_path).iter("testcase"):
        if not case.get("classname"):
            continue  # a module skipped as a whole (pytest.importorskip)
        path = case.get("classname").replace(".", "/") + ".py"
        name = f"{path}::{case.get('name')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        results[name] = outcome
    return results


def margin(check, values):
    """The worst value and its distance to the limit (negative: failed)."""
    if check["bound"] == "at_most":
        worst = max(values)
        return worst, check["limit"] - worst
    worst = min(values)
    return worst, worst - check["limit"]


def summarize(runs):
    """One row per (test, check) over all runs."""
    rows = {}
    for run in runs:
        for check in run["checks"]:
            key = (check["test"], check["check"])
            row = rows.setdefault(key, {
                "test": check["test"], "check": check["check"],
                "bound": check["bound"], "limit": check["limit"],
                "values": {},
            })
            row["values"].setdefault(run["setting"], {})[run["seed"]] = (
                check["value"])
    for row in rows.values():
        values = [v for per_seed in row["values"].values()
                  for v in per_seed.values()]
        row["worst"], row["margin"] = margin(row, values)
        row["min"], row["max"], row["count"] = min(values), max(values), len(
            values)
    return list(rows.values())


def print_report(backend, seeds, settings, runs, rows):
    """Prints one block per test: its checks with limit, observed range,
    worst value and margin, then the value of each seed per setting.
    Returns whether every check and test passed."""
    print(f"\nbackend {backend}: seeds {','.join(map(str, seeds))} x "
          f"settings {'/'.join(settings)} ({len(runs)} runs)")
    for name in settings:
        print(f"  setting {name}: {SETTINGS[name]['about']}")
    counts = {}
    for run in runs:
        for test, result in run["results"].items():
            counts.setdefault(test, {}).setdefault(result, 0)
            counts[test][result] += 1
    by_test = {}
    for row in rows:
        by_test.setdefault(row["test"], []).append(row)
    for test in sorted(set(counts) | set(by_test)):
        tally = ", ".join(f"{n} {result}" for result, n in
                          sorted(counts.get(test, {}).items()))
        print(f"\n{test}  ({tally})")
        print(f"  {'check':<52} {'limit':>10} {'observed':>17} "
              f"{'worst':>8} {'margin':>8}")
        for row in sorted(by_test.get(test, []), key=lambda r: r["check"]):
            limit = ("<= " if row["bound"] == "at_most" else ">= ") + format(
                row["limit"], ".4g")
            observed = f"{row['min']:.4g}-{row['max']:.4g}"
            print(f"  {row['check']:<52} {limit:>10} {observed:>17} "
                  f"{row['worst']:>8.4g} {row['margin']:>8.4g}")
            for setting, per_seed in row["values"].items():
                values = " ".join(
                    format(per_seed[s], ".4g") if s in per_seed else "-"
                    for s in seeds)
                print(f"      {setting:>5}: {values}")
    failed = sorted(f"{test} (seed {run['seed']}, setting {run['setting']})"
                    for run in runs for test, result in run["results"].items()
                    if result == "failed")
    for line in failed:
        print(f"FAILED {line}")
    return not failed and all(row["margin"] >= 0 for row in rows)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds(
        "0-4"), help="seeds, e.g. 0-4 (default) or 0,3,7")
    parser.add_argument("--settings", type=parse_settings,
                        default=parse_settings(DEFAULT_SETTINGS),
                        help=f"thread settings among {', '.join(SETTINGS)} "
                             f"(default {DEFAULT_SETTINGS})")
    parser.add_argument("--json", help="also write every value to this file")
    parser.add_argument("pytest_args", nargs="*",
                        help="after --: arguments for pytest (paths, -k)")
    args = parser.parse_args(argv)
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")

    runs = []
    for seed in args.seeds:
        for setting in args.settings:
            checks, results, wall = run_once(seed, setting, args.pytest_args)
            runs.append({"seed": seed, "setting": setting, "checks": checks,
                         "results": results, "wall_s": round(wall, 1)})
            failed = sum(r == "failed" for r in results.values())
            print(f"seed {seed} setting {setting}: {len(results)} tests, "
                  f"{failed} failed, {len(checks)} checks, {wall:.0f} s",
                  flush=True)
    rows = summarize(runs)
    ok = print_report(backend, args.seeds, args.settings, runs, rows)
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"backend": backend, "seeds": args.seeds,
                       "settings": args.settings, "runs": runs,
                       "rows": rows}, file, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
