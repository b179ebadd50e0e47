"""Architectures as VAEs: `mlp` and `conv` called with `kind="vae"` give
a decoder and an encoder that `keras_gans.VAE` trains, and
`VAE.export_generator()` ships the decoder as a plain Keras model."""

import numpy as np
import pytest

import keras
import keras_gans
from keras_gans import architectures
from keras_gans import latent
from keras_gans import resources

LATENT = 3
NUM_CLASSES = 4
BACKEND = keras.backend.backend()

# JAX compiles a convolutional VAE's step in 20-35 s on these CPUs: there
# the MLP cases run (the conv decoder is DCGAN's generator body, which
# tests/architectures/test_architectures.py trains on JAX).
NOT_ON_JAX = pytest.mark.skipif(BACKEND == "jax", reason="slow on JAX")

# (architecture, sample_shape, num_classes, label_mode, params)
CASES = [
    ("mlp", (2,), None, "index", {"width": 8}),
    ("mlp", (8, 8, 1), NUM_CLASSES, "index", {"width": 8, "depth": 1}),
    pytest.param("mlp", (8, 8, 1), NUM_CLASSES, "one_hot_concat",
                 {"width": 8}, marks=NOT_ON_JAX),
    pytest.param("conv", (28, 28, 1), None, "index", {"width": 2},
                 marks=NOT_ON_JAX),
    pytest.param("conv", (28, 28, 1), NUM_CLASSES, "index", {"width": 2},
                 marks=NOT_ON_JAX),
    pytest.param("conv", (32, 32, 3), NUM_CLASSES, "one_hot_concat",
                 {"width": 2}, marks=NOT_ON_JAX),
]


def build(name, shape, classes, mode, params):
    extra = {} if classes is None else {"num_classes": classes,
                                        "label_mode": mode}
    return getattr(architectures, name)(LATENT, shape, kind="vae", **extra,
                                        **params)


def labels_for(classes, n):
    return None if classes is None else (np.arange(n) % classes).astype(
        "int32")


@pytest.mark.parametrize("name,shape,classes,mode,params", CASES)
def test_the_pair_trains_as_a_vae_and_exports_its_decoder(
        name, shape, classes, mode, params, tmp_path):
    decoder, encoder = build(name, shape, classes, mode, params)
    assert (decoder.name, encoder.name) == (f"{name}_decoder",
                                            f"{name}_encoder")
    # The factory's parameter formula counts what Keras builds (the memory
    # check before a run reads it).
    arguments = dict(latent_dim=LATENT, sample_shape=shape, kind="vae",
                     **params)
    if classes is not None:
        arguments["num_classes"] = classes
        arguments["label_mode"] = mode
    counts = resources.parameter_counts(getattr(architectures, name),
                                        **arguments)
    assert counts == (decoder.count_params(), encoder.count_params())

    vae = keras_gans.VAE(encoder, decoder, latent_dim=LATENT,
                         likelihood="gaussian", seed=0,
                         label_mode=mode if classes else None,
                         num_classes=classes)
    assert vae.conditional == (classes is not None)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3),
                run_eagerly=BACKEND == "tensorflow")
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (4, *shape)).astype("float32")
    y = labels_for(classes, 4)
    history = vae.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert vae.steps == 2 and np.isfinite(history.history["loss"]).all()

    z = latent.prior_noise(5, LATENT, seed=1)
    labels = labels_for(classes, 5)
    exported = vae.export_generator()
    path = tmp_path / "decoder.keras"
    exported.save(path)
    loaded = keras.models.load_model(path)
    inputs = z
    if classes is not None and mode == "one_hot_concat":
        inputs = np.concatenate(
            [z, np.eye(classes, dtype="float32")[labels]], axis=1)
    elif classes is not None:
        inputs = [z, labels]
    expected = vae.generate(z=z, labels=labels)
    assert expected.shape == (5, *shape)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(inputs, training=False)), expected,
        rtol=0, atol=1e-5)


def test_a_bernoulli_decoder_exports_its_probabilities():
    decoder, encoder = architectures.mlp(LATENT, (6,), width=8, kind="vae")
    vae = keras_gans.VAE(encoder, decoder, latent_dim=LATENT,
                         likelihood="bernoulli", seed=0)
    z = latent.prior_noise(7, LATENT, seed=2)
    logits = keras.ops.convert_to_numpy(decoder(z))
    exported = vae.export_generator()
    probabilities = keras.ops.convert_to_numpy(exported(z))
    np.testing.assert_allclose(probabilities, 1 / (1 + np.exp(-logits)),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(vae.generate(z=z), probabilities, rtol=0,
                               atol=1e-6)
    # A copy: training the VAE further leaves the exported model as it was.
    for variable in decoder.trainable_variables:
        variable.assign(variable + 1.0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(exported(z)),
                                  probabilities)


@pytest.mark.parametrize("name, shape", [
    ("mlp", (2,)), pytest.param("conv", (28, 28, 1), marks=NOT_ON_JAX)])
def test_the_gan_kind_is_the_gan_architecture(name, shape):
    """`conv` as a GAN is DCGAN (cdcgan with index labels), and `mlp`'s
    decoder is its generator: one recipe switches kind alone."""
    keras.utils.set_random_seed(0)
    generator, discriminator = getattr(architectures, name)(
        LATENT, shape, width=2)
    keras.utils.set_random_seed(0)
    decoder, encoder = getattr(architectures, name)(LATENT, shape, width=2,
                                                    kind="vae")
    assert generator.name == {"conv": "dcgan_generator",
                              "mlp": "mlp_generator"}[name]
    assert discriminator.output.shape[-1] == 1
    assert encoder.output.shape[-1] == 2 * LATENT
    if name == "mlp":
        assert [w.shape for w in generator.weights] == [
            w.shape for w in decoder.weights]
        for a, b in zip(generator.weights, decoder.weights):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(a),
                                          keras.ops.convert_to_numpy(b))


def test_a_wrong_kind_is_refused_naming_it():
    with pytest.raises(ValueError, match="Received: kind='flow'"):
        architectures.mlp(LATENT, (2,), kind="flow")
    with pytest.raises(ValueError, match="Received: kind='flow'"):
        architectures.conv(LATENT, (28, 28, 1), kind="flow")
