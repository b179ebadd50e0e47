"""The index of an image folder: which files a streamed dataset reads.

Streaming a folder (`keras_gans.datasets.streaming`) decodes each image when
a batch needs it, so a file that does not decode must be found before
training, not in the middle of an epoch. `index_folder` lists the folder
(the same files, order and labels as `image_folder` in memory), records each
file's size and modification time, and checks that every file decodes (a
cheap decode: JPEGs at a reduced scale, no resizing), in parallel threads,
with a progress line on stderr for large folders.

The checks are cached in a small JSON file, so a second run over the same
folder only lists it: `$KERAS_GANS_CACHE/index/<hash>.json`, by default
`~/.cache/keras_gans/index/` (the hash is of the folder's absolute path and
the decoding options). A file is checked again when it is new, or its size
or `mtime_ns` changed; a removed file drops out. The cache is kept out of
the data folder (which may be read-only or shared) and is only an
optimisation: when it cannot be read or written, every file is checked.
"""

import concurrent.futures
import dataclasses
import hashlib
import json
import os
import sys
import time

import numpy as np

from keras_gans.datasets.image_files import _warn_skipped
from keras_gans.datasets.image_files import bad_image_error
from keras_gans.datasets.image_files import find_images
from keras_gans.datasets.image_files import none_readable_error

__all__ = ["FolderIndex", "cache_path", "index_folder"]

CACHE_VERSION = 1
# A progress line is shown on a terminal, and off a terminal (a log) for
# folders at least this large, every 10 %.
PROGRESS_FILES = 10_000
# Files handed to the checking threads at a time.
_CHECK_CHUNK = 256


@dataclasses.dataclass
class FolderIndex:
    """The files of an image folder that decode, with their labels.

    Attributes:
        root: the folder.
        files: paths relative to `root`, sorted.
        labels: int32 class ids `(len(files),)`, or None.
        sizes: file sizes in bytes, int64 `(len(files),)`.
        mtimes: modification times in ns, int64 `(len(files),)`.
        skipped: `(full path, reason)` of the files left out.
        checked: how many files were decoded to check them (the others'
            checks came from the cache).
    """

    root: str
    files: list
    labels: object
    sizes: np.ndarray
    mtimes: np.ndarray
    skipped: list
    checked: int

    def __len__(self):
        return len(self.files)

    def path(self, i):
        return os.path.join(self.root, self.files[i])


def cache_path(root, decoder, cache_dir=None):
    """The cache file of `root`'s index under these decoding options.

    `cache_dir` (or `$KERAS_GANS_CACHE`, or `~/.cache/keras_gans`) holds
    `index/<sha256 of the absolute path and options>.json`.
    """
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_GANS_CACHE") or os.path.join(
            os.path.expanduser("~"), ".cache", "keras_gans")
    key = json.dumps([os.path.abspath(root), decoder.mode,
                      sorted(decoder.formats)])
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return os.path.join(os.fspath(cache_dir), "index", f"{digest}.json")


def _read_cache(path, root):
    """`{relpath: (size, mtime_ns, problem or None)}` from a cache file,
    or `{}` when there is none or it does not read as one."""
    try:
        with open(path, encoding="utf-8") as file:
            cached = json.load(file)
        if cached.get("version") != CACHE_VERSION or (
                cached.get("root") != os.path.abspath(root)):
            return {}
        return {name: (size, mtime, problem)
                for name, size, mtime, problem in cached["files"]}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _write_cache(path, root, entries):
    """Writes the cache atomically; a cache that cannot be written is
    left out (it only saves time)."""
    document = {"version": CACHE_VERSION, "root": os.path.abspath(root),
                "files": [[name, *entry] for name, entry in entries.items()]}
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(document, file)
        os.replace(temporary, path)
    except OSError:
        try:
            os.remove(temporary)
        except OSError:
            pass


class _Progress:
    """`Indexing <root>: k/n files` on stderr, redrawn on a terminal and
    every 10 % off one (only for large folders)."""

    def __init__(self, root, total, stream=None):
        self.stream = stream or sys.stderr
        self.total = total
        self.root = root
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.shown = total and (self.tty or total >= PROGRESS_FILES)
        self.next = 0
        self.started = time.monotonic()

    def update(self, done):
        if not self.shown or (done < self.next and done != self.total):
            return
        step = 1 if self.tty else 10
        self.next = done + max(1, self.total * step // 100)
        end = "\r" if self.tty and done < self.total else "\n"
        seconds = time.monotonic() - self.started
        self.stream.write(f"Indexing {self.root}: {done:,}/{self.total:,} "
                          f"files checked ({seconds:.0f} s){end}")
        self.stream.flush()


def _stat(root, files):
    """`(sizes, mtimes)` of the files, int64 arrays (links followed)."""
    sizes = np.empty(len(files), dtype=np.int64)
    mtimes = np.empty(len(files), dtype=np.int64)
    for i, name in enumerate(files):
        info = os.stat(os.path.join(root, name))
        sizes[i], mtimes[i] = info.st_size, info.st_mtime_ns
    return sizes, mtimes


def _check_all(root, names, decoder, workers):
    """`{name: problem or None}`, decoding the files in threads (Pillow
    releases the GIL while it decodes)."""
    progress = _Progress(root, len(names))

    def check(name):
        try:
            decoder.check(os.path.join(root, name))
        except Exception as error:
            return f"{type(error).__name__}: {error}"
        return None

    problems = {}
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        # A chunk at a time: `map` submits every task at once, and a
        # future per file would grow with the folder.
        for begin in range(0, len(names), _CHECK_CHUNK):
            chunk = names[begin:begin + _CHECK_CHUNK]
            problems.update(zip(chunk, pool.map(check, chunk)))
            progress.update(len(problems))
    return problems


def index_folder(root, labels, decoder, on_bad_image="error",
                 cache_dir=None, workers=None, found=None):
    """Lists an image folder and checks that every image decodes.

    Args:
        root: a checked folder.
        labels: `"none"` or `"subfolders"` (as `image_folder`).
        decoder: the `image_files.Decoder` the images will be read with.
        on_bad_image: `"error"`: the first file that does not decode
            raises, naming it; `"skip"`: those files are left out and listed
            in one `SkippedFilesWarning`.
        cache_dir: where the index cache goes (see `cache_path`); False
            for no cache.
        workers: threads that check files (default: the CPU count, at
            most 8).
        found: `(files, labels)` from `find_images` when the caller has
            listed the folder already.

    Returns:
        A `FolderIndex`.

    Raises:
        ValueError: for a folder without images, or a file that does not
            decode (with `on_bad_image="error"`), or no file that does.
    """
    files, y = found or find_images(root, labels, decoder.extensions)
    sizes, mtimes = _stat(root, files)
    path = None if cache_dir is False else cache_path(root, decoder,
                                                      cache_dir)
    cached = _read_cache(path, root) if path else {}
    entries, unchecked = {}, []
    for name, size, mtime in zip(files, sizes.tolist(), mtimes.tolist()):
        old = cached.get(name)
        if old is not None and (old[0], old[1]) == (size, mtime):
            entries[name] = old
        else:
            unchecked.append(name)
    workers = workers or min(8, os.cpu_count() or 1)
    problems = _check_all(root, unchecked, decoder, workers)
    for name, size, mtime in zip(files, sizes.tolist(), mtimes.tolist()):
        if name in problems:
            entries[name] = (size, mtime, problems[name])
    if path and (unchecked or len(cached) != len(entries)):
        _write_cache(path, root, entries)

    keep = np.array([entries[name][2] is None for name in files], dtype=bool)
    bad = [(name, entries[name][2]) for name in files
           if entries[name][2] is not None]
    if bad and on_bad_image != "skip":
        name, problem = bad[0]
        raise bad_image_error(os.path.join(root, name), problem, root)
    if bad:
        if not keep.any():
            raise none_readable_error(len(files), bad, root)
        _warn_skipped(root, bad, "image files that could not be read",
                      stacklevel=4)
    return FolderIndex(
        root=root,
        files=[name for name, ok in zip(files, keep) if ok],
        labels=None if y is None else y[keep],
        sizes=sizes[keep],
        mtimes=mtimes[keep],
        skipped=[(os.path.join(root, name), problem) for name, problem in
                 bad],
        checked=len(unchecked),
    )
