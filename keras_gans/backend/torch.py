"""PyTorch gradients: `torch.autograd.grad`, with `create_graph` for penalties.

Data parallelism follows NVIDIA's StyleGAN2-ADA / StyleGAN3 training loops
rather than `DistributedDataParallel`, which does not synchronise gradients
taken with `torch.autograd.grad` and breaks gradient penalties: one process
per device started by `torchrun` (or `launch`), a `torch.distributed`
process group (gloo on CPUs, NCCL on GPUs), the chief's variables broadcast
before training, and every update's gradients averaged over the processes
as one flat buffer.
"""

import contextlib
import os
import uuid

import torch

from keras_gans.backend.read_only import ReadOnlyScope

# How many per-example transforms (`torch.func.vmap`) the current call
# runs inside: `torch.autograd.grad` cannot see through them, so
# `input_gradient` switches to `torch.func.grad` there.
_transform_depth = 0

# Native transposed convolutions are fast here.
SUBPIXEL_CONV_TRANSPOSE = False


def value_and_grad(fn, variables):
    loss, aux = fn()
    params = [v.value for v in variables]
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    grads = [
        torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)
    ]
    return (loss, aux), grads


def per_example_value_and_grad(fn, variables, batch):
    """`torch.func.vmap` of `torch.func.grad_and_value` over the examples.

    The variables' values are mapped through a `ReadOnlyScope` (Keras
    variables read `Variable.value` from the innermost scope), so the
    transform differentiates with respect to them; an assignment inside
    it raises. Random draws inside it raise too (`randomness="error"`):
    draw them for the whole batch first.
    """
    global _transform_depth

    def one(values, example):
        with ReadOnlyScope(zip(variables, values)):
            return fn(example)

    values = [v.value.detach() for v in variables]
    _transform_depth += 1
    try:
        with _contiguous_layouts():
            grads, (losses, aux) = torch.func.vmap(
                torch.func.grad_and_value(one, has_aux=True),
                in_dims=(None, 0),
                randomness="error",
            )(values, tuple(batch))
    finally:
        _transform_depth -= 1
    return (losses, aux), list(grads)


@contextlib.contextmanager
def _contiguous_layouts():
    """Keeps Keras' convolutions off the channels-last memory format.

    Keras' PyTorch convolution copies its input to the channels-last
    memory format (`Tensor.contiguous(memory_format=...)`), which
    `torch.func.vmap` does not implement ("NYI: Tensor.clone(memory_format)
    inside vmap"). The layout only affects speed, not values, so inside
    the transform the copy is skipped.
    """
    from keras.src.backend.torch import nn as keras_torch_nn

    convert = keras_torch_nn._maybe_convert_to_channels_last
    keras_torch_nn._maybe_convert_to_channels_last = lambda tensor: tensor
    try:
        yield
    finally:
        keras_torch_nn._maybe_convert_to_channels_last = convert


def input_gradient(fn, x):
    if _transform_depth:
        # Inside torch.func transforms: a functional gradient, which the
        # enclosing torch.func.grad differentiates again.
        return torch.func.grad(lambda x: fn(x).float().sum())(x)
    # `x` is a leaf of its own: the penalty needs d D(x) / dx at these points,
    # not a path back into the generator.
    x = torch.as_tensor(x).detach().requires_grad_(True)
    total = fn(x).float().sum()
    (grad,) = torch.autograd.grad(total, x, create_graph=True)
    return grad


def train_step(model, data):
    return model.gan_step(data)


def agree_over_replicas(model):
    """Averages over the processes what each rank updated from its own rows.

    The metric trackers: each rank's add its own rows' losses to totals
    that agreed after the previous step, so their mean is the total one
    process would hold for the global batch (a mean of equal-sized
    shares); the step's logs and the epoch's, read from the trackers,
    then agree on every rank and with one process. The networks' other
    non-trainable variables (BatchNormalization's moving statistics):
    averaged, every rank keeps the same ones (the moving mean is then the
    one-process value; batch statistics stay per rank). The EMA weights
    and seed states, equal on every rank by construction, are left out.
    """
    world = _world_size()
    if world == 1:
        return
    same = {id(v) for v in getattr(model, "ema_weights", [])}
    variables = [
        v for v in list(model.metrics_variables)
        + list(model.non_trainable_variables)
        if id(v) not in same and torch.is_floating_point(v.value)
    ]
    variables = list({id(v): v for v in variables}.values())
    if variables:
        values = _all_reduce_mean([v.value for v in variables], world)
        for variable, value in zip(variables, values):
            variable.assign(value)


def make_train_function(model, keras_make_train_function, force):
    """Keras' train function, or one running `steps_per_execution` steps.

    Keras' PyTorch trainer refuses `steps_per_execution > 1`, although its
    epoch iterator already hands the train function a list of that many
    batches (fewer at the end of an epoch). Running them in a loop gives the
    same updates as one step per call while callbacks run once per call.
    """
    if model.steps_per_execution == 1:
        return keras_make_train_function(force)
    if model.train_function is not None and not force:
        return model.train_function
    step = model.train_step
    if model._should_torch_compile():
        step = torch.compile(step)

    def multi_step_on_data(batches):
        logs = None
        for batch in batches:
            logs = step(batch)
        return logs

    model.train_function = multi_step_on_data
    return multi_step_on_data


def without_gradients():
    """Computes without recording an autograd graph (`torch.no_grad`)."""
    return torch.no_grad()


def replica_loss_scale():
    return 1.0


def replica_rows():
    """The process's rank and the world size under `torch.distributed`.

    Each process runs the step on its own rows of the global batch, in
    rank order.
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return 0, 1
    return dist.get_rank(), dist.get_world_size()


def sync_variables(model):
    # Variables always hold the current values on this backend.
    return None


def apply_gradients(optimizer, grads, variables):
    """One optimizer update, on gradients averaged over the processes.

    Each process's gradients are of the mean loss over its own rows, so
    their mean over the (equally sized) processes is the gradient of the
    mean over the global batch: every process applies the same update.
    """
    world = _world_size()
    if world > 1:
        grads = _all_reduce_mean(list(grads), world)
    optimizer.apply(grads, variables)


def keep_variables_on_error(model):
    # Variables are updated in place and never emptied on this backend.
    return contextlib.nullcontext()


def check_compiled_penalty(penalty):
    """torch.compile cannot differentiate twice (pytorch#91469)."""
    raise ValueError(
        "torch.compile cannot differentiate twice, which a gradient "
        "penalty needs (pytorch#91469). Use jit_compile=False (the "
        "default on PyTorch). Received: jit_compile=True, "
        f"penalty={penalty!r}"
    )


def check_distributed(gan, jit_compile, privacy):
    """Refuses DP-SGD over several `torch.distributed` processes: each
    would add its own noise to its clipped gradients before the
    all-reduce sums them, which the privacy accounting does not describe."""
    ranks = replica_rows()[1]
    if privacy is not None and ranks > 1:
        raise ValueError(
            "Training with privacy (DP-SGD) runs in one process only: each "
            "process would add its own noise to its clipped gradients and "
            "the all-reduce would sum them, which the privacy accounting "
            "does not describe. Train on one device (devices=1). Received: "
            f"privacy over {ranks} processes (torch.distributed)"
        )


def resolve_jit_compile(gan, penalty):
    """`(jit_compile, reason)` for `jit_compile="auto"`: eager."""
    return False, (
        "eager: torch.compile cannot differentiate twice and gains little "
        "on these steps"
    )


def accelerate_networks(generator, discriminator, jit_compile, penalty):
    # PyTorch's native convolutions are fast, compiled or not.
    return []


def _world_size():
    """The number of processes of the initialised process group (else 1)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return 1
    return dist.get_world_size()


def _by_dtype(tensors):
    """`{dtype: [index, ...]}` of `tensors`, in order: one flat buffer per
    dtype carries them through a collective."""
    groups = {}
    for index, tensor in enumerate(tensors):
        groups.setdefault(tensor.dtype, []).append(index)
    return groups


def _collective_on_flat(tensors, collective):
    """Runs `collective(buffer)` in place on one flat buffer per dtype
    holding `tensors`, and returns the tensors read back from it."""
    out = list(tensors)
    for indices in _by_dtype(tensors).values():
        parts = [tensors[i].detach().reshape(-1) for i in indices]
        buffer = torch.cat(parts) if len(parts) > 1 else parts[0].clone()
        collective(buffer)
        for i, piece in zip(indices, buffer.split([p.numel() for p in parts])):
            out[i] = piece.view(tensors[i].shape)
    return out


def _all_reduce_mean(tensors, world):
    """The mean of `tensors` over the processes: all-reduce SUM of a flat
    buffer per dtype, divided by the world size."""
    import torch.distributed as dist

    def mean(buffer):
        dist.all_reduce(buffer, op=dist.ReduceOp.SUM)
        buffer.div_(world)

    return _collective_on_flat(tensors, mean)


def _launched():
    """Whether a launcher (`torchrun`) started this process as a rank."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def _available_devices():
    if torch.cuda.is_available():
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return ["cpu:0"]


def _requested_count(devices):
    """How many processes `devices` asks for, or None for "all"."""
    if devices == "all":
        return None
    if isinstance(devices, int) and not isinstance(devices, bool):
        return devices
    if isinstance(devices, (list, tuple)):
        return len(devices)
    return -1  # refused by choose_devices with its own message


def distribute(devices, mode="data_parallel", mesh=None, layout=None):
    """One process per device, in a `torch.distributed` process group.

    Under `torchrun` (or `launch`) with more than one process, initialises
    the process group from the launcher's environment (`RANK`,
    `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR`, `MASTER_PORT`): NCCL with
    this process pinned to the GPU `cuda:LOCAL_RANK` (Keras' PyTorch
    backend places tensors on the current CUDA device), gloo on CPUs.
    Each process trains on its own rows of every global batch
    (`local_rows`); `synchronize` broadcasts the chief's variables.
    Without a launcher, one process trains on one device.

    Raises:
        ValueError: for mode="model_parallel" (JAX only), another unknown
            mode, a device request that does not match the launcher's
            processes, or several devices without a launcher.
    """
    from keras_gans.backend.distribution import MODES
    from keras_gans.backend.distribution import Distribution
    from keras_gans.backend.distribution import choose_devices

    if mode == "model_parallel":
        raise ValueError(
            "Model parallelism is built on JAX's keras.distribution only; "
            "PyTorch trains data-parallel. Use mode=\"data_parallel\" or "
            f"KERAS_BACKEND=jax. Received: mode={mode!r}"
        )
    if mode not in MODES:
        raise ValueError(
            f"Unknown distribution mode: expected one of {MODES}. "
            f"Received: mode={mode!r}"
        )
    world = int(os.environ.get("WORLD_SIZE", "1")) if _launched() else 1
    if world > 1:
        return _process_group(devices, world)
    requested = _requested_count(devices)
    if requested is not None and requested > 1:
        raise ValueError(
            f"PyTorch trains on {requested} devices in {requested} "
            "processes, one per device, started by a launcher: a run "
            f"with distribution.devices = {requested} starts them "
            "(keras_gans.backend.launch), or start the program under "
            f"`torchrun --standalone --nproc-per-node {requested}`. "
            f"Received: devices={devices!r} in a single process"
        )
    names = choose_devices(_available_devices(), devices)[:1]
    if names[0].startswith("cuda"):
        # Keras' PyTorch backend puts every tensor on "cuda", the current
        # CUDA device.
        torch.cuda.set_device(names[0])
    return Distribution(devices=tuple(names))


def _process_group(devices, world):
    """The `Distribution` of one of `world` processes started by torchrun."""
    import torch.distributed as dist

    from keras_gans.backend.distribution import Distribution

    requested = _requested_count(devices)
    if requested is not None and requested != world:
        raise ValueError(
            f"The launcher started {world} processes (WORLD_SIZE={world}), "
            f"one per device, but {devices!r} were asked for. Ask for "
            f"devices={world} or \"all\", or launch {requested} processes. "
            f"Received: devices={devices!r}"
        )
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        if local_rank >= torch.cuda.device_count():
            raise ValueError(
                f"Each process trains on its own GPU, but process "
                f"LOCAL_RANK={local_rank} finds only "
                f"{torch.cuda.device_count()} GPUs. Start at most that many "
                f"processes per host. Received: LOCAL_RANK={local_rank}"
            )
        # Keras' PyTorch backend puts every tensor on "cuda", which is the
        # current CUDA device: this rank's own GPU.
        torch.cuda.set_device(local_rank)
        backend, device = "nccl", f"cuda:{local_rank}"
    else:
        backend, device = "gloo", "cpu:0"
    created = not dist.is_initialized()
    if created:
        dist.init_process_group(backend=backend, init_method="env://")

    def close():
        if created and dist.is_initialized():
            dist.destroy_process_group()

    return Distribution(
        mode="data_parallel", devices=(device,), replicas=world,
        process_index=dist.get_rank(), process_count=world,
        local_rows=True, synchronize=synchronize, gather=_all_gather,
        close=close,
    )


def _all_gather(array):
    """Every rank's `array` (one shape on all ranks), concatenated on
    axis 0 in rank order, on every rank."""
    import numpy as np
    import torch.distributed as dist

    tensor = torch.as_tensor(np.ascontiguousarray(array))
    if dist.get_backend() == "nccl":
        tensor = tensor.cuda()
    parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, tensor)
    return np.concatenate([part.cpu().numpy() for part in parts])


def state_variables(model):
    """Every variable training reads or writes: the model's weights,
    non-trainable variables, seed generators' states, EMA weights and
    metric trackers, then its optimizers' variables; each once."""
    found = list(model.variables)
    found += list(getattr(model, "metrics_variables", []))
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        found += list(optimizer.variables)
    unique, seen = [], set()
    for variable in found:
        if id(variable) not in seen:
            seen.add(id(variable))
            unique.append(variable)
    return unique


def synchronize(model):
    """Gives every process the chief's (rank 0's) value of every variable
    of `model` (`state_variables`): the ranks may have initialised or
    loaded different ones. One broadcast per dtype.

    Raises:
        ValueError: for a model trained by Keras' own step (a `VAE`),
            whose gradients are not averaged over the processes.
    """
    import torch.distributed as dist

    if _world_size() == 1:
        return
    if not hasattr(model, "gan_step"):
        raise ValueError(
            "Data-parallel training on PyTorch averages the gradients of "
            "the GAN's training step over the processes; this model trains "
            "with Keras' own step, whose updates each process would apply "
            "alone, so the processes would drift apart. Train it in one "
            f"process (devices=1). Received: a {type(model).__name__} over "
            f"{_world_size()} processes"
        )
    variables = state_variables(model)
    values = _collective_on_flat(
        [variable.value for variable in variables],
        lambda buffer: dist.broadcast(buffer, src=0),
    )
    for variable, value in zip(variables, values):
        variable.assign(value)


def launch(devices, argv):
    """Starts one process per device running `argv`, through torch's own
    launcher (`torch.distributed.run`'s elastic agent with a standalone
    rendezvous on localhost), when more than one is asked for and this
    process was not itself started by a launcher.

    Args:
        devices: "all" (one process per GPU), a count, or a list of names.
        argv: the command each process runs, program first (e.g.
            `[sys.executable, "-m", "keras_gans.cli", "run", ...]`).

    Returns:
        None when this process should train itself; else 0 when every
        process succeeded, or the exit status of the first that failed.
    """
    if _launched():
        return None
    requested = _requested_count(devices)
    visible = None
    if requested is None:
        requested = len(_available_devices())
    elif torch.cuda.is_available():
        from keras_gans.backend.distribution import choose_devices

        names = choose_devices(_available_devices(), devices)
        if isinstance(devices, (list, tuple)):
            visible = _visible_devices(names)
    if requested <= 1:
        return None
    from torch.distributed.elastic.multiprocessing import errors
    from torch.distributed.launcher.api import LaunchConfig
    from torch.distributed.launcher.api import elastic_launch

    config = LaunchConfig(
        min_nodes=1, max_nodes=1, nproc_per_node=requested,
        run_id=str(uuid.uuid4()), rdzv_backend="c10d",
        rdzv_endpoint="localhost:0", max_restarts=0,
    )
    program, *args = list(argv)
    try:
        with _environment(CUDA_VISIBLE_DEVICES=visible,
                          OMP_NUM_THREADS=_threads_per_rank(requested)):
            elastic_launch(config, program)(*args)
    except errors.ChildFailedError as error:
        _, failure = error.get_first_failure()
        # A rank killed by a signal reports -signal.
        return failure.exitcode if failure.exitcode > 0 else 1
    return 0


def _threads_per_rank(ranks):
    """`OMP_NUM_THREADS` for each of `ranks` processes on this host: the
    CPU cores shared out (torchrun sets 1 so that N processes of N threads
    each do not overload the host), unless the user set it."""
    if "OMP_NUM_THREADS" in os.environ:
        return None
    return str(max(1, (os.cpu_count() or 1) // ranks))


def _visible_devices(names):
    """`CUDA_VISIBLE_DEVICES` for ranks that must use the GPUs `names`
    (indices among this process's visible GPUs): rank `r` then finds its
    GPU at `cuda:LOCAL_RANK`."""
    indices = [int(name.split(":")[1]) for name in names]
    current = os.environ.get("CUDA_VISIBLE_DEVICES")
    if current:
        ids = current.split(",")
        return ",".join(ids[i] for i in indices)
    return ",".join(str(i) for i in indices)


@contextlib.contextmanager
def _environment(**values):
    """Sets the environment variables whose value is not None, for the
    processes started inside; restores them after."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is not None:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def replica_logs(logs):
    # Read from trackers `agree_over_replicas` averaged: equal on every rank.
    return logs
