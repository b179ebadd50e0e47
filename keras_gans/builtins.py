"""The built-in catalogue, registered through the same hooks as any plugin.

Each name is registered as a `"module:attribute"` reference with its
description written here, so that listing the catalogue (`keras-gans list`,
`keras-gans plugins`) imports neither Keras nor a backend; the module is
imported when the factory is first used. `tests/test_builtins.py` checks
that every reference resolves and that each description is the first line of
its factory's docstring.
"""

from keras_gans.hookspecs import hookimpl

# kind -> {name: (reference, description)}
BUILTINS = {
    "architectures": {
        "mlp": (
            "keras_gans.architectures.mlp:mlp",
            "Builds an MLP generator and discriminator for vectors of shape "
            "`(d,)`.",
        ),
        "dcgan": (
            "keras_gans.architectures.dcgan:dcgan",
            "Builds a DCGAN generator and discriminator.",
        ),
        "cdcgan": (
            "keras_gans.architectures.cdcgan:cdcgan",
            "Builds a conditional DCGAN generator and projection "
            "discriminator.",
        ),
        "sngan_resnet": (
            "keras_gans.architectures.sngan_resnet:sngan_resnet",
            "Builds SNGAN's 32x32 ResNet generator and discriminator.",
        ),
    },
    "losses": {
        "non_saturating": (
            "keras_gans.losses:NonSaturating",
            "Goodfellow et al. (2014), with the generator maximizing "
            "log D(G(z)).",
        ),
        "minimax": (
            "keras_gans.losses:Minimax",
            "The original minimax game: the generator minimizes "
            "log(1 - D(G(z))).",
        ),
        "wasserstein": (
            "keras_gans.losses:Wasserstein",
            "WGAN critic loss (Arjovsky et al. 2017); pair it with a penalty.",
        ),
        "hinge": (
            "keras_gans.losses:Hinge",
            "Hinge loss of SAGAN / SNGAN (Miyato et al. 2018).",
        ),
        "least_squares": (
            "keras_gans.losses:LeastSquares",
            "LSGAN (Mao et al. 2017) with targets a=0 (fake), b=1 (real), c=1.",
        ),
        "relativistic_average": (
            "keras_gans.losses:RelativisticAverage",
            "RaSGAN (Jolicoeur-Martineau 2018): each side judged against the "
            "other's mean.",
        ),
    },
    "penalties": {
        "wgan_gp": (
            "keras_gans.penalties:WGANGP",
            "WGAN-GP (Gulrajani et al. 2017): weight * "
            "E[(||grad D(x_hat)|| - 1)^2].",
        ),
        "r1": (
            "keras_gans.penalties:R1",
            "R1 (Mescheder et al. 2018): gamma / 2 * E[||grad D(x_real)||^2].",
        ),
    },
    "datasets": {
        "ring": (
            "keras_gans.datasets.toy:ring",
            "Samples from a ring of isotropic 2-D Gaussians.",
        ),
        "grid": (
            "keras_gans.datasets.toy:grid",
            "Samples from a 5x5 grid of isotropic 2-D Gaussians.",
        ),
        "digits": (
            "keras_gans.datasets.images:digits",
            "Loads scikit-learn's 8x8 handwritten digits (1,797 images, 10 "
            "classes).",
        ),
        "mnist": (
            "keras_gans.datasets.images:mnist",
            "Loads MNIST handwritten digits (60,000 train + 10,000 test, "
            "28x28).",
        ),
        "fashion_mnist": (
            "keras_gans.datasets.images:fashion_mnist",
            "Loads Fashion-MNIST (60,000 train + 10,000 test 28x28 clothing "
            "images).",
        ),
        "cifar10": (
            "keras_gans.datasets.images:cifar10",
            "Loads CIFAR-10 (50,000 train + 10,000 test 32x32 RGB images).",
        ),
        "image_folder": (
            "keras_gans.datasets.folder:image_folder",
            "Loads a folder of your own images (searched recursively).",
        ),
        "npz": (
            "keras_gans.datasets.folder:npz",
            "Loads images (and optionally labels) from a NumPy `.npz` file.",
        ),
        "packed": (
            "keras_gans.datasets.packed:packed",
            "Loads images packed by `keras-gans prepare-data` (a uint8 "
            "`.npy`).",
        ),
    },
    "metrics": {
        "mode_coverage": (
            "keras_gans.evaluation.metrics.mode_coverage:mode_coverage",
            "Computes mode coverage statistics of samples from a Gaussian "
            "mixture.",
        ),
        "fid": (
            "keras_gans.evaluation.metrics.fid:FID",
            "Frechet distance between real and generated features (FID).",
        ),
        "kid": (
            "keras_gans.evaluation.metrics.kid:KID",
            "Kernel Inception Distance (unbiased MMD^2, cubic kernel) on "
            "features.",
        ),
        "precision_recall": (
            "keras_gans.evaluation.metrics.prdc:PrecisionRecall",
            "Precision and recall with k-NN balls (k = 3) on features.",
        ),
        "density_coverage": (
            "keras_gans.evaluation.metrics.prdc:DensityCoverage",
            "Density and coverage with k-NN balls (k = 5) on features.",
        ),
        "memorization": (
            "keras_gans.evaluation.metrics.memorization:Memorization",
            "Share of generated samples that copy a training sample "
            "(features).",
        ),
    },
    "features": {
        "inception_v3": (
            "keras_gans.evaluation.features.inception:inception_v3",
            "InceptionV3 pool features (2,048) with ImageNet weights, for FID.",
        ),
        "domain_classifier": (
            "keras_gans.evaluation.features.domain_classifier:domain_classifier",
            "Features of a small classifier trained on the dataset's own "
            "labels.",
        ),
        "pixels": (
            "keras_gans.evaluation.features.pixels:pixels",
            "Flattened samples as features: 2-D data and small images.",
        ),
    },
    "callbacks": {
        "evaluation": (
            "keras_gans.evaluation.callback:evaluation_metrics",
            "Metrics of generated samples in the epoch logs, every few epochs.",
        ),
    },
}


def _register_all(kind, register):
    for name, (reference, description) in BUILTINS[kind].items():
        register(name, reference, description=description)


@hookimpl
def register_architectures(register):
    _register_all("architectures", register)


@hookimpl
def register_losses(register):
    _register_all("losses", register)


@hookimpl
def register_penalties(register):
    _register_all("penalties", register)


@hookimpl
def register_datasets(register):
    _register_all("datasets", register)


@hookimpl
def register_metrics(register):
    _register_all("metrics", register)


@hookimpl
def register_features(register):
    _register_all("features", register)


@hookimpl
def register_callbacks(register):
    _register_all("callbacks", register)
