"""The variational autoencoder `keras_gans.VAE`, the same on every backend.

The ELBO is checked where it is known in closed form. In the linear-Gaussian
model x = W z + b + noise, z ~ N(0, I), noise ~ N(0, s^2 I), p(x) is
N(b, W W^T + s^2 I) and the posterior p(z|x) is Gaussian. When W's columns
are orthogonal that posterior has a diagonal covariance, so a linear
encoder can give it exactly, and then the ELBO equals log p(x). With a
linear decoder and a Gaussian likelihood, log p(x|z) is quadratic in the
reparameterisation noise eps, so its expectation over eps ~ N(0, I) is the
mean over any set of points with mean 0 and identity covariance: the
2 * latent "sigma points" +-sqrt(latent) e_i. `exact_elbo` averages the
model's own `elbo_terms` over them: the ELBO itself, with no Monte Carlo
error.
"""

import numpy as np
import pytest

import keras
import keras_gans
from keras_gans.datasets import ring, ring_centers
from toy_models import assert_labels_pick_their_mode, conditional_mlp, mlp

DATA_DIM = 4
LATENT = 2
NOISE_STD = 0.5
SIGMA_POINTS = np.sqrt(LATENT) * np.concatenate(
    [np.eye(LATENT), -np.eye(LATENT)]
)
EPS32 = np.finfo(np.float32).eps


def linear_gaussian():
    """W (orthogonal columns of lengths 2 and 1) and b of the toy model."""
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.normal(size=(DATA_DIM, LATENT)))
    return basis * np.array([2.0, 1.0]), rng.normal(size=DATA_DIM)


def draw(weights, offset, n, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, LATENT))
    noise = NOISE_STD * rng.normal(size=(n, DATA_DIM))
    return (z @ weights.T + offset + noise).astype("float32")


def exact_log_likelihood(x, weights, offset, std):
    """log N(x; b, W W^T + s^2 I) per sample, in float64."""
    covariance = weights @ weights.T + std**2 * np.eye(DATA_DIM)
    diff = np.asarray(x, np.float64) - offset
    _, log_det = np.linalg.slogdet(covariance)
    mahalanobis = np.einsum(
        "nd,de,ne->n", diff, np.linalg.inv(covariance), diff
    )
    return -0.5 * (DATA_DIM * np.log(2 * np.pi) + log_det + mahalanobis)


def maximum_log_likelihood(x):
    """The mean log-likelihood of x under its maximum-likelihood linear-
    Gaussian model (probabilistic PCA, Tipping & Bishop 1999): b the mean,
    s^2 the mean of the discarded eigenvalues of the covariance, W the top
    eigenvectors scaled by sqrt(eigenvalue - s^2). No ELBO of a linear VAE
    on x can exceed it, and one reaches it."""
    x = np.asarray(x, np.float64)
    eigenvalues, vectors = np.linalg.eigh(np.cov(x, rowvar=False, bias=True))
    eigenvalues, vectors = eigenvalues[::-1], vectors[:, ::-1]
    variance = eigenvalues[LATENT:].mean()
    weights = vectors[:, :LATENT] * np.sqrt(eigenvalues[:LATENT] - variance)
    return exact_log_likelihood(x, weights, x.mean(axis=0),
                                np.sqrt(variance)).mean()


def linear_vae(**kwargs):
    """A VAE whose encoder is one Dense layer giving [mean, log_var] as one
    tensor of 2 * LATENT features, and whose decoder is one Dense layer."""
    encoder = keras.Sequential(
        [keras.Input((DATA_DIM,)), keras.layers.Dense(2 * LATENT)]
    )
    decoder = keras.Sequential(
        [keras.Input((LATENT,)), keras.layers.Dense(DATA_DIM)]
    )
    return keras_gans.VAE(encoder, decoder, latent_dim=LATENT,
                          likelihood="gaussian", **kwargs)


def set_to_posterior(vae, weights, offset, std):
    """Sets the linear VAE to the model's exact posterior and likelihood.

    p(z|x) = N(M^-1 W^T (x - b), s^2 M^-1) with M = W^T W + s^2 I, diagonal
    here since W's columns are orthogonal."""
    precision = (weights**2).sum(axis=0) + std**2
    gain = weights / precision  # (M^-1 W^T)^T
    kernel = np.concatenate([gain, np.zeros_like(gain)], axis=1)
    bias = np.concatenate([-offset @ gain, np.log(std**2 / precision)])
    vae.encoder.layers[-1].set_weights([kernel, bias])
    vae.decoder.layers[-1].set_weights([weights.T, offset])
    vae.observation_log_var.assign(2.0 * np.log(std))


def exact_elbo(vae, x):
    """The ELBO of each sample, exact for a linear decoder (module doc)."""
    return np.mean([
        vae.elbo_terms(x, noise=np.tile(point, (len(x), 1)),
                       batch_size=len(x))["elbo"]
        for point in SIGMA_POINTS
    ], axis=0)


@pytest.mark.parametrize("observation_std", [None, NOISE_STD],
                         ids=["learned", "fixed"])
def test_elbo_at_the_exact_posterior_is_the_log_likelihood(observation_std):
    weights, offset = linear_gaussian()
    x = draw(weights, offset, 512, seed=1)
    vae = linear_vae(observation_std=observation_std)
    set_to_posterior(vae, weights, offset, NOISE_STD)

    exact = exact_log_likelihood(x, weights, offset, NOISE_STD)
    # float32 sums of a few terms below 16 in size: 16 ulp of 16 (measured:
    # at most 1.3e-6 on JAX, TensorFlow and PyTorch).
    np.testing.assert_allclose(exact_elbo(vae, x), exact, rtol=0,
                               atol=16 * 16 * EPS32)

    # Away from the posterior the gap is KL(q || posterior): with q's
    # variances 1.5 times the posterior's, 0.5 * (1.5 - 1 - log 1.5) per
    # latent dimension, on every sample.
    kernel, bias = vae.encoder.layers[-1].get_weights()
    bias[LATENT:] += np.log(1.5)
    vae.encoder.layers[-1].set_weights([kernel, bias])
    gap = LATENT * 0.5 * (0.5 - np.log(1.5))
    np.testing.assert_allclose(exact_elbo(vae, x), exact - gap, rtol=0,
                               atol=16 * 16 * EPS32)


def test_fit_and_evaluate_report_that_elbo():
    weights, offset = linear_gaussian()
    x = draw(weights, offset, 4096, seed=2)
    vae = linear_vae()
    set_to_posterior(vae, weights, offset, NOISE_STD)
    vae.compile(optimizer=keras.optimizers.SGD(0.0))

    logs = vae.evaluate(x, batch_size=1024, verbose=0, return_dict=True)
    history = vae.fit(x, batch_size=1024, epochs=1, verbose=0).history

    # Both average one z per sample: an unbiased estimate of the mean
    # ELBO, here the mean log p(x). Its standard error, from the
    # closed-form posterior in NumPy (draws of eps per sample):
    exact = exact_log_likelihood(x, weights, offset, NOISE_STD)
    precision = (weights**2).sum(axis=0) + NOISE_STD**2
    mean = (x - offset) @ (weights / precision)
    eps = np.random.default_rng(0).normal(size=(64, *mean.shape))
    z = mean + np.sqrt(NOISE_STD**2 / precision) * eps
    squares = (((x - offset) - z @ weights.T) ** 2).sum(axis=-1)
    spread = np.sqrt((squares / (2 * NOISE_STD**2)).var(axis=0).mean())
    standard_error = spread / np.sqrt(len(x))
    for reported in (logs["elbo"], history["elbo"][0]):
        assert abs(reported - exact.mean()) < 5 * standard_error
    assert logs["loss"] == pytest.approx(-logs["elbo"], rel=1e-6)
    np.testing.assert_allclose(
        history["elbo"], -(np.array(history["reconstruction"])
                           + np.array(history["kl"])), rtol=1e-6)


@pytest.mark.learning
def test_training_approaches_the_maximum_likelihood(outcome):
    weights, offset = linear_gaussian()
    x = draw(weights, offset, 2048, seed=3)
    vae = linear_vae()
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
        [160, 240], [0.1, 0.02, 0.004]
    )
    # The step compiled: XLA on TensorFlow, jit on JAX (PyTorch eager).
    vae.compile(optimizer=keras.optimizers.Adam(schedule),
                jit_compile=keras.backend.backend() != "torch")
    vae.fit(np.tile(x, (40, 1)), batch_size=256, epochs=1, verbose=0)
    assert vae.steps == 320

    gap = maximum_log_likelihood(x) - exact_elbo(vae, x).mean()
    # The ELBO is a lower bound of the log-likelihood: never above it.
    assert gap > -1e-4
    # Learned variance, 320 steps, benchmarks/test_margins.py over seeds
    # 0-5 and thread settings 1 and 2: 0.0014-0.059 nats per sample on
    # PyTorch, 0.0024-0.056 on JAX, 0.0019-0.032 on TensorFlow (XLA); the
    # same within 0.001-0.043 when the data's seed varies too (PyTorch,
    # 8 seeds). A latent dimension still off costs 0.3-0.5.
    outcome.at_most("ELBO below the maximum log-likelihood, nats/sample",
                    gap, 0.15)


def dense_numpy(x, layer):
    kernel, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
    return x @ kernel + bias


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_terms_match_numpy(likelihood):
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(8, activation="tanh", name="hidden")(inputs)
    encoder = keras.Model(inputs, [
        keras.layers.Dense(LATENT, name="mean")(hidden),
        keras.layers.Dense(LATENT, name="log_var")(hidden),
    ])
    decoder = mlp(LATENT, 3, width=8, depth=1)
    vae = keras_gans.VAE(encoder, decoder, latent_dim=LATENT,
                         likelihood=likelihood)
    rng = np.random.default_rng(0)
    if likelihood == "gaussian":
        x = rng.normal(size=(64, 3))
        vae.observation_log_var.assign(-0.7)
    else:
        # Binary values and intensities in between.
        x = np.where(rng.random((64, 3)) < 0.5,
                     rng.integers(0, 2, (64, 3)), rng.random((64, 3)))
    x = x.astype("float32")
    noise = rng.normal(size=(64, LATENT)).astype("float32")

    terms = vae.elbo_terms(x, noise=noise)

    h = np.tanh(dense_numpy(np.float64(x), encoder.get_layer("hidden")))
    mean = dense_numpy(h, encoder.get_layer("mean"))
    log_var = dense_numpy(h, encoder.get_layer("log_var"))
    z = mean + np.exp(log_var / 2) * noise
    dense = [layer for layer in decoder.layers if layer.weights]
    out = dense_numpy(np.maximum(dense_numpy(z, dense[0]), 0), dense[1])
    if likelihood == "gaussian":
        variance = np.exp(-0.7)
        nll = 0.5 * (np.log(2 * np.pi * variance) + (x - out) ** 2 / variance)
    else:
        p = 1 / (1 + np.exp(-out))
        nll = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    reconstruction = nll.sum(axis=1)
    kl = 0.5 * (np.exp(log_var) + mean**2 - 1 - log_var).sum(axis=1)

    # float32 against float64. Measured on the three backends (seed 0): at
    # most 2.1e-7 relative (reconstruction, elbo), and 5.2e-7 absolute for
    # KL, a difference of terms of size ~1 that can be much smaller.
    for name, expected in (("reconstruction", reconstruction), ("kl", kl),
                           ("elbo", -(reconstruction + kl))):
        np.testing.assert_allclose(terms[name], expected, rtol=2e-6,
                                   atol=32 * EPS32, err_msg=name)


def test_save_load_round_trip_and_a_resumed_kl_warmup(tmp_path):
    # A conditional VAE with single-input networks (labels joined as one-hot
    # features), on data in [0, 1], so "auto" picks the Bernoulli
    # likelihood.
    x, y = ring(64, seed=0)
    x = (x + 2.5) / 5.0
    vae = keras_gans.VAE(mlp(2 + 8, 2 * LATENT, width=16),
                         mlp(LATENT + 8, 2, width=16), latent_dim=LATENT,
                         label_mode="one_hot_concat", num_classes=8, seed=3,
                         beta=0.5, beta_warmup_steps=4)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))

    def one_step_epochs(model, epochs):
        history = model.fit(x, y, batch_size=64, epochs=epochs,
                            verbose=0).history
        return {name: np.array(values) for name, values in history.items()}

    first = one_step_epochs(vae, 3)
    assert vae.likelihood == "bernoulli" and vae.conditional
    labels = np.arange(32) % 8
    before = vae.generate(32, seed=0, labels=labels)
    assert before.shape == (32, 2) and before.dtype == np.float32
    assert before.min() >= 0.0 and before.max() <= 1.0
    np.testing.assert_array_equal(vae.generate(32, seed=0, labels=labels),
                                  before)
    assert not np.allclose(vae.generate(32, seed=1, labels=labels), before)
    path = tmp_path / "vae.keras"
    vae.save(path)

    loaded = keras_gans.load_model(path)
    assert isinstance(loaded, keras_gans.VAE)
    np.testing.assert_array_equal(loaded.generate(32, seed=0, labels=labels),
                                  before)
    def settings(model):
        config = model.get_config()
        return {k: v for k, v in config.items()
                if k not in ("encoder", "decoder")}

    assert settings(loaded) == settings(vae)
    assert loaded.likelihood == "bernoulli" and loaded.steps == 3
    for a, b in zip(vae.optimizer.variables + [vae.seed_generator.state],
                    loaded.optimizer.variables
                    + [loaded.seed_generator.state]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

    then = one_step_epochs(loaded, 2)
    # One update per epoch: the t-th uses KL weight 0.5 * min(1, t / 4),
    # counting on after the reload.
    for logs, steps in ((first, [1, 2, 3]), (then, [4, 5])):
        weight = 0.5 * np.minimum(1.0, np.array(steps) / 4)
        np.testing.assert_allclose(
            logs["loss"], logs["reconstruction"] + weight * logs["kl"],
            rtol=1e-6)
        assert np.all(logs["kl"] > 1e-3)
    assert set(first) == {"loss", "reconstruction", "kl", "elbo"}
    assert loaded.kl_weight == 0.5 and loaded.steps == 5
    assert not np.allclose(loaded.generate(32, seed=0, labels=labels), before)


@pytest.mark.learning
def test_conditional_samples_land_on_their_class_mode(outcome):
    vae = keras_gans.VAE(conditional_mlp(2, 2 * LATENT, 8, width=32),
                         conditional_mlp(LATENT, 2, 8, width=32),
                         latent_dim=LATENT, likelihood="gaussian")
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    # 100 steps: every class's 500 samples on its own mode for seeds 0-5
    # and thread settings 1 and 2 on every backend (60 steps: 0.35-0.98).
    x, y = ring(100 * 128, seed=0)
    vae.fit(x, y, batch_size=128, epochs=1, verbose=0)
    assert_labels_pick_their_mode(vae, ring_centers(), outcome=outcome)


def test_steps_per_execution_makes_the_same_updates():
    # On PyTorch, Keras refuses steps_per_execution > 1; keras_gans.backend
    # runs the steps in a loop, as for GAN.
    x, _ = ring(8 * 32, seed=0)

    def trained(steps_per_execution):
        keras.utils.set_random_seed(0)
        vae = keras_gans.VAE(*network_pair(), latent_dim=2,
                             likelihood="gaussian", seed=1)
        vae.compile(optimizer=keras.optimizers.Adam(1e-2),
                    steps_per_execution=steps_per_execution)
        vae.fit(x, batch_size=32, epochs=1, verbose=0, shuffle=False)
        return vae

    one, two = trained(1), trained(2)
    assert one.steps == two.steps == 8
    for a, b in zip(one.weights, two.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def network_pair():
    return mlp(2, 4, width=8, depth=1), mlp(2, 2, width=8, depth=1)


@pytest.mark.parametrize("kwargs, message", [
    ({"latent_dim": 0}, "`latent_dim` must be a positive integer"),
    ({"likelihood": "poisson"}, "`likelihood` must be one of"),
    ({"beta": -1.0}, "`beta` must be a non-negative number"),
    ({"beta_warmup_steps": 2.5}, "`beta_warmup_steps` must be a non-neg"),
    ({"likelihood": "bernoulli", "observation_std": 0.1},
     "pass likelihood='gaussian' with it"),
    ({"likelihood": "gaussian", "observation_std": 0.0},
     "`observation_std` must be a finite number > 0"),
    ({"latent_dim": 3}, "The decoder could not be called on z of shape"),
])
def test_bad_arguments_are_refused_when_built(kwargs, message):
    encoder, decoder = network_pair()
    kwargs = {"latent_dim": 2, **kwargs}
    with pytest.raises(ValueError, match=message) as error:
        keras_gans.VAE(encoder, decoder, **kwargs)
    assert "Received:" in str(error.value)


def test_an_encoder_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match=r"The encoder must return "
                       r"\[mean, log_var\].*Received: outputs of shapes "
                       r"\[\(2, 3\)\]"):
        keras_gans.VAE(mlp(2, 3, width=8), mlp(2, 2, width=8), latent_dim=2)


def test_bad_data_is_refused_before_training():
    x, y = ring(64, seed=0)
    auto = keras_gans.VAE(*network_pair(), latent_dim=2)
    auto.compile()
    with pytest.raises(ValueError, match="Fit it first"):
        auto.generate(4)
    with pytest.raises(ValueError, match="can read only from an array"):
        auto.fit(iter([x]), verbose=0)
    bernoulli = keras_gans.VAE(*network_pair(), latent_dim=2,
                               likelihood="bernoulli")
    bernoulli.compile()
    with pytest.raises(ValueError, match=r"Received: values in \[-2"):
        bernoulli.fit(x, verbose=0)
    gaussian = keras_gans.VAE(*network_pair(), latent_dim=2,
                              likelihood="gaussian")
    with pytest.raises(ValueError, match="leave `loss` out"):
        gaussian.compile(loss="mse")
    gaussian.compile()
    with pytest.raises(ValueError, match="this VAE is unconditional"):
        gaussian.fit(x, y, verbose=0)
    conditional = keras_gans.VAE(conditional_mlp(2, 4, 8, width=8),
                                 conditional_mlp(2, 2, 8, width=8),
                                 latent_dim=2, likelihood="gaussian")
    conditional.compile()
    with pytest.raises(ValueError, match="takes no sample weights"):
        conditional.fit(x, y, sample_weight=np.ones(64), verbose=0)
    with pytest.raises(ValueError, match="needs \\(x, labels\\)"):
        conditional.fit(x, verbose=0)
    with pytest.raises(ValueError, match="This VAE is unconditional"):
        gaussian.generate(4, labels=1)
    assert gaussian.steps == 0
