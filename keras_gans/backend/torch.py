"""PyTorch gradients: `torch.autograd.grad`, with `create_graph` for penalties."""

import contextlib

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
            f"privacy with {ranks} torch.distributed processes"
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


def launch(devices, argv):
    # One process trains (multi-process launching not built yet).
    return None


def replica_logs(logs):
    return logs
