"""Many samples as files: a folder of PNGs, or one `.npz`, for outside tools.

FID tools (torch-fidelity, clean-fid, the ADM evaluation suite) read a
folder of images or an `.npz` of uint8 images. The samples are the ones
`generate(n, seed=...)` gives, written batch by batch: memory holds one
batch of images (and the `(n, latent_dim)` latents, drawn at once so the
truncation trick and the seed mean what they mean for `generate`), never
`n` images.
"""

import dataclasses
import os
import zipfile

import numpy as np
from PIL import Image

from keras_gans import files
from keras_gans import images as images_module
from keras_gans import latent
from keras_gans.runs.errors import OutputExistsError
from keras_gans.runs.sample import SampleError, open_source

__all__ = ["FORMATS", "Folder", "NPZ_NAME", "check_outdir", "write_samples"]

FORMATS = ("png", "npz")
NPZ_NAME = "samples.npz"


@dataclasses.dataclass(frozen=True)
class Folder:
    """What `write_samples` wrote.

    Attributes:
        directory: the output folder.
        count: samples written.
        paths: the PNG files, in sample order (empty for npz).
        npz: the `.npz` file, or None.
        model_path: the `.keras` file sampled.
    """

    directory: str
    count: int
    paths: list
    npz: str | None
    model_path: str


def png_name(index, n):
    """`index`'s zero-padded file name: names sort in sample order."""
    return f"{index:0{max(6, len(str(n - 1)))}d}.png"


def check_outdir(outdir, overwrite=False):
    """Refuses an output folder that is a file, or holds files without
    `overwrite` (`OutputExistsError`)."""
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise OutputExistsError(
            f"{outdir} exists and is not a folder.",
            "Choose another output folder.", reason="outdir_is_file")
    if os.path.isdir(outdir) and os.listdir(outdir) and not overwrite:
        raise OutputExistsError(
            f"{outdir} already holds {len(os.listdir(outdir))} entries; "
            "samples written there would mix with them.",
            "Choose an empty or new folder, or pass overwrite=True to "
            "write over files of the same names.", reason="outdir_not_empty")


def _as_images(samples, fmt):
    """uint8 images `(b, H, W[, C])` for PNG and npz, else the floats (npz
    only)."""
    is_image = samples.ndim == 3 or (
        samples.ndim == 4 and samples.shape[-1] in (1, 3))
    if is_image:
        return images_module.to_uint8(samples)
    if fmt == "png":
        raise SampleError(
            "PNG files need image samples of shape (H, W), (H, W, 1) or "
            "(H, W, 3). Write format='npz' instead. Received: samples of "
            f"shape {samples.shape[1:]}")
    return samples.astype(np.float32)


class _NpzWriter:
    """Streams `arr_0` into an `.npz` batch by batch (NumPy's `.npy`
    layout inside a zip member), so the file never sits in memory."""

    def __init__(self, path, n):
        self.path, self.n = path, n
        self.zip = zipfile.ZipFile(path, "w", allowZip64=True)
        self.member = None

    def write(self, batch):
        if self.member is None:
            self.member = self.zip.open("arr_0.npy", "w", force_zip64=True)
            header = {"descr": np.lib.format.dtype_to_descr(batch.dtype),
                      "fortran_order": False,
                      "shape": (self.n, *batch.shape[1:])}
            np.lib.format.write_array_header_2_0(self.member, header)
        self.member.write(np.ascontiguousarray(batch).tobytes())

    def close(self, labels):
        if self.member is not None:
            self.member.close()
        if labels is not None:
            with self.zip.open("labels.npy", "w") as member:
                np.lib.format.write_array(member, labels)
        self.zip.close()


def _write_pngs(batches, outdir, n):
    """One PNG per sample; each appears under its name whole (written
    aside, then renamed), so a reader never meets a half-written file."""
    paths = []
    for start, batch in batches:
        for offset, image in enumerate(batch):
            if image.ndim == 3 and image.shape[-1] == 1:
                image = image[..., 0]
            path = os.path.join(outdir, png_name(start + offset, n))
            temporary = path + ".part"
            Image.fromarray(image).save(temporary, format="PNG")
            os.replace(temporary, path)
            paths.append(path)
    return paths


def write_samples(source, outdir, n, *, seed=0, labels=None,
                  truncation=None, batch_size=256, fmt="png",
                  overwrite=False, progress=None, echo=None,
                  step=None):
    """Writes `n` samples of a run or model to `outdir`.

    Args:
        source: a run directory or a `.keras` file (as `keras_gans.sample`).
        outdir: the folder to write; created if missing.
        n: samples.
        seed: seed of the latents: the files hold `generate(n, seed=seed)`
            after rounding to uint8.
        labels: class ids for a conditional model, repeated to fill `n`.
        truncation: None or the truncation threshold (`GAN.generate`).
        batch_size: samples generated and held at a time.
        fmt: `"png"` (one file per sample, `000000.png`, ...) or `"npz"`
            (`samples.npz`: `arr_0` uint8 `(n, H, W, C)` for images, as
            the ADM evaluation suite reads, float32 otherwise; `labels`
            for a conditional model).
        overwrite: write into a folder that already holds files.
        progress: called with the number of samples written after each
            batch.
        echo: called with a line for each damaged checkpoint skipped.
        step: with a run directory, the step of the checkpoint to load
            (None: the newest model; `runs.sources.resolve`).

    Returns:
        A `Folder`.

    Raises:
        OutputExistsError: `outdir` is a file, or a non-empty folder
            without `overwrite`.
        SampleError: labels, truncation or a format that does not fit.
        SourceError, NoModelError, ModelLoadError: as `keras_gans.sample`.
    """
    outdir = os.fspath(outdir)
    if fmt not in FORMATS:
        raise SampleError(f"`fmt` must be one of {list(FORMATS)}. "
                          f"Received: fmt={fmt!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise SampleError("`batch_size` must be a positive integer. "
                          f"Received: batch_size={batch_size!r}")
    check_outdir(outdir, overwrite)
    loaded = open_source(source, echo, step)
    label_array = loaded.labels(n, labels)
    try:
        z = latent.requested(n, loaded.latent_dim, seed, None, truncation)
    except ValueError as error:
        raise SampleError(str(error)) from None
    os.makedirs(outdir, exist_ok=True)

    def batches():
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            yield start, _as_images(loaded.generate(
                z=z[start:stop],
                labels=None if label_array is None
                else label_array[start:stop],
                batch_size=batch_size), fmt)
            if progress is not None:
                progress(stop)

    paths, npz_path = [], None
    if fmt == "png":
        paths = _write_pngs(batches(), outdir, n)
    else:
        npz_path = os.path.join(outdir, NPZ_NAME)
        with files.replacing(npz_path) as temporary:
            writer = _NpzWriter(temporary, n)
            try:
                for _, batch in batches():
                    writer.write(batch)
            finally:
                writer.close(label_array)
    return Folder(directory=outdir, count=n, paths=paths, npz=npz_path,
                  model_path=loaded.model_path)
