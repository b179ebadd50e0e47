"""A VAE (`model.kind = "vae"`) through the run layer: `keras-gans run`,
`--resume` after SIGKILL, `sample`, `export`, `evaluate` and `interpolate`
treat it as they treat a GAN, and give the decoder's outputs.

The runs are `recipes/vae_ring8.toml` cut down to a few steps of a small
MLP (2 s or less on TensorFlow and PyTorch).
"""

import json
import os
import signal

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from keras_gans import cli
from keras_gans import images
from keras_gans import latent
from keras_gans.datasets import ring
from keras_gans.datasets import ring_centers
from keras_gans.runs import evaluate as evaluate_module
from keras_gans.training import checkpoints
from keras_gans.vae import VAE

from checkpoint_waits import wait_for_checkpoints
from paths import REPO
from test_resume import start

VAE_RING8 = os.path.join(REPO, "recipes", "vae_ring8.toml")
LATENT = 2
STEPS = 24
EVERY = 5
TOY = [
    "--set", "data.params.num_samples=512",
    "--set", "data.batch_size=64",
    "--set", "model.params.width=16",
    "--set", f"model.latent_dim={LATENT}",
    "--set", "output.samples=16",
    "--set", "output.sample_every=1",
    "--set", "output.log_every=4",
    "--set", "output.log_images_every=8",
    "--set", "output.checkpoint_every=0",
    "--set", f"output.checkpoint_every_steps={EVERY}",
    "--set", "output.keep_checkpoints=2",
    "--set", f"train.steps={STEPS}",
]


def invoke(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args],
                              catch_exceptions=False)


def decoder_outputs(run, z, labels=None):
    """The run's decoder on `z`, called here (the Gaussian likelihood's
    means: the decoder's outputs themselves)."""
    vae = keras.models.load_model(os.path.join(run, "gan.keras"))
    assert isinstance(vae, VAE) and vae.likelihood == "gaussian"
    inputs = keras.ops.convert_to_tensor(z)
    if labels is not None:
        inputs = [inputs, keras.ops.convert_to_tensor(labels)]
    return keras.ops.convert_to_numpy(vae.decoder(inputs, training=False))


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("vae") / "run"
    result = invoke("run", VAE_RING8, *TOY, "--output", run)
    assert result.exit_code == 0, result.output
    return run


def test_a_vae_recipe_runs_with_checkpoints_metrics_and_samples(vae_run):
    metrics = json.loads((vae_run / "metrics.json").read_text())
    assert metrics["steps"] == STEPS
    terms = metrics["final_epoch"]
    # The epoch's means over the same samples: elbo = -(reconstruction + kl)
    # and, with beta 1, loss = -elbo.
    np.testing.assert_allclose(terms["elbo"],
                               -(terms["reconstruction"] + terms["kl"]),
                               rtol=1e-5)
    np.testing.assert_allclose(terms["loss"], -terms["elbo"], rtol=1e-5)
    assert metrics["mode_coverage"]["num_modes"] == 8
    steps = [step for step, _ in checkpoints.list_checkpoints(
        vae_run / "checkpoints")]
    assert steps == [20, STEPS]
    recipe = (vae_run / "recipe.toml").read_text()
    assert 'kind = "vae"' in recipe and "g_optimizer" not in recipe
    # One scatter plot per epoch (8 batches of 64 per epoch: 3 epochs).
    grids = sorted(os.listdir(vae_run / "samples"))
    assert grids == ["epoch_0001.png", "epoch_0002.png", "epoch_0003.png"]
    with Image.open(vae_run / "samples" / grids[-1]) as picture:
        assert picture.size[0] > 100


def test_tensorboard_holds_the_elbo_terms_and_one_learning_rate(vae_run):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing import event_accumulator

    events = event_accumulator.EventAccumulator(str(vae_run / "logs"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"loss", "loss/reconstruction", "loss/kl", "elbo", "lr"} <= tags
    assert not {"lr/g", "lr/d", "loss/d"} & tags
    loss = {e.step: e.value for e in events.Scalars("loss")}
    assert sorted(loss) == [4, 8, 12, 16, 20, 24]
    elbo = {e.step: e.value for e in events.Scalars("elbo")}
    assert elbo[24] == pytest.approx(-loss[24], rel=1e-5)
    assert events.Scalars("lr")[0].value == pytest.approx(1e-3)
    assert "samples/raw" in events.Tags()["images"]


def test_sample_export_and_interpolate_give_the_decoders_outputs(
        vae_run, tmp_path):
    z = latent.prior_noise(10, LATENT, 7)
    expected = decoder_outputs(vae_run, z)

    result = invoke("sample", vae_run, "--outdir", tmp_path / "npz", "-n",
                    10, "--seed", 7, "--format", "npz")
    assert result.exit_code == 0, result.output
    result = invoke("export", vae_run, "--format", "keras", "-o",
                    tmp_path / "g.keras")
    assert result.exit_code == 0, result.output
    exported = keras.models.load_model(tmp_path / "g.keras")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(exported(z, training=False)), expected,
        rtol=0, atol=1e-5)
    vae = keras.models.load_model(os.path.join(vae_run, "gan.keras"))
    np.testing.assert_allclose(vae.generate(10, seed=7), expected, rtol=0,
                               atol=1e-5)
    np.testing.assert_allclose(vae.generate(z=z), expected, rtol=0,
                               atol=1e-5)

    result = invoke("interpolate", vae_run, "--frames", 3, "--points", 2,
                    "-o", tmp_path / "walk.gif")
    assert result.exit_code == 0, result.output
    # The first frame is the scatter of the decoder's outputs at the walk's
    # first latent (seed 0), drawn as every 2-D picture is.
    path = latent.walk_latents(vae.latent_dim, frames=3, points=2)
    start = images.picture(vae.generate(z=path[0]))
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.size == start.size == (512, 512)
        np.testing.assert_array_equal(np.asarray(gif.convert("RGB")),
                                      np.asarray(start.convert("RGB")))


def test_evaluate_scores_the_decoders_outputs(vae_run, monkeypatch):
    scored = {}
    real_score = evaluate_module.score

    def spy(chosen, extractor, fake, *args, **kwargs):
        scored["fake"] = fake
        return real_score(chosen, extractor, fake, *args, **kwargs)

    monkeypatch.setattr(evaluate_module, "score", spy)
    result = invoke("evaluate", vae_run, "--features", "pixels",
                    "--metrics", "fid", "-n", 200, "--seed", 3)
    assert result.exit_code == 0, result.output
    expected = decoder_outputs(vae_run, latent.prior_noise(200, LATENT, 3))
    np.testing.assert_allclose(scored["fake"], expected, rtol=0, atol=1e-5)
    metrics = json.loads((vae_run / "metrics.json").read_text())
    assert metrics["evaluation"]["measured_at_step"] == STEPS
    assert np.isfinite(metrics["evaluation"]["metrics"]["fid"])


def test_sigkill_then_resume_gives_the_uninterrupted_weights(vae_run,
                                                            tmp_path):
    directory = tmp_path / "run"
    log_path = tmp_path / "killed.log"
    process = start(directory, log_path, recipe=VAE_RING8, options=TOY)
    wait_for_checkpoints(process, directory, 1, log_path)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=120) == -signal.SIGKILL
    killed_at = checkpoints.list_checkpoints(directory / "checkpoints")
    assert killed_at and killed_at[-1][0] < STEPS

    resumed = invoke("run", VAE_RING8, *TOY, "--output", directory,
                     "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "Resuming from" in resumed.output
    expected, actual = (keras.models.load_model(d / "gan.keras")
                        for d in (vae_run, directory))
    assert actual.steps == expected.steps == STEPS
    assert len(actual.weights) == len(expected.weights)
    for a, b in zip(actual.weights, expected.weights):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a),
                                   keras.ops.convert_to_numpy(b),
                                   rtol=0, atol=1e-6)


@pytest.mark.parametrize("setting, message", [
    ("train.loss=hinge",
     'train.loss: only for a GAN (model.kind = "gan"): a VAE trains on its '
     "ELBO; remove it"),
    ("train.ema=0.99",
     'train.ema: only for a GAN (model.kind = "gan"): a VAE samples with '
     "its trained decoder"),
    ("model.architecture=dcgan",
     "model.architecture: architecture 'dcgan' builds GANs only (its "
     "factory takes no `kind` parameter)"),
])
def test_gan_settings_in_a_vae_recipe_are_refused_before_any_work(
        setting, message, tmp_path):
    result = invoke("run", VAE_RING8, "--set", setting, "--output",
                    tmp_path / "run")
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "run").exists()


def test_vae_settings_in_a_gan_recipe_are_refused(tmp_path):
    result = invoke("run", os.path.join(REPO, "recipes", "ring8.toml"),
                    "--set", "model.beta=4.0", "--output", tmp_path / "run")
    assert result.exit_code == 2
    assert ('model.beta: only for a VAE (model.kind = "vae"); remove it, or '
            'set model.kind = "vae"') in result.output
    assert not (tmp_path / "run").exists()


@pytest.mark.learning
def test_a_conditional_vae_recipe_generates_the_requested_modes(
        tmp_path, outcome, label_mode="index"):
    """The ring's labels are its modes: samples asked for label k lie
    nearest to center k. (`one_hot_concat` measured alike, below; its
    networks are checked by tests/architectures/test_vae_pairs.py.)"""
    run = tmp_path / "run"
    result = invoke(
        "run", VAE_RING8, "--set", "model.conditional=true",
        "--set", f"model.label_mode={label_mode}",
        "--set", "data.params.num_samples=2048", "--set",
        "data.batch_size=64", "--set", "model.params.width=32",
        "--set", "train.optimizer.learning_rate=3e-3",
        "--set", "train.steps=100", "--set", "output.sample_every=0",
        "--set", "output.log_images_every=0", "--output", run)
    assert result.exit_code == 0, result.output
    vae = keras.models.load_model(run / "gan.keras")
    labels = np.arange(400) % 8
    samples = vae.generate(400, seed=1, labels=labels)
    centers = ring_centers()
    nearest = np.argmin(
        np.linalg.norm(samples[:, None] - centers[None], axis=-1), axis=1)
    x, y = ring(num_samples=8, seed=0)
    assert np.array_equal(
        np.argmin(np.linalg.norm(x[:, None] - centers[None], axis=-1),
                  axis=1), y), "ring labels are the nearest centers"
    # Measured on PyTorch, train.seed 0-4 (the run's seed; the suite seed
    # does not reach it): 1.0 for both label modes at every seed. Shorter
    # runs show where the edge is: 60 steps gave 0.93-1.0 (index), and 80
    # steps at lr 1e-3 0.36-0.78.
    outcome.at_least("share with the requested mode",
                     float(np.mean(nearest == labels)), 0.9)
