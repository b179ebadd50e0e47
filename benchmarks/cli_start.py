"""Start-up time of the listing commands against importing Keras.

`keras-gans list ...` and `keras-gans plugins` should answer in under 2 s
without importing a backend. This times each command in a fresh
interpreter, next to a bare interpreter and to `import keras` (with the
same backend), interleaved, and prints the median of `--repeats` runs and
its ratio to `import keras`.

    KERAS_BACKEND=jax python benchmarks/cli_start.py --repeats 5
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

COMMANDS = {
    "python (bare interpreter)": ["-c", "pass"],
    "import keras (reference)": ["-c", "import keras"],
    "keras-gans list architectures": ["-m", "keras_gans.cli", "list",
                                      "architectures"],
    "keras-gans plugins": ["-m", "keras_gans.cli", "plugins"],
}
REFERENCE = "import keras (reference)"


def time_command(arguments, env):
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *arguments], env=env, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (ROOT, env.get("PYTHONPATH")) if p
    )
    times = {name: [] for name in COMMANDS}
    for repeat in range(args.repeats):
        order = list(COMMANDS) if repeat % 2 == 0 else list(COMMANDS)[::-1]
        for name in order:
            times[name].append(time_command(COMMANDS[name], env))
    reference = statistics.median(times[REFERENCE])
    print(f"backend {env.get('KERAS_BACKEND', '(keras.json)')}, load "
          f"average {os.getloadavg()[0]:.2f}, {args.repeats} runs each")
    print("| command | median s | max s | ratio to import keras |")
    print("|---|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {max(values):.2f} | "
              f"{median / reference:.2f} |")


if __name__ == "__main__":
    main()
