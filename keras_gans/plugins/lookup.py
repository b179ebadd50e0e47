"""Build registered objects by name: the Python face of the plugin catalogue."""

from keras_gans import plugins


def build_architecture(name, **params):
    """Builds a registered architecture: returns `(generator, discriminator)`.

    Args:
        name: e.g. `"dcgan"`, or a name a plugin registered.
        **params: `latent_dim`, `sample_shape`, `num_classes` and the
            architecture's own parameters.

    Example:

    ```python
    G, D = keras_gans.build_architecture(
        "dcgan", latent_dim=64, sample_shape=(32, 32, 1), width=32
    )
    ```
    """
    return plugins.catalogue().create("architectures", name, "architecture", **params)


def get_loss(name, **params):
    """Creates a registered loss, e.g. `get_loss("hinge")`."""
    return plugins.catalogue().create("losses", name, "loss", **params)


def get_penalty(name, **params):
    """Creates a registered penalty, e.g. `get_penalty("r1", weight=0.1)`."""
    return plugins.catalogue().create("penalties", name, "penalty", **params)


def load_dataset(name, **params):
    """Loads a registered dataset, e.g. `load_dataset("digits", image_size=16)`.

    Returns what `fit()` accepts: usually `(x, labels)` arrays.
    """
    return plugins.catalogue().create("datasets", name, "dataset", **params)


def registered(kind=None):
    """What is registered, with owning plugin and description.

    Args:
        kind: one of `architectures`, `losses`, `penalties`, `datasets`,
            `metrics`, `callbacks`; None for all of them.

    Returns:
        A list of `{name, description, plugin}` rows, or a dict of such
        lists by kind when `kind` is None.
    """
    catalogue = plugins.catalogue()
    if kind is not None:
        return catalogue.listing(kind)
    return {k: catalogue.listing(k) for k in plugins.KINDS}
