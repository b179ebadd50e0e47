"""`inception_v3`: pool features of Keras' InceptionV3 with ImageNet weights.

The standard FID/KID feature (2,048 values, the global average pool of
`keras.applications.InceptionV3(include_top=False, pooling="avg")`).

Weights: the file Keras itself uses,
`inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`, in Keras'
cache (`$KERAS_HOME/models`, by default `~/.keras/models`). When it is not
there it is downloaded once with `keras.utils.get_file`, which checks the
hash Keras publishes for it (md5 `bcbd6486...`). Offline, `prepare` fails
before any work with the URL and the exact path to put the file at. The
file's sha256 is computed and stored in the protocol; pass
`weights_sha256=` to refuse any other file.

Protocol: images are channels-last in [-1, 1] (a tanh generator's range,
which is also what `inception_v3.preprocess_input` makes of [0, 255]
pixels); grey images are repeated to 3 channels; every image is resized
to 299x299 with `keras.ops.image.resize(interpolation="bilinear",
antialias=False)`.

Note that published FIDs use the TensorFlow 1 graph of Heusel et al.
(pytorch-fid, torch-fidelity); Keras' InceptionV3 weights give close but
not identical features, so compare scores only under the same protocol.
"""

import os

from keras_gans.evaluation.features.base import FeatureError
from keras_gans.evaluation.features.base import FeatureExtractor
from keras_gans.evaluation.features.base import file_digest

__all__ = ["InceptionV3Features", "inception_v3"]

WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/"
    "inception_v3/" + WEIGHTS_FILE
)
# The hash keras.applications.InceptionV3 checks the same file against.
WEIGHTS_MD5 = "bcbd6486424b2319ff4ef7d526e38f63"
IMAGE_SIZE = 299
FEATURES = 2048
RESIZE = "bilinear to 299x299 (keras.ops.image.resize, no antialias)"


def keras_home():
    """Keras' cache directory: `$KERAS_HOME`, else `~/.keras`."""
    return os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )


class InceptionV3Features(FeatureExtractor):
    """InceptionV3 pool features (2,048) with ImageNet weights."""

    name = "inception_v3"
    batch_size = 50
    input_spec = {"shape": "(height, width, 1 or 3)", "range": [-1, 1]}

    def __init__(self, weights_sha256=None):
        super().__init__()
        self.expected_sha256 = weights_sha256
        self.weights_path = None
        self.weights_sha256 = None
        self.model = None

    def prepare(self, sample_shape):
        if len(sample_shape) != 3 or sample_shape[-1] not in (1, 3):
            raise FeatureError(
                "The 'inception_v3' extractor reads channels-last images "
                "with 1 or 3 channels. Received: samples of shape "
                f"{tuple(sample_shape)}. For other data use "
                "features='pixels' or 'domain_classifier'."
            )
        self.weights_path = self.fetch_weights()
        self.weights_sha256 = file_digest(self.weights_path)
        expected = self.expected_sha256
        if expected and self.weights_sha256 != expected:
            raise FeatureError(
                f"{self.weights_path} has sha256 {self.weights_sha256}, not "
                f"the expected {self.expected_sha256}. Replace the file or "
                "drop weights_sha256."
            )
        import keras

        self.model = keras.applications.InceptionV3(
            include_top=False,
            pooling="avg",
            weights=self.weights_path,
            input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3),
        )
        super().prepare(sample_shape)
        self.dim = int(self.model.output.shape[-1])

    def expected_dim(self, sample_shape):
        return FEATURES

    def fetch_weights(self):
        """Path of the verified weights file; downloads it when missing.

        Raises:
            FeatureError: naming the file, the URL and where to put it,
                when it is missing and cannot be downloaded, or is corrupt.
        """
        directory = os.path.join(keras_home(), "models")
        path = os.path.join(directory, WEIGHTS_FILE)
        where = (
            f"Download {WEIGHTS_URL} on a machine with network access and "
            f"put it at {path} (or set KERAS_HOME to the directory whose "
            f"models/ folder holds it)."
        )
        if os.path.isfile(path):
            if file_digest(path, "md5") != WEIGHTS_MD5:
                raise FeatureError(
                    f"The InceptionV3 weights file {path} is corrupt (its "
                    f"md5 is not Keras' {WEIGHTS_MD5}). Delete it. {where}"
                )
            return path
        import keras

        try:
            return keras.utils.get_file(
                WEIGHTS_FILE,
                WEIGHTS_URL,
                file_hash=WEIGHTS_MD5,
                cache_dir=keras_home(),
                cache_subdir="models",
            )
        except Exception as error:
            raise FeatureError(
                f"The InceptionV3 weights {WEIGHTS_FILE} are not in Keras' "
                f"cache and could not be downloaded ({type(error).__name__}: "
                f"{error}). {where}"
            ) from error

    @property
    def protocol(self):
        return {
            "extractor": self.name,
            "weights": WEIGHTS_FILE,
            "weights_sha256": self.weights_sha256,
            "resize": RESIZE,
            "channels": "grey repeated to 3",
            "input_range": [-1, 1],
        }

    def features(self, batch):
        from keras import ops

        images = preprocess(batch)
        return ops.convert_to_numpy(self.model(images, training=False))


def preprocess(batch):
    """Images in [-1, 1] as InceptionV3 reads them: 299x299x3, [-1, 1]."""
    from keras import ops

    images = ops.convert_to_tensor(batch, dtype="float32")
    if images.shape[-1] == 1:
        images = ops.repeat(images, 3, axis=-1)
    images = ops.image.resize(
        images, (IMAGE_SIZE, IMAGE_SIZE), interpolation="bilinear",
        antialias=False,
    )
    return ops.clip(images, -1.0, 1.0)


def inception_v3(weights_sha256=None):
    """InceptionV3 pool features (2,048) with ImageNet weights, for FID."""
    return InceptionV3Features(weights_sha256=weights_sha256)
