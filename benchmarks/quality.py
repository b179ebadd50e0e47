"""Image quality of the digits recipes: FID and mode coverage, held-out digits.

Trains `recipes/dcgan.toml` and `recipes/cgan.toml` on the *train* split of
scikit-learn's digits (`--set data.params.split=train`, 1,438 images; the
recipes themselves train on all 1,797), then scores each final GAN against
the 359 held-out test digits:

- FID on `domain_classifier` features (a small CNN trained on the train
  split's labels, penultimate 64 features; its test accuracy and sha256
  are printed),
- precision and recall (k = 3) on the same features,
- mode coverage: the share of the 10 digit classes the classifier sees
  among the generated samples, and the KL divergence of that class
  histogram to the uniform one (0 when every digit is equally frequent),
- memorization: the share of samples whose nearest training digit is
  closer than a quarter of the median nearest-neighbour distance among
  training digits (`keras_gans.evaluation.metrics.memorization`, same features),
- the floor: the same numbers for the real training digits against the
  held-out ones (real vs real; its memorization is left out, the set
  being the training set itself).

Generated sets have as many samples as the training split, so the
generated rows and the floor share one sample size (FID is biased by it).
Each recipe trains in a `keras-gans run` subprocess; scoring runs here.

    python benchmarks/quality.py                        # about 5-10 minutes
    python benchmarks/quality.py --set train.epochs=5   # a quick look
    python benchmarks/quality.py --json quality.json
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = ("dcgan", "cgan")
IMAGE_SIZE = 28
DATA_PARAMS = {"image_size": IMAGE_SIZE, "split": "train"}


def train(recipe, directory, overrides, backend):
    """Runs `keras-gans run` on a recipe; returns (run dir, seconds)."""
    output = os.path.join(directory, recipe)
    command = [
        sys.executable, "-m", "keras_gans.cli", "run",
        os.path.join(REPO, "recipes", f"{recipe}.toml"),
        "--output", output, "--set", "data.params.split=train",
        "--set", "output.sample_every=0",
    ]
    for override in overrides:
        command += ["--set", override]
    env = dict(os.environ, KERAS_BACKEND=backend,
               PYTHONPATH=os.pathsep.join([REPO, os.environ.get(
                   "PYTHONPATH", "")]))
    started = time.time()
    print(f"Training {recipe}: {' '.join(command[3:])}", flush=True)
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return output, time.time() - started


def class_coverage(labels, num_classes):
    """`(classes seen, KL(histogram || uniform))` of predicted labels."""
    import numpy as np

    counts = np.bincount(labels, minlength=num_classes)
    p = counts[counts > 0] / counts.sum()
    kl = float(np.sum(p * np.log(p * num_classes)))
    return int(np.count_nonzero(counts)), kl


def score(name, samples, real_features, classifier, train_features=None,
          seconds=None):
    """One table row: FID, precision/recall, class coverage and, given the
    training features, memorization."""
    from keras_gans.evaluation.features import extract
    from keras_gans.evaluation.metrics import fid
    from keras_gans.evaluation.metrics import memorization
    from keras_gans.evaluation.metrics import precision_recall

    features = extract(classifier, samples, verbose=0)
    precision, recall = precision_recall(real_features, features, k=3)
    classes, kl = class_coverage(classifier.predict_classes(samples),
                                 classifier.record["num_classes"])
    copied = None
    if train_features is not None:
        copied = memorization(train_features, features).share
    return {"name": name, "samples": len(samples),
            "fid": fid(real_features, features), "precision": precision,
            "recall": recall, "classes": classes, "kl_uniform": kl,
            "memorization": copied, "train_s": seconds}


def generate(run_dir, n, seed=0):
    """`n` samples of the run's final GAN (labels cycling if conditional)."""
    import numpy as np

    import keras_gans

    gan = keras_gans.load_model(os.path.join(run_dir, "gan.keras"))
    labels = np.arange(n) % 10 if gan.conditional else None
    return gan.generate(n, seed=seed, labels=labels)


def print_table(rows, classifier):
    record = classifier.record
    print(f"\nHeld-out: {record['num_test']} test digits ({IMAGE_SIZE}x"
          f"{IMAGE_SIZE}); features: domain_classifier "
          f"({record['architecture']}, 64 features, test accuracy "
          f"{record['test_accuracy']:.3f}, "
          f"sha256 {record['weights_sha256'][:12]}...)\n")
    print("| model | samples | FID | precision | recall | classes | "
          "KL to uniform | memorization | train time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        seconds = (f"{row['train_s'] / 60:.1f} min" if row["train_s"]
                   else "-")
        copied = (f"{row['memorization']:.1%}"
                  if row["memorization"] is not None else "-")
        print(f"| {row['name']} | {row['samples']} | {row['fid']:.2f} | "
              f"{row['precision']:.3f} | {row['recall']:.3f} | "
              f"{row['classes']}/10 | {row['kl_uniform']:.3f} | {copied} | "
              f"{seconds} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--set", dest="overrides", action="append",
                        default=[], metavar="KEY=VALUE",
                        help="recipe override for every run, e.g. "
                             "train.epochs=5")
    parser.add_argument("--backend",
                        default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    parser.add_argument("--directory", default=None,
                        help="where the runs go (default: a temporary one)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    os.environ["KERAS_BACKEND"] = args.backend
    sys.path.insert(0, REPO)
    from keras_gans.datasets import digits
    from keras_gans.evaluation.features import domain_classifier
    from keras_gans.evaluation.features import extract

    directory = args.directory or tempfile.mkdtemp(prefix="quality-")
    runs = {}
    for recipe in args.recipes.split(","):
        runs[recipe] = train(recipe, directory, args.overrides, args.backend)

    classifier = domain_classifier("digits", DATA_PARAMS)
    classifier.prepare((IMAGE_SIZE, IMAGE_SIZE, 1))
    train_x, _ = digits(image_size=IMAGE_SIZE, split="train")
    test_x, _ = digits(image_size=IMAGE_SIZE, split="test")
    held_out = extract(classifier, test_x, verbose=0)
    train_features = extract(classifier, train_x, verbose=0)

    rows = [score("real train digits (floor)", train_x, held_out, classifier)]
    for recipe, (run_dir, seconds) in runs.items():
        samples = generate(run_dir, len(train_x))
        rows.append(score(f"{recipe}.toml", samples, held_out, classifier,
                          train_features, seconds))
    print_table(rows, classifier)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump({"backend": args.backend, "overrides": args.overrides,
                       "classifier": {k: v for k, v in
                                      classifier.protocol.items()
                                      if k != "path"},
                       "rows": rows},
                      file, indent=2)


if __name__ == "__main__":
    main()
