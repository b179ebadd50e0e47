"""The hook implementations: what keras-gans loads through the entry point.

```toml
[project.entry-points.keras_gans]
example = "keras_gans_example.plugin"
```

Each hook receives a `register(name, factory, *, description="")` callback
and calls it once per name. The modules holding the factories are imported
inside the hooks, so importing this module stays cheap.
"""

import keras_gans


@keras_gans.hookimpl
def register_architectures(register):
    from keras_gans_example.architecture import example_mlp

    register(
        "example_mlp",
        example_mlp,
        description=(
            "Residual MLP generator; MLP discriminator with a minibatch "
            "standard deviation feature (example plugin)."
        ),
    )


@keras_gans.hookimpl
def register_losses(register):
    from keras_gans_example.loss import SymmetricLeastSquares

    register(
        "example_least_squares_symmetric",
        SymmetricLeastSquares,
        description=(
            "LSGAN with targets fake=-1, real=1, generator=0 "
            "(Pearson chi-squared; example plugin)."
        ),
    )


@keras_gans.hookimpl
def register_datasets(register):
    from keras_gans_example.dataset import spiral

    register(
        "example_spiral",
        spiral,
        description="Points on the arms of a 2-D spiral, labelled by arm "
        "(example plugin).",
    )
