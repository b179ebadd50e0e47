"""The ring recipe cut down to seconds: an MLP of width 16, latent size 4,
8 steps of 512 samples in batches of 64, an EMA, a checkpoint every 8
steps, no pictures or TensorBoard points, an eager training step. For
tests of what a run's weights become (tests/runs/test_sources.py,
test_init_from.py, test_recipe_callbacks.py)."""

import os

from paths import REPO

RING8 = os.path.join(REPO, "recipes", "ring8.toml")
SMALL = {
    "data.params.num_samples": 512,
    "data.batch_size": 64,
    "model.params.width": 16,
    "model.latent_dim": 4,
    "output.samples": 16,
    "output.sample_every": 0,
    "output.checkpoint_every": 0,
    "output.checkpoint_every_steps": 8,
    "output.log_every": 0,
    "output.log_images_every": 0,
    "train.steps": 8,
    "train.ema": 0.9,
    # Eager: compiling the step (XLA on TensorFlow, jit on JAX) costs more
    # than these few steps of a tiny MLP.
    "train.jit_compile": False,
}
