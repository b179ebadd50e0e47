"""A recipe for a folder of images: training without writing a recipe.

`keras-gans run --data DIR` (and `keras_gans.train(folder_recipe(DIR))`)
trains on the images of one folder with defaults taken from the project's
digits recipe (`recipes/dcgan.toml`: DCGAN, R1 with gamma 1, an EMA of
0.995, Adam 2e-4 with beta_1 0.5), counted in steps so that the length
does not depend on the folder's size. What the folder decides:

- the image size: `image_size` when given (every image center-cropped to
  a square and resized, as the `image_folder` dataset does), else the
  images' own size, which must then be one square size;
- the channels: 1 when every image is grayscale, else 3 (RGB);
- the architecture, when not given: `dcgan`, which makes 28, 32 and 64
  pixel squares; another size needs a registered architecture that makes
  it;
- the batch: 64 images, or all of them in a smaller folder.

The recipe goes through the same checks as a recipe file
(`recipe.resolve`), and a run writes it as `recipe.toml` like any other,
so `keras-gans run RUN/recipe.toml` repeats the run.
"""

import collections
import dataclasses
import os

from PIL import Image

from keras_gans.advice import Advised
from keras_gans.datasets.image_files import _DEFAULT_EXTENSIONS
from keras_gans.datasets.image_files import _check_extensions
from keras_gans.datasets.image_files import _check_folder
from keras_gans.datasets.image_files import _decoders
from keras_gans.datasets.image_files import bad_image_error
from keras_gans.datasets.image_files import find_images
from keras_gans.datasets.images import _check_image_size
from keras_gans.regular_files import open_regular
from keras_gans.runs import recipe as recipe_module

__all__ = ["DEFAULT_STEPS", "FolderError", "Survey", "folder_recipe",
           "survey"]

DEFAULT_ARCHITECTURE = "dcgan"
# The square sizes `dcgan` makes (keras_gans.architectures.dcgan.SIZES;
# not imported from there, which would import Keras).
DEFAULT_ARCHITECTURE_SIZES = (28, 32, 64)
DEFAULT_STEPS = 5_000
BATCH_SIZE = 64
# A sample grid about this often (it is counted in epochs), and a
# checkpoint this often (and after the last step).
SAMPLE_EVERY_STEPS = 500
CHECKPOINT_EVERY_STEPS = 1_000
# Pillow modes of grayscale pictures; every other mode (palette images
# included) is read as RGB.
GRAY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N",
              "F"}
LISTED_SIZES = 5


class FolderError(Advised, ValueError):
    """A folder that cannot be trained on as it is: not a folder, no
    images, an unreadable image, mixed or unsupported sizes.

    `reason` names the cases whose remedy the command line words in its
    flags (`"mixed_sizes"`, `"not_square"`, `"no_architecture"`); the
    image dataset's own checks keep its message (reason None).
    """


@dataclasses.dataclass(frozen=True)
class Survey:
    """What the headers of a folder's images say.

    Attributes:
        path: the folder.
        files: the image files, relative to `path`, in sorted order.
        sizes: `{(width, height): [file, ...]}`, the largest group first.
        channels: 1 when every image is grayscale, else 3.
    """

    path: str
    files: list
    sizes: dict
    channels: int


def survey(path, extensions=_DEFAULT_EXTENSIONS):
    """Reads the size and color mode of every image in a folder (headers
    only, no pixels), with the image dataset's checks of the folder.

    Raises:
        FolderError: when `path` is not a folder, holds no images, or an
            image's header does not read (the messages of
            `keras_gans.datasets.image_folder`).
    """
    try:
        path = _check_folder(path)
        extensions = _check_extensions(extensions)
        formats = _decoders(extensions)
        files, _ = find_images(path, "none", extensions)
    except ValueError as error:
        raise FolderError(str(error)) from None
    sizes = collections.defaultdict(list)
    gray = True
    for name in files:
        full = os.path.join(path, name)
        try:
            with open_regular(full) as file, Image.open(
                    file, formats=formats) as image:
                size, mode = image.size, image.mode
        except Exception as error:  # Pillow raises many kinds
            problem = f"{type(error).__name__}: {error}"
            raise FolderError(str(bad_image_error(full, problem,
                                                  path))) from None
        sizes[size].append(name)
        gray = gray and mode in GRAY_MODES
    ordered = dict(sorted(sizes.items(), key=lambda item: -len(item[1])))
    return Survey(path, files, ordered, 1 if gray else 3)


def _size_list(found):
    shown = [f"{w}x{h} ({len(names)} image{'s' if len(names) > 1 else ''}, "
             f"e.g. {names[0]!r})"
             for (w, h), names in list(found.sizes.items())[:LISTED_SIZES]]
    more = len(found.sizes) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _suggested_size(side):
    """The largest default size no larger than `side` (the smallest
    otherwise): shrinking loses less than enlarging invents."""
    fitting = [s for s in DEFAULT_ARCHITECTURE_SIZES if s <= side]
    return max(fitting) if fitting else min(DEFAULT_ARCHITECTURE_SIZES)


def _image_size(found, image_size):
    """The image size to train at: the one given, else the images' own."""
    if image_size is not None:
        return image_size
    if len(found.sizes) > 1:
        side = min(min(size) for size in found.sizes)
        raise FolderError(
            f"The images in {found.path!r} have {len(found.sizes)} different "
            f"sizes: {_size_list(found)}.",
            "Pass `image_size` (e.g. image_size="
            f"{_suggested_size(side)}): every image is then center-cropped "
            "to a square and resized to it.", reason="mixed_sizes",
            size=_suggested_size(side))
    ((width, height),) = found.sizes
    if width != height:
        raise FolderError(
            f"The images in {found.path!r} are {width}x{height}, not square.",
            f"Pass `image_size` (e.g. image_size="
            f"{_suggested_size(min(width, height))}): every image is then "
            "center-cropped to a square and resized to it.",
            reason="not_square", size=_suggested_size(min(width, height)))
    return width


def _architecture(image_size, architecture, found):
    """`architecture`, or the default one when it makes this size."""
    if architecture is not None:
        return architecture
    if image_size in DEFAULT_ARCHITECTURE_SIZES:
        return DEFAULT_ARCHITECTURE
    *smaller, largest = map(str, DEFAULT_ARCHITECTURE_SIZES)
    height, width = _check_image_size(image_size)
    suggested = _suggested_size(min(height, width))
    raise FolderError(
        f"No default architecture makes {width}x{height} images, the size "
        f"to train on the images of {found.path!r}: {DEFAULT_ARCHITECTURE} "
        f"makes squares of {', '.join(smaller)} or {largest} pixels.",
        f"Pass image_size={suggested} (the images are center-cropped and "
        "resized), or `architecture`, a registered architecture that makes "
        "this size.", reason="no_architecture", size=suggested)


def _sample_every(count, batch_size):
    """Epochs between sample grids: about every `SAMPLE_EVERY_STEPS`."""
    steps_per_epoch = max(1, count // batch_size)
    return max(1, round(SAMPLE_EVERY_STEPS / steps_per_epoch))


def raw_recipe(found, image_size, architecture, steps):
    """The recipe for a surveyed folder, as a recipe file would hold it."""
    batch_size = min(BATCH_SIZE, len(found.files))
    name = os.path.basename(os.path.abspath(found.path)) or "images"
    return {
        "name": name,
        "description": f"The images of {os.path.abspath(found.path)}, "
                       "with the defaults of a folder recipe.",
        "model": {"architecture": architecture},
        "data": {
            "dataset": "image_folder",
            "batch_size": batch_size,
            "params": {"path": os.path.abspath(found.path),
                       "image_size": image_size,
                       "channels": found.channels},
        },
        "train": {
            "penalty": {"name": "r1", "weight": 1.0},
            "steps": DEFAULT_STEPS if steps is None else steps,
            "ema": 0.995,
            "g_optimizer": {"name": "adam", "learning_rate": 2e-4,
                            "beta_1": 0.5},
            "d_optimizer": {"name": "adam", "learning_rate": 2e-4,
                            "beta_1": 0.5},
        },
        "output": {
            "checkpoint_every": 0,
            "checkpoint_every_steps": CHECKPOINT_EVERY_STEPS,
            "sample_every": _sample_every(len(found.files), batch_size),
        },
    }


def folder_recipe(path, image_size=None, architecture=None, steps=None,
                  overrides=(), catalogue=None):
    """The recipe that trains on a folder of images with defaults.

    The folder is checked first (the image dataset's checks, and every
    image's header read: sizes and color modes), then the recipe is built
    and checked as a recipe file is (`recipe.resolve`): a bad value gets
    the message it gets there.

    Args:
        path: the folder of images (searched recursively, as the
            `image_folder` dataset does).
        image_size: the side of the square images to train on; None takes
            the images' own size (one square size).
        architecture: a registered architecture; None takes `dcgan` for
            28, 32 and 64 pixel images.
        steps: generator updates; None gives `DEFAULT_STEPS`.
        overrides: `key.path=value` strings applied on top, as `--set`.
        catalogue: the plugin catalogue (None: the process-wide one).

    Returns:
        A `Recipe` (its `source` names the folder).

    Raises:
        FolderError: for a folder that is no folder, holds no images or
            an unreadable one, or whose sizes need `image_size`, or a size
            no default architecture makes.
        ValueError: for an `image_size` that is not a positive int or
            `(height, width)` pair.
        RecipeError: for values the recipe's checks refuse (every problem
            at once).
    """
    if image_size is not None:
        _check_image_size(image_size)
    found = survey(path)
    size = _image_size(found, image_size)
    raw = raw_recipe(found, size, _architecture(size, architecture, found),
                     steps)
    recipe_module.apply_overrides(raw, overrides)
    return recipe_module.resolve(
        raw, default_name=raw["name"], catalogue=catalogue,
        source=f"image folder {found.path}", overrides=tuple(overrides))
