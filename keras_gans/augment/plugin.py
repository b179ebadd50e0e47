"""The built-in augmentations, registered as the `keras_gans` plugin.

One of `keras_gans.plugins.host.DEFAULT_PLUGINS`. Each class is named by a
`"module:attribute"` reference, imported when first used, with its
description written out here, so listing the catalogue imports no Keras;
tests/plugins/test_builtins.py checks that every reference resolves and
that each description is the first line of the class's docstring.
"""

from keras_gans.plugins.hookspecs import hookimpl


@hookimpl
def register_augmentations(register):
    register(
        "diffaugment",
        "keras_gans.augment.diffaugment:DiffAugment",
        description=(
            "DiffAugment (Zhao et al. 2020): color, translation and cutout "
            "on real and fake."
        ),
    )
    register(
        "ada",
        "keras_gans.augment.ada:ADA",
        description=(
            "ADA (Karras et al. 2020): p adapted to keep E[sign(D(real))] "
            "near a target."
        ),
    )
