"""Feature extractors: pixels, the offline InceptionV3 error, and the
digits domain classifier's accuracy, cache and protocol."""

import os

import keras
import numpy as np
import pytest

from keras_gans import plugins
from keras_gans.datasets import digits
from keras_gans.evaluation.features import FeatureError
from keras_gans.evaluation.features import domain_classifier
from keras_gans.evaluation.features import extract
from keras_gans.evaluation.features import inception
from keras_gans.evaluation.features import inception_v3
from keras_gans.evaluation.features import pixels


def test_builtin_extractors_and_metrics_are_registered_through_the_hooks():
    catalogue = plugins.catalogue()
    assert {"inception_v3", "domain_classifier", "pixels"} <= set(
        catalogue.names("features"))
    for name in ("inception_v3", "domain_classifier", "pixels"):
        assert catalogue.get("features", name).plugin == plugins.BUILTIN_PLUGIN
    assert {"fid", "kid", "precision_recall", "density_coverage",
            "memorization", "mode_coverage"} <= set(catalogue.names("metrics"))


def test_pixels_are_the_flattened_samples():
    extractor = pixels()
    images = np.random.default_rng(0).uniform(-1, 1, (10, 8, 8, 1))
    extractor.prepare(images.shape[1:])
    assert extractor.dim == 64
    features = extract(extractor, images, batch_size=3, verbose=0)
    np.testing.assert_array_equal(features, images.reshape(10, 64).astype("f"))
    assert extractor.protocol["extractor"] == "pixels"


def test_pixels_refuse_large_images_and_mismatched_batches():
    with pytest.raises(FeatureError, match="domain_classifier"):
        pixels().prepare((128, 128, 3))
    extractor = pixels()
    extractor.prepare((2,))
    with pytest.raises(FeatureError, match=r"shape \(2,\).*\(3,\)"):
        extractor(np.zeros((4, 3)))


def _offline_keras_home(monkeypatch, tmp_path):
    # Keras' cache in an empty directory, and the URL a file that does not
    # exist: the download fails as it does offline, with no network used.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    missing = (tmp_path / "nowhere" / inception.WEIGHTS_FILE).as_uri()
    monkeypatch.setattr(inception, "WEIGHTS_URL", missing)
    return tmp_path / "models" / inception.WEIGHTS_FILE


def test_inception_offline_error_names_the_file_and_where_to_put_it(
    monkeypatch, tmp_path
):
    expected_path = _offline_keras_home(monkeypatch, tmp_path)
    extractor = inception_v3()
    with pytest.raises(FeatureError) as error:
        extractor.prepare((28, 28, 1))
    message = str(error.value)
    assert inception.WEIGHTS_FILE in message
    assert f"put it at {expected_path}" in message
    assert inception.WEIGHTS_URL in message
    assert "KERAS_HOME" in message
    assert extractor.model is None  # failed before building anything
    assert not expected_path.exists()


def test_inception_refuses_a_corrupt_weights_file(monkeypatch, tmp_path):
    expected_path = _offline_keras_home(monkeypatch, tmp_path)
    os.makedirs(expected_path.parent)
    expected_path.write_bytes(b"not an h5 file")
    with pytest.raises(FeatureError, match="corrupt.*Delete it"):
        inception_v3().prepare((32, 32, 3))


def test_inception_refuses_non_images_before_looking_for_weights():
    with pytest.raises(FeatureError, match="1 or 3 channels"):
        inception_v3().prepare((2,))


def test_inception_preprocessing_resizes_grey_images_to_299_rgb():
    grey = np.full((2, 8, 8, 1), 0.5, dtype="float32")
    grey[1] = -1.0
    images = np.asarray(inception.preprocess(grey))
    assert images.shape == (2, 299, 299, 3)
    # A constant image stays constant under bilinear resizing, in [-1, 1].
    np.testing.assert_allclose(images[0], 0.5, atol=1e-6)
    np.testing.assert_allclose(images[1], -1.0, atol=1e-6)


@pytest.fixture(scope="module")
def digits_classifier(tmp_path_factory, test_seed):
    cache = tmp_path_factory.mktemp("cache")
    # Module fixtures run before the per-test seeding: seed Keras' shuffling
    # here, so that the classifier does not depend on the tests run before.
    keras.utils.set_random_seed(test_seed)
    extractor = domain_classifier("digits", {"image_size": 8}, epochs=20,
                                  seed=test_seed, cache_dir=cache)
    extractor.prepare((8, 8, 1))
    return extractor, cache


def test_domain_classifier_training_says_what_with_one_bar(tmp_path,
                                                          capsys):
    extractor = domain_classifier("digits", {"image_size": 8}, epochs=2,
                                  cache_dir=tmp_path, verbose=1)
    extractor.prepare((8, 8, 1))
    out = capsys.readouterr().out
    assert out.startswith(
        "Training the domain_classifier feature extractor (once; cached at "
        f"{extractor.model_path()}): a small mlp classifier of the 10 "
        "classes of dataset 'digits', on its train split (1438 samples, 2 "
        "epochs).")
    # One bar over both epochs (23 steps each), no "Epoch 1/2" bars.
    assert "Epoch" not in out and out.count("46/46") == 1
    assert out.rstrip().endswith(
        f"Domain classifier test accuracy: {extractor.test_accuracy:.1%} on "
        "the 359 samples of the test split.")

    again = domain_classifier("digits", {"image_size": 8}, epochs=2,
                              cache_dir=tmp_path, verbose=1)
    again.prepare((8, 8, 1))
    assert capsys.readouterr().out == (
        f"Features: the cached domain classifier {extractor.model_path()} "
        f"(test accuracy {extractor.test_accuracy:.1%}).\n")


@pytest.mark.learning
def test_domain_classifier_on_digits_is_accurate(digits_classifier, outcome):
    extractor, _ = digits_classifier
    accuracy = extractor.test_accuracy
    outcome.at_least("test accuracy", accuracy, 0.95)
    test_x, test_y = digits(image_size=8, split="test")
    assert extractor.record["num_test"] == len(test_y)
    predicted = extractor.predict_classes(test_x)
    # predict() (compiled) and the direct calls of predict_classes round the
    # logits differently, which may flip one near-tied label of the 359.
    assert np.mean(predicted == test_y) == pytest.approx(
        accuracy, abs=1.5 / len(test_y))


def test_domain_classifier_features_and_protocol(digits_classifier):
    extractor, _ = digits_classifier
    x, _ = digits(image_size=8, split="test")
    features = extract(extractor, x[:50], verbose=0)
    assert features.shape == (50, 64) and extractor.dim == 64
    assert features.min() >= 0 and features.max() > 0  # ReLU units
    protocol = extractor.protocol
    assert protocol["extractor"] == "domain_classifier"
    assert protocol["test_accuracy"] == extractor.test_accuracy
    assert len(protocol["weights_sha256"]) == 64
    assert os.path.isfile(protocol["path"])


def test_domain_classifier_is_loaded_from_the_cache(digits_classifier,
                                                   monkeypatch):
    extractor, cache = digits_classifier

    def no_training(self, path):
        raise AssertionError("trained again instead of using the cache")

    monkeypatch.setattr(type(extractor), "train_and_save", no_training)
    again = domain_classifier("digits", {"image_size": 8, "split": "all"},
                              epochs=20, seed=extractor.seed, cache_dir=cache)
    again.prepare((8, 8, 1))
    assert again.protocol["weights_sha256"] == extractor.protocol[
        "weights_sha256"]
    x, _ = digits(image_size=8, split="test")
    np.testing.assert_allclose(again(x[:20]), extractor(x[:20]), atol=1e-5)


def test_domain_classifier_refuses_other_shapes_and_unlabelled_data(
    digits_classifier,
):
    extractor, cache = digits_classifier
    other = domain_classifier("digits", {"image_size": 8}, epochs=20,
                              seed=extractor.seed, cache_dir=cache)
    with pytest.raises(FeatureError, match=r"\(8, 8, 1\).*\(16, 16, 1\)"):
        other.prepare((16, 16, 1))
    with pytest.raises(FeatureError, match="takes no `split`"):
        domain_classifier("ring", cache_dir=cache).prepare((2,))


@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="InceptionV3 at 299x299 takes about 2 minutes on JAX's CPU "
           "convolutions (REFERENCES.md section 4); the extractor is "
           "keras.ops only and this test runs on TensorFlow and PyTorch",
)
def test_inception_uses_a_cached_weights_file_and_records_its_sha256(
    monkeypatch, tmp_path
):
    # Random InceptionV3 weights in Keras' h5 layout stand in for the real
    # file (87 MB, not downloadable here); its md5 stands in for Keras'.
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    from keras_gans.evaluation.features.base import file_digest

    path = _offline_keras_home(monkeypatch, tmp_path)
    os.makedirs(path.parent)
    network = keras.applications.InceptionV3(
        include_top=False, pooling="avg", weights=None,
        input_shape=(299, 299, 3))
    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, network)
    monkeypatch.setattr(inception, "WEIGHTS_MD5", file_digest(path, "md5"))

    with pytest.raises(FeatureError, match="not the expected"):
        inception_v3(weights_sha256="0" * 64).prepare((8, 8, 1))
    grey = inception_v3(weights_sha256=file_digest(path))
    grey.prepare((8, 8, 1))
    assert grey.dim == 2048
    assert grey.protocol["weights_sha256"] == file_digest(path)
    assert grey.protocol["resize"] == inception.RESIZE
    # The network is the one in the file: its features of the resized,
    # channel-repeated image.
    image = np.random.default_rng(0).uniform(-1, 1, (1, 8, 8, 1))
    features = extract(grey, image, verbose=0)
    expected = network(inception.preprocess(image.astype("float32")))
    np.testing.assert_allclose(features, keras.ops.convert_to_numpy(expected),
                               rtol=1e-4, atol=1e-5)
