"""The built-in architectures, registered as the `keras_gans` plugin.

One of `keras_gans.plugins.host.DEFAULT_PLUGINS`. Each factory is named by
a `"module:attribute"` reference, imported when first used, with its
description written out here, so listing the catalogue imports no Keras;
tests/plugins/test_builtins.py checks that every reference resolves and that each
description is the first line of the factory's docstring. A new
architecture is its module plus one `register` call here.
"""

from keras_gans.plugins.hookspecs import hookimpl


@hookimpl
def register_architectures(register):
    register(
        "mlp",
        "keras_gans.architectures.mlp:mlp",
        description=(
            "Builds an MLP generator and discriminator for vectors of shape "
            "`(d,)`."
        ),
    )
    register(
        "dcgan",
        "keras_gans.architectures.dcgan:dcgan",
        description="Builds a DCGAN generator and discriminator.",
    )
    register(
        "cdcgan",
        "keras_gans.architectures.cdcgan:cdcgan",
        description=(
            "Builds a conditional DCGAN generator and projection "
            "discriminator."
        ),
    )
    register(
        "conv",
        "keras_gans.architectures.conv:conv",
        description=(
            "Builds DCGAN-shaped networks: a VAE's decoder and encoder, or a "
            "GAN."
        ),
    )
    register(
        "sngan_resnet",
        "keras_gans.architectures.sngan_resnet:sngan_resnet",
        description="Builds SNGAN's 32x32 ResNet generator and discriminator.",
    )
