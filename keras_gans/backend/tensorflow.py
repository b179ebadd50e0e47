"""TensorFlow gradients: `tf.GradientTape`, nested for second order; data
parallelism: `tf.distribute` strategies."""

import contextlib
import json
import os

import keras
import tensorflow as tf
from keras import ops

from keras_gans.backend.read_only import ReadOnlyScope

# Native transposed convolutions are fast here.
SUBPIXEL_CONV_TRANSPOSE = False


def value_and_grad(fn, variables):
    with tf.GradientTape() as tape:
        loss, aux = fn()
    grads = tape.gradient(
        loss,
        [v.value for v in variables],
        unconnected_gradients=tf.UnconnectedGradients.ZERO,
    )
    return (loss, aux), grads


def per_example_value_and_grad(fn, variables, batch):
    """`tf.vectorized_map` (pfor) of a `tf.GradientTape` over the examples.

    The function runs in a `ReadOnlyScope`, so an assignment inside the
    vectorised loop raises instead of being lost.
    """

    def one(example):
        with ReadOnlyScope():
            with tf.GradientTape() as tape:
                loss, aux = fn(example)
            grads = tape.gradient(
                loss,
                [v.value for v in variables],
                unconnected_gradients=tf.UnconnectedGradients.ZERO,
            )
        return (loss, aux), grads

    (losses, aux), grads = tf.vectorized_map(one, tuple(batch))
    return (losses, aux), list(grads)


def input_gradient(fn, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = ops.sum(ops.cast(fn(x), "float32"))
    # Recorded by any enclosing tape, so a penalty built on this gradient
    # can itself be differentiated with respect to the model's weights.
    return tape.gradient(total, x)


def train_step(model, data):
    return model.gan_step(data)


def make_train_function(model, keras_make_train_function, force):
    # Keras' own trainer runs `steps_per_execution` steps per call here.
    return keras_make_train_function(force)


def maybe_symbolic_build(model, keras_build, iterator, data_batch):
    """Keras' symbolic build before `fit()`, without a batch where nothing
    needs one.

    Under a strategy Keras takes the first batch of the data to trace the
    model's unbuilt layers, compiled loss and metrics, and first reduces it
    over the replicas; under `MultiWorkerMirroredStrategy` that reduction
    fails for a `keras.utils.PyDataset` (the run layer's
    `OrderedBatches`): "Attempt to convert a value (PerReplica:...) to a
    Tensor". A GAN's layers are built when it is constructed and it
    compiles no Keras loss or metrics, so only the optimizers remain to
    build, which needs no batch.
    """
    layers_built = all(layer.built for layer in model._flatten_layers())
    nothing_to_trace = (layers_built and model._compile_loss is None
                        and model._compile_metrics is None)
    if iterator is not None and nothing_to_trace:
        return keras_build(data_batch=())
    return keras_build(iterator=iterator, data_batch=data_batch)


def without_gradients():
    # Nothing outside a tape is recorded.
    return contextlib.nullcontext()


def replica_loss_scale():
    # Under tf.distribute the optimizer sums gradients over replicas, so a
    # per-replica mean must be divided by the replica count.
    return 1.0 / tf.distribute.get_strategy().num_replicas_in_sync


def replica_rows():
    """The replica's id and count under a `tf.distribute` strategy.

    Each replica of a `MirroredStrategy` (or a multi-worker one) runs the
    step on its own rows of the global batch, in replica order.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


def sync_variables(model):
    # Variables always hold the current values on this backend.
    return None


def apply_gradients(optimizer, grads, variables):
    optimizer.apply(grads, variables)


def keep_variables_on_error(model):
    # Variables are updated in place and never emptied on this backend.
    return contextlib.nullcontext()


def check_compiled_penalty(penalty):
    # Second-order gradients compile on this backend.
    return None


def _replicas(gan):
    """The replicas of the strategy the GAN was built (or is compiled) in."""
    return gan.distribute_strategy.num_replicas_in_sync


def check_distributed(gan, jit_compile, privacy):
    """Refuses what a step cannot do under a strategy with several replicas.

    XLA: the compiled step runs on the first replica's device and cannot
    read the other replicas' copies of the seed generator's state
    ("Trying to access resource seed_generator_state/replica_1 ...
    located in device CPU:1 from device CPU:0"; Keras' own
    `jit_compile="auto"` turns XLA off under any strategy). DP-SGD: each
    replica would add its own Gaussian noise to its clipped gradients and
    the all-reduce would sum them, a noise level the privacy accounting
    does not describe.

    ADA with a target: each replica's copy of p would follow the sign of
    D's logits on its own rows only (measured: -0.125 and -0.3125 against
    -0.219 on one device), and the copies would drift apart.

    Raises:
        ValueError: for `jit_compile=True`, `privacy` or an adaptive
            augmentation under a strategy with more than one replica.
    """
    replicas = _replicas(gan)
    if replicas == 1:
        return
    strategy = type(gan.distribute_strategy).__name__
    if jit_compile:
        raise ValueError(
            "XLA cannot compile the training step under a tf.distribute "
            "strategy with several replicas: the compiled step runs on the "
            "first replica's device and cannot read the other replicas' "
            "copies of the random seed generator's state. Use "
            "jit_compile=\"auto\" (which turns XLA off "
            "under a strategy) or jit_compile=False. Received: "
            f"jit_compile=True under {strategy} with {replicas} replicas"
        )
    if getattr(gan.augment, "target", None) is not None:
        raise ValueError(
            "An augmentation that adapts its strength to the "
            "discriminator's outputs on real data (ADA with a target) "
            "cannot train under a strategy with several replicas: each "
            "replica would adapt its own copy of p from its own rows, and "
            "the copies would drift apart. Use a fixed strength "
            "(ADA(target=None, p=...)) or DiffAugment, or one device. "
            f"Received: augment={gan.augment!r} under {strategy} with "
            f"{replicas} replicas"
        )
    if privacy is not None:
        raise ValueError(
            "Training with privacy (DP-SGD) runs on one replica only: each "
            "replica would add its own noise to its clipped gradients and "
            "the all-reduce would sum them, which the privacy accounting "
            "does not describe. Train on one device (devices=1). Received: "
            f"privacy under {strategy} with {replicas} replicas"
        )


def _has_gpu():
    return bool(tf.config.list_logical_devices("GPU"))


# The BatchNorm rule's measured models have 2-6.3 million weights; XLA's
# compile (10-100 s on a CPU) pays back only over many heavy steps, so
# smaller networks (the tests' have 3-20 thousand) keep TensorFlow's own
# kernels, which start at once.
BATCH_NORM_XLA_MIN_WEIGHTS = 1_000_000


def _has_batch_norm(*models):
    return any(
        isinstance(layer, keras.layers.BatchNormalization)
        for model in models
        for layer in model._flatten_layers(include_self=True)
    )


def _has_convolutions(*models):
    convolutions = (
        keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D,
        keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
        keras.layers.Conv3DTranspose, keras.layers.DepthwiseConv1D,
        keras.layers.DepthwiseConv2D, keras.layers.SeparableConv1D,
        keras.layers.SeparableConv2D,
    )
    return any(
        isinstance(layer, convolutions)
        for model in models
        for layer in model._flatten_layers(include_self=True)
    )


def resolve_jit_compile(gan, penalty):
    """`(jit_compile, reason)` for `jit_compile="auto"`.

    Measured on a CPU (`benchmarks/RESULTS.md`, seconds per step):
    TensorFlow's own kernels run first-order steps of convolutional GANs
    without BatchNormalization as fast as XLA or faster (guide28 2.1 vs
    3.9, cGAN 2.2 vs 2.4, the keras-io DCGAN 0.81x under XLA); with
    BatchNormalization, XLA is faster (dcgan64 1.22-1.57x, the keras-io
    WGAN-GP's networks with a first-order loss 1.99x), for networks large
    enough to repay XLA's compile (`BATCH_NORM_XLA_MIN_WEIGHTS`).
    BatchNormalization is the feature that separates the five measured
    models, not a proven cause: dcgan64 with it removed still ran 1.28x
    faster under XLA. A gradient penalty runs faster under XLA once
    `accelerate_networks` has rewritten the
    convolutions XLA is slow on (keras-io WGAN-GP 9.8 vs 17.2); float16
    (slow in TensorFlow's CPU kernels) and convolution-free networks run
    faster under XLA. On a GPU, XLA. Under a `tf.distribute` strategy
    with several replicas, never (`check_distributed`).
    """
    replicas = _replicas(gan)
    if replicas > 1:
        return False, (
            f"no XLA: a tf.distribute strategy with {replicas} replicas, "
            "under which XLA cannot compile the step; Keras' own "
            "jit_compile=\"auto\" turns XLA off there too"
        )
    if _has_gpu():
        return True, "XLA: TensorFlow on a GPU"
    if gan._uses_float16():
        return True, (
            "XLA: float16 on a CPU, where TensorFlow's own float16 kernels "
            "are slow"
        )
    if not _has_convolutions(gan.generator, gan.discriminator):
        return True, "XLA: no convolutions"
    if penalty is not None:
        return True, (
            "XLA: a gradient penalty through convolutions on a CPU, faster "
            "under XLA with its slow convolutions rewritten"
        )
    weights = gan.generator.count_params() + gan.discriminator.count_params()
    if (_has_batch_norm(gan.generator, gan.discriminator)
            and weights >= BATCH_NORM_XLA_MIN_WEIGHTS):
        return True, (
            "XLA: a first-order step of large convolutional networks with "
            "BatchNormalization on a CPU, faster under XLA"
        )
    return False, (
        "no XLA: a first-order step of convolutional networks without "
        "BatchNormalization, or with fewer than "
        f"{BATCH_NORM_XLA_MIN_WEIGHTS:,} weights, on a CPU, where "
        "TensorFlow's own kernels are as fast as XLA's or start sooner"
    )


def accelerate_networks(generator, discriminator, jit_compile, penalty):
    """Rewrites the convolutions XLA runs slowly, when XLA runs on a CPU.

    TensorFlow's XLA takes the second-order gradient of ordinary strided
    convolutions at full speed (unlike JAX's), so only transposed
    convolutions and convolutions whose output is no larger than their
    kernel are rewritten: rewriting every strided convolution of dcgan64's
    critic halved its WGAN-GP speed here. Returns
    `keras_gans.layers.accelerate`'s list of changes.
    """
    if not jit_compile or _has_gpu():
        return []
    from keras_gans.layers import accelerate

    return accelerate(generator) + accelerate(discriminator)


def distribute(devices, mode="data_parallel", mesh=None, layout=None):
    """Data parallelism through a `tf.distribute` strategy.

    With `TF_CONFIG` set, a `MultiWorkerMirroredStrategy` over the workers
    it names (each process runs this with its own task index). Otherwise a
    `MirroredStrategy` over this host's chosen GPUs or, on a machine
    without GPUs, over `devices` logical CPU devices split out of the CPU
    (which TensorFlow allows only before its runtime starts; "all" on
    such a machine is the logical devices that exist, usually one). One
    device needs no strategy. The GAN must be built, compiled and trained
    in the returned `scope()`; Keras' `fit()` then splits each global
    batch over the replicas, over the workers too (`local_rows` False):
    every worker reads the same data in the same (equally seeded) order
    and keeps its replicas' parts of each batch.

    Raises:
        ValueError: for `mode="model_parallel"` (JAX only), a mesh or
            layout, devices this process does not have, or a CPU split
            asked for after TensorFlow's runtime has started.
    """
    from keras_gans.backend.distribution import MODES

    if mode == "model_parallel":
        raise ValueError(
            "Model parallelism (a device mesh and a layout map) is built on "
            "keras.distribution, which only the JAX backend supports. Use "
            "mode=\"data_parallel\" on TensorFlow, or KERAS_BACKEND=jax. "
            f"Received: mode={mode!r}"
        )
    if mode not in MODES:
        raise ValueError(
            f"Unknown distribution mode. Expected one of {MODES}. "
            f"Received: mode={mode!r}"
        )
    if mesh is not None or layout is not None:
        raise ValueError(
            "A mesh and a layout describe model parallelism, which "
            "data_parallel does not use. Leave them out. Received: "
            f"mesh={mesh!r}, layout={layout!r}"
        )
    if os.environ.get("TF_CONFIG"):
        return _multi_worker(devices)
    return _one_host(devices)


def _one_host(devices):
    from keras_gans.backend.distribution import Distribution
    from keras_gans.backend.distribution import choose_devices

    if tf.config.list_physical_devices("GPU"):
        available = [d.name for d in tf.config.list_logical_devices("GPU")]
    else:
        available = _cpu_devices(devices)
    names = choose_devices(available, devices)
    if len(names) == 1:
        return Distribution(devices=tuple(names))
    strategy = tf.distribute.MirroredStrategy(names)
    return Distribution(
        mode="data_parallel", devices=tuple(names),
        replicas=strategy.num_replicas_in_sync, scope=strategy.scope,
    )


def _cpu_devices(devices):
    """The logical CPU devices' names, first splitting the CPU into
    `devices` of them when a count above those that exist is asked for."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    split = tf.config.get_logical_device_configuration(cpu) or [None]
    wanted = (devices if isinstance(devices, int)
              and not isinstance(devices, bool) else 0)
    if wanted > len(split):
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration()] * wanted)
        except RuntimeError as error:
            raise ValueError(
                f"TensorFlow splits the CPU into {wanted} logical devices "
                "only before its runtime starts, and it has started in this "
                "process (a tensor was made, a model built or the devices "
                "listed). Call keras_gans.backend.distribute() first, "
                "before anything else uses TensorFlow, or set the split "
                "yourself with tf.config.set_logical_device_configuration "
                f"at start-up. Received: devices={devices}"
            ) from error
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def _multi_worker(devices):
    from keras_gans.backend.distribution import Distribution
    from keras_gans.backend.distribution import choose_devices

    config = json.loads(os.environ["TF_CONFIG"])
    cluster = config.get("cluster", {})
    task = config.get("task", {})
    chiefs = len(cluster.get("chief", []))
    workers = chiefs + len(cluster.get("worker", []))
    index = (0 if task.get("type") == "chief"
             else chiefs + int(task.get("index", 0)))
    gpus = tf.config.list_physical_devices("GPU")
    local = ([f"/device:GPU:{i}" for i in range(len(gpus))] if gpus
             else ["/device:CPU:0"])
    names = choose_devices(local, devices)
    if len(names) != len(local):
        raise ValueError(
            "Under TF_CONFIG each worker trains on all the GPUs it sees (or "
            f"its CPU): {', '.join(local)}. Use devices=\"all\", and limit "
            "a worker's GPUs with CUDA_VISIBLE_DEVICES. Received: "
            f"devices={devices!r}"
        )
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    return Distribution(
        mode="data_parallel", devices=tuple(names),
        replicas=strategy.num_replicas_in_sync, process_index=index,
        process_count=workers, scope=strategy.scope,
    )


def launch(devices, argv):
    # One process drives every device of this host; the workers of a
    # multi-worker run are started by the user, each with its TF_CONFIG.
    return None


def agree_over_replicas(model):
    # Keras aggregates the trackers over a strategy's replicas, and
    # every replica updates its copies from identical values.
    return None


def replica_logs(logs):
    """Scalar logs as shape (1,) under a multi-worker strategy.

    Keras reduces a multi-worker step's logs with `strategy.reduce(MEAN,
    axis=0)`, which fails on scalars (tensorflow#72388) and turns shape
    (1,) back into the scalar mean; elsewhere the logs are left as they
    are (Keras averages the replicas' values).
    """
    if not _multi_worker_mode(tf.distribute.get_strategy()):
        return logs
    return {
        name: ops.reshape(value, (1,)) if len(value.shape) == 0 else value
        for name, value in logs.items()
    }


def _multi_worker_mode(strategy):
    # Keras takes the multi-worker reduction exactly when this holds.
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode())
