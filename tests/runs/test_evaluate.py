"""`keras-gans evaluate` on a tiny run directory: metrics.json read back,
values against a direct computation, and bad input refused up front."""

import json

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from keras_gans import cli
from keras_gans.evaluation import metrics
from keras_gans.datasets import digits
from keras_gans.runs.evaluate import evaluate

LATENT = 8
RECIPE = """name = "tiny"

[model]
architecture = "dcgan"
latent_dim = 8

[data]
dataset = "digits"
batch_size = 32

[data.params]
image_size = 8
split = "train"
"""


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    """Trained feature networks go to a temporary cache, never ~/.cache."""
    monkeypatch.setenv("KERAS_GANS_CACHE", str(tmp_path / "cache"))


def invoke(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run directory holding a tiny generator of 8x8 digits, its recipe
    and the metrics.json training wrote."""
    directory = tmp_path_factory.mktemp("run")
    generator = keras.Sequential([
        keras.Input((LATENT,)),
        keras.layers.Dense(64, activation="tanh"),
        keras.layers.Reshape((8, 8, 1)),
    ])
    generator.save(directory / "generator.keras")
    (directory / "recipe.toml").write_text(RECIPE)
    (directory / "metrics.json").write_text(json.dumps({"steps": 7}))
    return directory


def _same_samples(run_dir, n, seed):
    """The samples evaluate draws: z from numpy's default_rng(seed)."""
    generator = keras.models.load_model(run_dir / "generator.keras")
    z = np.random.default_rng(seed).standard_normal((n, LATENT),
                                                    dtype=np.float32)
    return keras.ops.convert_to_numpy(generator(z)).reshape(n, -1)


def test_evaluate_writes_metrics_json_with_values_and_protocol(run_dir):
    result = invoke("evaluate", run_dir, "--features", "pixels", "-n", 300,
                    "--seed", 3, "--metrics", "fid,kid,pr,dc,memorization")
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output and "fid" in result.output

    written = json.loads((run_dir / "metrics.json").read_text())
    assert written["steps"] == 7  # the training entries are kept
    evaluation = written["evaluation"]
    assert set(evaluation["metrics"]) == {
        "fid", "kid", "kid_std", "kid_subset_size", "precision", "recall",
        "density", "coverage", "memorization", "memorization_threshold"}
    protocol = evaluation["protocol"]
    assert protocol["extractor"] == "pixels"
    assert protocol["weights_sha256"] is None
    assert protocol["num_samples"] == 300 and protocol["seed"] == 3
    assert protocol["resize"].startswith("none")
    held_out = protocol["reference"]["held_out"]
    assert held_out["params"] == {"image_size": 8, "split": "test"}
    assert held_out["num_samples"] == held_out["num_used"] == 359
    assert protocol["reference"]["train"]["params"]["split"] == "train"
    versions = evaluation["versions"]
    assert versions["backend"] == keras.backend.backend()
    assert versions["keras"] == keras.__version__
    assert versions["numpy"] == np.__version__ and versions["keras_gans"]

    # The values are the metrics of the same samples against held-out and
    # training digits, computed directly.
    fake = _same_samples(run_dir, 300, seed=3)
    test_x, _ = digits(image_size=8, split="test")
    train_x, _ = digits(image_size=8, split="train")
    test_x, train_x = test_x.reshape(len(test_x), -1), train_x.reshape(
        len(train_x), -1)
    values = evaluation["metrics"]
    assert values["fid"] == pytest.approx(metrics.fid(test_x, fake), rel=1e-5)
    assert values["kid_subset_size"] == 300  # the smaller set
    precision, recall = metrics.precision_recall(test_x, fake, k=3)
    assert (values["precision"], values["recall"]) == pytest.approx(
        (precision, recall), abs=1e-9)
    assert values["memorization"] == pytest.approx(
        metrics.memorization(train_x, fake).share, abs=1e-9)
    # An untrained generator is far from digits: FID 44.7-46.6 over the
    # initial weights of seeds 0-9 (TensorFlow and PyTorch).
    assert values["fid"] > 10


def test_evaluate_api_returns_what_it_writes(run_dir, tmp_path):
    out = tmp_path / "scores.json"
    evaluation = evaluate(str(run_dir), metrics=["fid"], features="pixels",
                          num_samples=100, output=str(out), max_real=200,
                          verbose=0, echo=lambda line: None)
    assert json.loads(out.read_text())["evaluation"]["metrics"] == (
        evaluation["metrics"])
    # The held-out reference was a seeded draw of 200 of the 359 digits.
    held_out = evaluation["protocol"]["reference"]["held_out"]
    assert (held_out["num_samples"], held_out["num_used"]) == (359, 200)
    test_x, _ = digits(image_size=8, split="test")
    drawn = np.sort(np.random.default_rng(0).choice(359, 200, replace=False))
    expected = metrics.fid(test_x[drawn].reshape(200, -1),
                           _same_samples(run_dir, 100, seed=0))
    assert evaluation["metrics"]["fid"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--metrics", "fid,fdi"], "Unknown metric 'fdi'"),
        (["--features", "inceptoin"], "inceptoin"),
        (["--features", "pixels", "-n", 50, "--metrics", "fid"],
         "fid needs at least 65 generated samples with 64 features"),
        # Refused before looking for (or downloading) InceptionV3 weights.
        (["--features", "inception_v3", "-n", 100, "--metrics", "kid,fid"],
         "fid needs at least 2049 generated samples with 2048 features"),
    ],
)
def test_bad_arguments_exit_2_before_any_work(run_dir, tmp_path, args,
                                              message):
    out = tmp_path / "never.json"
    result = invoke("evaluate", run_dir, "-o", out, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_a_conditional_generator_cycles_through_the_classes(tmp_path):
    z = keras.Input((LATENT,))
    labels = keras.Input((), dtype="int32")
    image = keras.layers.Add()([
        keras.layers.Dense(64)(z), keras.layers.Embedding(10, 64)(labels)])
    image = keras.layers.Reshape((8, 8, 1))(
        keras.layers.Activation("tanh")(image))
    generator = keras.Model([z, labels], image)
    generator.save(tmp_path / "generator.keras")
    (tmp_path / "recipe.toml").write_text(RECIPE)

    result = invoke("evaluate", tmp_path, "--features", "pixels", "-n", 200,
                    "--metrics", "fid")
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "metrics.json").read_text())
    noise = np.random.default_rng(0).standard_normal((200, LATENT),
                                                     dtype=np.float32)
    cycled = np.arange(200, dtype="int32") % 10  # 0, 1, ..., 9, 0, 1, ...
    fake = keras.ops.convert_to_numpy(generator([noise, cycled]))
    test_x, _ = digits(image_size=8, split="test")
    expected = metrics.fid(test_x.reshape(len(test_x), -1),
                           fake.reshape(200, -1))
    assert written["evaluation"]["metrics"]["fid"] == pytest.approx(
        expected, rel=1e-5)


def test_a_directory_without_a_model_exits_2(tmp_path):
    result = invoke("evaluate", tmp_path)
    assert result.exit_code == 2
    assert "holds no gan.keras, checkpoint or generator.keras" in result.output


def test_a_missing_run_directory_exits_2(tmp_path):
    result = invoke("evaluate", tmp_path / "nothing-here")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_a_model_without_recipe_needs_a_dataset(run_dir, tmp_path):
    model = tmp_path / "g.keras"
    model.write_bytes((run_dir / "generator.keras").read_bytes())
    result = invoke("evaluate", model, "--features", "pixels")
    assert result.exit_code == 2
    assert "Pass --dataset NAME" in result.output
    result = invoke("evaluate", model, "--features", "pixels", "--dataset",
                    "digits", "-n", 100, "--metrics", "fid")
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "metrics.json").read_text())
    held_out = written["evaluation"]["protocol"]["reference"]["held_out"]
    assert held_out["note"].startswith("the training data")
    assert held_out["num_samples"] == held_out["num_used"] == 1797


def test_a_broken_model_file_exits_2_naming_it(run_dir, tmp_path):
    (tmp_path / "recipe.toml").write_text(RECIPE)
    (tmp_path / "gan.keras").write_bytes(b"not a keras file")
    result = invoke("evaluate", tmp_path, "--features", "pixels", "-n", 100,
                    "--metrics", "kid")
    assert result.exit_code == 2
    assert f"Could not load {tmp_path / 'gan.keras'}" in result.output


def test_the_screen_names_the_reference_and_gives_kid_in_x1e3(run_dir,
                                                             tmp_path):
    # Without a held-out split the reference is the training data, and the
    # screen says so (metrics.json too: its held_out entry has a note).
    model = tmp_path / "g.keras"
    model.write_bytes((run_dir / "generator.keras").read_bytes())
    result = invoke("evaluate", model, "--features", "pixels", "--dataset",
                    "digits", "-n", 300, "--metrics", "fid,kid")
    assert result.exit_code == 0, result.output
    out = result.output
    assert ("300 generated samples against the training data (1797 samples;"
            " no held-out split") in out
    assert "real (training data)" in out and "held_out" not in out
    values = json.loads((tmp_path / "metrics.json").read_text())[
        "evaluation"]["metrics"]
    assert (f"  kid x1e3                {values['kid'] * 1e3:.4g} +- "
            f"{values['kid_std'] * 1e3:.2g} (mean +- std over subsets of "
            "300)") in out
    assert ("on 64-d pixels features it is not comparable with published "
            "KIDs") in out

    # With a held-out split, that is the reference.
    result = invoke("evaluate", run_dir, "--features", "pixels", "-n", 100,
                    "--metrics", "fid", "-o", tmp_path / "split.json")
    assert result.exit_code == 0, result.output
    assert "against the held-out test split (359 samples)" in result.output
    assert "real (held-out data)" in result.output
    assert "KID" not in result.output
