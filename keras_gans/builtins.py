"""The built-in catalogue, registered through the same hooks as any plugin."""

from keras_gans.hookspecs import hookimpl


def _summary(obj):
    """The first line of an object's docstring, as its description."""
    return (obj.__doc__ or "").strip().splitlines()[0] if obj.__doc__ else ""


@hookimpl
def register_architectures(register):
    from keras_gans import architectures

    for name in ("mlp", "dcgan", "cdcgan", "sngan_resnet"):
        factory = getattr(architectures, name)
        register(name, factory, description=_summary(factory))


@hookimpl
def register_losses(register):
    from keras_gans.losses import BUILTIN_LOSSES

    for name, cls in BUILTIN_LOSSES.items():
        register(name, cls, description=_summary(cls))


@hookimpl
def register_penalties(register):
    from keras_gans.penalties import BUILTIN_PENALTIES

    for name, cls in BUILTIN_PENALTIES.items():
        register(name, cls, description=_summary(cls))


@hookimpl
def register_datasets(register):
    from keras_gans import datasets

    for name in (
        "ring",
        "grid",
        "digits",
        "mnist",
        "fashion_mnist",
        "cifar10",
        "image_folder",
        "npz",
    ):
        factory = getattr(datasets, name)
        register(name, factory, description=_summary(factory))


@hookimpl
def register_metrics(register):
    from keras_gans import metrics

    register("mode_coverage", metrics.mode_coverage,
             description=_summary(metrics.mode_coverage))
    for name, cls in (
        ("fid", metrics.FID),
        ("kid", metrics.KID),
        ("precision_recall", metrics.PrecisionRecall),
        ("density_coverage", metrics.DensityCoverage),
        ("memorization", metrics.Memorization),
    ):
        register(name, cls, description=_summary(cls))


@hookimpl
def register_features(register):
    from keras_gans import features

    for name in ("inception_v3", "domain_classifier", "pixels"):
        factory = getattr(features, name)
        register(name, factory, description=_summary(factory))


@hookimpl
def register_callbacks(register):
    from keras_gans.metrics.callback import evaluation_metrics

    register("evaluation", evaluation_metrics,
             description=_summary(evaluation_metrics))
