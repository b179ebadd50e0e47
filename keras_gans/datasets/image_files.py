"""Image files on disk: finding them, their labels, decoding one.

The helpers every folder dataset shares (`image_folder` in memory, the
streamed folder of `keras_gans.datasets.streaming`, `prepare-data`): the
same files, in the same order, with the same labels and the same pixels.
Images are decoded with Pillow; neither Keras nor TensorFlow is imported.
"""

import dataclasses
import os
import stat
import warnings

import numpy as np
from PIL import Image
from PIL import ImageOps

from keras_gans.datasets.images import _check_choice
from keras_gans.datasets.images import _check_image_size
from keras_gans.datasets.images import _check_interpolation
from keras_gans.datasets.images import _check_path
from keras_gans.regular_files import file_kind
from keras_gans.regular_files import open_regular

__all__ = ["Decoder", "SkippedFilesWarning", "bad_image_error",
           "check_decodes", "decoder", "find_images", "folder_arguments",
           "none_readable_error"]

_DEFAULT_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
_LABEL_MODES = ("none", "subfolders")
_BAD_IMAGE_MODES = ("error", "skip")
_LIST_LIMIT = 10


class SkippedFilesWarning(UserWarning):
    """Files a dataset left out; `files` lists `(full path, reason)` pairs.

    `keras-gans run` collects these warnings and writes the files into the
    run directory (`skipped_files.txt`).
    """

    def __init__(self, message, files):
        super().__init__(message)
        self.files = list(files)


def _is_hidden(name):
    return name.startswith(".")


def _shorten(items, limit=_LIST_LIMIT):
    items = list(items)
    text = ", ".join(repr(i) for i in items[:limit])
    if len(items) > limit:
        text += f", ... ({len(items) - limit} more)"
    return text


def _check_folder(path):
    path = _check_path("path", path)
    if not os.path.exists(path):
        raise ValueError(
            f"Argument `path` must be an existing folder of images, but "
            f"{path!r} does not exist. Received: path={path!r}"
        )
    if not os.path.isdir(path):
        hint = (
            " To load arrays from a .npz file, use "
            "`keras_gans.datasets.npz(path)`."
            if path.lower().endswith(".npz")
            else ""
        )
        raise ValueError(
            f"Argument `path` must be a folder of images, but {path!r} is a "
            f"file.{hint} Received: path={path!r}"
        )
    return path


def _check_extensions(extensions):
    if isinstance(extensions, str):
        extensions = (extensions,)
    try:
        items = tuple(extensions)
    except TypeError:
        items = None
    if (
        not items
        or not all(isinstance(e, str) and len(e) > 1 and e[0] == "."
                   for e in items)
    ):
        raise ValueError(
            "Argument `extensions` must be a non-empty sequence of file "
            "extensions starting with a dot, for example ('.png', '.jpg'). "
            f"Received: extensions={extensions!r}"
        )
    return tuple(e.lower() for e in items)


def _decoders(extensions):
    """The Pillow formats of `extensions`: the only decoders `_decode` may
    use. Pillow picks a decoder by a file's content, not its name, so
    without this a PostScript file named `x.png` goes to Ghostscript.

    Raises:
        ValueError: for an extension Pillow reads no format for.
    """
    known = Image.registered_extensions()
    unknown = [e for e in extensions if e not in known]
    if unknown:
        raise ValueError(
            f"Pillow reads no image format with the extension {unknown[0]!r}"
            "; `extensions` must name formats such as '.png', '.jpg', "
            f"'.bmp', '.gif', '.webp' or '.tif'. "
            f"Received: extensions={extensions!r}"
        )
    return sorted({known[e] for e in extensions})


def _subfolders(path):
    """Sorted names of the non-hidden immediate subfolders of `path`.

    Symbolic links to folders count, as `_scan` follows them.
    """
    return sorted(
        entry.name
        for entry in os.scandir(path)
        if entry.is_dir() and not _is_hidden(entry.name)
    )


def _scan(root, extensions):
    """Lists the files under `root`, recursively, skipping hidden ones.

    Symbolic links are followed, to files and to folders alike (so a class
    folder that is a link holds its images, as `_subfolders` counts it);
    a link to a folder that contains it is not entered twice.

    Returns:
        `(images, others, skipped)`: paths relative to `root`, in sorted
        order, of the regular files whose extension (case-insensitive) is
        in `extensions`, of the other files, and `(path, reason)` of the
        names with an image extension that are not regular files (a FIFO
        would block the reader forever) or cannot be reached.
    """
    images, others, skipped = [], [], []
    top = os.stat(root)
    stack = [("", ((top.st_dev, top.st_ino),))]
    while stack:
        rel, ancestors = stack.pop()
        try:
            entries = sorted(os.scandir(os.path.join(root, rel)),
                             key=lambda entry: entry.name)
        except OSError as error:
            skipped.append((rel, f"folder not readable: {error.strerror}"))
            continue
        subfolders = []
        for entry in entries:
            if _is_hidden(entry.name):
                continue
            relpath = os.path.join(rel, entry.name) if rel else entry.name
            is_image = os.path.splitext(entry.name)[1].lower() in extensions
            try:
                mode = entry.stat().st_mode  # follows links
            except OSError as error:
                if is_image:
                    skipped.append((relpath, "a broken link" if
                                    entry.is_symlink() else error.strerror))
                continue
            if stat.S_ISDIR(mode):
                info = entry.stat()
                key = (info.st_dev, info.st_ino)
                if key in ancestors:
                    skipped.append((relpath, "a link to a folder that "
                                    "contains it"))
                else:
                    subfolders.append((relpath, ancestors + (key,)))
            elif not stat.S_ISREG(mode):
                if is_image:
                    skipped.append((relpath, f"{file_kind(mode)}, not a "
                                    "regular file"))
            elif is_image:
                images.append(relpath)
            else:
                others.append(relpath)
        stack.extend(reversed(subfolders))
    return images, others, skipped


def _warn_skipped(path, skipped, what, stacklevel=3):
    """Warns once about skipped files: the count and the first few."""
    names = _shorten(f"{name} ({reason})" for name, reason in skipped)
    full = [(os.path.join(path, name), reason) for name, reason in skipped]
    warnings.warn(
        SkippedFilesWarning(
            f"Skipped {len(skipped)} {what} in {path!r}: {names}", full),
        stacklevel=stacklevel,
    )


def _center_crop_box(width, height, target_height, target_width):
    """The largest centered box of the target aspect ratio, as floats."""
    target_ratio = target_width / target_height
    if width / height > target_ratio:
        crop = height * target_ratio
        left = (width - crop) / 2.0
        return (left, 0.0, left + crop, float(height))
    crop = width / target_ratio
    top = (height - crop) / 2.0
    return (0.0, top, float(width), top + crop)


def _open_image(file, mode, formats, draft=False):
    """The image in `file` converted to `mode` (Pillow), as `_decode` and
    the index's check read it. With `draft`, a JPEG is decoded at a
    reduced scale (cheap: enough to prove the file decodes)."""
    image = Image.open(file, formats=formats)
    if draft:
        image.draft(mode, (1, 1))
    image.load()
    image = ImageOps.exif_transpose(image)
    if image.mode.startswith("I;16"):
        # 16-bit grayscale (e.g. PNG): keep the 8 most significant bits,
        # as `convert("L")` would clip everything above 255 to white.
        high = np.asarray(image, dtype=np.uint16) >> 8
        image = Image.fromarray(high.astype(np.uint8))
    elif image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    return image.convert(mode)


def _decode(path, mode, size, crop, resample, formats):
    """Decodes one image file to a uint8 array of shape `size` (+ channels).

    Only Pillow's decoders for `formats` are tried. The file is opened with
    `open_regular`: one that became a FIFO since the scan raises instead of
    blocking.
    """
    with open_regular(path) as file:
        image = _open_image(file, mode, formats)
        height, width = size
        box = (
            _center_crop_box(image.width, image.height, height, width)
            if crop
            else None
        )
        if box is not None or image.size != (width, height):
            image = image.resize((width, height), resample, box=box)
        return np.asarray(image, dtype=np.uint8)


def check_decodes(path, mode, formats):
    """Raises what decoding the image file `path` would raise, cheaply (a
    JPEG at a reduced scale, no resizing); returns None for a good file."""
    with open_regular(path) as file:
        _open_image(file, mode, formats, draft=True)


@dataclasses.dataclass(frozen=True)
class Decoder:
    """How a folder's files become pixels: one set of checked options.

    Calling it decodes one file to uint8 `(height, width, channels)`, the
    same pixels for every path (in memory, streamed, packed).
    """

    size: tuple
    channels: int
    crop: bool
    resample: int
    formats: tuple
    extensions: tuple

    @property
    def mode(self):
        return "RGB" if self.channels == 3 else "L"

    @property
    def shape(self):
        return (*self.size, self.channels)

    def __call__(self, path):
        pixels = _decode(path, self.mode, self.size, self.crop,
                         self.resample, list(self.formats))
        return pixels.reshape(self.shape)

    def check(self, path):
        """`check_decodes` with these options."""
        check_decodes(path, self.mode, list(self.formats))


def decoder(image_size, channels=3, extensions=_DEFAULT_EXTENSIONS,
            crop_to_aspect_ratio=True, interpolation="bilinear"):
    """Checks the decoding arguments of a folder dataset.

    Returns:
        A `Decoder`.

    Raises:
        ValueError: naming the first argument that is wrong.
    """
    size = _check_image_size(image_size)
    if channels not in (1, 3) or isinstance(channels, bool):
        raise ValueError(
            "Argument `channels` must be 3 (RGB) or 1 (grayscale). "
            f"Received: channels={channels!r}"
        )
    extensions = _check_extensions(extensions)
    formats = _decoders(extensions)
    if not isinstance(crop_to_aspect_ratio, bool):
        raise ValueError(
            "Argument `crop_to_aspect_ratio` must be True or False. "
            f"Received: crop_to_aspect_ratio={crop_to_aspect_ratio!r}"
        )
    resample = _check_interpolation(interpolation)
    return Decoder(size, int(channels), crop_to_aspect_ratio, resample,
                   tuple(formats), extensions)


def folder_arguments(path, image_size, channels, labels, extensions,
                     crop_to_aspect_ratio, interpolation, on_bad_image):
    """Checks the arguments every folder dataset takes (`image_folder`,
    `pack_folder`).

    Returns:
        `(path, decoder, labels)`: the folder, a `Decoder`, and the label
        mode (`None` read as `"none"`).

    Raises:
        ValueError: naming the first argument that is wrong.
    """
    path = _check_folder(path)
    decoder_ = decoder(image_size, channels, extensions,
                       crop_to_aspect_ratio, interpolation)
    if labels is None:
        labels = "none"
    _check_choice("labels", labels, _LABEL_MODES)
    _check_choice("on_bad_image", on_bad_image, _BAD_IMAGE_MODES)
    return path, decoder_, labels


def find_images(path, labels, extensions):
    """The image files of a folder and their labels.

    Args:
        path: a checked folder (`_check_folder`).
        labels: `"none"` or `"subfolders"`.
        extensions: checked extensions (`_check_extensions`).

    Returns:
        `(files, y)`: paths relative to `path` in sorted order, and int32
        class ids (the sorted subfolder names) or None.

    Raises:
        ValueError: when there are no images, or with
            `labels="subfolders"` an image outside a class folder or a
            class folder without images.
    """
    files, others, unreachable = _scan(path, extensions)
    if unreachable:
        _warn_skipped(path, unreachable, "names that are not regular files",
                      stacklevel=4)
    if not files:
        found = (
            f"It holds {len(others)} other file(s): {_shorten(others)}."
            if others
            else "It holds no files."
        )
        raise ValueError(
            f"No images with extensions {extensions} were found in {path!r} "
            f"(searched recursively, hidden files skipped). {found} Pass "
            "`extensions=` to load other file types, or point `path` at "
            f"the folder of your images. Received: path={path!r}"
        )
    if labels != "subfolders":
        return files, None
    at_root = [f for f in files if os.path.dirname(f) == ""]
    if at_root:
        raise ValueError(
            "With labels='subfolders', every image must be inside a "
            f"class subfolder of {path!r}, but {len(at_root)} image(s) "
            f"are directly in it, e.g. {at_root[0]!r}. Move them into "
            "a subfolder named after their class, or use "
            f"labels='none'. Received: path={path!r}, labels='subfolders'"
        )
    classes = _subfolders(path)
    top = [f.split(os.sep, 1)[0] for f in files]
    empty = sorted(set(classes) - set(top))
    if empty:
        raise ValueError(
            "With labels='subfolders', every subfolder of "
            f"{path!r} is a class, but these hold no images with "
            f"extensions {extensions}: {_shorten(empty)}. Remove them "
            "(or rename them to start with '.', to hide them), or add "
            f"images. Received: path={path!r}, labels='subfolders'"
        )
    index = {name: i for i, name in enumerate(classes)}
    return files, np.array([index[t] for t in top], dtype=np.int32)


def bad_image_error(full, problem, path):
    """The error for an image file that does not decode (`on_bad_image`
    is "error"), naming the file, the `problem` (a string) and the ways
    out."""
    return ValueError(
        f"Could not read the image file {full!r}: "
        f"{problem}. The file may be corrupt or not "
        "an image: delete or fix it, exclude its extension with "
        "`extensions=`, or pass `on_bad_image='skip'` to leave out "
        f"the files that cannot be read. Received: path={path!r}"
    )


def none_readable_error(count, bad, path):
    """The error when not one of `count` image files decodes."""
    return ValueError(
        f"None of the {count} image files in {path!r} could be "
        f"read; the first: {bad[0][0]!r} ({bad[0][1]}). "
        f"Received: path={path!r}"
    )
