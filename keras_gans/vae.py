"""The `VAE` model: a variational autoencoder trained with `fit()`.

The baseline a GAN is compared with (issue 14): the same data, labels,
`generate()` and saving as `keras_gans.GAN`, trained by maximising the
evidence lower bound (ELBO) instead of playing a game.
"""

import math
import numbers

import numpy as np

import keras
from keras import ops

from keras_gans import backend
from keras_gans import labels as labels_module
from keras_gans import latent
from keras_gans import own_state
from keras_gans import plugins
from keras_gans.arguments import is_positive_int, positive_float

GAUSSIAN = "gaussian"
BERNOULLI = "bernoulli"
AUTO = "auto"
LIKELIHOODS = (GAUSSIAN, BERNOULLI, AUTO)

_CHECK_BATCH = 2
_LOG_2PI = math.log(2.0 * math.pi)


@keras.saving.register_keras_serializable(package="keras_gans")
class VAE(keras.Model):
    """A variational autoencoder trained with `fit()` on any backend.

    The encoder maps a batch of samples to the mean and log-variance of a
    diagonal Gaussian q(z|x), either as two outputs `[mean, log_var]` or as
    one tensor of `2 * latent_dim` features whose first half is the mean and
    second half the log-variance. z is drawn by the reparameterisation
    `z = mean + exp(log_var / 2) * eps`, `eps ~ N(0, I)`, from the model's
    own seeded random stream, and the decoder maps z back to a sample:

    - `likelihood="gaussian"`: the decoder gives the mean of p(x|z), a
      Gaussian with one variance shared by every dimension. That variance
      is a weight of the VAE, learned with the networks (a "calibrated
      decoder"; a fixed variance weighs reconstruction against KL by hand
      and blurs samples), or fixed by `observation_std`.
    - `likelihood="bernoulli"`: the decoder gives logits of independent
      Bernoulli variables, for data in [0, 1] (binary, or intensities read
      as probabilities as the keras-io VAE does).
    - `likelihood="auto"`: Bernoulli when every training value lies in
      [0, 1], Gaussian otherwise, decided from the data the first `fit()`
      (or `evaluate()`, `elbo_terms()`) sees, which must then be an array.

    The loss is the negative ELBO with a weight on its KL term:
    `reconstruction + kl_weight * kl`, where `reconstruction` is
    -log p(x|z) summed over the data dimensions and `kl` is
    KL(q(z|x) || N(0, I)) in closed form, each averaged over the batch.
    `kl_weight` is `beta`, reached linearly over `beta_warmup_steps`
    updates: `beta * min(1, t / beta_warmup_steps)` at the t-th update
    (t = 1, 2, ...), counted in a variable saved with the model, so a
    resumed run continues the warm-up. `fit()` reports `loss`,
    `reconstruction`, `kl` and `elbo` (`-(reconstruction + kl)`, the bound
    itself whatever `kl_weight` is).

    Conditional VAEs: the data gives `(x, labels)` and both networks read
    the labels as a GAN's do (`keras_gans.labels`): the decoder as a
    generator (`[z, labels]`, or z joined with one-hot labels) and the
    encoder as a discriminator (`[x, labels]`, or x with one-hot channels).

    Args:
        encoder: a Keras model mapping samples (and labels) to
            `[mean, log_var]`, each `(batch, latent_dim)`, or to one tensor
            `(batch, 2 * latent_dim)`.
        decoder: a Keras model mapping z (and labels) to a batch of samples
            (Gaussian means or Bernoulli logits).
        latent_dim: size of z.
        likelihood: `"gaussian"`, `"bernoulli"` or `"auto"`.
        observation_std: None to learn the Gaussian likelihood's standard
            deviation (one for all dimensions, starting at 1), or a fixed
            positive value. Gaussian likelihood only.
        beta: weight of the KL term (1 gives the ELBO; beta-VAE otherwise).
        beta_warmup_steps: updates over which the KL weight grows linearly
            from `beta / beta_warmup_steps` to `beta`; 0 starts at `beta`.
        conditional: whether both networks take class labels; inferred
            from the decoder as a GAN infers it from its generator.
        seed: seed of the model's random stream (eps). None draws one from
            the global seed that `keras.utils.set_random_seed` sets.
        label_mode: `"index"` or `"one_hot_concat"`, as for `GAN`.
        num_classes: the number of classes, as for `GAN`.

    Example:

    ```python
    vae = keras_gans.VAE(encoder, decoder, latent_dim=8)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vae.fit(x, batch_size=128, epochs=10)
    samples = vae.generate(16, seed=0)
    ```
    """

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim,
        likelihood=AUTO,
        observation_std=None,
        beta=1.0,
        beta_warmup_steps=0,
        conditional=None,
        seed=None,
        label_mode=None,
        num_classes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_arguments(encoder, decoder, latent_dim, likelihood,
                         observation_std, beta, beta_warmup_steps)
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = int(latent_dim)
        self.likelihood = likelihood
        self.observation_std = (
            None if observation_std is None else float(observation_std)
        )
        self.beta = float(beta)
        self.beta_warmup_steps = int(beta_warmup_steps)
        conditional, self.label_mode, self.num_classes = labels_module.resolve(
            label_mode, num_classes, conditional, decoder, self.latent_dim,
            network="decoder",
        )
        self.conditional = bool(conditional)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        learned = observation_std is None
        self.observation_log_var = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(
                0.0 if learned else 2.0 * math.log(self.observation_std)
            ),
            trainable=learned and likelihood != BERNOULLI,
            name="observation_log_var",
        )
        self.update_count = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False,
            name="update_count",
        )
        self.sample_shape = self._check_networks()
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.elbo_tracker = keras.metrics.Mean(name="elbo")
        self.built = True

    # ------------------------------------------------------------------
    # Construction checks

    def _check_networks(self):
        """Calls the decoder and the encoder once on a tiny batch.

        Returns the decoder's sample shape. Shape mistakes surface here,
        before any training, with the network at fault named.
        """
        z = ops.zeros((_CHECK_BATCH, self.latent_dim))
        labels = self._encode_labels(ops.zeros((_CHECK_BATCH,), dtype="int32"))
        try:
            decoded = self._decode(z, labels, training=False)
        except Exception as error:
            raise ValueError(
                "The decoder could not be called on z of shape "
                f"({_CHECK_BATCH}, {self.latent_dim}): {error}. Check that "
                "its input matches `latent_dim` (and, for a conditional "
                "model, that it takes the labels). "
                f"Received: latent_dim={self.latent_dim}, "
                f"label_mode={self.label_mode!r}"
            ) from error
        try:
            outputs = self.encoder(
                labels_module.discriminator_inputs(decoded, labels,
                                                   self.label_mode),
                training=False,
            )
        except Exception as error:
            raise ValueError(
                "The encoder could not be called on the decoder's output: "
                f"{error}. Its input must match the decoder's samples (and "
                "take the labels for a conditional model). Received: decoder "
                f"output shape={tuple(decoded.shape)}, "
                f"label_mode={self.label_mode!r}"
            ) from error
        shapes = [tuple(t.shape) for t in keras.tree.flatten(outputs)]
        two = (_CHECK_BATCH, self.latent_dim)
        if shapes not in ([two, two], [(_CHECK_BATCH, 2 * self.latent_dim)]):
            raise ValueError(
                "The encoder must return [mean, log_var], each of shape "
                f"(batch, latent_dim) = {two}, or one tensor of shape "
                f"(batch, 2 * latent_dim) = {(_CHECK_BATCH, 2 * self.latent_dim)}"
                f" holding both. Received: outputs of shapes {shapes}"
            )
        return tuple(decoded.shape[1:])

    # ------------------------------------------------------------------
    # Compilation and training

    def compile(self, optimizer="adam", **kwargs):
        """Keras' `compile()`; the loss is the VAE's own (negative ELBO).

        Args:
            optimizer: the optimizer (instance, name or config).
            **kwargs: the other arguments of `keras.Model.compile`
                (`jit_compile`, `steps_per_execution`, `run_eagerly`, ...)
                except `loss`, `loss_weights` and `metrics`.

        Raises:
            ValueError: for a `loss`, `loss_weights` or `metrics` argument.
        """
        for name in ("loss", "loss_weights", "metrics", "weighted_metrics"):
            if kwargs.get(name) is not None:
                raise ValueError(
                    "A VAE trains on its own loss, the negative ELBO (with "
                    "`beta` on its KL term), and reports reconstruction, kl "
                    f"and elbo itself: leave `{name}` out of compile(). "
                    f"Received: {name}={kwargs[name]!r}"
                )
            kwargs.pop(name, None)
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config):
        """Compiles a loaded VAE as it was saved, optimizer state included."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        # Variables to load the saved optimizer state into.
        self.optimizer.build(self.trainable_variables)

    @property
    def steps(self):
        """Optimizer updates made so far (restored with the model)."""
        return int(ops.convert_to_numpy(self.optimizer.iterations.value))

    @property
    def kl_weight(self):
        """The weight of the KL term at the latest update (`beta` once
        warmed up)."""
        backend.current().sync_variables(self)
        return float(ops.convert_to_numpy(self._kl_weight()))

    def _kl_weight(self):
        if self.beta_warmup_steps == 0:
            return ops.convert_to_tensor(self.beta, "float32")
        done = ops.cast(self.update_count, "float32") / self.beta_warmup_steps
        return self.beta * ops.minimum(done, 1.0)

    def fit(self, x=None, y=None, *args, **kwargs):
        """Keras' `fit()`, settling `likelihood="auto"` from `x` first.

        A failure never leaves the model without weights.
        """
        self._settle_likelihood(x)
        optimizer = getattr(self, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            # Built now, with the trainable variables the likelihood settled
            # on, so that its state too is kept if fit() fails.
            optimizer.build(self.trainable_variables)
        with backend.current().keep_variables_on_error(self):
            return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """Keras' `evaluate()`: loss, reconstruction, kl and elbo on `x`."""
        self._settle_likelihood(x)
        return super().evaluate(x, y, *args, **kwargs)

    def make_train_function(self, force=False):
        """Keras' hook; the backend module may build its own train function
        (PyTorch with `steps_per_execution > 1`)."""
        return backend.current().make_train_function(
            self, super().make_train_function, force
        )

    def train_step(self, *args):
        """Keras' own step (state first on JAX), on the VAE's inputs."""
        *state, data = args
        return super().train_step(*state, self._inputs_of_batch(data))

    def test_step(self, *args):
        """Keras' own step (state first on JAX), on the VAE's inputs."""
        *state, data = args
        return super().test_step(*state, self._inputs_of_batch(data))

    def _inputs_of_batch(self, data):
        """`(inputs,)` for Keras' step: x, or `(x, labels)` when conditional.

        The labels travel with x, so the encoder and decoder can read them
        inside `call()`; Keras' `y` stays empty.
        """
        x, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if sample_weight is not None:
            raise ValueError(
                "A VAE weighs every sample alike and takes no sample "
                "weights. Received: sample_weight of shape "
                f"{tuple(sample_weight.shape)}"
            )
        if tuple(x.shape[1:]) != self.sample_shape:
            raise ValueError(
                "Training samples must have the decoder's sample shape "
                f"{self.sample_shape}. Received: samples of shape "
                f"{tuple(x.shape[1:])} (batch dimension left out)"
            )
        if labels is not None and not self.conditional:
            raise ValueError(
                "The data yields (x, labels) but this VAE is unconditional. "
                "Pass only x, or build a conditional decoder taking "
                f"[z, labels]. Received: labels of shape {tuple(labels.shape)}"
            )
        if labels is None and self.conditional:
            raise ValueError(
                "This VAE is conditional: it needs (x, labels) with integer "
                "labels of shape (batch,). Received: labels=None"
            )
        if labels is None:
            return (x,)
        return ((x, labels),)

    def call(self, inputs, training=False):
        """Encodes, draws z and decodes: `vae(x)` or `vae((x, labels))`.

        Returns:
            `(mean, log_var, decoded)`: q(z|x)'s parameters and the
            decoder's output (Gaussian means or Bernoulli logits) for one
            z drawn from the model's random stream.
        """
        samples, labels = self._split_inputs(inputs)
        mean, log_var = self._encode(samples, labels, training)
        noise = keras.random.normal(
            (ops.shape(mean)[0], self.latent_dim), seed=self.seed_generator
        )
        decoded = self._decode(_reparameterise(mean, log_var, noise), labels,
                               training)
        return mean, log_var, decoded

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        """The negative ELBO with `kl_weight` on its KL term, batch mean.

        Updates the reconstruction, kl and elbo metrics and, in training,
        the update counter of the KL warm-up. Regularisation losses of the
        networks' layers are added.
        """
        samples, _ = self._split_inputs(x)
        mean, log_var, decoded = y_pred
        reconstruction, kl = self._terms(samples, mean, log_var, decoded)
        if training:
            self.update_count.assign(self.update_count + 1)
        loss = ops.mean(reconstruction) + self._kl_weight() * ops.mean(kl)
        for extra in self.losses:
            loss = loss + ops.sum(ops.cast(extra, "float32"))
        # Per sample, so an epoch's figures are means over its samples.
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        self.elbo_tracker.update_state(-(reconstruction + kl))
        # Keras sums the replicas' gradients under tf.distribute and divides
        # its loss metric back; a mean over one replica's batch is scaled.
        return loss * backend.replica_loss_scale()

    # ------------------------------------------------------------------
    # The model's parts, written once with keras.ops

    def _split_inputs(self, inputs):
        if not self.conditional:
            return inputs, None
        samples, labels = inputs
        return samples, self._encode_labels(labels)

    def _encode_labels(self, labels):
        return labels_module.encode(labels, self.label_mode, self.num_classes)

    def _encode(self, samples, labels, training):
        """q(z|x)'s mean and log-variance, float32."""
        samples = ops.cast(samples, "float32")
        inputs = labels_module.discriminator_inputs(samples, labels,
                                                    self.label_mode)
        outputs = self.encoder(inputs, training=training)
        if isinstance(outputs, (list, tuple)):
            mean, log_var = outputs
        else:
            mean, log_var = ops.split(outputs, 2, axis=-1)
        return ops.cast(mean, "float32"), ops.cast(log_var, "float32")

    def _decode(self, z, labels, training):
        inputs = labels_module.generator_inputs(z, labels, self.label_mode)
        return self.decoder(inputs, training=training)

    def _terms(self, samples, mean, log_var, decoded):
        """Per-sample -log p(x|z) and KL(q(z|x) || N(0, I)), both `(batch,)`.

        Raises:
            ValueError: while `likelihood` is still `"auto"`.
        """
        self._check_settled()
        x = ops.cast(samples, "float32")
        out = ops.cast(decoded, "float32")
        data_axes = tuple(range(1, len(x.shape)))
        if self.likelihood == GAUSSIAN:
            log_var_x = ops.cast(self.observation_log_var, "float32")
            per_value = 0.5 * (
                _LOG_2PI + log_var_x + ops.square(x - out) * ops.exp(-log_var_x)
            )
        else:
            # -log Bernoulli(x; sigmoid(out)) = softplus(out) - x * out.
            per_value = ops.softplus(out) - x * out
        reconstruction = ops.sum(per_value, axis=data_axes)
        kl = 0.5 * ops.sum(
            ops.exp(log_var) + ops.square(mean) - 1.0 - log_var, axis=-1
        )
        return reconstruction, kl

    # ------------------------------------------------------------------
    # The likelihood of `likelihood="auto"`

    def _settle_likelihood(self, x):
        """Settles `"auto"` from x's values; checks Bernoulli data's range.

        Only arrays (NumPy or backend tensors) are read; other data (a
        dataset, a generator) needs the likelihood chosen.
        """
        values = _as_array(x)
        if self.likelihood == AUTO:
            if values is None:
                raise ValueError(
                    "likelihood='auto' chooses the likelihood from the "
                    "range of the training data, which it can read only "
                    "from an array. Pass likelihood='gaussian' or "
                    "'bernoulli' (data in [0, 1]) to the VAE. "
                    f"Received: x of type {type(x).__name__}"
                )
            in_unit = bool(values.min() >= 0.0 and values.max() <= 1.0)
            self.likelihood = BERNOULLI if in_unit else GAUSSIAN
            if self.likelihood == BERNOULLI:
                self.observation_log_var.trainable = False
        elif self.likelihood == BERNOULLI and values is not None and not (
            values.min() >= 0.0 and values.max() <= 1.0
        ):
            raise ValueError(
                "The Bernoulli likelihood models values in [0, 1]. Scale the "
                "data to [0, 1] or use likelihood='gaussian'. Received: "
                f"values in [{values.min():.4g}, {values.max():.4g}]"
            )

    def _check_settled(self):
        if self.likelihood == AUTO:
            raise ValueError(
                "This VAE's likelihood is 'auto', chosen from the data the "
                "first fit() sees. Fit it first, or choose "
                "likelihood='gaussian' or 'bernoulli'. "
                "Received: likelihood='auto'"
            )

    # ------------------------------------------------------------------
    # Sampling and the bound

    def generate(self, n=None, seed=None, labels=None, batch_size=256,
                 z=None, truncation=None):
        """Draws `n` samples from the prior through the decoder.

        Args:
            n: number of samples (may be left out when `z` is given).
            seed: integer seed for z; the same seed gives the same samples
                for the same weights, on every backend. None draws z from
                numpy's global generator (seeded by
                `keras.utils.set_random_seed`).
            labels: class labels for a conditional VAE: an int (all
                samples) or a sequence of `n` ints.
            batch_size: samples per decoder call.
            z: latent vectors to decode, shape `(n, latent_dim)`, instead
                of drawing them from `seed` (as `GAN.generate`).
            truncation: the truncation trick, as `GAN.generate`: every
                coordinate of z with |z_i| > t is redrawn. Not with `z`.

        Returns:
            A float32 numpy array of shape `(n, *sample_shape)`: the means
            of p(x|z) (Gaussian: the decoder's output; Bernoulli: the
            sigmoid of its logits, in [0, 1]).
        """
        self._check_settled()
        z = latent.requested(n, self.latent_dim, seed, z, truncation)
        n = len(z)
        labels = labels_module.requested(n, labels, self.conditional,
                                         self.num_classes, model="VAE")
        backend.current().sync_variables(self)
        batches = []
        for start in range(0, n, batch_size):
            y_batch = None
            if labels is not None:
                y_batch = self._encode_labels(labels[start:start + batch_size])
            out = ops.cast(self._decode(
                ops.convert_to_tensor(z[start:start + batch_size]), y_batch,
                training=False,
            ), "float32")
            if self.likelihood == BERNOULLI:
                out = ops.sigmoid(out)
            batches.append(ops.convert_to_numpy(out))
        return np.concatenate(batches, axis=0)

    def export_generator(self):
        """The generator to ship, as `GAN.export_generator()`: a plain
        Keras model from z (and labels) to the samples `generate()` gives.

        A copy of the decoder (Gaussian likelihood: its outputs are the
        means `generate()` returns), or, for the Bernoulli likelihood, the
        copy followed by a sigmoid (its logits become the probabilities
        `generate()` returns). It takes the decoder's inputs: `[z,
        labels]`, or z joined with one-hot labels (`one_hot_concat`).
        Training the VAE further does not change it; saving or exporting
        it needs no keras-gans.

        Returns:
            A `keras.Model`.
        """
        self._check_settled()
        backend.current().sync_variables(self)
        decoder = keras.models.clone_model(self.decoder)
        decoder.set_weights([ops.convert_to_numpy(v.value)
                             for v in self.decoder.weights])
        if self.likelihood != BERNOULLI:
            return decoder
        extra = self.num_classes if (
            self.conditional and self.label_mode == labels_module.ONE_HOT_CONCAT
        ) else 0
        inputs = [keras.Input((self.latent_dim + extra,), name="z")]
        if self.conditional and self.label_mode != labels_module.ONE_HOT_CONCAT:
            inputs.append(keras.Input((), dtype="int32", name="labels"))
        logits = decoder(inputs[0] if len(inputs) == 1 else inputs)
        probabilities = keras.layers.Activation(
            "sigmoid", dtype="float32", name="probabilities")(logits)
        return keras.Model(inputs[0] if len(inputs) == 1 else inputs,
                           probabilities, name=f"{self.decoder.name}_sigmoid")

    def elbo_terms(self, x, labels=None, noise=None, seed=None,
                   batch_size=256):
        """Each sample's ELBO and its two terms, for one draw of z.

        The same computation as the training loss, on given samples with
        z drawn from NumPy (`seed`) or given as `noise`. Averaging over
        draws estimates the ELBO; a set of draws that integrates the
        decoder's log-likelihood exactly (for a linear decoder, any set
        with mean 0 and identity covariance) gives it exactly.

        Args:
            x: samples, `(n, *sample_shape)`.
            labels: class ids for a conditional VAE (an int or `n` ints).
            noise: the standard-normal `eps` of z = mean + std * eps,
                `(n, latent_dim)`; None draws it with `seed`.
            seed: integer seed of `eps` when `noise` is None.
            batch_size: samples per network call.

        Returns:
            A dict of float32 numpy arrays of shape `(n,)`:
            `reconstruction` (-log p(x|z)), `kl` (KL(q(z|x) || N(0, I)))
            and `elbo` (`-(reconstruction + kl)`).
        """
        x = np.asarray(x, dtype=np.float32)
        self._settle_likelihood(x)
        n = len(x)
        labels = labels_module.requested(n, labels, self.conditional,
                                         self.num_classes, model="VAE")
        if noise is None:
            noise = np.random.default_rng(seed).standard_normal(
                (n, self.latent_dim), dtype=np.float32
            )
        noise = np.asarray(noise, dtype=np.float32)
        if noise.shape != (n, self.latent_dim):
            raise ValueError(
                "`noise` must hold one standard-normal vector per sample, of "
                f"shape (n, latent_dim) = {(n, self.latent_dim)}. "
                f"Received: noise of shape {noise.shape}"
            )
        backend.current().sync_variables(self)
        parts = {"reconstruction": [], "kl": []}
        for start in range(0, n, batch_size):
            stop = start + batch_size
            y_batch = None
            if labels is not None:
                y_batch = self._encode_labels(labels[start:stop])
            samples = ops.convert_to_tensor(x[start:stop])
            mean, log_var = self._encode(samples, y_batch, training=False)
            z = _reparameterise(mean, log_var,
                                ops.convert_to_tensor(noise[start:stop]))
            decoded = self._decode(z, y_batch, training=False)
            for name, value in zip(
                parts, self._terms(samples, mean, log_var, decoded)
            ):
                parts[name].append(ops.convert_to_numpy(value))
        terms = {name: np.concatenate(v) for name, v in parts.items()}
        terms["elbo"] = -(terms["reconstruction"] + terms["kl"])
        return terms

    # ------------------------------------------------------------------
    # Serialization

    def save_own_variables(self, store):
        own_state.save(self, store)

    def load_own_variables(self, store):
        own_state.load(
            self, store,
            "observation variance, update counter, random-stream state",
            "It was saved by another version of keras-gans.",
        )

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        return {
            "name": self.name,
            "encoder": serialize(self.encoder),
            "decoder": serialize(self.decoder),
            "latent_dim": self.latent_dim,
            "likelihood": self.likelihood,
            "observation_std": self.observation_std,
            "beta": self.beta,
            "beta_warmup_steps": self.beta_warmup_steps,
            "conditional": self.conditional,
            "seed": self.seed,
            "label_mode": self.label_mode,
            "num_classes": self.num_classes,
        }

    @classmethod
    def from_config(cls, config):
        # Plugins' classes (layers of the networks) deserialize once
        # their modules are imported.
        plugins.catalogue().import_factories()
        config = dict(config)
        for key in ("encoder", "decoder"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _reparameterise(mean, log_var, noise):
    """z = mean + exp(log_var / 2) * noise: differentiable in mean, log_var."""
    return mean + ops.exp(0.5 * log_var) * noise


def _as_array(x):
    """x as a NumPy array when it is one (or a backend tensor), else None."""
    if isinstance(x, np.ndarray):
        return x
    if x is not None and ops.is_tensor(x):
        return ops.convert_to_numpy(x)
    return None


def _check_arguments(encoder, decoder, latent_dim, likelihood,
                     observation_std, beta, beta_warmup_steps):
    """Refuses bad constructor arguments, before any network is called."""
    if not is_positive_int(latent_dim):
        raise ValueError(
            "`latent_dim` must be a positive integer. "
            f"Received: latent_dim={latent_dim!r}"
        )
    for argument, model in (("encoder", encoder), ("decoder", decoder)):
        if not isinstance(model, keras.layers.Layer):
            raise ValueError(
                f"`{argument}` must be a Keras model or layer. "
                f"Received: {argument}={model!r}"
            )
    if likelihood not in LIKELIHOODS:
        raise ValueError(
            f"`likelihood` must be one of {LIKELIHOODS}: 'gaussian' for "
            "real-valued data, 'bernoulli' for data in [0, 1], 'auto' to "
            f"choose from the data. Received: likelihood={likelihood!r}"
        )
    if observation_std is not None:
        if likelihood != GAUSSIAN:
            raise ValueError(
                "`observation_std` fixes the noise of the Gaussian "
                "likelihood: pass likelihood='gaussian' with it (or leave "
                "it out to learn it). Received: "
                f"observation_std={observation_std!r}, "
                f"likelihood={likelihood!r}"
            )
        positive_float("observation_std", observation_std)
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not (
        math.isfinite(beta) and beta >= 0
    ):
        raise ValueError(
            "`beta` must be a non-negative number, the weight of the KL "
            f"term (1 for the ELBO). Received: beta={beta!r}"
        )
    if beta_warmup_steps != 0 and not is_positive_int(beta_warmup_steps):
        raise ValueError(
            "`beta_warmup_steps` must be a non-negative integer, the "
            "updates over which the KL weight grows to `beta`. "
            f"Received: beta_warmup_steps={beta_warmup_steps!r}"
        )

