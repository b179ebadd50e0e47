"""A model's own variables saved with the state of its random stream.

Keras saves a layer's own variables but not its seed generators'. `GAN`
and `VAE` draw z (and penalty points, reparameterisation noise) from a
`keras.random.SeedGenerator`; saving its state too makes a reloaded run
draw the same numbers next, so a resumed run continues exactly.
"""

__all__ = ["variables", "save", "load"]


def variables(model):
    """The model's own variables, then its `seed_generator`'s state."""
    own = model._trainable_variables + model._non_trainable_variables
    return own + [model.seed_generator.state]


def save(model, store):
    """Writes `variables(model)` into a Keras weights store, in order."""
    for index, variable in enumerate(variables(model)):
        store[str(index)] = variable


def load(model, store, contents, hint):
    """Reads `variables(model)` back from a Keras weights store.

    Args:
        model: the model loading its state.
        store: the store `save` wrote.
        contents: what the variables are, for the message of a mismatch.
        hint: how to make the counts match, ending with `Received: ...`.

    Raises:
        ValueError: when the store holds another number of variables.
    """
    expected = variables(model)
    if len(store.keys()) != len(expected):
        raise ValueError(
            f"The saved {type(model).__name__} holds {len(store.keys())} "
            f"variables of its own but this one has {len(expected)} "
            f"({contents}). {hint}"
        )
    for index, variable in enumerate(expected):
        variable.assign(store[str(index)])
