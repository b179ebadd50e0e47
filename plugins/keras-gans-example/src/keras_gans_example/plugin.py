"""The hook implementations: what keras-gans loads through the entry point.

```toml
[project.entry-points.keras_gans]
example = "keras_gans_example.plugin"
```

Each hook receives a `register(name, factory, *, description="")` callback
and calls it once per name. The factories are registered as
`"module:attribute"` strings, imported by keras-gans on first use, so
loading the plugin imports no Keras and `keras-gans list` stays fast.
"""

import keras_gans


@keras_gans.hookimpl
def register_architectures(register):
    register(
        "example_mlp",
        "keras_gans_example.architecture:example_mlp",
        description=(
            "Residual MLP generator; MLP discriminator with a minibatch "
            "standard deviation feature (example plugin)."
        ),
    )


@keras_gans.hookimpl
def register_losses(register):
    register(
        "example_least_squares_symmetric",
        "keras_gans_example.loss:SymmetricLeastSquares",
        description=(
            "LSGAN with targets fake=-1, real=1, generator=0 "
            "(Pearson chi-squared; example plugin)."
        ),
    )


@keras_gans.hookimpl
def register_datasets(register):
    register(
        "example_spiral",
        "keras_gans_example.dataset:spiral",
        description="Points on the arms of a 2-D spiral, labelled by arm "
        "(example plugin).",
    )
