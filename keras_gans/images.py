"""Sample pictures: image grids and 2-D scatter plots as PNG (Pillow, NumPy).

This module imports neither Keras nor a backend.
"""

import math
import os

import numpy as np
from PIL import Image
from PIL import ImageDraw

from keras_gans import files

__all__ = [
    "grid_shape",
    "image_grid",
    "picture",
    "save_png",
    "scatter_plot",
    "to_uint8",
    "walk_frames",
    "walk_strip",
]

PADDING = 2
PAD_VALUE = 128
SCATTER_SIZE = 512
REAL_COLOR = (170, 170, 170)
FAKE_COLOR = (31, 119, 180)
CENTER_COLOR = (214, 39, 40)


def to_uint8(images):
    """Maps values in [-1, 1] to 0..255 (values outside are clipped)."""
    images = np.asarray(images, dtype=np.float32)
    images = np.nan_to_num(images, nan=-1.0)
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def grid_shape(n):
    """`(rows, columns)` of a near-square grid holding `n` cells."""
    columns = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / columns))
    return rows, columns


def image_grid(images, columns=None, padding=PADDING, pad_value=PAD_VALUE):
    """Tiles images in [-1, 1] into one grayscale or RGB picture.

    Args:
        images: array `(n, H, W)`, `(n, H, W, 1)` or `(n, H, W, 3)`,
            channels last, values in [-1, 1].
        columns: cells per row; None for a near-square grid.
        padding: pixels between cells and around the grid.
        pad_value: gray level (0..255) of the padding.

    Returns:
        A `PIL.Image.Image` of size
        `(columns * (W + padding) + padding, rows * (H + padding) + padding)`:
        mode `"L"` for one channel, `"RGB"` for three.

    Raises:
        ValueError: for arrays of another shape.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or not len(images):
        raise ValueError(
            "`images` must be a non-empty array of shape (n, H, W), "
            "(n, H, W, 1) or (n, H, W, 3). "
            f"Received: images.shape={images.shape}"
        )
    n, height, width, channels = images.shape
    if columns is None:
        rows, columns = grid_shape(n)
    else:
        rows = math.ceil(n / columns)
    pixels = to_uint8(images)
    canvas = np.full(
        (
            rows * (height + padding) + padding,
            columns * (width + padding) + padding,
            channels,
        ),
        pad_value,
        dtype=np.uint8,
    )
    for index in range(n):
        row, column = divmod(index, columns)
        top = padding + row * (height + padding)
        left = padding + column * (width + padding)
        canvas[top : top + height, left : left + width] = pixels[index]
    if channels == 1:
        return Image.fromarray(canvas[..., 0], mode="L")
    return Image.fromarray(canvas, mode="RGB")


def scatter_plot(points, reference=None, centers=None, bounds=None,
                 size=SCATTER_SIZE):
    """Draws 2-D samples (blue) over reference data (gray) and mode centers.

    Args:
        points: generated samples, shape `(n, 2)`.
        reference: real samples drawn below them, or None.
        centers: mode centers marked with red crosses, or None.
        bounds: `(low, high)` of both axes; None fits the reference data
            (or the points) with a margin. Pass the same bounds every epoch
            so that the pictures line up.
        size: width and height in pixels.

    Returns:
        An RGB `PIL.Image.Image` of `size` x `size` pixels.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if bounds is None:
        bounds = plot_bounds(reference if reference is not None else points)
    low, high = bounds
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)

    def to_pixels(xy):
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        scaled = (xy - low) / (high - low) * (size - 1)
        # y grows upwards in the plot, downwards in the image.
        return np.stack([scaled[:, 0], size - 1 - scaled[:, 1]], axis=1)

    # Axes through the origin, when it is in view.
    origin = to_pixels([[0.0, 0.0]])[0]
    if 0 <= origin[0] < size:
        draw.line([(origin[0], 0), (origin[0], size)], fill=(230, 230, 230))
    if 0 <= origin[1] < size:
        draw.line([(0, origin[1]), (size, origin[1])], fill=(230, 230, 230))
    if reference is not None:
        for x, y in to_pixels(reference):
            draw.point((x, y), fill=REAL_COLOR)
    for x, y in to_pixels(points[np.all(np.isfinite(points), axis=1)]):
        draw.ellipse((x - 1, y - 1, x + 1, y + 1), fill=FAKE_COLOR)
    if centers is not None:
        for x, y in to_pixels(centers):
            draw.line([(x - 4, y - 4), (x + 4, y + 4)], fill=CENTER_COLOR)
            draw.line([(x - 4, y + 4), (x + 4, y - 4)], fill=CENTER_COLOR)
    return image


def plot_bounds(points, margin=0.15):
    """Square `(low, high)` axis bounds holding `points`, with a margin."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    points = points[np.all(np.isfinite(points), axis=1)]
    if not len(points):
        return -1.0, 1.0
    low = float(np.percentile(points, 0.5))
    high = float(np.percentile(points, 99.5))
    span = max(high - low, 1e-3)
    return low - margin * span, high + margin * span


def picture(samples, **kwargs):
    """An image grid for image samples, a scatter plot for 2-D vectors.

    Args:
        samples: `(n, H, W[, C])` images in [-1, 1] or `(n, 2)` points.
        **kwargs: passed to `image_grid` or `scatter_plot`.

    Returns:
        A `PIL.Image.Image`, or None for samples that are neither.
    """
    samples = np.asarray(samples)
    if samples.ndim == 2 and samples.shape[1] == 2:
        return scatter_plot(samples, **kwargs)
    if samples.ndim == 3 or (samples.ndim == 4 and samples.shape[-1] in (1, 3)):
        return image_grid(samples, **kwargs)
    return None


def _is_image_batch(samples):
    return samples.ndim == 3 or (samples.ndim == 4
                                 and samples.shape[-1] in (1, 3))


def walk_frames(samples, **kwargs):
    """One picture per frame of latent walks: the frames of a GIF.

    Args:
        samples: `(frames, walks, ...)` samples along the walks
            (`latent.decode_walks`).
        **kwargs: passed to `picture`.

    Returns:
        A list of `frames` pictures (the walks side by side in each), or
        None for samples that are neither images nor 2-D points.
    """
    pictures = [picture(frame, **kwargs) for frame in samples]
    return None if pictures[0] is None else pictures


def walk_strip(samples, **kwargs):
    """Latent walks as one picture: a row per walk, a column per frame.

    TensorBoard has no video dashboard; a strip shows a whole walk at one
    glance, and its step slider compares the walks as training goes on.

    Args:
        samples: `(frames, walks, H, W[, C])` images in [-1, 1]
            (`latent.decode_walks`).
        **kwargs: passed to `image_grid` (`padding`, `pad_value`).

    Returns:
        A `PIL.Image.Image`, or None for samples that are not images.
    """
    samples = np.asarray(samples)
    frames, walks = samples.shape[:2]
    rows = np.swapaxes(samples, 0, 1).reshape(walks * frames,
                                              *samples.shape[2:])
    if not _is_image_batch(rows):
        return None
    return image_grid(rows, columns=frames, **kwargs)


def save_png(image, path):
    """Saves a picture as PNG atomically (`keras_gans.files.replacing`)."""
    with files.replacing(path) as temporary:
        image.save(temporary, format="PNG")
    return os.fspath(path)
