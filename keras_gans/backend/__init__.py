"""Gradient mechanics for the active Keras backend.

Everything GAN-specific in keras-gans is written once with `keras.ops`. The only
things that differ between TensorFlow, JAX and PyTorch are how a gradient is
taken and how Keras' `train_step` is called, so those live here, one small
module per backend. Each module exposes the same functions:

- `value_and_grad(fn, variables)`: call `fn()` (which returns `(loss, aux)`)
  and return `((loss, aux), grads)`, the gradients of `loss` with respect to
  `variables`. Any variable `fn` assigns (BatchNorm statistics, random seeds)
  keeps its new value.
- `per_example_value_and_grad(fn, variables, batch)`: the loss and its
  gradient for every example of `batch` separately, by the backend's own
  vectorisation (`jax.vmap`, `torch.func.vmap`, `tf.vectorized_map`).
  `batch` is a tuple of arrays sharing axis 0; `fn(example)` receives the
  tuple of one example's slices (that axis removed) and returns
  `(loss, aux)`, loss a scalar. Returns `((losses, aux), grads)`, `losses`
  and every leaf of `aux` with a leading batch axis, `grads` one
  `(batch_size,) + variable.shape` array per variable. `input_gradient`
  works inside `fn`; assigning a variable inside `fn` raises (there is no
  single new value to keep), and so does a random draw on PyTorch: draw
  for the whole batch first and pass each example its slice.
- `input_gradient(fn, x)`: the gradient of `sum(fn(x))` with respect to `x`,
  itself differentiable, so a gradient penalty built on it can be trained.
- `apply_gradients(optimizer, grads, variables)`: one optimizer update.
- `train_step(model, *args)`: adapts Keras' `train_step` convention for the
  backend (stateful on TensorFlow and PyTorch, `(state, data)` on JAX) to
  `model.gan_step(data)`.
- `make_train_function(model, keras_make_train_function, force)`: builds
  `model.train_function`; Keras' own except where Keras falls short (PyTorch
  with `steps_per_execution > 1`).
- `maybe_symbolic_build(model, keras_build, iterator, data_batch)`:
  TensorFlow only, whose trainer alone calls this hook before `fit()`.
- `without_gradients()`: a context for computations no gradient will flow
  through (the fake batch of a discriminator update), so PyTorch records
  no graph for them.
- `sync_variables(model)`: makes the model's variables hold the live values
  (JAX's `fit()` keeps them in its own state between steps).
- `keep_variables_on_error(model)`: a context around `fit()` that keeps the
  model's weights if training fails before its first step (JAX empties them).
- `resolve_jit_compile(gan, penalty)`: `(jit_compile, reason)` for
  `jit_compile="auto"`, decided from measurements per backend and device
  (`benchmarks/RESULTS.md`).
- `check_compiled_penalty(penalty)`: a refusal where a compiled step cannot
  take a penalty's second-order gradient.
- `check_distributed(gan, jit_compile, privacy)`: a refusal, at compile
  time, of what a step cannot do under the backend's distribution
  (TensorFlow: XLA and DP-SGD under a strategy with several replicas).
- `accelerate_networks(generator, discriminator, jit_compile, penalty)`:
  rewrites, in place, the convolutions XLA runs slowly on a CPU
  (`keras_gans.layers.accelerate`) when the step is compiled with XLA on a
  CPU; returns the changes.
- `SUBPIXEL_CONV_TRANSPOSE`: whether built-in architectures compute
  transposed convolutions as a convolution plus depth-to-space
  (`keras_gans.layers.SubPixelConv2DTranspose`) by default (JAX, whose CPU
  gradient of the native form is slow).
- `replica_rows()`: `(index, count)`: this replica's place among the
  `count` replicas that split the global batch inside the training step,
  `(0, 1)` where one program sees the whole batch (one device, or JAX's
  `keras.distribution`, which shards one global program). `index` may be
  a tensor (TensorFlow). `keras_gans.replica_draws` slices global random
  draws by it.
- `distribute(devices, mode, mesh, layout)`: sets up the backend's own
  engine for several devices or processes before any model is built, and
  returns a `keras_gans.backend.distribution.Distribution` describing it.
- `launch(devices, argv)`: for backends whose replicas are processes
  that a launcher starts (PyTorch: `torchrun`), starts them running the
  command line `argv` and returns their exit status; None where this
  process itself trains on the devices (JAX, TensorFlow, or a process
  already started by the launcher).
- `agree_over_replicas(model)`: makes what each replica updated from its
  own rows agree before the step's logs are read (PyTorch averages the
  metric trackers and the networks' other non-trainable variables over
  the processes, so every rank logs the same numbers and its divergence
  guard decides alike); nothing elsewhere.
- `replica_logs(logs)`: the step's logs in the form the backend's
  reduction over replicas takes (shape (1,) under TensorFlow's
  multi-worker strategy); unchanged elsewhere.
- `share_layout(variable, reference)`: lays `variable` out over the
  devices as `reference` is (JAX's model parallelism shards the EMA of a
  weight like the weight); optional, a backend without layouts omits it.
- `replica_loss_scale()`: the factor that turns a per-replica mean loss into
  the share the backend's gradient all-reduce expects (1 without replicas).
"""

import importlib

import keras

_MODULES = {
    "tensorflow": "keras_gans.backend.tensorflow",
    "jax": "keras_gans.backend.jax",
    "torch": "keras_gans.backend.torch",
}


def current():
    """Returns the gradient module for the active Keras backend.

    Only that module is imported, so using keras-gans on JAX or PyTorch never
    imports TensorFlow.
    """
    name = keras.backend.backend()
    if name not in _MODULES:
        raise ValueError(
            "keras-gans supports the tensorflow, jax and torch backends. "
            f"Received: KERAS_BACKEND={name!r}"
        )
    return importlib.import_module(_MODULES[name])


_COMPILERS = {"tensorflow": "XLA", "jax": "jit", "torch": "torch.compile"}


def compile_note(jit_compile, reason, changes, run_eagerly=False):
    """One line saying how the training step runs, and why.

    Args:
        jit_compile: the resolved choice.
        reason: why (`resolve_jit_compile`'s, or the caller's choice).
        changes: the layers `accelerate_networks` rewrote.
        run_eagerly: `compile(run_eagerly=True)`, which overrides the rest.
    """
    name = keras.backend.backend()
    if run_eagerly:
        how, reason = "runs eagerly", "run_eagerly=True"
    elif jit_compile:
        how = "compiled with " + _COMPILERS[name]
    elif name == "tensorflow":
        how = "runs as a tf.function without XLA"
    else:
        how = "runs eagerly"
    note = f"keras-gans: {name} training step {how} ({reason})."
    if changes:
        listed = ", ".join(
            f"{layer} {old}->{new} ({why})" for layer, old, new, why in changes
        )
        note += f" Rewrote {len(changes)} layers for XLA on a CPU: {listed}."
    return note


def value_and_grad(fn, variables):
    """Calls `fn()` and differentiates its loss; see the module docstring."""
    return current().value_and_grad(fn, variables)


def per_example_value_and_grad(fn, variables, batch):
    """Per-example losses and gradients; see the module docstring."""
    return current().per_example_value_and_grad(fn, variables, batch)


def input_gradient(fn, x):
    """Differentiable gradient of `sum(fn(x))` with respect to `x`."""
    return current().input_gradient(fn, x)


def apply_gradients(optimizer, grads, variables):
    """Applies one optimizer update to `variables`."""
    return current().apply_gradients(optimizer, grads, variables)


def replica_loss_scale():
    """Loss factor for data-parallel replicas (1.0 without replicas)."""
    return current().replica_loss_scale()


def replica_rows():
    """`(index, count)` of this replica in the training step; see the
    module docstring."""
    return current().replica_rows()


def distribute(devices="all", mode="data_parallel", mesh=None, layout=None):
    """Spreads training over devices (and processes); call it before any
    model is built. Returns a `Distribution`; see the module docstring."""
    from keras_gans.backend import distribution

    return distribution.activate(
        current().distribute(devices, mode=mode, mesh=mesh, layout=layout))


def launch(devices, argv):
    """Starts the processes a multi-process backend trains in; see the
    module docstring."""
    return current().launch(devices, argv)


def agree_over_replicas(model):
    """Makes the replicas' own updates agree; see the module docstring."""
    return current().agree_over_replicas(model)


def replica_logs(logs):
    """The step's logs as the replicas report them; see the module
    docstring."""
    return current().replica_logs(logs)


def share_layout(variable, reference):
    """Lays `variable` out like `reference`; see the module docstring."""
    share = getattr(current(), "share_layout", None)
    if share is not None:
        share(variable, reference)
