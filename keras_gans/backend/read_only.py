"""A `keras.StatelessScope` that refuses writes, for per-example gradients.

Inside a per-example transform (`jax.vmap`, `torch.func.vmap`,
`tf.vectorized_map`) a variable assigned by the function (BatchNorm's
moving statistics, a Dropout layer's seed) would get one new value per
example, and there is no single value to write back. Rather than drop
such writes silently, `ReadOnlyScope` raises at the first one, naming the
variable.
"""

from keras import StatelessScope
from keras.src.backend.common.stateless_scope import get_stateless_scope


class InheritedScope(StatelessScope):
    """A scope that starts from its parent's mapping, with overrides.

    Args:
        overrides: `(variable, value)` pairs read in place of the
            variables' values in the enclosing scope (or their own).
    """

    def __init__(self, overrides=()):
        super().__init__()
        parent = get_stateless_scope()
        if parent is not None:
            self.state_mapping = dict(parent.state_mapping)
        for variable, value in overrides:
            self.state_mapping[id(variable)] = value


class ReadOnlyScope(InheritedScope):
    """An `InheritedScope` that raises on any assignment."""

    def add_update(self, update):
        variable, _ = update
        raise ValueError(
            "A per-example gradient cannot update variables, but the "
            f"function assigned `{variable.path}` (per-example transforms "
            "give it one value per example and there is no single one to "
            "keep). Layers that update state while training (moving "
            "statistics, random seeds of Dropout or noise layers) cannot "
            "be in a discriminator trained with privacy: remove them or "
            "make them stateless. Received: an assignment to "
            f"{variable.path} of shape {tuple(variable.shape)}"
        )
