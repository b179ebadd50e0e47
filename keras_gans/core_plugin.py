"""The built-in losses and penalties, registered as the `keras_gans` plugin.

One of `keras_gans.plugins.host.DEFAULT_PLUGINS`. Each class is named by a
`"module:attribute"` reference, imported when first used, with its
description written out here, so listing the catalogue imports no Keras;
tests/plugins/test_builtins.py checks that every reference resolves, that each
description is the first line of the class's docstring, and that the names
are those of `losses.BUILTIN_LOSSES` and `penalties.BUILTIN_PENALTIES`.
"""

from keras_gans.plugins.hookspecs import hookimpl


@hookimpl
def register_losses(register):
    register(
        "non_saturating",
        "keras_gans.losses:NonSaturating",
        description=(
            "Goodfellow et al. (2014), with the generator maximizing log "
            "D(G(z))."
        ),
    )
    register(
        "minimax",
        "keras_gans.losses:Minimax",
        description=(
            "The original minimax game: the generator minimizes log(1 - "
            "D(G(z)))."
        ),
    )
    register(
        "wasserstein",
        "keras_gans.losses:Wasserstein",
        description=(
            "WGAN critic loss (Arjovsky et al. 2017); pair it with a penalty."
        ),
    )
    register(
        "hinge",
        "keras_gans.losses:Hinge",
        description="Hinge loss of SAGAN / SNGAN (Miyato et al. 2018).",
    )
    register(
        "least_squares",
        "keras_gans.losses:LeastSquares",
        description=(
            "LSGAN (Mao et al. 2017) with targets a=0 (fake), b=1 (real), "
            "c=1."
        ),
    )
    register(
        "relativistic_average",
        "keras_gans.losses:RelativisticAverage",
        description=(
            "RaSGAN (Jolicoeur-Martineau 2018): each side judged against the "
            "other's mean."
        ),
    )


@hookimpl
def register_penalties(register):
    register(
        "wgan_gp",
        "keras_gans.penalties:WGANGP",
        description=(
            "WGAN-GP (Gulrajani et al. 2017): weight * E[(||grad D(x_hat)|| - "
            "1)^2]."
        ),
    )
    register(
        "r1",
        "keras_gans.penalties:R1",
        description=(
            "R1 (Mescheder et al. 2018): gamma / 2 * E[||grad D(x_real)||^2]."
        ),
    )
