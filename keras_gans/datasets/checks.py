"""Checks of a dataset before training: what would make a run meaningless
or quietly worse.

`check_data(x, y, expected_range=...)` reads the samples in chunks of
`chunk_size` rows (an array, a memory map or a streamed `ImageRows`: only
one chunk is in memory at a time, plus a few bytes per sample) and
returns a `DataReport`:

- the count, sample shape, dtype and finite value range, against the
  range the generator's output can take (`expected_range`, e.g. tanh's
  [-1, 1]); samples with values outside it are listed by index;
- samples holding NaN or infinity;
- blank images: the standard deviation of all their pixels (every channel)
  is at most `blank_std` (0: only constant images);
- exact duplicates: samples whose bytes are identical (a BLAKE2b digest of
  each sample's bytes), listed as groups;
- near duplicates of images: pairs whose perceptual hashes (`phash`: the
  DCT pHash of the `imagehash` package, 64 bits) differ in at most
  `near_duplicate_bits` bits;
- label counts and the class imbalance (largest count over smallest).

Cost: one pass over the data, O(n) memory (a 16-byte digest and an 8-byte
hash per sample). Near duplicates are found without comparing every pair:
by the pigeonhole principle two 64-bit hashes that differ in at most t bits
agree exactly on at least one of t + 1 bands of bits, so only samples that
share a band's value are compared (a sort per band): O(n log n) plus the
pairs that share a band, instead of n^2 / 2 comparisons.

NumPy and Pillow only; no backend is imported.
"""

import dataclasses
import hashlib
import math

import numpy as np

__all__ = ["DataReport", "check_data", "hamming", "near_duplicate_pairs",
           "phash", "phash_bits"]

HASH_SIZE = 8  # bits per side of the pHash: 64 bits
HASH_IMAGE = 32  # side of the grayscale image the DCT is taken of
REASONS = {
    "nonfinite": "holds NaN or infinite values",
    "out_of_range": "values outside the generator's output range",
    "blank": "blank (pixel standard deviation at most blank_std)",
    "duplicate": "exact duplicate",
    "near_duplicate": "near duplicate (perceptual hash)",
}


@dataclasses.dataclass
class DataReport:
    """What `check_data` found. Indices are positions in the dataset.

    Attributes:
        count: number of samples.
        sample_shape: shape of one sample.
        dtype: the samples' dtype (a string).
        value_range: `(min, max)` of the finite values, or None.
        expected_range: `(low, high)` the generator can produce (None:
            unbounded, not checked).
        nonfinite: indices of samples holding NaN or infinity.
        out_of_range: indices of samples with a finite value outside
            `expected_range`.
        blank: indices of images whose pixel standard deviation is at most
            `blank_std`.
        duplicates: groups of indices of identical samples (each sorted;
            the first is the one cleaning keeps).
        near_duplicates: `(i, j, bits)` with `i < j`: images whose hashes
            differ in `bits <= near_duplicate_bits` bits (exact duplicates
            and blank images left out).
        label_counts: `{class id: count}`, or None without labels.
        imbalance: the largest class count over the smallest, or None.
        unreadable: `(file, reason)` of files the dataset could not read.
        blank_std, near_duplicate_bits: the thresholds used.
        is_image: whether samples are images (height, width, channels):
            only images are checked for blanks and near duplicates.
        names: the file of each index (folder datasets), or None.
    """

    count: int
    sample_shape: tuple
    dtype: str
    value_range: tuple | None
    expected_range: tuple | None
    nonfinite: list
    out_of_range: list
    blank: list
    duplicates: list
    near_duplicates: list
    label_counts: dict | None
    imbalance: float | None
    unreadable: list = dataclasses.field(default_factory=list)
    blank_std: float = 0.0
    near_duplicate_bits: int = 0
    is_image: bool = True
    names: list | None = None

    def errors(self):
        """Findings that make training meaningless: lines of text."""
        lines = []
        if self.count == 0:
            lines.append("no samples")
        if self.nonfinite:
            lines.append(f"{len(self.nonfinite):,} sample(s) hold NaN or "
                         f"infinite values: {self.describe(self.nonfinite)}")
        if self.out_of_range:
            low, high = self.expected_range
            lines.append(
                f"{len(self.out_of_range):,} sample(s) have values outside "
                f"[{low:g}, {high:g}], the range of the generator's output: "
                f"{self.describe(self.out_of_range)}")
        return lines

    def warnings(self):
        """Findings that do not stop a run: lines of text."""
        lines = []
        if self.unreadable:
            shown = ", ".join(f"{name} ({reason})"
                              for name, reason in self.unreadable[:5])
            lines.append(f"{len(self.unreadable):,} file(s) could not be "
                         f"read: {shown}")
        if self.blank:
            lines.append(f"{len(self.blank):,} blank image(s): "
                         f"{self.describe(self.blank)}")
        if self.duplicates:
            extra = sum(len(group) - 1 for group in self.duplicates)
            shown = "; ".join(self.describe(group)
                              for group in self.duplicates[:5])
            lines.append(f"{len(self.duplicates):,} group(s) of exact "
                         f"duplicates ({extra:,} extra copies): {shown}")
        if self.near_duplicates:
            shown = "; ".join(
                f"{self.describe([i, j])} ({bits} bits)"
                for i, j, bits in self.near_duplicates[:5])
            lines.append(f"{len(self.near_duplicates):,} pair(s) of near "
                         f"duplicates: {shown}")
        return lines

    def describe(self, indices, shown=10):
        """Indices (with their files, when known) for a message."""
        items = [self.name(i) for i in indices[:shown]]
        more = (f" and {len(indices) - shown:,} more"
                if len(indices) > shown else "")
        return ", ".join(items) + more

    def name(self, index):
        """`index` and, for a folder, its file."""
        if self.names is None:
            return str(index)
        return f"{index} ({self.names[index]})"

    def removals(self, drop_nonfinite=False, drop_out_of_range=False,
                 drop_blank=False, drop_duplicates=False,
                 drop_near_duplicates=False):
        """The samples cleaning removes, in index order.

        The first of each group of exact duplicates is kept; of near
        duplicates, an image is removed when it pairs with an earlier
        image that is kept. A sample is listed once, with the first reason
        that applies in the order of the arguments.

        Returns:
            A list of dicts: `index`, `reason` (a key of `REASONS`),
            `duplicate_of` (the kept index, for duplicates), and `file`
            for folder datasets.
        """
        removed = {}

        def drop(index, reason, of=None):
            if index not in removed:
                removed[index] = (reason, of)

        for flag, reason, indices in (
                (drop_nonfinite, "nonfinite", self.nonfinite),
                (drop_out_of_range, "out_of_range", self.out_of_range),
                (drop_blank, "blank", self.blank)):
            if flag:
                for index in indices:
                    drop(index, reason)
        if drop_duplicates:
            for group in self.duplicates:
                kept = [i for i in group if i not in removed]
                for index in kept[1:]:
                    drop(index, "duplicate", kept[0])
        if drop_near_duplicates:
            partners = {}
            for i, j, _ in self.near_duplicates:
                partners.setdefault(j, []).append(i)
            for j in sorted(partners):
                if j in removed:
                    continue
                kept = [i for i in sorted(partners[j]) if i not in removed]
                if kept:
                    drop(j, "near_duplicate", kept[0])
        rows = []
        for index in sorted(removed):
            reason, of = removed[index]
            row = {"index": index, "reason": reason}
            if of is not None:
                row["duplicate_of"] = of
            if self.names is not None:
                row["file"] = self.names[index]
                if of is not None:
                    row["duplicate_of_file"] = self.names[of]
            rows.append(row)
        return rows

    def to_dict(self):
        """The report as JSON-ready values (`data_checks.json`)."""
        out = dataclasses.asdict(self)
        out["sample_shape"] = list(self.sample_shape)
        out["near_duplicates"] = [
            {"first": i, "second": j, "bits": bits}
            for i, j, bits in self.near_duplicates]
        out["unreadable"] = [{"file": name, "reason": reason}
                             for name, reason in self.unreadable]
        if self.label_counts is not None:
            out["label_counts"] = {str(k): v
                                   for k, v in self.label_counts.items()}
        out["errors"] = self.errors()
        out["warnings"] = self.warnings()
        return out


def check_data(x, y=None, *, expected_range=None, blank_std=0.01,
               near_duplicate_bits=4, chunk_size=1024, unreadable=(),
               names=None):
    """Checks a dataset's samples; see the module docstring.

    Args:
        x: samples `(n, ...)`: an array, memory map or array-like whose
            `x[start:stop]` gives a NumPy array (`ImageRows`).
        y: integer class ids `(n,)`, or None.
        expected_range: `(low, high)` the generator's output can take, or
            None when it is unbounded. Also the range mapped to grey levels
            0..255 for the perceptual hash (None: [-1, 1], the range of
            every image dataset here).
        blank_std: an image whose pixels' standard deviation is at most
            this is blank (in the data's units: [-1, 1] images move by
            0.0078 per grey level).
        near_duplicate_bits: the largest Hamming distance between the
            perceptual hashes of near duplicates (0 to 31).
        chunk_size: samples read at a time.
        unreadable: `(file, reason)` of files the dataset skipped.
        names: the file of each sample, or None.

    Returns:
        A `DataReport`.

    Raises:
        ValueError: for thresholds out of range.
    """
    _check_arguments(expected_range, blank_std, near_duplicate_bits,
                     chunk_size)
    n = len(x)
    sample_shape = tuple(int(s) for s in x.shape[1:])
    is_image = len(sample_shape) == 3 and sample_shape[-1] in (1, 2, 3, 4)
    hash_range = expected_range or (-1.0, 1.0)
    nonfinite, out_of_range, blank = [], [], []
    digests = {}
    hashes = np.zeros(n, dtype=np.uint64)
    hashed = np.zeros(n, dtype=bool)
    low = high = None
    for start in range(0, n, chunk_size):
        block = np.asarray(x[start:start + chunk_size])
        flat = block.reshape(len(block), -1)
        indices = np.arange(start, start + len(block))
        finite = (np.isfinite(flat).all(axis=1)
                  if np.issubdtype(flat.dtype, np.inexact)
                  else np.ones(len(flat), dtype=bool))
        nonfinite += indices[~finite].tolist()
        for index, row in zip(indices.tolist(), flat):
            digest = hashlib.blake2b(row.tobytes(), digest_size=16).digest()
            digests.setdefault(digest, []).append(index)
        good = flat[finite]
        if len(good):
            block_low, block_high = float(good.min()), float(good.max())
            low = block_low if low is None else min(low, block_low)
            high = block_high if high is None else max(high, block_high)
        if expected_range is not None and len(good):
            outside = _outside(flat, expected_range) & finite
            out_of_range += indices[outside].tolist()
        if is_image:
            spread = np.full(len(flat), np.inf)
            spread[finite] = good.std(axis=1, dtype=np.float64)
            blank += indices[spread <= blank_std].tolist()
            rows = np.flatnonzero(finite & (spread > blank_std))
            if len(rows):
                hashes[indices[rows]] = phash(block[rows], hash_range)
                hashed[indices[rows]] = True
    duplicates = sorted(group for group in digests.values()
                        if len(group) > 1)
    for group in duplicates:
        hashed[group[1:]] = False  # one copy stands for the group
    near = []
    if is_image:
        near = near_duplicate_pairs(np.flatnonzero(hashed), hashes[hashed],
                                    near_duplicate_bits)
    label_counts, imbalance = _label_counts(y)
    return DataReport(
        count=n, sample_shape=sample_shape, dtype=str(x.dtype),
        value_range=None if low is None else (low, high),
        expected_range=(None if expected_range is None
                        else tuple(float(v) for v in expected_range)),
        nonfinite=nonfinite, out_of_range=out_of_range, blank=blank,
        duplicates=duplicates, near_duplicates=near,
        label_counts=label_counts, imbalance=imbalance,
        unreadable=[tuple(item) for item in unreadable],
        blank_std=float(blank_std),
        near_duplicate_bits=int(near_duplicate_bits), is_image=is_image,
        names=None if names is None else list(names))


def _check_arguments(expected_range, blank_std, near_duplicate_bits,
                     chunk_size):
    if expected_range is not None and not (
            len(expected_range) == 2
            and expected_range[0] < expected_range[1]):
        raise ValueError(
            "Argument `expected_range` must be None (unbounded) or a pair "
            f"(low, high) with low < high. "
            f"Received: expected_range={expected_range!r}")
    if not (isinstance(blank_std, (int, float)) and blank_std >= 0
            and math.isfinite(blank_std)):
        raise ValueError(
            "Argument `blank_std` must be a finite number >= 0. "
            f"Received: blank_std={blank_std!r}")
    if not (isinstance(near_duplicate_bits, int)
            and 0 <= near_duplicate_bits < 32):
        raise ValueError(
            "Argument `near_duplicate_bits` must be an integer from 0 to 31 "
            "(bits of a 64-bit hash). "
            f"Received: near_duplicate_bits={near_duplicate_bits!r}")
    if not (isinstance(chunk_size, int) and chunk_size >= 1):
        raise ValueError("Argument `chunk_size` must be a positive integer. "
                         f"Received: chunk_size={chunk_size!r}")


def _outside(flat, expected_range):
    """Rows with a finite value outside the range (a relative tolerance of
    1e-5 for floats, as the npz loader allows)."""
    low, high = expected_range
    tolerance = (1e-5 * (high - low)
                 if np.issubdtype(flat.dtype, np.inexact) else 0.0)
    with np.errstate(invalid="ignore"):
        return ((flat < low - tolerance) | (flat > high + tolerance)).any(
            axis=1)


def _label_counts(y):
    if y is None:
        return None, None
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or not len(y):
        return None, None
    classes, counts = np.unique(y, return_counts=True)
    label_counts = {int(c): int(k) for c, k in zip(classes, counts)}
    return label_counts, float(counts.max() / counts.min())


# ----------------------------------------------------------------------
# Perceptual hash


def _dct_matrix(size):
    """The DCT-II basis (unscaled): `D @ v` is `scipy.fft.dct(v)` / 2."""
    k = np.arange(size)[:, None]
    n = np.arange(size)[None, :]
    return np.cos(np.pi * k * (2 * n + 1) / (2 * size))


_DCT = _dct_matrix(HASH_IMAGE)


def _grey_images(images, value_range):
    """Pillow grayscale images at HASH_IMAGE x HASH_IMAGE from samples
    `(m, height, width, channels)` in `value_range` (mapped to 0..255)."""
    from PIL import Image

    low, high = value_range
    scaled = np.asarray(images, dtype=np.float32) - np.float32(low)
    scaled *= np.float32(255.0 / (high - low))
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0, 255, out=scaled)
    pixels = scaled.astype(np.uint8)
    grey = []
    for image in pixels:
        channels = image.shape[-1]
        if channels == 3:
            picture = Image.fromarray(image, "RGB").convert("L")
        elif channels == 4:
            picture = Image.fromarray(image, "RGBA").convert("L")
        else:  # 1 channel, or grey and alpha: the grey channel
            picture = Image.fromarray(np.ascontiguousarray(image[..., 0]),
                                      "L")
        picture = picture.resize((HASH_IMAGE, HASH_IMAGE),
                                 Image.Resampling.LANCZOS)
        grey.append(np.asarray(picture, dtype=np.float64))
    return np.stack(grey)


def phash_bits(images, value_range=(-1.0, 1.0)):
    """The 8x8 bits of the DCT perceptual hash of each image.

    As `imagehash.phash` computes it: the image in grey levels, resized to
    32x32 (Lanczos), its 2-D DCT-II, the 8x8 lowest frequencies, each
    compared with their median.

    Args:
        images: `(m, height, width, channels)` with 1 to 4 channels.
        value_range: the values mapped to grey levels 0 and 255.

    Returns:
        A bool array `(m, 8, 8)`.
    """
    grey = _grey_images(images, value_range)
    basis = _DCT[:HASH_SIZE]  # only the lowest frequencies are needed
    low = basis @ grey @ basis.T
    median = np.median(low.reshape(len(low), -1), axis=1)
    return low > median[:, None, None]


def phash(images, value_range=(-1.0, 1.0)):
    """The 64-bit perceptual hashes of images (`phash_bits`, row by row,
    the first bit the highest).

    Returns:
        A uint64 array `(m,)`.
    """
    bits = phash_bits(images, value_range).reshape(len(images), -1)
    packed = np.packbits(bits, axis=1)
    return packed.view(">u8").ravel().astype(np.uint64)


def hamming(a, b):
    """Bits that differ between uint64 hashes (elementwise)."""
    xor = np.bitwise_xor(np.asarray(a, dtype=np.uint64),
                         np.asarray(b, dtype=np.uint64))
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(xor).astype(np.int64)
    as_bytes = xor.reshape(-1, 1).view(np.uint8)  # pragma: no cover
    return np.unpackbits(as_bytes, axis=1).sum(axis=1).reshape(xor.shape)


def near_duplicate_pairs(indices, hashes, max_bits):
    """Pairs of items whose hashes differ in at most `max_bits` bits.

    Pigeonhole: the 64 bits are cut into `max_bits + 1` bands; two hashes
    within `max_bits` agree on a whole band, so only items sharing a
    band's value are compared. Items with the same hash pair at 0 bits.

    Args:
        indices: the items' indices `(m,)`.
        hashes: their uint64 hashes `(m,)`.
        max_bits: the largest distance of a pair.

    Returns:
        `(i, j, bits)` tuples with `i < j`, sorted.
    """
    indices = np.asarray(indices, dtype=np.int64)
    hashes = np.asarray(hashes, dtype=np.uint64)
    if len(indices) < 2:
        return []
    values, inverse = np.unique(hashes, return_inverse=True)
    candidates = set()
    bands = max_bits + 1
    edges = np.linspace(0, 64, bands + 1).round().astype(int)
    for start, stop in zip(edges[:-1], edges[1:]):
        mask = np.uint64((1 << int(stop - start)) - 1)
        keys = (values >> np.uint64(start)) & mask
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        for offset in range(1, len(order)):
            same = ordered[offset:] == ordered[:-offset]
            if not same.any():
                break
            first, second = order[:-offset][same], order[offset:][same]
            candidates.update(zip(np.minimum(first, second).tolist(),
                                  np.maximum(first, second).tolist()))
    members = {}
    for position, value in enumerate(inverse.ravel().tolist()):
        members.setdefault(value, []).append(int(indices[position]))
    pairs = []
    for group in members.values():  # equal hashes: 0 bits
        pairs += [(a, b, 0) for k, a in enumerate(group)
                  for b in group[k + 1:]]
    if candidates:
        first, second = np.array(sorted(candidates)).T
        bits = hamming(values[first], values[second])
        for a, b, d in zip(first.tolist(), second.tolist(), bits.tolist()):
            if d <= max_bits:
                pairs += [(min(i, j), max(i, j), int(d))
                          for i in members[a] for j in members[b]]
    return sorted(pairs)
