"""Training throughput of keras-gans' `GAN.fit` against hand-written loops.

For the active Keras backend (`KERAS_BACKEND`, or `--backend`), each model and
loss is run in a fresh subprocess that builds one generator and one
discriminator, copies their weights into every contender, warms each up, and
then times them in interleaved blocks (ABC, CBA, ABC, ...), so that load on
the machine hits all of them alike. Contenders:

- `keras-gans fit`: `GAN.fit` on numpy arrays in memory (`verbose=0`);
- `keras-gans fit spe=K`: the same with `steps_per_execution=K` (MLP only,
  where per-step overhead matters);
- `Keras hand-written`: the backend's loop from the Keras guides
  (`reference_loops.py`);
- `pure PyTorch` (torch backend): `nn.Module` + `torch.optim`
  (`torch_models.py`).

The ratio column is steps/s divided by the hand-written Keras loop's. The
achieved GFLOP/s counts the model's multiply-adds analytically (see
`step_flops`) and is shown as a share of a float32 matmul measured in the
same run on the same backend. Peak memory is the process' RSS high-water
mark (`ru_maxrss`); every configuration runs in its own process.

    python benchmarks/throughput.py                 # KERAS_BACKEND's backend
    python benchmarks/throughput.py --backend jax --models mlp --quick
    python benchmarks/throughput.py --all           # three backends, one table
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name: latent size, batch size, sample shape, the losses it runs with. dcgan64
# uses batch 16 so that the WGAN-GP configuration (six passes of a 64x64
# DCGAN per step) fits the time budget on a 2-core CPU. The keras-io models
# (keras_io_models.py) run with their examples' own loss, unchanged, and
# every contender is timed one block (one fit() call) at a time.
_OURS = ("ns", "wgan_gp")
_KERAS_IO = {"latent_dim": 128, "batch_size": 64, "shape": (28, 28, 1),
             "keras_io": True}
MODELS = {
    "guide28": {"latent_dim": 128, "batch_size": 64, "shape": (28, 28, 1),
                "losses": _OURS},
    "dcgan64": {"latent_dim": 100, "batch_size": 16, "shape": (64, 64, 3),
                "losses": _OURS},
    "mlp": {"latent_dim": 16, "batch_size": 256, "shape": (2,),
            "losses": _OURS},
    "dcgan28": dict(_KERAS_IO, losses=("ns",)),
    "cgan28": dict(_KERAS_IO, losses=("ns",), num_classes=10),
    "wgan_gp28": dict(_KERAS_IO, losses=("wgan_gp3",)),
}
# name: (loss, gradient-penalty weight, d_steps)
LOSSES = {
    "ns": ("non_saturating", 0.0, 1),
    "wgan_gp": ("wasserstein", 10.0, 5),
    "wgan_gp3": ("wasserstein", 10.0, 3),  # keras-io wgan_gp's settings
}
RESULT_PREFIX = "RESULT "
REFERENCE = "Keras hand-written"
KERAS_IO = "keras-io train_step"


# ----------------------------------------------------------------------
# Command line


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS)
    parser.add_argument(
        "--all", action="store_true", help="run the three backends"
    )
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--losses", default=",".join(LOSSES))
    parser.add_argument(
        "--quick",
        action="store_true",
        help="shorter blocks and two repeats: a rough table in a few minutes",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="steps per timed block (default: sized to --block-seconds)",
    )
    parser.add_argument("--block-seconds", type=float, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--spe", type=int, default=8, help="steps_per_execution of the spe row"
    )
    parser.add_argument(
        "--conv-transpose",
        choices=("auto", "native", "subpixel"),
        default="auto",
        help="transposed convolutions of guide28 and dcgan64 (both sides "
        "alike): auto = keras_gans' SubPixelConv2DTranspose on JAX only",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="CPU threads per backend process (0: the backends' defaults); "
        "1 keeps a busy machine from oversubscribing its cores",
    )
    parser.add_argument(
        "--torch-python",
        help="a Python with torch: TensorFlow and JAX runs then time pure "
        "PyTorch in a process of it, interleaved with their own contenders",
    )
    parser.add_argument(
        "--no-other-compile",
        action="store_true",
        help="leave out the TensorFlow row compiled the other way "
        "(jit_compile=True if the default is False, and vice versa)",
    )
    parser.add_argument(
        "--no-hand-written",
        action="store_true",
        help="leave out the hand-written loop (needs --steps): a busy "
        "machine runs the keras-io WGAN-GP's XLA loop at minutes a step",
    )
    parser.add_argument(
        "--strip-batch-norm",
        action="store_true",
        help="replace every BatchNormalization layer of both Keras networks "
        "by the identity, to show what BatchNorm costs each compile path "
        "(pure PyTorch's networks keep theirs: leave out --torch-python)",
    )
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.no_hand_written and args.steps is None:
        parser.error("--no-hand-written needs --steps (blocks are sized by "
                     "the hand-written loop). Received: --steps unset")
    if args.block_seconds is None:
        args.block_seconds = 1.0 if args.quick else 2.5
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    for option, known in (("models", MODELS), ("losses", LOSSES)):
        names = getattr(args, option).split(",")
        unknown = [n for n in names if n not in known]
        if unknown:
            parser.error(
                f"--{option}: unknown {unknown}; choose from {list(known)}"
            )
        setattr(args, option, names)
    if args.spe < 1 or (args.steps is not None and args.steps < 1):
        parser.error("--spe and --steps must be positive integers")
    return args


def forwarded_options(args):
    """The options a child process needs to repeat this run's settings."""
    options = [
        "--models", ",".join(args.models),
        "--losses", ",".join(args.losses),
        "--block-seconds", str(args.block_seconds),
        "--repeats", str(args.repeats),
        "--spe", str(args.spe),
        "--conv-transpose", args.conv_transpose,
        "--threads", str(args.threads),
    ]
    if args.no_other_compile:
        options.append("--no-other-compile")
    if args.torch_python:
        options += ["--torch-python", args.torch_python]
    if args.steps is not None:
        options += ["--steps", str(args.steps)]
    if args.no_hand_written:
        options.append("--no-hand-written")
    if args.strip_batch_norm:
        options.append("--strip-batch-norm")
    return options


def child_env(backend, threads=0):
    env = dict(os.environ, KERAS_BACKEND=backend)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
        env["TF_NUM_INTRAOP_THREADS"] = str(threads)
        env["TF_NUM_INTEROP_THREADS"] = str(threads)
        if threads == 1:
            env["XLA_FLAGS"] = (
                env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
            ).strip()
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (ROOT, HERE, env.get("PYTHONPATH")) if p
    )
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.all:
        results = [run_backend_process(b, args) for b in BACKENDS]
    else:
        backend = args.backend or os.environ.get("KERAS_BACKEND")
        if backend not in BACKENDS:
            sys.exit("Set KERAS_BACKEND or pass --backend (or --all).")
        if args.worker:
            worker(args)
            return
        threads_set = not args.threads or (
            os.environ.get("OMP_NUM_THREADS") == str(args.threads)
        )
        if os.environ.get("KERAS_BACKEND") != backend or not threads_set:
            results = [run_backend_process(backend, args)]
        else:
            results = [run_backend(backend, args)]
    print(markdown_report(results, args))
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)


def run_backend_process(backend, args):
    """Runs one backend's benchmark in a child process; returns its results."""
    command = [sys.executable, os.path.abspath(__file__)]
    command += forwarded_options(args)
    print(f"== {backend}", file=sys.stderr, flush=True)
    return _run_child(command, child_env(backend, args.threads))


def _run_child(command, env):
    completed = subprocess.run(
        command, env=env, stdout=subprocess.PIPE, text=True, check=False
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    raise RuntimeError(
        f"{' '.join(command)} failed (exit {completed.returncode}); "
        "its error is printed above"
    )


# ----------------------------------------------------------------------
# One backend


def run_backend(backend, args):
    """Measures the matmul peak, then each configuration in a subprocess."""
    peak = matmul_peak()
    print(f"{backend}: float32 matmul peak {peak:.0f} GFLOP/s",
          file=sys.stderr, flush=True)
    configs = []
    for model in args.models:
        for loss in args.losses:
            if loss not in MODELS[model]["losses"]:
                continue
            command = [sys.executable, os.path.abspath(__file__)]
            command += forwarded_options(args)
            command += ["--worker", f"{model}:{loss}"]
            result = _run_child(command, child_env(backend, args.threads))
            configs.append(result)
            for row in result["rows"]:
                print(f"  {model:8s} {loss:8s} {row['loop']:24s} "
                      f"{row['steps_per_s']:8.2f} steps/s",
                      file=sys.stderr, flush=True)
    result = {
        "backend": backend,
        "peak_gflops": peak,
        "machine": machine(),
        "configs": configs,
    }
    if not args.all and os.environ.get("KERAS_BACKEND") == backend:
        print(RESULT_PREFIX + json.dumps(result), flush=True)
    return result


def matmul_peak(size=2048, repeats=5):
    """Best float32 GFLOP/s of a `size` x `size` matmul on the backend."""
    import numpy as np
    from keras import ops

    rng = np.random.default_rng(0)
    a = ops.convert_to_tensor(rng.standard_normal((size, size), "float32"))
    b = ops.convert_to_tensor(rng.standard_normal((size, size), "float32"))
    best = float("inf")
    for _ in range(repeats + 1):
        start = time.perf_counter()
        product = ops.matmul(a, b)
        ops.convert_to_numpy(product[0, 0])
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def machine():
    """CPU model, cores, load and library versions, for the table's header."""
    import keras

    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as file:
        for line in file:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {"python": platform.python_version(), "keras": keras.__version__}
    backend = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
    versions[backend] = __import__(module[backend]).__version__
    if backend == "jax":
        import jaxlib

        versions["jaxlib"] = jaxlib.__version__
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "versions": versions,
    }


# ----------------------------------------------------------------------
# One configuration (the worker process)


def build_models(name, conv_transpose, strip_batch_norm=False):
    """Builds the named generator and discriminator with Keras."""
    models = _build_models(name, conv_transpose)
    if strip_batch_norm:
        models = tuple(without_batch_norm(model) for model in models)
    return models


def _build_models(name, conv_transpose):
    from keras_gans.architectures.dcgan import dcgan
    from keras_gans.architectures.mlp import mlp

    spec = MODELS[name]
    if spec.get("keras_io"):
        import keras_io_models

        return keras_io_models.BUILDERS[name](spec["latent_dim"])
    if name == "guide28":
        return guide28(spec["latent_dim"], conv_transpose)
    if name == "dcgan64":
        return dcgan(
            spec["latent_dim"], spec["shape"], conv_transpose=conv_transpose
        )
    return mlp(spec["latent_dim"], spec["shape"])


def without_batch_norm(model):
    """A copy of `model` with each BatchNormalization made the identity."""
    import keras

    class NoBatchNorm(keras.layers.Layer):
        def call(self, inputs, training=None, mask=None):
            return inputs

    def clone(layer):
        if isinstance(layer, keras.layers.BatchNormalization):
            return NoBatchNorm(name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    return keras.models.clone_model(model, clone_function=clone)


def guide28(latent_dim, conv_transpose="native"):
    """The 28x28 GAN of Keras' "customizing what happens in fit()" guides.

    `conv_transpose` picks the generator's transposed-convolution layer as
    for keras_gans' `dcgan` (the same function either way).
    """
    import keras_io_models
    from keras_gans.architectures.dcgan import conv_transpose_class

    return keras_io_models.guide_networks(
        latent_dim, 128, 1, "tanh", conv_transpose_class(conv_transpose)
    )


def training_data(name, num_samples, seed=0):
    """Samples in memory: the ring for the MLP, uniform [-1, 1] images else.

    Returns `(x, labels)`: int32 class labels for a conditional model,
    else None.
    """
    import numpy as np

    if name == "mlp":
        from keras_gans.datasets import ring

        return ring(num_samples=num_samples, seed=seed)[0], None
    rng = np.random.default_rng(seed)
    shape = (num_samples,) + MODELS[name]["shape"]
    x = rng.uniform(-1.0, 1.0, shape).astype("float32")
    classes = MODELS[name].get("num_classes")
    labels = None
    if classes:
        labels = rng.integers(0, classes, num_samples).astype("int32")
    return x, labels


def forward_flops(model):
    """Floating-point operations of one sample's forward pass (2 per MAC).

    Counts Dense, Conv2D and Conv2DTranspose layers, which hold nearly all
    the work; activations, normalization and the optimizer are left out.
    """
    import math
    from keras import layers

    total = 0
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, layers.Dense):
            total += 2 * math.prod(layer.kernel.shape)
        elif isinstance(layer, layers.Conv2DTranspose):
            # SubPixelConv2DTranspose too: counted as the same function.
            shape = layer._build_shapes_dict["input_shape"]
            total += 2 * math.prod(shape[1:3]) * math.prod(layer.kernel.shape)
        elif isinstance(layer, layers.Conv2D):
            shape = layer.compute_output_shape(
                layer._build_shapes_dict["input_shape"]
            )
            total += 2 * math.prod(shape[1:3]) * math.prod(layer.kernel.shape)
    return total


def step_flops(generator, discriminator, batch_size, gp_weight, d_steps):
    """Analytic FLOPs of one training step (`d_steps` D updates + 1 G update).

    A backward pass costs twice its forward pass (input and weight
    gradients). D update: G forward + D forward/backward on the real and the
    fake batch (1 G + 6 D); WGAN-GP adds D forward + input gradient on the
    interpolates (2 D) and its double backward, counted as twice that (4 D).
    G update: G forward/backward (3 G) + D forward and input gradient (2 D).
    """
    g, d = forward_flops(generator), forward_flops(discriminator)
    per_d_update = g + 6 * d + (6 * d if gp_weight else 0)
    per_sample = d_steps * per_d_update + 3 * g + 2 * d
    return per_sample * batch_size


def _max_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Contender:
    """One way of training: warm-up, timed blocks, and its memory cost.

    `run_block(steps)` trains `steps` steps; it may return the seconds its
    training took (a `fit()` call timed from its first batch), else the
    whole call is timed. `path` says how its step is compiled.
    """

    def __init__(self, name, run_block, path=""):
        self.name = name
        self.run_block = run_block
        self.path = path
        self.times = []
        self.rss_growth = 0.0

    def warm_up(self, steps):
        before = _max_rss_mib()
        self.run_block(steps)
        self.rss_growth = _max_rss_mib() - before

    def time_block(self, steps):
        start = time.perf_counter()
        measured = self.run_block(steps)
        elapsed = time.perf_counter() - start
        self.times.append(elapsed if measured is None else measured)
        return self.times[-1]


def _fit_arguments(data):
    x, labels = data
    return (x,) if labels is None else (x, labels)


def _gan_path(gan):
    """How a compiled `GAN`'s step runs, from its compile note."""
    import keras

    if keras.backend.backend() == "torch":
        path = "torch.compile" if gan.jit_compile else "eager"
    elif keras.backend.backend() == "jax":
        path = "jit" if gan.jit_compile else "eager"
    else:
        path = "XLA" if gan.jit_compile else "no XLA"
    rewritten = gan._compile_note.count("->")
    return path + (f", {rewritten} layers rewritten" if rewritten else "")


def make_contenders(name, loss_name, args, data_for):
    """The contenders of one configuration, all from the same initial weights."""
    import keras
    import keras_gans
    import reference_loops

    spec = MODELS[name]
    batch, latent = spec["batch_size"], spec["latent_dim"]
    loss, gp_weight, d_steps = LOSSES[loss_name]
    backend = keras.backend.backend()
    keras.utils.set_random_seed(0)
    generator, discriminator = build_models(
        name, args.conv_transpose, args.strip_batch_norm
    )
    weights = (generator.get_weights(), discriminator.get_weights())
    flops = step_flops(generator, discriminator, batch, gp_weight, d_steps)

    def copies():
        # The networks built again (before any compile() rewrote layers in
        # place), with the same weights.
        g, d = build_models(
            name, args.conv_transpose, args.strip_batch_norm
        )
        g.set_weights(weights[0])
        d.set_weights(weights[1])
        return g, d

    networks = {
        "gan": (generator, discriminator),
        "other": copies(),
        "spe": copies(),
        "loop": copies(),
        "keras-io": copies(),
    }

    def fit_block(model):
        def run(steps, epochs=1, callbacks=()):
            timer = _FitTimer()
            model.fit(
                *_fit_arguments(data_for(steps)),
                batch_size=batch,
                epochs=epochs,
                verbose=0,
                callbacks=[timer, *callbacks],
            )
            sync_gan(model)
            return timer.seconds

        run.gan = model
        return run

    def compiled_gan(models, spe, jit_compile="auto"):
        g, d = models
        gan = keras_gans.GAN(g, d, latent_dim=latent, seed=1)
        g_opt, d_opt = reference_loops.adam_pair()
        gan.compile(
            g_optimizer=g_opt,
            d_optimizer=d_opt,
            loss=loss,
            penalty=(
                keras_gans.penalties.WGANGP(gp_weight) if gp_weight else None
            ),
            d_steps=d_steps,
            jit_compile=jit_compile,
            steps_per_execution=spe,
        )
        return gan

    def loop_block(step, sync):
        def run(steps):
            x, labels = data_for(steps)
            order = _permutation(len(x))
            for index in range(steps):
                rows = order[index * batch:(index + 1) * batch]
                step(x[rows], None if labels is None else labels[rows])
            sync()

        return run

    gan = compiled_gan(networks["gan"], 1)
    contenders = [
        Contender("keras-gans fit", fit_block(gan), _gan_path(gan))
    ]
    if backend == "tensorflow" and not args.no_other_compile:
        other = compiled_gan(networks["other"], 1, not gan.jit_compile)
        contenders.append(
            Contender(
                f"keras-gans fit jit_compile={other.jit_compile}",
                fit_block(other),
                _gan_path(other),
            )
        )
    if name == "mlp" and args.spe > 1:
        spe_gan = compiled_gan(networks["spe"], args.spe)
        contenders.append(
            Contender(
                f"keras-gans fit spe={args.spe}",
                fit_block(spe_gan),
                _gan_path(spe_gan),
            )
        )
    contenders.append(
        None if args.no_hand_written else Contender(
            REFERENCE,
            loop_block(
                *reference_loops.make_loop(
                    *networks["loop"], latent, loss, gp_weight, d_steps
                )
            ),
            {"tensorflow": "XLA", "jax": "jit", "torch": "eager"}[backend],
        )
    )
    if backend == "tensorflow" and spec.get("keras_io"):
        contenders.append(
            Contender(
                KERAS_IO,
                fit_block(
                    reference_loops.keras_io_model(
                        *networks["keras-io"], latent, loss, gp_weight,
                        d_steps,
                    )
                ),
                "Keras default compile (no XLA on a CPU)",
            )
        )
    if backend != "torch" and args.torch_python:
        contenders.append(
            Contender(
                "pure PyTorch",
                _torch_process_block(args.torch_python, name, loss_name),
                "eager (a PyTorch process, interleaved)",
            )
        )
    if backend == "torch":
        import torch_models

        contenders.append(
            Contender(
                "pure PyTorch",
                loop_block(
                    *torch_models.make_loop(
                        name, latent, loss, gp_weight, d_steps
                    )
                ),
                "eager",
            )
        )
    return [c for c in contenders if c is not None], flops


def _torch_process_block(python, name, loss_name):
    """Runs pure PyTorch in a process of `python` (an environment with torch),
    one block per request, so another backend's contenders interleave with
    it; returns its `run_block`."""
    spec = MODELS[name]
    loss, gp_weight, d_steps = LOSSES[loss_name]
    config = {
        "model": name,
        "latent_dim": spec["latent_dim"],
        "loss": loss,
        "gp_weight": gp_weight,
        "d_steps": d_steps,
        "batch": spec["batch_size"],
        "shape": list(spec["shape"]),
        "classes": spec.get("num_classes"),
    }
    env = dict(os.environ, PYTHONPATH=HERE)
    env.pop("KERAS_BACKEND", None)
    process = subprocess.Popen(
        [python, os.path.join(HERE, "torch_models.py"), json.dumps(config)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{python} could not start the PyTorch process")

    def run(steps):
        process.stdin.write(f"{steps}\n")
        process.stdin.flush()
        return float(process.stdout.readline())

    return run


class _FitTimer:
    """A callback timing one fit() call from its first batch to its end.

    The per-call setup (data pipeline, iterator) is left out, as a training
    run pays it once; the end waits for queued work.
    """

    def __new__(cls):
        import keras

        class FitTimer(keras.callbacks.Callback):
            seconds = None

            def on_train_batch_begin(self, batch, logs=None):
                if batch == 0:
                    self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                sync_gan(self.model)
                self.seconds = time.perf_counter() - self.start

        return FitTimer()


def sync_gan(gan):
    """Waits for queued work (JAX and TensorFlow dispatch asynchronously)."""
    import keras

    keras.ops.convert_to_numpy(gan.generator.trainable_variables[-1])


def interleaved_in_one_fit(host, others, steps, repeats):
    """Times `host` (a `GAN.fit` contender) epoch by epoch within one fit().

    fit() has a fixed cost per call (data pipeline, callbacks, and on
    TensorFlow a tf.data iterator per epoch) that a training run pays once,
    not per block. So keras-gans runs one fit() of `repeats` epochs of
    `steps` batches, each timed from its first batch to `on_epoch_end`
    (after its last step has finished), and the other contenders run their
    blocks between its epochs, in alternating order. Epoch callbacks leave
    Keras' per-batch callback dispatch as it is.
    """
    import keras

    class Interleave(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch % 2:
                for contender in reversed(others):
                    contender.time_block(steps)

        def on_train_batch_begin(self, batch, logs=None):
            # From the epoch's first batch: the per-epoch setup (a new data
            # iterator) is paid once per epoch, which real epochs of
            # hundreds of batches amortise. Keras checks only batch-end
            # hooks before dispatching callbacks asynchronously.
            if batch == 0:
                self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            sync_gan(self.model)
            host.times.append(time.perf_counter() - self.start)
            if not epoch % 2:
                for contender in others:
                    contender.time_block(steps)

    host.run_block(steps, epochs=repeats, callbacks=[Interleave()])


def _permutation(size):
    import numpy as np

    return np.random.default_rng(size).permutation(size)


def worker(args):
    """Times one `model:loss` configuration and prints its results as JSON."""
    name, loss_name = args.worker.split(":")
    batch = MODELS[name]["batch_size"]
    cache = {}

    def data_for(steps):
        if steps not in cache:
            cache[steps] = training_data(name, steps * batch)
        return cache[steps]

    rss_start = _max_rss_mib()
    contenders, flops = make_contenders(name, loss_name, args, data_for)
    rss_built = _max_rss_mib()
    # The hand-written loops warm up first: keras-gans' RSS growth then
    # shows the memory it needs beyond theirs.
    warm_steps = max(2, args.spe)
    if MODELS[name].get("keras_io"):
        warm_steps = 1
    for contender in reversed(contenders):
        contender.warm_up(warm_steps)
        print(f"  warmed up {contender.name}", file=sys.stderr, flush=True)
    if args.steps is not None:
        steps = args.steps
    else:
        # Size blocks by the hand-written loop's time per step (fit() adds
        # a fixed cost per call, which a one-step probe would inflate).
        reference = next(c for c in contenders if c.name == REFERENCE)
        per_step = reference.time_block(2) / 2
        reference.times.clear()
        steps = max(1, round(args.block_seconds / per_step))
    # Each `GAN.fit` contender (steps_per_execution 1 and K) is timed epoch
    # by epoch inside its own fit() call, the hand-written loops between its
    # epochs: fit()'s setup is paid once per call, as in a training run.
    if MODELS[name].get("keras_io"):
        # Every contender one block (one fit() call, timed from its first
        # batch) at a time, in alternating order: steps of 0.5-50 s make
        # fit()'s per-call costs negligible.
        for repeat in range(args.repeats):
            order = contenders if repeat % 2 == 0 else contenders[::-1]
            for contender in order:
                seconds = contender.time_block(steps)
                print(f"  {contender.name}: {seconds:.1f} s", file=sys.stderr,
                      flush=True)
    else:
        hosts = [c for c in contenders if c.name.startswith("keras-gans fit")]
        others = [c for c in contenders if c not in hosts]
        for host in hosts:
            interleaved_in_one_fit(host, others, steps, args.repeats)
    rows = []
    for contender in contenders:
        seconds = statistics.median(contender.times)
        rows.append(
            {
                "loop": contender.name,
                "path": contender.path,
                "steps_per_s": steps / seconds,
                "block_times": contender.times,
                "rss_warm_up_growth_mib": contender.rss_growth,
            }
        )
    print(
        RESULT_PREFIX
        + json.dumps(
            {
                "model": name,
                "loss": loss_name,
                "batch_size": batch,
                "steps_per_block": steps,
                "repeats": args.repeats,
                "flops_per_step": flops,
                "rss_start_mib": rss_start,
                "rss_built_mib": rss_built,
                "rss_peak_mib": _max_rss_mib(),
                "rows": rows,
            }
        ),
        flush=True,
    )


# ----------------------------------------------------------------------
# Report


def markdown_report(results, args):
    """A markdown table of every backend's rows, with the machine described."""
    first = results[0]["machine"]
    versions = {}
    for result in results:
        versions.update(result["machine"]["versions"])
    lines = [
        f"Machine: {first['cpu']}, {first['cores']} cores; load average at "
        "start: "
        + "; ".join(
            f"{r['backend']} {r['machine']['load_average'][0]:.2f}"
            for r in results
        ),
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"Blocks: {args.repeats} interleaved repeats per contender, "
        + (
            f"{args.steps} steps each"
            if args.steps
            else f"each about {args.block_seconds} s"
        )
        + "; steps/s from the median block. `keras-gans fit` is one fit() "
        "call whose epochs are the blocks (numpy arrays in memory), each timed "
        "from its first batch to its end; the other contenders run between its "
        "epochs; the `spe` row is timed the same way in a second fit() call, the other loops between its epochs again.",
        f"Threads per backend: {args.threads or 'backend defaults'}. "
        f"Transposed convolutions: {args.conv_transpose} (auto: keras_gans' "
        "SubPixelConv2DTranspose on JAX, Keras' Conv2DTranspose elsewhere; "
        "both sides of a comparison use the same layers).",
        "",
        "| backend | model | loss | batch | loop | step compiled as | "
        "steps/s | images/s | ratio vs Keras loop | ratio vs pure PyTorch | "
        "GFLOP/s | % of matmul peak | peak RSS MiB (+warm-up) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        peak = result["peak_gflops"]
        for config in result["configs"]:
            reference = next(
                (r for r in config["rows"] if r["loop"] == REFERENCE), None
            )
            torch_row = next(
                (r for r in config["rows"] if r["loop"] == "pure PyTorch"),
                None,
            )
            for row in config["rows"]:
                rate = row["steps_per_s"]
                gflops = rate * config["flops_per_step"] / 1e9
                versus_torch = (
                    f"{rate / torch_row['steps_per_s']:.2f}"
                    if torch_row else "-"
                )
                lines.append(
                    f"| {result['backend']} | {config['model']} | "
                    f"{config['loss']} | {config['batch_size']} | "
                    f"{row['loop']} | {row.get('path', '')} | {rate:.2f} | "
                    f"{rate * config['batch_size']:.0f} | "
                    + (f"{rate / reference['steps_per_s']:.2f} | "
                       if reference else "- | ")
                    + f"{versus_torch} | "
                    f"{gflops:.1f} | {100 * gflops / peak:.0f} % | "
                    f"{config['rss_peak_mib']:.0f} "
                    f"(+{row['rss_warm_up_growth_mib']:.0f}) |"
                )
    lines.append("")
    lines.append(
        "Matmul peak (float32 2048x2048, best of 5): "
        + ", ".join(f"{r['backend']} {r['peak_gflops']:.0f} GFLOP/s" for r in results)
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
