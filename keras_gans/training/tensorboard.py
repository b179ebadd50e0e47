"""TensorBoard logging without TensorFlow, on every backend.

`EventWriter` appends scalars, images, text and hparams summaries to an
event file with tensorboardX (no TensorFlow, no `tensorboard` package).
`TensorBoard` is the callback that `keras-gans run` trains with: losses,
D's outputs, learning rates and speed every N steps and per epoch, sample
grids from a fixed latent batch, latent walks when asked, and the recipe.
"""

import collections.abc
import io
import itertools
import json
import os
import socket
import struct
import time

import keras
import numpy as np

from keras_gans import backend
from keras_gans import files
from keras_gans import images as images_module
from keras_gans import latent
from keras_gans.training.steps import batches_done
from keras_gans.training.steps import crossed_multiple

__all__ = ["EventWriter", "ScalarWriter", "TensorBoard", "flatten", "tag_for"]

# Tags that group well in TensorBoard: one chart section per prefix.
TAGS = {
    "d_loss": "loss/d",
    "g_loss": "loss/g",
    "d_real": "d/real",
    "d_fake": "d/fake",
    # A VAE's terms (keras_gans.VAE) beside its loss.
    "reconstruction": "loss/reconstruction",
    "kl": "loss/kl",
    # DP-SGD training (keras_gans.training.PrivacyAccountant).
    "epsilon": "privacy/epsilon",
    "delta": "privacy/delta",
    "noise_multiplier": "privacy/noise_multiplier",
}
EPOCH_PREFIX = "epoch/"


def tag_for(key):
    """The TensorBoard tag of a `fit()` log key (`d_loss` -> `loss/d`).

    Penalty terms go beside the losses (`penalty` -> `loss/penalty`);
    other keys (a metric such as `fid`) keep their name.
    """
    if key in TAGS:
        return TAGS[key]
    if key.startswith("penalty"):
        return f"loss/{key}"
    return key


class EventWriter:
    """Appends summaries to a new TensorBoard event file in `logdir`.

    tensorboardX provides the protocol buffers and the record checksum,
    without TensorFlow and without the `tensorboard` package, whose server
    parts (grpcio, the data server, werkzeug) weigh about 54 MB. The file is
    written here, in the caller's thread, not by tensorboardX's background
    `FileWriter`: a failed write (a full disk) must reach the run as an
    error naming the file, where that thread would die and leave training
    blocked on its full queue. Each event is handed to the operating system
    at once (a crashed process loses none); `fsync`, 3-5 ms here, runs at
    most every `flush_secs` and on `close()`. Scalars and hparams are
    tensorboardX's summaries; images and text are built here, since its
    `add_image` turns grayscale pictures into RGB and its `add_text` files
    the text under `<tag>/text_summary`.

    Args:
        logdir: the directory TensorBoard is pointed at.
        flush_secs: the longest time a written event waits for `fsync`.

    Attributes:
        path: the event file.
    """

    def __init__(self, logdir, flush_secs=2):
        from tensorboardX.proto import event_pb2

        logdir = os.fspath(logdir)
        os.makedirs(logdir, exist_ok=True)
        # A new file per writer, never truncating one: a resumed run in the
        # same second and process (tests) takes the next sequence number.
        stamp = f"{int(time.time()):010d}"
        for sequence in itertools.count(1):
            self.path = os.path.join(
                logdir,
                f"events.out.tfevents.{stamp}.{socket.gethostname()}."
                f"{os.getpid()}.{sequence:03d}.keras_gans",
            )
            try:
                self._writer = open(self.path, "xb")
            except FileExistsError:
                continue
            except OSError as error:
                raise files.WriteError.naming(error, self.path) from error
            break
        self._flush_secs = flush_secs
        self._synced_at = time.monotonic()
        self._closed = False
        self._write(event_pb2.Event(wall_time=time.time(),
                                    file_version="brain.Event:2"))

    def _write(self, event):
        """Appends one event as a TFRecord (length, its checksum, the bytes,
        their checksum) and hands it to the operating system."""
        from tensorboardX.record_writer import masked_crc32c

        data = event.SerializeToString()
        header = struct.pack("<Q", len(data))
        try:
            self._writer.write(header)
            self._writer.write(struct.pack("<I", masked_crc32c(header)))
            self._writer.write(data)
            self._writer.write(struct.pack("<I", masked_crc32c(data)))
            self._writer.flush()
            if time.monotonic() - self._synced_at >= self._flush_secs:
                self._sync()
        except OSError as error:
            raise files.WriteError.naming(error, self.path) from error

    def _sync(self):
        os.fsync(self._writer.fileno())
        self._synced_at = time.monotonic()

    def _summary(self, step, values):
        from tensorboardX.proto import summary_pb2

        self._add(summary_pb2.Summary(value=values), step)

    def _add(self, summary, step):
        from tensorboardX.proto import event_pb2

        self._write(event_pb2.Event(wall_time=time.time(), step=int(step),
                                    summary=summary))

    def session_start(self, step):
        """Marks a (re)start at `step`: TensorBoard drops the points a
        previous process wrote at `step` and later (after a crash, the
        resumed run writes them again)."""
        from tensorboardX.proto import event_pb2

        self._write(event_pb2.Event(
            wall_time=time.time(),
            step=int(step),
            session_log=event_pb2.SessionLog(
                status=event_pb2.SessionLog.START),
        ))

    def scalars(self, step, values):
        """Writes `{tag: number}` at `step` (an int), as one event."""
        from tensorboardX.proto import summary_pb2

        self._summary(step, [
            summary_pb2.Summary.Value(tag=tag, simple_value=float(value))
            for tag, value in values.items()
        ])

    def image(self, tag, step, image):
        """Writes a `PIL.Image.Image` as a PNG image summary, in its own
        mode (a grayscale grid stays grayscale)."""
        from tensorboardX.proto import summary_pb2

        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        channels = {"L": 1, "RGB": 3, "RGBA": 4}[image.mode]
        self._summary(step, [
            summary_pb2.Summary.Value(
                tag=tag,
                image=summary_pb2.Summary.Image(
                    width=image.width,
                    height=image.height,
                    colorspace=channels,
                    encoded_image_string=buffer.getvalue(),
                ),
            )
        ])

    def text(self, tag, step, markdown, description=""):
        """Writes Markdown text for TensorBoard's Text dashboard."""
        from tensorboardX.proto import summary_pb2
        from tensorboardX.proto import tensor_pb2
        from tensorboardX.proto.plugin_text_pb2 import TextPluginData

        metadata = summary_pb2.SummaryMetadata(
            display_name=tag,
            summary_description=description,
            plugin_data=summary_pb2.SummaryMetadata.PluginData(
                plugin_name="text",
                content=TextPluginData(version=0).SerializeToString(),
            ),
        )
        self._summary(step, [
            summary_pb2.Summary.Value(
                tag=tag,
                metadata=metadata,
                tensor=tensor_pb2.TensorProto(
                    dtype="DT_STRING",
                    string_val=[markdown.encode("utf-8")],
                ),
            )
        ])

    def hparams_session_start(self, hparams, step=0):
        """Records one training session's hyperparameters.

        Args:
            hparams: `{name: bool, number or str}`, e.g. from `flatten`.
            step: the step the session starts at.
        """
        from tensorboardX.summary import hparams as hparams_summaries

        _, start, _ = hparams_summaries(hparams, {})
        self._add(start, step)

    def hparams_experiment(self, hparams, metric_tags, step=0):
        """Declares the hyperparameters and the metrics (scalar tags) that
        TensorBoard's HParams dashboard shows side by side."""
        from tensorboardX.summary import hparams as hparams_summaries

        experiment, _, _ = hparams_summaries(
            hparams, {tag: None for tag in metric_tags})
        self._add(experiment, step)

    def hparams_session_end(self, step):
        """Marks the session finished successfully."""
        from tensorboardX.summary import hparams as hparams_summaries

        _, _, end = hparams_summaries({}, {})
        self._add(end, step)

    def close(self):
        """Syncs the file to disk and closes it."""
        if self._closed:
            return
        try:
            self._writer.flush()
            self._sync()
        except OSError as error:
            raise files.WriteError.naming(error, self.path) from error
        finally:
            self._writer.close()
            self._closed = True


# The name this writer had when it only wrote scalars.
ScalarWriter = EventWriter


def flatten(mapping, prefix=""):
    """`{"train": {"seed": 0}}` -> `{"train.seed": 0}`, for hparams.

    Booleans, numbers and strings stay as they are; lists become JSON
    text; None values are left out.
    """
    flat = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif value is None:
            continue
        elif isinstance(value, (bool, int, float, str)):
            flat[name] = value
        else:
            flat[name] = json.dumps(value, default=str)
    return flat


def _number(value):
    """A log value as a Python float, or None when it is not a number."""
    try:
        return float(np.asarray(value))
    except (TypeError, ValueError):
        return None


def _check_steps(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or value < 0:
        raise ValueError(
            f"`{name}` must be a number of generator steps (an int >= 0; "
            f"0 turns it off). Received: {name}={value!r}"
        )
    return int(value)


def _check_count(name, value, least):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or value < least:
        raise ValueError(f"`{name}` must be an int >= {least}. "
                         f"Received: {name}={value!r}")
    return int(value)


class TensorBoard(keras.callbacks.Callback):
    """Logs a GAN's training to TensorBoard, without TensorFlow.

    Every `every` generator steps, at step = generator updates so far:

    - `loss/d`, `loss/g`, `loss/penalty` (with a penalty), `d/real` and
      `d/fake` (mean D logits on real and generated batches): each the
      mean over the steps since the previous point, so no step is skipped
      or counted twice;
    - `lr/g`, `lr/d`: the learning rates the next update uses (schedules
      evaluated at each optimizer's own step count);
    - `perf/steps_per_sec`: generator steps per second of training since
      the previous point, leaving out the time this callback spends.

    After each epoch, at the step it ends at (so that epoch and step charts
    share their x-axis, and an epoch cut short by a step limit or Ctrl-C
    then finished by a resumed run gives two points, not one step twice):
    the same under `epoch/` (`epoch/loss/d`, ...) from the epoch's logs,
    plus every other numeric epoch log, such as a quality metric that
    another callback puts in the logs, before or after this one in the
    list (`fid` -> `epoch/fid`).

    Every `images_every` steps and when training ends: a picture of
    `samples` samples from one fixed latent batch (`seed`, and fixed
    `labels` for a conditional GAN), so frames compare across time: an
    image grid, or for 2-D data a scatter plot (`picture_kwargs`: the real
    data and mode centers, see `keras_gans.images.scatter_plot`). Tags:
    `samples/raw` (the generator's weights) and, when the GAN keeps an
    EMA, `samples/ema` (the averaged weights `generate()` uses).

    Every `walk_every` steps (0, the default: never) and when training
    ends: latent walks as one picture under the tag `samples/walk`, a row
    per walk and a column per frame (`keras_gans.images.walk_strip`).
    TensorBoard has no video dashboard; a strip shows a whole walk at one
    glance, and the step slider compares it as training goes on, where one
    picture per frame would need a click per frame. Walk w visits
    `walk_points` latents drawn from `seed` along great circles
    (`keras_gans.latent.walk_latents`): the same latents at every step,
    and the frames `keras-gans interpolate --frames walk_frames --points
    walk_points --walks walks --seed seed` writes as a GIF. A conditional
    GAN's walk w keeps class `labels[w]` (cycling through `labels`).
    Image samples only; for 2-D data no walk is drawn.

    When training starts: `recipe` as text (tag `recipe`) and as hparams
    (flattened keys such as `train.g_optimizer.learning_rate`); the
    HParams dashboard lists the `epoch/` scalars as metrics.

    Between points a step costs a counter update: log values become host
    numbers here only on the steps that are written, and the variables
    are synced (JAX) only to read learning rates and draw samples.

    Args:
        log_dir: the directory to point `tensorboard --logdir` at.
        every: steps between scalar points; 0 writes per-epoch scalars
            only.
        images_every: steps between sample pictures; 0 writes none.
        samples: samples per picture.
        seed: seed of the fixed latent batch.
        labels: class labels for a conditional GAN: an int or `samples`
            ints (e.g. `np.arange(samples) % num_classes`).
        picture_kwargs: passed to `keras_gans.images.picture`.
        recipe: a mapping of settings (nested dicts, such as a resolved
            recipe's `to_dict()`), recorded as TOML text and as hparams;
            None records none.
        recipe_comment: lines written as `# ` comments above the recipe's
            text (where it came from, the `--set` overrides).
        walk_every: steps between latent-walk pictures; 0 writes none.
        walk_frames: frames of each walk (>= 2).
        walk_points: latents each walk visits (>= 2).
        walks: walks in the picture, one per row (>= 1).

    Example:

    ```python
    gan.fit(x, epochs=10, callbacks=[
        keras_gans.training.TensorBoard("logs", every=50, images_every=500)
    ])
    # tensorboard --logdir logs
    ```
    """

    def __init__(self, log_dir, every=50, images_every=500, samples=64,
                 seed=0, labels=None, picture_kwargs=None, recipe=None,
                 recipe_comment=(), walk_every=0, walk_frames=8,
                 walk_points=3, walks=4):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.every = _check_steps("every", every)
        self.images_every = _check_steps("images_every", images_every)
        self.walk_every = _check_steps("walk_every", walk_every)
        self.walk_frames = _check_count("walk_frames", walk_frames, 2)
        self.walk_points = _check_count("walk_points", walk_points, 2)
        self.walks = _check_count("walks", walks, 1)
        if isinstance(samples, bool) or not isinstance(
                samples, (int, np.integer)) or samples < 1:
            raise ValueError(
                "`samples` must be a positive int (samples per picture). "
                f"Received: samples={samples!r}"
            )
        self.samples = int(samples)
        self.seed = int(seed)
        if labels is not None:
            labels = np.asarray(labels)
            if labels.ndim == 0:
                labels = np.full((self.samples,), labels)
            if labels.shape != (self.samples,) or not np.issubdtype(
                    labels.dtype, np.integer):
                raise ValueError(
                    f"`labels` must be an int or {self.samples} ints (one per "
                    f"sample). Received: labels with shape {labels.shape} "
                    f"and dtype {labels.dtype}"
                )
        self.labels = labels
        self.picture_kwargs = dict(picture_kwargs or {})
        if recipe is not None and not isinstance(recipe,
                                                 collections.abc.Mapping):
            raise ValueError(
                "`recipe` must be a mapping of settings (a resolved "
                "recipe's to_dict()) or None. Received: recipe of type "
                f"{type(recipe).__name__}")
        self.recipe = recipe
        self.recipe_comment = tuple(recipe_comment)
        self.writer = None
        self._epoch_tags = []

    # ------------------------------------------------------------------
    # Keras hooks

    def on_train_begin(self, logs=None):
        gan = self.model
        if gan.conditional and self.labels is None:
            raise ValueError(
                "This GAN is conditional: pass `labels` to TensorBoard (one "
                "class per sample, e.g. np.arange(samples) % num_classes) so "
                "that every sample picture uses the same ones. "
                "Received: labels=None"
            )
        if not gan.conditional and self.labels is not None:
            raise ValueError(
                "This GAN is unconditional and takes no labels. "
                "Received: labels for TensorBoard"
            )
        backend.current().sync_variables(gan)
        self._step = gan.steps
        self._images_step = None
        self._walk_step = None
        self._averaged = {
            metric.name for metric in gan.metrics
            if isinstance(metric, keras.metrics.Mean)
        }
        self._carry, self._carry_count = {}, 0
        self._clock = None
        self._pending_epoch = None
        self.writer = EventWriter(self.log_dir)
        # A run resumed from a checkpoint at step s redoes steps s+1, ...
        self.writer.session_start(self._step + 1)
        if self.recipe is not None:
            self._write_recipe()

    def on_epoch_begin(self, epoch, logs=None):
        self._write_epoch()
        self._epoch_start_step = self._step
        self._epoch_started = time.perf_counter()
        # Running means at the last point written in this epoch.
        self._totals, self._count = {}, 0
        self._last_logs, self._last_count = None, 0

    def on_train_batch_end(self, batch, logs=None):
        # Only bookkeeping on most steps: no host numbers, no sync.
        before = self._step
        done = batches_done(batch, self.params)
        self._step = self._epoch_start_step + done
        self._last_logs, self._last_count = logs, done
        if self._clock is None:  # speed leaves out the first (compiling) step
            self._clock = (self._step, time.perf_counter())
        wrote = False
        if crossed_multiple(self.every, before, self._step):
            self._write_step_scalars()
            wrote = True
        if crossed_multiple(self.images_every, before, self._step):
            self._write_images()
            wrote = True
        if crossed_multiple(self.walk_every, before, self._step):
            self._write_walks()
            wrote = True
        if wrote:
            self._clock = (self._step, time.perf_counter())

    def on_epoch_end(self, epoch, logs=None):
        self._carry_over_epoch()
        seconds = time.perf_counter() - self._epoch_started
        steps = self._step - self._epoch_start_step
        values = self._learning_rates(EPOCH_PREFIX)
        if seconds > 0 and steps:
            values[EPOCH_PREFIX + "perf/steps_per_sec"] = steps / seconds
        # Written when the next epoch begins or training ends: callbacks
        # after this one may still add to the same `logs` (a quality
        # metric), and Keras hands them all the same dict.
        self._pending_epoch = (self._step, logs, values)

    def _write_epoch(self):
        if self._pending_epoch is None:
            return
        step, logs, values = self._pending_epoch
        self._pending_epoch = None
        for key, value in (logs or {}).items():
            number = _number(value)
            if number is not None:
                values[EPOCH_PREFIX + tag_for(key)] = number
        self.writer.scalars(step, values)
        for tag in values:
            if tag not in self._epoch_tags:
                self._epoch_tags.append(tag)

    def on_train_end(self, logs=None):
        if self.writer is None:
            return
        self._write_epoch()
        if self.images_every and self._images_step != self._step:
            self._write_images()
        if self.walk_every and self._walk_step != self._step:
            self._write_walks()
        if self.recipe is not None:
            # Declared at the end, when every epoch metric is known (a
            # quality metric may appear after the first epoch).
            hparams = flatten(self.recipe)
            self.writer.hparams_experiment(hparams, self._epoch_tags,
                                           self._step)
            self.writer.hparams_session_end(self._step)
        self.writer.close()
        self.writer = None

    # ------------------------------------------------------------------
    # What is written

    def _write_step_scalars(self):
        """The logs averaged over the steps since the previous point."""
        logs, count = self._last_logs or {}, self._last_count
        values, totals = {}, {}
        for key, value in logs.items():
            number = _number(value)
            if number is None:
                continue
            if key in self._averaged:
                # Keras' running mean over `count` steps of this epoch.
                totals[key] = number * count
                window = (totals[key] - self._totals.get(key, 0.0)
                          + self._carry.get(key, 0.0))
                number = window / (count - self._count + self._carry_count)
            values[tag_for(key)] = number
        self._totals, self._count = totals, count
        self._carry, self._carry_count = {}, 0
        values.update(self._learning_rates())
        clock_step, clock_time = self._clock
        seconds = time.perf_counter() - clock_time
        if seconds > 0 and self._step > clock_step:
            values["perf/steps_per_sec"] = (self._step - clock_step) / seconds
        self.writer.scalars(self._step, values)

    def _carry_over_epoch(self):
        """Steps after an epoch's last point join the next point."""
        if not self._last_logs or self._last_count == self._count:
            return
        for key in self._averaged:
            number = _number(self._last_logs.get(key))
            if number is not None:
                self._carry[key] = (
                    self._carry.get(key, 0.0)
                    + number * self._last_count - self._totals.get(key, 0.0)
                )
        self._carry_count += self._last_count - self._count

    def _learning_rates(self, prefix=""):
        backend.current().sync_variables(self.model)
        rates = {}
        optimizers = (("g", getattr(self.model, "g_optimizer", None)),
                      ("d", getattr(self.model, "d_optimizer", None)))
        if optimizers[0][1] is None:  # one optimizer (a VAE): `lr`
            optimizers = (("", self.model.optimizer),)
        for name, optimizer in optimizers:
            rate = _number(keras.ops.convert_to_numpy(optimizer.learning_rate))
            if rate is not None:
                rates[f"{prefix}lr/{name}".rstrip("/")] = rate
        return rates

    def _write_images(self):
        gan = self.model
        # A model without an EMA (a VAE, a GAN without one) samples its
        # own weights: `generate()` as it is.
        versions = [("samples/raw", {})]
        if getattr(gan, "ema", None) is not None:
            versions = [("samples/raw", {"use_ema": False}),
                        ("samples/ema", {"use_ema": True})]
        for tag, weights in versions:
            samples = gan.generate(self.samples, seed=self.seed,
                                   labels=self.labels, **weights)
            picture = images_module.picture(samples, **self.picture_kwargs)
            if picture is None:  # neither images nor 2-D points
                return
            self.writer.image(tag, self._step, picture)
        self._images_step = self._step

    def walk_latents(self):
        """The `(walk_frames, walks, latent_dim)` latents the walks
        decode, the same at every step."""
        return latent.walk_latents(self.model.latent_dim, self.walk_frames,
                                   self.walk_points, self.walks, self.seed)

    def _write_walks(self):
        gan = self.model
        labels = None if self.labels is None else np.resize(self.labels,
                                                            self.walks)
        samples = latent.decode_walks(gan.generate, self.walk_latents(),
                                      labels)
        strip = images_module.walk_strip(samples)
        if strip is not None:  # image samples only
            self.writer.image("samples/walk", self._step, strip)
        self._walk_step = self._step

    def _write_recipe(self):
        text = files.toml_text(dict(self.recipe), header=self.recipe_comment)
        # Indented: a Markdown code block, shown as written.
        markdown = "".join(f"    {line}\n" for line in text.splitlines())
        self.writer.text("recipe", self._step, markdown,
                         "The resolved recipe of this run.")
        self.writer.hparams_session_start(flatten(self.recipe), self._step)
