"""`sample --outdir`: samples as files an outside tool reads back."""

import os

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from keras_gans import cli
from keras_gans.images import to_uint8
from keras_gans.runs import sample_folder
from keras_gans.runs.errors import OutputExistsError
from toy_models import saved_image_gan

SHAPE = (8, 8, 1)
LATENT = 4


@pytest.fixture(scope="module")
def saved_gan(tmp_path_factory):
    """A run directory holding a small image GAN whose EMA weights differ
    from its raw ones."""
    run = tmp_path_factory.mktemp("run")
    return run, saved_image_gan(run / "gan.keras", LATENT, SHAPE)


def read_pngs(folder):
    names = sorted(os.listdir(folder))
    images = []
    for name in names:
        with Image.open(folder / name) as image:
            images.append(np.asarray(image))
    return names, np.stack(images)


def test_png_folder_holds_what_generate_gives(saved_gan, tmp_path):
    run, gan = saved_gan
    seen = []
    written = sample_folder.write_samples(run, tmp_path / "out", 11, seed=4,
                                          batch_size=4, progress=seen.append)
    names, images = read_pngs(tmp_path / "out")
    assert names == [f"{i:06d}.png" for i in range(11)]
    assert images.shape == (11, 8, 8) and images.dtype == np.uint8
    np.testing.assert_array_equal(
        images, to_uint8(gan.generate(11, seed=4))[..., 0])
    assert seen == [4, 8, 11]
    assert written.paths == [str(tmp_path / "out" / n) for n in names]


def test_npz_holds_the_same_samples_as_uint8(saved_gan, tmp_path):
    run, gan = saved_gan
    written = sample_folder.write_samples(run, tmp_path, 10, seed=2,
                                          batch_size=3, fmt="npz",
                                          truncation=0.8)
    with np.load(written.npz) as data:
        assert sorted(data.files) == ["arr_0"]
        np.testing.assert_array_equal(
            data["arr_0"], to_uint8(gan.generate(10, seed=2,
                                                 truncation=0.8)))


def test_a_folder_with_files_is_refused_unless_asked(saved_gan, tmp_path):
    run, _ = saved_gan
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="already holds 1 entries"):
        sample_folder.write_samples(run, tmp_path, 2)
    sample_folder.write_samples(run, tmp_path, 2, overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["000000.png", "000001.png",
                                            "notes.txt"]


def test_cli_writes_the_folder_and_refuses_a_full_one(saved_gan, tmp_path):
    run, gan = saved_gan
    out = tmp_path / "samples"
    result = CliRunner().invoke(cli.main, [
        "sample", str(run), "--outdir", str(out), "-n", "300",
        "--seed", "1", "--batch-size", "128", "--truncation", "1.5"])
    assert result.exit_code == 0, result.output
    assert f"Wrote 300 samples from {run / 'gan.keras'}" in result.output
    names, images = read_pngs(out)
    assert len(names) == 300
    np.testing.assert_array_equal(
        images, to_uint8(gan.generate(300, seed=1, truncation=1.5))[..., 0])
    again = CliRunner().invoke(cli.main, [
        "sample", str(run), "--outdir", str(out), "-n", "2"])
    assert again.exit_code == 1
    assert "already holds 300 entries" in again.output
    assert "or pass --overwrite" in again.output
    too_many = CliRunner().invoke(cli.main, ["sample", str(run), "-n",
                                             "100000"])
    assert too_many.exit_code == 2 and "--outdir" in too_many.output
