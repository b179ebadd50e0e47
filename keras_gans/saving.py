"""Loading saved GANs, VAEs and generators.

Keras finds a saved class by its registered name (`keras_gans>GAN`), so the
module defining it must be imported before a load: for keras-gans' own
classes and for every plugin's.
"""

from keras_gans import plugins

__all__ = ["load_model"]


def load_model(path, **kwargs):
    """Loads a saved `GAN`, `VAE` (or generator) that may use plugin classes.

    Same as `keras.models.load_model`, after making sure keras-gans' own
    classes and every plugin's are registered with Keras.

    Args:
        path: a `.keras` file.
        **kwargs: passed to `keras.models.load_model`.

    Returns:
        The model.
    """
    import keras

    import keras_gans.gan  # noqa: F401  (registers GAN, losses, penalties)
    import keras_gans.vae  # noqa: F401  (registers VAE)
    import keras_gans.layers  # noqa: F401  (registers the layers)

    # Imports the plugins' modules, registering their classes.
    plugins.catalogue().import_factories()
    return keras.models.load_model(path, **kwargs)
