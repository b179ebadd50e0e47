"""The built-in architectures: shapes, training in a GAN, saving, arguments.

Every network is built tiny (width 4-8, latent 8, batch 2): these tests
check wiring, not image quality. JAX runs convolutions slowly on a CPU, so
there only one case per image architecture is trained.
"""

import numpy as np
import pytest

import keras
import keras_gans
from keras_gans import architectures
from keras_gans.layers import SpectralNormalization

LATENT = 8
NUM_CLASSES = 3
# GAN's construction check calls G and D on 2 samples; calling them on 2
# too lets JAX reuse the operations it compiled for that call.
BATCH = 2
BACKEND = keras.backend.backend()
SLOW_ON_JAX = pytest.mark.skipif(
    BACKEND == "jax", reason="convolutions are slow on JAX's CPU backend"
)
# On TensorFlow, tracing a GAN step costs 3-6 s of CPU per architecture and
# XLA-compiling it 5-20 s, so most tests train eagerly there (one XLA test
# below). JAX's jit beats its op-by-op eager mode; PyTorch is eager anyway.
EAGER = BACKEND == "tensorflow"

# (architecture, sample_shape, num_classes, extra factory arguments)
CASES = [
    ("mlp", (2,), None, {"width": 16, "output_activation": "tanh"}),
    ("mlp", (5,), NUM_CLASSES, {"width": 16, "depth": 1}),
    ("dcgan", (28, 28, 1), None, {"width": 4}),
    pytest.param("dcgan", (32, 32, 3), None, {"width": 8}, marks=SLOW_ON_JAX),
    pytest.param("dcgan", (64, 64, 3), None, {"width": 4}, marks=SLOW_ON_JAX),
    ("cdcgan", (28, 28, 1), NUM_CLASSES, {"width": 4}),
    pytest.param(
        "cdcgan", (32, 32, 3), NUM_CLASSES, {"width": 8}, marks=SLOW_ON_JAX
    ),
    pytest.param(
        "cdcgan", (64, 64, 1), NUM_CLASSES, {"width": 4}, marks=SLOW_ON_JAX
    ),
    pytest.param(
        "sngan_resnet", (32, 32, 3), None, {"width": 8}, marks=SLOW_ON_JAX
    ),
    ("sngan_resnet", (32, 32, 1), NUM_CLASSES, {"width": 4}),
]


def build(name, sample_shape, num_classes, params):
    factory = getattr(architectures, name)
    return factory(LATENT, sample_shape, num_classes=num_classes, **params)


def random_batch(sample_shape, num_classes, n=BATCH, seed=0):
    """Samples uniform in [-1, 1] and, for a conditional case, labels."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, *sample_shape)).astype("float32")
    labels = None
    if num_classes is not None:
        labels = rng.integers(0, num_classes, n).astype("int32")
    return x, labels


def with_labels(inputs, labels):
    return inputs if labels is None else [inputs, labels]


def to_numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def compiled_gan(generator, discriminator, eager=EAGER):
    gan = keras_gans.GAN(generator, discriminator, latent_dim=LATENT)
    gan.compile(
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        jit_compile=False if eager else "auto",
        run_eagerly=eager,
    )
    return gan


def train_two_steps_and_generate(gan, sample_shape, num_classes):
    x, labels = random_batch(sample_shape, num_classes, n=2 * BATCH, seed=2)
    # y=None trains an unconditional GAN on x alone.
    history = gan.fit(x, labels, batch_size=BATCH, epochs=1, verbose=0)
    assert gan.steps == 2
    for values in history.history.values():
        assert np.isfinite(values).all()
    samples = gan.generate(3, seed=0, labels=None if labels is None else 1)
    assert samples.shape == (3, *sample_shape)
    assert np.isfinite(samples).all()


@pytest.mark.parametrize("name,sample_shape,num_classes,params", CASES)
def test_builds_trains_and_generates(name, sample_shape, num_classes, params):
    generator, discriminator = build(name, sample_shape, num_classes, params)
    assert isinstance(generator, keras.Model)
    assert isinstance(discriminator, keras.Model)
    assert generator.name == f"{name}_generator"
    assert discriminator.name == f"{name}_discriminator"
    assert len(generator.inputs) == len(discriminator.inputs) == (
        1 if num_classes is None else 2
    )

    x, labels = random_batch(sample_shape, num_classes)
    z = np.random.default_rng(1).standard_normal((BATCH, LATENT))
    fake = to_numpy(generator(with_labels(z.astype("float32"), labels)))
    assert fake.shape == (BATCH, *sample_shape)
    if name != "mlp" or params.get("output_activation") == "tanh":
        assert np.all(np.abs(fake) <= 1.0)
    assert to_numpy(discriminator(with_labels(x, labels))).shape == (BATCH, 1)

    gan = compiled_gan(generator, discriminator)
    assert gan.conditional == (num_classes is not None)
    train_two_steps_and_generate(gan, sample_shape, num_classes)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="XLA is TensorFlow's")
def test_sngan_trains_under_xla():
    # The richest architecture (spectral norm, conditional BatchNorm,
    # projection) under the default compilation, XLA on TensorFlow.
    gan = compiled_gan(
        *build("sngan_resnet", (32, 32, 1), NUM_CLASSES, {"width": 4}),
        eager=False,
    )
    train_two_steps_and_generate(gan, (32, 32, 1), NUM_CLASSES)


# One small case per architecture; the training test covers the others.
SAVE_CASES = [
    ("mlp", (2,), NUM_CLASSES, {"width": 16}),
    ("dcgan", (28, 28, 1), None, {"width": 4}),
    ("cdcgan", (28, 28, 1), NUM_CLASSES, {"width": 4}),
    ("sngan_resnet", (32, 32, 1), NUM_CLASSES, {"width": 4}),
]


@pytest.mark.parametrize("name,sample_shape,num_classes,params", SAVE_CASES)
def test_save_and_load_inside_a_gan(
    tmp_path, name, sample_shape, num_classes, params
):
    gan = compiled_gan(*build(name, sample_shape, num_classes, params))
    x, labels = random_batch(sample_shape, num_classes)
    path = tmp_path / "gan.keras"
    gan.save(path)

    loaded = keras.models.load_model(path)
    assert loaded.generator.name == f"{name}_generator"
    np.testing.assert_array_equal(
        loaded.generate(2, seed=0, labels=labels),
        gan.generate(2, seed=0, labels=labels),
    )
    np.testing.assert_array_equal(
        to_numpy(loaded.discriminator(with_labels(x, labels))),
        to_numpy(gan.discriminator(with_labels(x, labels))),
    )


def test_sngan_discriminator_normalizes_every_weight_layer():
    _, discriminator = build(
        "sngan_resnet", (32, 32, 1), NUM_CLASSES, {"width": 4}
    )
    weighted = (
        keras.layers.Conv2D, keras.layers.Dense, keras.layers.Embedding
    )
    layers = discriminator.layers
    assert not [layer for layer in layers if isinstance(layer, weighted)]
    wrapped = [
        layer.layer
        for layer in layers
        if isinstance(layer, keras.layers.SpectralNormalization)
    ]
    # 3 convs in the first block, 3 in the down-block, 2 in each plain
    # block, the logit's Dense and the class projection (an Embedding).
    assert len(wrapped) == 3 + 3 + 2 + 2 + 1 + 1
    assert all(isinstance(layer, weighted) for layer in wrapped)


def test_spectral_normalization_divides_by_the_top_singular_value():
    # A Dense keeps the expected output plain numpy: x @ (W / sigma) + b.
    # Convolution kernels go through the same code, reshaped to (-1, out).
    layer = SpectralNormalization(keras.layers.Dense(6))
    x = np.random.default_rng(0).normal(size=(4, 10)).astype("float32")
    layer(x)
    dense = layer.layer
    # A kernel far from norm 1 and a bias, so neither can pass by accident.
    dense.kernel.assign(5.0 * dense.kernel)
    dense.bias.assign(np.linspace(-1, 1, 6).astype("float32"))
    kernel = to_numpy(dense.kernel)
    sigma = np.linalg.svd(kernel, compute_uv=False)[0]
    assert sigma > 2.0

    # Each training call runs one power-iteration step on the stored u.
    for _ in range(30):
        layer(x, training=True)
    np.testing.assert_allclose(
        to_numpy(layer(x, training=False)),
        x @ (kernel / sigma) + to_numpy(dense.bias),
        rtol=1e-3,
        atol=1e-4,
    )
    # The stored kernel is left as it was: only the call divides it.
    np.testing.assert_array_equal(to_numpy(dense.kernel), kernel)


@pytest.mark.parametrize(
    "name,sample_shape",
    [("cdcgan", (28, 28, 1)), ("sngan_resnet", (32, 32, 1))],
)
def test_projection_discriminator_depends_on_the_label(name, sample_shape):
    _, discriminator = build(name, sample_shape, NUM_CLASSES, {"width": 4})
    x, _ = random_batch(sample_shape, None)
    same_x = np.repeat(x[:1], BATCH, axis=0)
    for first, second in [(0, 1), (1, 2)]:
        logits = to_numpy(
            discriminator([same_x, np.array([first, second], dtype="int32")])
        )
        assert abs(logits[0, 0] - logits[1, 0]) > 1e-6, (first, second, logits)


@pytest.mark.parametrize(
    "name,arguments,message",
    [
        ("mlp", {"latent_dim": 0}, "Received: latent_dim=0"),
        ("mlp", {"latent_dim": True}, "Received: latent_dim=True"),
        ("mlp", {"sample_shape": (28, 28, 1, 1)}, "Received: sample_shape="),
        ("mlp", {"sample_shape": 2}, "Received: sample_shape=2"),
        ("mlp", {"num_classes": 0}, "Received: num_classes=0"),
        ("mlp", {"width": 0}, "Received: width=0"),
        ("mlp", {"depth": 2.0}, "Received: depth=2.0"),
        ("mlp", {"depth": 10**7},
         "at most 1,000 hidden layers. Received: depth=10000000"),
        ("mlp", {"output_activation": "nope"}, "output_activation='nope'"),
        ("dcgan", {"sample_shape": (30, 30, 1)},
         r"\(28, 28, C\), \(32, 32, C\), \(64, 64, C\).*"
         r"Received: sample_shape=\(30, 30, 1\)"),
        ("dcgan", {"sample_shape": (32, 32, 2)}, "Received: sample_shape="),
        ("dcgan", {"sample_shape": (32, 28, 3)}, "Received: sample_shape="),
        ("dcgan", {"num_classes": 10}, "cdcgan.*Received: num_classes=10"),
        ("dcgan", {"width": -8}, "Received: width=-8"),
        ("cdcgan", {"num_classes": None}, "Received: num_classes=None"),
        ("cdcgan", {"embedding_dim": 0}, "Received: embedding_dim=0"),
        ("sngan_resnet", {"sample_shape": (64, 64, 3)},
         r"\(32, 32, C\).*Received: sample_shape=\(64, 64, 3\)"),
        ("sngan_resnet", {"width": "wide"}, "Received: width='wide'"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(name, arguments, message):
    valid = {
        "mlp": {"latent_dim": LATENT, "sample_shape": (2,)},
        "dcgan": {"latent_dim": LATENT, "sample_shape": (32, 32, 3)},
        "cdcgan": {
            "latent_dim": LATENT,
            "sample_shape": (32, 32, 3),
            "num_classes": NUM_CLASSES,
        },
        "sngan_resnet": {"latent_dim": LATENT, "sample_shape": (32, 32, 3)},
    }[name]
    with pytest.raises(ValueError, match=message):
        getattr(architectures, name)(**{**valid, **arguments})
