"""The built-in metrics, feature extractors and callbacks, registered as
the `keras_gans` plugin.

One of `keras_gans.plugins.host.DEFAULT_PLUGINS`. Each factory is named by
a `"module:attribute"` reference, imported when first used, with its
description written out here, so listing the catalogue imports no Keras;
tests/plugins/test_builtins.py checks that every reference resolves and that each
description is the first line of the factory's docstring.
"""

from keras_gans.plugins.hookspecs import hookimpl


@hookimpl
def register_metrics(register):
    register(
        "mode_coverage",
        "keras_gans.evaluation.metrics.mode_coverage:mode_coverage",
        description=(
            "Computes mode coverage statistics of samples from a Gaussian "
            "mixture."
        ),
    )
    register(
        "fid",
        "keras_gans.evaluation.metrics.fid:FID",
        description=(
            "Frechet distance between real and generated features (FID)."
        ),
    )
    register(
        "kid",
        "keras_gans.evaluation.metrics.kid:KID",
        description=(
            "Kernel Inception Distance (unbiased MMD^2, cubic kernel) on "
            "features."
        ),
    )
    register(
        "precision_recall",
        "keras_gans.evaluation.metrics.prdc:PrecisionRecall",
        description=(
            "Precision and recall with k-NN balls (k = 3) on features."
        ),
    )
    register(
        "density_coverage",
        "keras_gans.evaluation.metrics.prdc:DensityCoverage",
        description=(
            "Density and coverage with k-NN balls (k = 5) on features."
        ),
    )
    register(
        "memorization",
        "keras_gans.evaluation.metrics.memorization:Memorization",
        description=(
            "Share of generated samples that copy a training sample "
            "(features)."
        ),
    )


@hookimpl
def register_features(register):
    register(
        "inception_v3",
        "keras_gans.evaluation.features.inception:inception_v3",
        description=(
            "InceptionV3 pool features (2,048) with ImageNet weights, for "
            "FID."
        ),
    )
    register(
        "domain_classifier",
        "keras_gans.evaluation.features.domain_classifier:domain_classifier",
        description=(
            "Features of a small classifier trained on the dataset's own "
            "labels."
        ),
    )
    register(
        "pixels",
        "keras_gans.evaluation.features.pixels:pixels",
        description=(
            "Flattened samples as features: 2-D data and small images."
        ),
    )


@hookimpl
def register_callbacks(register):
    register(
        "evaluation",
        "keras_gans.evaluation.callback:evaluation_metrics",
        description=(
            "Metrics of generated samples in the epoch logs, every few "
            "epochs."
        ),
    )
