"""Latent walks: a GIF of samples morphing between seeded latents.

Each walk visits `points` latents drawn from the seed (the same draw as
`generate(points, seed=...)`), moving between them by spherical
interpolation (`latent.slerp`): a Gaussian latent's norm stays near
sqrt(latent_dim), where the generator was trained, which the straight line
between two latents leaves. Several walks play side by side as a grid.
"""

import dataclasses
import os

from PIL import Image

from keras_gans import files
from keras_gans import images as images_module
from keras_gans import latent
from keras_gans.runs.errors import MissingPackageError
from keras_gans.runs.sample import SampleError, open_source

__all__ = ["Walk", "interpolate"]


@dataclasses.dataclass(frozen=True)
class Walk:
    """What `interpolate` wrote.

    Attributes:
        path: the GIF.
        frames: frames the GIF holds: `frames`, less any identical
            consecutive frames, which Pillow merges (adding their
            durations, so the walk plays as long).
        size: `(width, height)` of each frame in pixels.
        latents: the `(frames, walks, latent_dim)` latents decoded.
        model_path: the `.keras` file sampled.
    """

    path: str
    frames: int
    size: tuple
    latents: object
    model_path: str


def _check(output, frames, points, walks, fps):
    for name, value, least in (("frames", frames, 2), ("points", points, 2),
                               ("walks", walks, 1), ("fps", fps, 1)):
        if not isinstance(value, int) or value < least:
            raise SampleError(f"`{name}` must be an integer >= {least}. "
                              f"Received: {name}={value!r}")
    extension = os.path.splitext(os.fspath(output))[1].lower()
    if extension == ".mp4":
        raise MissingPackageError(
            "keras-gans writes latent walks as GIF files only: an MP4 "
            "needs an encoder (imageio-ffmpeg), which is not a dependency.",
            "Write a .gif and convert it (ffmpeg -i walk.gif walk.mp4).",
            reason="gif_only")
    if extension != ".gif":
        raise SampleError("The output of a latent walk is a .gif file. "
                          f"Received: output={os.fspath(output)!r}")


def interpolate(source, output, *, frames=60, points=4, walks=1, seed=0,
                labels=None, fps=20, echo=None, step=None):
    """Writes a GIF of latent walks from a run or a saved model.

    Args:
        source: a run directory or a `.keras` file.
        output: the `.gif` to write (replaced atomically).
        frames: frames of the GIF.
        points: latents each walk visits, from its first to its last
            frame.
        walks: walks played side by side (a grid), each through its own
            latents.
        seed: seed of the latents: walk w visits rows `w * points` to
            `(w + 1) * points - 1` of `latent.prior_noise(walks * points,
            latent_dim, seed)`.
        labels: class ids for a conditional model, one per walk, repeated
            to fill `walks` (default 0, 1, 2, ...).
        fps: frames per second.
        echo: called with a line for each damaged checkpoint skipped.
        step: with a run directory, the step of the checkpoint to load
            (None: the newest model; `runs.sources.resolve`).

    Returns:
        A `Walk`.

    Raises:
        SampleError: bad numbers, labels, or an output not ending in .gif.
        MissingPackageError: an `.mp4` output (GIF only; the message says
            how to convert).
        SourceError, NoModelError, ModelLoadError: as `keras_gans.sample`.
    """
    _check(output, frames, points, walks, fps)
    loaded = open_source(source, echo, step)
    label_array = loaded.labels(walks, labels)
    path = latent.walk_latents(loaded.latent_dim, frames, points, walks,
                               seed)  # (frames, walks, latent_dim)
    samples = latent.decode_walks(loaded.generate, path, label_array)
    pictures = images_module.walk_frames(samples)
    if pictures is None:
        raise SampleError(
            f"Samples of shape {samples.shape[2:]} are neither images nor "
            "2-D points; nothing to draw.")
    with files.replacing(output) as temporary:
        pictures[0].save(temporary, format="GIF", save_all=True,
                         append_images=pictures[1:], loop=0,
                         duration=round(1000 / fps))
    with Image.open(output) as gif:  # identical frames merge: count them
        written = gif.n_frames
    return Walk(path=os.fspath(output), frames=written, size=pictures[0].size,
                latents=path, model_path=loaded.model_path)
