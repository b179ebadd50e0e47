"""JAX gradients: `jax.value_and_grad` over a `StatelessScope`.

Keras layers read their weights through `Variable.value`, which honours the
innermost `keras.StatelessScope`. Inside a jitted step the whole model state
lives in such a scope (see `train_step`), so the shared, stateful-looking GAN
logic runs unchanged. To differentiate, the variables of interest are remapped
to JAX tracers in a nested scope; whatever the function assigns there (BatchNorm
statistics, seed-generator state) is returned as auxiliary output and written
back into the enclosing scope, so no state update is lost and no tracer leaks.
"""

import contextlib

import jax
from keras import StatelessScope
from keras import ops

from keras_gans.backend.read_only import InheritedScope
from keras_gans.backend.read_only import ReadOnlyScope


class _RecordingScope(InheritedScope):
    """A scope that starts from its parent's mapping and remembers writes."""

    def __init__(self, overrides):
        super().__init__(overrides)
        self.written = {}

    def add_update(self, update):
        variable, _ = update
        self.written[id(variable)] = variable
        super().add_update(update)


def _traced(fn, variables, written):
    """Wraps `fn` as a pure function of the variables' values.

    The pure function returns `(fn's output, {id: new value})` for every
    variable `fn` assigned; `written` collects the variable objects by id.
    """

    def pure(values):
        with _RecordingScope(zip(variables, values)) as scope:
            output = fn()
        written.update(scope.written)
        new_values = {key: scope.state_mapping[key] for key in scope.written}
        return output, new_values

    return pure


def _write_back(written, new_values):
    # Inside a step this records into the enclosing scope; outside one it
    # assigns the variables for real.
    for key, value in new_values.items():
        written[key].assign(value)


# XLA's CPU kernel gradient of a transposed convolution is ~80 forward
# passes (benchmarks/RESULTS.md); the sub-pixel form avoids it.
SUBPIXEL_CONV_TRANSPOSE = True


def value_and_grad(fn, variables):
    written = {}
    pure = _traced(fn, variables, written)

    def loss_and_aux(values):
        (loss, aux), new_values = pure(values)
        return loss, (aux, new_values)

    values = [v.value for v in variables]
    (loss, (aux, new_values)), grads = jax.value_and_grad(
        loss_and_aux, has_aux=True
    )(values)
    _write_back(written, new_values)
    return (loss, aux), grads


def per_example_value_and_grad(fn, variables, batch):
    """`jax.vmap` of `jax.value_and_grad` over the examples of `batch`.

    The variables' values are mapped in a `ReadOnlyScope` (an assignment
    inside the transform raises) and are shared by every example; each
    array of `batch` is sliced on axis 0.
    """

    def one(values, example):
        with ReadOnlyScope(zip(variables, values)):
            return fn(example)

    values = [v.value for v in variables]
    (losses, aux), grads = jax.vmap(
        jax.value_and_grad(one, has_aux=True), in_axes=(None, 0)
    )(values, tuple(batch))
    return (losses, aux), list(grads)


def input_gradient(fn, x):
    written = {}

    def total(x):
        pure = _traced(lambda: ops.sum(ops.cast(fn(x), "float32")), [], written)
        return pure([])

    grad, new_values = jax.grad(total, has_aux=True)(x)
    _write_back(written, new_values)
    return grad


def train_step(model, state, data):
    """Runs `model.gan_step` on Keras' JAX state tuple and returns the new one.

    `model.optimizer` is the GAN's optimizer pair, so the state Keras threads
    through the jitted step holds both optimizers' variables (keras#18881).
    """
    groups = (
        model.trainable_variables,
        model.non_trainable_variables,
        model.optimizer.variables,
        model.metrics_variables,
    )
    mapping = [
        (variable, value)
        for variables, values in zip(groups, state)
        for variable, value in zip(variables, values)
    ]
    with StatelessScope(state_mapping=mapping) as scope:
        logs = model.gan_step(data)
    new_state = tuple(
        [scope.get_current_value(v) for v in variables] for variables in groups
    )
    return logs, new_state


def make_train_function(model, keras_make_train_function, force):
    # Keras' own trainer runs `steps_per_execution` steps per call here.
    return keras_make_train_function(force)


def without_gradients():
    # Only what a traced function returns is differentiated.
    return contextlib.nullcontext()


def replica_loss_scale():
    # keras.distribution shards the batch inside one jitted program, so a
    # mean over the global batch is already the right loss.
    return 1.0


def replica_rows():
    # keras.distribution shards one global program over the devices (and
    # processes): the step sees the whole batch.
    return 0, 1


def sync_variables(model):
    """Writes the state `fit()` threads through jit back into the variables.

    During `fit()` on JAX the variables are emptied and the live values sit
    in the trainer's state; a callback that samples must sync them first.
    """
    model.jax_state_sync()


def apply_gradients(optimizer, grads, variables):
    """Applies an update through `optimizer.stateless_apply`.

    The stateful `optimizer.apply` of `LossScaleOptimizer` assigns inside
    `ops.cond` branches, which leaks tracers under jit; the stateless form is
    pure, and its results are recorded in the enclosing scope.
    """
    new_values, new_optimizer_values = optimizer.stateless_apply(
        [v.value for v in optimizer.variables],
        grads,
        [v.value for v in variables],
    )
    for variable, value in zip(variables, new_values):
        variable.assign(value)
    for variable, value in zip(optimizer.variables, new_optimizer_values):
        variable.assign(value)


@contextlib.contextmanager
def keep_variables_on_error(model):
    """Restores the variables Keras emptied if `fit()` fails before a step.

    Keras' JAX `fit()` empties the variables when it starts and writes them
    back only from the state of a step that ran, so an error while tracing
    the first step (bad data, a shape mistake) would leave the model without
    weights. Variables still empty after a failure get their values back.
    """
    variables = (
        model.variables
        + list(model.optimizer.variables)
        + model.metrics_variables
    )
    saved = [(v, v.value) for v in variables]
    try:
        yield
    except BaseException:
        for variable, value in saved:
            if variable._value is None:
                variable._value = value
        raise


def check_compiled_penalty(penalty):
    # Second-order gradients compile on this backend.
    return None


def check_distributed(gan, jit_compile, privacy):
    # keras.distribution compiles one global program, which draws the
    # noise of DP-SGD once.
    return None


def resolve_jit_compile(gan, penalty):
    """`(jit_compile, reason)` for `jit_compile="auto"`: always jit."""
    return True, "jit: JAX runs the step compiled by XLA"


def accelerate_networks(generator, discriminator, jit_compile, penalty):
    """Rewrites the convolutions XLA runs slowly, when XLA runs on a CPU.

    Returns `keras_gans.layers.accelerate`'s list of changes.
    """
    if not jit_compile or jax.default_backend() != "cpu":
        return []
    from keras_gans.layers import accelerate

    return accelerate(generator) + accelerate(
        discriminator, second_order=penalty is not None
    )


def distribute(devices, mode="data_parallel", mesh=None, layout=None):
    """Data parallelism through `keras.distribution.DataParallel`.

    Set before the GAN is built, so its weights, both optimizers' slots and
    the EMA weights are laid out over the devices; Keras' JAX trainer then
    shards each batch over them inside one jitted program.
    """
    import keras

    from keras_gans.backend.distribution import Distribution
    from keras_gans.backend.distribution import choose_devices

    names = choose_devices(keras.distribution.list_devices(), devices)
    if len(names) == 1:
        return Distribution(devices=tuple(names))
    if mode != "data_parallel":
        raise ValueError(
            f"Unknown distribution mode {mode!r}. Received: mode={mode!r}")
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=names))
    return Distribution(
        mode="data_parallel", devices=tuple(names), replicas=len(names),
        close=lambda: keras.distribution.set_distribution(None),
    )


def launch(devices, argv):
    # One process drives every device of this host.
    return None


def replica_logs(logs):
    # keras.distribution runs one global program: the logs are global.
    return logs
