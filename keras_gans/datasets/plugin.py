"""The built-in datasets, registered as the `keras_gans` plugin.

One of `keras_gans.plugins.host.DEFAULT_PLUGINS`. Each factory is named by
a `"module:attribute"` reference, imported when first used, with its
description written out here, so listing the catalogue imports no Keras;
tests/plugins/test_builtins.py checks that every reference resolves and that each
description is the first line of the factory's docstring. A new dataset is
its loader plus one `register` call here.
"""

from keras_gans.plugins.hookspecs import hookimpl


@hookimpl
def register_datasets(register):
    register(
        "ring",
        "keras_gans.datasets.toy:ring",
        description="Samples from a ring of isotropic 2-D Gaussians.",
    )
    register(
        "grid",
        "keras_gans.datasets.toy:grid",
        description="Samples from a 5x5 grid of isotropic 2-D Gaussians.",
    )
    register(
        "digits",
        "keras_gans.datasets.images:digits",
        description=(
            "Loads scikit-learn's 8x8 handwritten digits (1,797 images, 10 "
            "classes)."
        ),
    )
    register(
        "mnist",
        "keras_gans.datasets.images:mnist",
        description=(
            "Loads MNIST handwritten digits (60,000 train + 10,000 test, "
            "28x28)."
        ),
    )
    register(
        "fashion_mnist",
        "keras_gans.datasets.images:fashion_mnist",
        description=(
            "Loads Fashion-MNIST (60,000 train + 10,000 test 28x28 clothing "
            "images)."
        ),
    )
    register(
        "cifar10",
        "keras_gans.datasets.images:cifar10",
        description=(
            "Loads CIFAR-10 (50,000 train + 10,000 test 32x32 RGB images)."
        ),
    )
    register(
        "image_folder",
        "keras_gans.datasets.folder:image_folder",
        description=(
            "Loads a folder of your own images (searched recursively)."
        ),
    )
    register(
        "npz",
        "keras_gans.datasets.folder:npz",
        description=(
            "Loads images (and optionally labels) from a NumPy `.npz` file."
        ),
    )
    register(
        "packed",
        "keras_gans.datasets.packed:packed",
        description=(
            "Loads images packed by `keras-gans prepare-data` (a uint8 "
            "`.npy`)."
        ),
    )
