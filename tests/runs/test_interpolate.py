"""`keras-gans interpolate`: latent walks written as a GIF."""

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageSequence

from keras_gans import cli
from keras_gans import images
from keras_gans import latent
from keras_gans.runs import interpolate
from keras_gans.runs.errors import MissingPackageError
from toy_models import saved_image_gan

SHAPE = (8, 8, 1)
LATENT = 4


@pytest.fixture(scope="module")
def saved_gan(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "gan.keras"
    return path, saved_image_gan(path, LATENT, SHAPE)


def test_the_walk_passes_through_its_points_on_great_circles():
    points = latent.prior_noise(3, 16, seed=0)
    path = latent.walk(points, 9)  # 4 frames per leg: points at 0, 4, 8
    for frame, point in ((0, 0), (4, 1), (8, 2)):
        np.testing.assert_allclose(path[frame], points[point], atol=1e-6)
    np.testing.assert_allclose(path[2], latent.slerp(points[0], points[1],
                                                     0.5), atol=1e-6)
    np.testing.assert_allclose(path[7], latent.slerp(points[1], points[2],
                                                     0.75), atol=1e-6)


def read_frames(path):
    with Image.open(path) as gif:
        return gif.size, [np.asarray(frame.convert("L"))
                          for frame in ImageSequence.Iterator(gif)]


def test_gif_frames_are_the_samples_of_the_walk(saved_gan, tmp_path):
    model, gan = saved_gan
    walk = interpolate.interpolate(model, tmp_path / "walk.gif", frames=7,
                                   points=3, walks=2, seed=5)
    size, frames = read_frames(walk.path)
    assert len(frames) == 7 and walk.frames == 7
    # Two 8x8 cells side by side with 2-pixel padding.
    assert size == walk.size == (2 * 10 + 2, 12)
    anchors = latent.prior_noise(6, LATENT, seed=5).reshape(2, 3, LATENT)
    np.testing.assert_allclose(walk.latents[0], anchors[:, 0], atol=1e-6)
    np.testing.assert_allclose(walk.latents[-1], anchors[:, -1], atol=1e-6)
    for k in (0, 3, 6):
        expected = images.image_grid(gan.generate(z=walk.latents[k]))
        np.testing.assert_array_equal(frames[k], np.asarray(expected))


def test_cli_writes_the_gif_and_refuses_mp4(saved_gan, tmp_path):
    model, _ = saved_gan
    out = tmp_path / "walk.gif"
    result = CliRunner().invoke(cli.main, [
        "interpolate", str(model), "--frames", "5", "--points", "3",
        "--walks", "3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 5 frames (22x22 pixels, 3 walks" in result.output
    assert len(read_frames(out)[1]) == 5
    mp4 = CliRunner().invoke(cli.main, [
        "interpolate", str(model), "-o", str(tmp_path / "walk.mp4")])
    assert mp4.exit_code == 1 and "GIF files only" in mp4.output
    assert "ffmpeg -i walk.gif walk.mp4" in mp4.output
    with pytest.raises(MissingPackageError):
        interpolate.interpolate(model, tmp_path / "w.mp4")
