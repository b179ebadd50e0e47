"""FID and KID against torchmetrics, an independent implementation.

torchmetrics is installed only for tests (the torch tox environment); its
FID and KID take a custom feature module, here the identity on features
computed beforehand, so both libraries see exactly the same numbers.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
fid_module = pytest.importorskip("torchmetrics.image.fid")
kid_module = pytest.importorskip("torchmetrics.image.kid")

from keras_gans.evaluation.metrics import fid  # noqa: E402
from keras_gans.evaluation.metrics import kid  # noqa: E402

DIM = 16


class _Identity(torch.nn.Module):
    num_features = DIM

    def forward(self, features):
        return features


def _features():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(3000, DIM))
    mix = rng.normal(size=(DIM, DIM)) * 0.3
    fake = rng.normal(size=(2000, DIM)) @ (np.eye(DIM) + mix) + 0.3
    return real, fake


def test_fid_agrees_with_torchmetrics():
    real, fake = _features()
    metric = fid_module.FrechetInceptionDistance(feature=_Identity())
    metric.update(torch.from_numpy(real), real=True)
    metric.update(torch.from_numpy(fake), real=False)
    reference = float(metric.compute())
    assert reference > 1.0
    assert fid(real, fake) == pytest.approx(reference, rel=1e-9)


def test_kid_agrees_with_torchmetrics():
    real, fake = _features()
    real = real[:2000]
    # One subset of every sample: torchmetrics draws its subsets with
    # torch.randperm, which only permutes rows here.
    metric = kid_module.KernelInceptionDistance(
        feature=_Identity(), subsets=1, subset_size=2000
    )
    metric.update(torch.from_numpy(real), real=True)
    metric.update(torch.from_numpy(fake), real=False)
    reference = float(metric.compute()[0])
    assert reference > 0.01
    assert kid(real, fake, subsets=1, subset_size=2000).mean == pytest.approx(
        reference, rel=1e-9
    )
