"""The `GAN` model: a generator and a discriminator trained with `fit()`."""

import logging

import numpy as np

import keras
from keras import ops

from keras_gans import backend
from keras_gans.augment import base as augment_base
from keras_gans import labels as labels_module
from keras_gans import latent
from keras_gans.arguments import is_positive_int
from keras_gans import losses as losses_module
from keras_gans import own_state
from keras_gans import penalties as penalties_module
from keras_gans import privacy as privacy_module
from keras_gans import replica_draws
from keras_gans.privacy import checks as privacy_checks
from keras_gans.privacy import clipping
from keras_gans.optimizer_pair import OptimizerPair

_CHECK_BATCH = 2

logger = logging.getLogger("keras_gans")


@keras.saving.register_keras_serializable(package="keras_gans")
class GAN(keras.Model):
    """A generative adversarial network trained with `fit()` on any backend.

    The training step (losses, penalties, `d_steps` discriminator updates per
    generator update, EMA of the generator, metrics, sampling of z) is written
    once with `keras.ops`; only gradients are taken by backend code
    (`keras_gans.backend`). `compile(jit_compile="auto")` picks the faster
    path per backend and device (see `compile`).

    Conditional GANs: the data gives `(x, labels)`. When the generator has
    two inputs (`label_mode="index"`), it is called as `G([z, labels])` and
    the discriminator as `D([x, labels])`, with integer labels of shape
    `(batch,)`. With `label_mode="one_hot_concat"` (the keras-io
    `conditional_gan` layout), G is called on `concat([z, one_hot(labels)])`
    and D on the samples with the one-hot labels appended as channels,
    tiled over the other axes (see `keras_gans.labels`).

    Args:
        generator: a Keras model mapping z of shape `(batch, latent_dim)`
            (and labels) to a batch of samples.
        discriminator: a Keras model mapping samples (and labels) to logits
            of shape `(batch, 1)`.
        latent_dim: size of the latent vector z.
        conditional: whether both networks take class labels. Inferred from
            the generator's number of inputs when left as None.
        seed: seed of the model's random stream (z, penalty interpolation).
            None draws one from the global seed that
            `keras.utils.set_random_seed` sets.
        label_mode: how labels reach a conditional GAN's networks: `"index"`
            (`G([z, labels])`, `D([x, labels])`) or `"one_hot_concat"`
            (single-input networks reading the one-hot labels joined to z
            and to the samples' channels). None infers it: `"index"` for a
            generator with two inputs, `"one_hot_concat"` for a single
            input of size `latent_dim + num_classes` when `num_classes` is
            given.
        num_classes: the number of classes. Optional with `"index"` (then
            `generate()` checks labels against it); with `"one_hot_concat"`
            inferred from the generator's input size when left out.
        augment: None, or an augmentation (`keras_gans.augment.DiffAugment`,
            `keras_gans.augment.ADA`, a plugin's `Augmentation`) applied
            to the real and the fake images before D in both updates; the
            penalty sees the augmented images. Its state (ADA's p) is
            saved with the model, and the step logs `aug/p` and `aug/rt`.

    Example:

    ```python
    gan = keras_gans.GAN(generator=G, discriminator=D, latent_dim=64)
    gan.compile(
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        loss="non_saturating",
    )
    gan.fit(x, batch_size=256, epochs=5)
    samples = gan.generate(16, seed=0)
    ```
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        conditional=None,
        seed=None,
        label_mode=None,
        num_classes=None,
        augment=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not is_positive_int(latent_dim):
            raise ValueError(
                "`latent_dim` must be a positive integer. "
                f"Received: latent_dim={latent_dim!r}"
            )
        for argument, model in (
            ("generator", generator),
            ("discriminator", discriminator),
        ):
            if not isinstance(model, keras.layers.Layer):
                raise ValueError(
                    f"`{argument}` must be a Keras model or layer. "
                    f"Received: {argument}={model!r}"
                )
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        conditional, self.label_mode, self.num_classes = labels_module.resolve(
            label_mode, num_classes, conditional, generator, self.latent_dim
        )
        self.conditional = bool(conditional)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.sample_shape = self._check_networks()
        self.augment = _check_augment(augment, self.sample_shape)
        self._ema_weights = []
        self.ema = None
        self.penalty = None
        self.privacy = None
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.penalty_tracker = keras.metrics.Mean(name="penalty")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.built = True

    # ------------------------------------------------------------------
    # Construction checks

    def _check_networks(self):
        """Calls G and D once on a tiny batch; returns G's sample shape.

        Shape mistakes surface here, before any training, with the argument
        at fault named.
        """
        declared = labels_module.declared_input_size(self.generator)
        one_hot = self.label_mode == labels_module.ONE_HOT_CONCAT
        if declared is not None and declared != self.latent_dim and (
            not one_hot
        ):
            hint = ""
            if declared > self.latent_dim:
                hint = (
                    " If it reads z joined with one-hot labels (the keras-io "
                    "conditional_gan layout), pass "
                    "label_mode='one_hot_concat' and "
                    f"num_classes={declared - self.latent_dim}."
                )
            raise ValueError(
                "The generator's latent input has size "
                f"{declared}, which does not match `latent_dim`. Pass "
                f"latent_dim={declared} or change the generator.{hint} "
                f"Received: latent_dim={self.latent_dim}"
            )
        z = ops.zeros((_CHECK_BATCH, self.latent_dim))
        labels = self._encode_labels(ops.zeros((_CHECK_BATCH,), dtype="int32"))
        try:
            fake = self._run_generator(z, labels, training=False)
        except Exception as error:
            what = {
                None: "z",
                labels_module.INDEX: "[z, labels]",
                labels_module.ONE_HOT_CONCAT: "concat([z, one_hot(labels)])",
            }[self.label_mode]
            raise ValueError(
                f"The generator could not be called on {what} with z of "
                f"shape ({_CHECK_BATCH}, {self.latent_dim}): {error}. Check "
                "that its input matches `latent_dim` (and, for a conditional "
                "model, that it takes [z, labels]). "
                f"Received: latent_dim={self.latent_dim}, "
                f"conditional={self.conditional}, "
                f"label_mode={self.label_mode!r}"
            ) from error
        if one_hot:
            self._check_one_hot_discriminator(fake)
        try:
            logits = self._run_discriminator(fake, labels, training=False)
        except Exception as error:
            raise ValueError(
                "The discriminator could not be called on the generator's "
                f"output: {error}. Its input must match the generator's "
                "samples (and take [x, labels] for a conditional model). "
                f"Received: generator output shape={tuple(fake.shape)}, "
                f"conditional={self.conditional}, "
                f"label_mode={self.label_mode!r}"
            ) from error
        if tuple(logits.shape) != (_CHECK_BATCH, 1):
            raise ValueError(
                "The discriminator must return logits of shape (batch, 1). "
                "Received: discriminator output of shape "
                f"{tuple(logits.shape)} for a batch of {_CHECK_BATCH}"
            )
        return tuple(fake.shape[1:])

    def _check_one_hot_discriminator(self, fake):
        """D must read the samples' channels plus one per class."""
        declared = labels_module.declared_channels(self.discriminator)
        expected = fake.shape[-1] + self.num_classes
        if declared is not None and declared != expected:
            raise ValueError(
                "With label_mode='one_hot_concat' the discriminator reads "
                "the samples with the one-hot labels appended on the last "
                f"axis: {fake.shape[-1]} + num_classes={self.num_classes} = "
                f"{expected} channels. Received: a discriminator input of "
                f"shape {tuple(self.discriminator.inputs[0].shape)} for "
                f"samples of shape {tuple(fake.shape)}"
            )

    # ------------------------------------------------------------------
    # Compilation

    def compile(
        self,
        g_optimizer=None,
        d_optimizer=None,
        loss="non_saturating",
        d_steps=1,
        penalty=None,
        ema=None,
        jit_compile="auto",
        steps_per_execution=1,
        run_eagerly=False,
        privacy=None,
    ):
        """Configures the GAN for training.

        Args:
            g_optimizer: optimizer of the generator (instance, name or
                config).
            d_optimizer: optimizer of the discriminator; a different
                instance from `g_optimizer`.
            loss: a loss name (`non_saturating`, `minimax`, `wasserstein`,
                `hinge`, `least_squares`, `relativistic_average`) or an
                object with `discriminator_loss` and `generator_loss`.
            d_steps: discriminator updates per generator update (n_critic).
                Each uses the same real batch and a fresh z.
            penalty: None, `"wgan_gp"`, `"r1"` or a penalty object such as
                `keras_gans.penalties.R1(weight=0.1)`.
            ema: None, or the decay (e.g. 0.999) of an exponential moving
                average of the generator's weights, used by `generate()`.
            jit_compile: `"auto"` decides per backend and device from
                measurements: jit on JAX, PyTorch eagerly, and TensorFlow
                with XLA except for first-order steps of convolutional
                networks on a CPU (README, "Speed"). Where XLA
                runs on a CPU, the convolutions it runs slowly are rewritten
                in place into equivalents with the same weights
                (`keras_gans.layers.accelerate`). True or False are
                honoured; False runs eagerly everywhere, for debugging.
                `fit()` logs the choice and why (logger `keras_gans`).
            steps_per_execution: training steps per call of the train
                function, on every backend (Keras' PyTorch trainer alone
                refuses more than 1; keras-gans runs them in a loop there).
                Callbacks then see every k-th step, which saves their
                per-step cost; the weights are the same as with 1.
            run_eagerly: run the step as plain Python (debugging).
            privacy: None, a `keras_gans.privacy.Privacy` or a dict of its
                arguments (`noise_multiplier`, `l2_norm_clip`): train D
                with DP-SGD (see `_private_discriminator_update`). Each
                of the `d_steps` updates of a training step is one run of
                the Gaussian mechanism on that step's real batch.

        Raises:
            ValueError: for a missing optimizer, an unknown loss or penalty
                name, or an invalid `d_steps` or `ema`; with `privacy`, for
                what DP-SGD cannot train (`keras_gans.privacy.checks`):
                BatchNormalization in D, a loss coupling the examples, a
                penalty without `points`/`at`, an adaptive augmentation,
                float16.
        """
        g_optimizer = _get_optimizer("g_optimizer", g_optimizer)
        d_optimizer = _get_optimizer("d_optimizer", d_optimizer)
        if g_optimizer is d_optimizer:
            raise ValueError(
                "`g_optimizer` and `d_optimizer` must be two different "
                "optimizer instances: each keeps the state of one network. "
                f"Received: the same object twice ({g_optimizer.name})"
            )
        gan_loss = losses_module.get(loss)
        penalty = penalties_module.get(penalty)
        privacy = privacy_module.get(privacy)
        if privacy is not None:
            privacy_checks.check_discriminator(self.discriminator)
            privacy_checks.check_loss(gan_loss)
            privacy_checks.check_penalty(penalty)
            privacy_checks.check_augment(self.augment)
            privacy_checks.check_float16(self._uses_float16())
        if not is_positive_int(d_steps):
            raise ValueError(
                "`d_steps` must be a positive integer. "
                f"Received: d_steps={d_steps!r}"
            )
        if not is_positive_int(steps_per_execution):
            raise ValueError(
                "`steps_per_execution` must be a positive integer: the "
                "number of training steps each call of the train function "
                f"runs. Received: steps_per_execution={steps_per_execution!r}"
            )
        if ema is not None and not (
            isinstance(ema, (int, float, np.floating))
            and not isinstance(ema, bool)
            and 0.0 <= ema < 1.0
        ):
            raise ValueError(
                "`ema` must be None or a decay in [0, 1), such as 0.999. "
                f"Received: ema={ema!r}"
            )
        gradients = backend.current()
        # Saved as chosen ("auto"), so a model saved on one backend compiles
        # on another the way that backend does by default.
        self._jit_compile_choice = jit_compile
        if jit_compile == "auto":
            jit_compile, reason = gradients.resolve_jit_compile(self, penalty)
        else:
            reason = f"jit_compile={jit_compile!r} passed to compile()"
        if jit_compile and penalty is not None:
            gradients.check_compiled_penalty(penalty)
        gradients.check_distributed(self, jit_compile, privacy)
        changes = gradients.accelerate_networks(
            self.generator, self.discriminator, jit_compile, penalty
        )
        self._compile_note = backend.compile_note(
            jit_compile, reason, changes, run_eagerly
        )
        if self._uses_float16():
            g_optimizer = _loss_scaled(g_optimizer)
            d_optimizer = _loss_scaled(d_optimizer)

        super().compile(
            optimizer=None,
            jit_compile=jit_compile,
            steps_per_execution=int(steps_per_execution),
            run_eagerly=run_eagerly,
        )
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.optimizer = OptimizerPair(g_optimizer, d_optimizer, self)
        self.optimizer.build()
        self.gan_loss = gan_loss
        self.penalty = penalty
        self.d_steps = int(d_steps)
        self.privacy = privacy
        self.ema = None if ema is None else float(ema)
        if self.ema is not None and not self._ema_weights:
            self._create_ema_weights()

    def _uses_float16(self):
        policies = (
            keras.config.dtype_policy(),
            self.generator.dtype_policy,
            self.discriminator.dtype_policy,
        )
        return any(p.compute_dtype == "float16" for p in policies)

    def _create_ema_weights(self):
        for index, variable in enumerate(self.generator.trainable_variables):
            average = self.add_weight(
                shape=variable.shape,
                dtype=variable.dtype,
                initializer="zeros",
                trainable=False,
                name=f"generator_ema_{index}",
            )
            # Sharded like the weight it averages (JAX model parallelism).
            backend.share_layout(average, variable)
            # A copy: JAX would otherwise share (and donate twice) one buffer.
            average.assign(ops.copy(variable.value))
            self._ema_weights.append(average)

    def get_compile_config(self):
        if not self.compiled:
            return None
        serialize = keras.saving.serialize_keras_object
        return {
            "g_optimizer": serialize(self.g_optimizer),
            "d_optimizer": serialize(self.d_optimizer),
            "loss": serialize(self.gan_loss),
            "d_steps": self.d_steps,
            "penalty": serialize(self.penalty),
            "ema": self.ema,
            "jit_compile": self._jit_compile_choice,
            "steps_per_execution": self.steps_per_execution,
            "privacy": (None if self.privacy is None
                        else self.privacy.get_config()),
        }

    def compile_from_config(self, config):
        _load_plugins()
        deserialize = keras.saving.deserialize_keras_object
        config = dict(config)
        for key in ("g_optimizer", "d_optimizer", "loss", "penalty"):
            if config.get(key) is not None:
                config[key] = deserialize(config[key])
        self.compile(**config)

    # ------------------------------------------------------------------
    # Training

    @property
    def metrics(self):
        trackers = [self.d_loss_tracker, self.g_loss_tracker]
        if self.penalty is not None:
            trackers.append(self.penalty_tracker)
        return trackers + [self.d_real_tracker, self.d_fake_tracker]

    @property
    def ema_weights(self):
        """The moving averages of the generator's trainable weights.

        Variables in the order of `generator.trainable_variables`; empty
        when `ema` is not set.
        """
        return list(self._ema_weights)

    @property
    def steps(self):
        """Generator updates made so far (restored with the model)."""
        return int(ops.convert_to_numpy(
            ops.convert_to_tensor(self.g_optimizer.iterations)))

    def fit(self, *args, **kwargs):
        """Keras' `fit()`; a failure never leaves the model without weights.

        Logs (logger `keras_gans`, level INFO) how the step runs and why.
        """
        note = getattr(self, "_compile_note", None)
        if note:
            logger.info(note)
        with backend.current().keep_variables_on_error(self):
            return super().fit(*args, **kwargs)

    def make_train_function(self, force=False):
        """Keras' hook; the backend module may build its own train function."""
        return backend.current().make_train_function(
            self, super().make_train_function, force
        )

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Keras' TensorFlow trainer hook before `fit()`; see
        `keras_gans.backend.tensorflow.maybe_symbolic_build` (the other
        backends' trainers never call it)."""
        return backend.current().maybe_symbolic_build(
            self, super()._maybe_symbolic_build, iterator, data_batch)

    def train_step(self, *args):
        """Keras' hook, adapted per backend to `gan_step`."""
        return backend.current().train_step(self, *args)

    def gan_step(self, data):
        """One generator update after `d_steps` discriminator updates.

        Written once for every backend; called by `train_step`.
        """
        real, labels = self._unpack_batch(data)
        for _ in range(self.d_steps):
            self._discriminator_update(real, labels)
        self._generator_update(real, labels)
        if self.ema is not None:
            self._update_ema()
        if self.augment is not None:
            self.augment.advance(ops.shape(real)[0])
        # What each replica updated from its own rows, made to agree before
        # the logs are read from it.
        backend.agree_over_replicas(self)
        logs = {tracker.name: tracker.result() for tracker in self.metrics}
        if self.augment is not None:
            logs.update(self.augment.logs())
        return backend.replica_logs(logs)

    def _unpack_batch(self, data):
        real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if tuple(real.shape[1:]) != self.sample_shape:
            raise ValueError(
                "Training samples must have the generator's sample shape "
                f"{self.sample_shape}. Received: samples of shape "
                f"{tuple(real.shape[1:])} (batch dimension left out)"
            )
        if labels is not None and not self.conditional:
            raise ValueError(
                "The data yields (x, labels) but this GAN is unconditional. "
                "Pass only x to fit(), or build a conditional generator "
                "taking [z, labels]. Received: labels of shape "
                f"{tuple(labels.shape)}"
            )
        if labels is None and self.conditional:
            raise ValueError(
                "This GAN is conditional: fit() needs (x, labels) with "
                "integer labels of shape (batch,). Received: labels=None"
            )
        real = ops.cast(real, "float32")
        if labels is not None:
            labels = self._encode_labels(labels)
        return real, labels

    def _encode_labels(self, labels):
        return labels_module.encode(labels, self.label_mode, self.num_classes)

    def _discriminator_update(self, real, labels):
        batch_size = ops.shape(real)[0]
        # No gradient flows into G here: PyTorch need not record its graph.
        with backend.current().without_gradients():
            fake = self._run_generator(
                self._sample_latent(batch_size), labels, training=True
            )
        fake = ops.stop_gradient(ops.cast(fake, "float32"))
        real = self._augmented(real)
        fake = self._augmented(fake)
        if self.privacy is not None:
            self._private_discriminator_update(real, fake, labels)
            return
        optimizer = self.d_optimizer

        def loss_fn():
            real_logits = self._run_discriminator(real, labels, training=True)
            fake_logits = self._run_discriminator(fake, labels, training=True)
            loss = self.gan_loss.discriminator_loss(real_logits, fake_logits)
            penalty = 0.0
            if self.penalty is not None:
                penalty = self.penalty(
                    lambda x: self._run_discriminator(x, labels, training=True),
                    real,
                    fake,
                    self.seed_generator,
                )
                loss = loss + penalty
            scaled = optimizer.scale_loss(loss * backend.replica_loss_scale())
            return scaled, (loss, penalty, real_logits, fake_logits)

        variables = self.discriminator.trainable_variables
        (_, aux), grads = backend.value_and_grad(loss_fn, variables)
        backend.apply_gradients(optimizer, grads, variables)
        self._track_discriminator(*aux)

    def _track_discriminator(self, loss, penalty, real_logits, fake_logits):
        """Records a D update's loss, penalty and mean logits, and shows
        an adaptive augmentation D's logits on the real batch."""
        self.d_loss_tracker.update_state(loss)
        if self.penalty is not None:
            self.penalty_tracker.update_state(penalty)
        self.d_real_tracker.update_state(ops.mean(real_logits))
        if self.augment is not None:
            self.augment.observe(real_logits)
        self.d_fake_tracker.update_state(ops.mean(fake_logits))

    def _private_discriminator_update(self, real, fake, labels):
        """One DP-SGD update of D (Abadi et al. 2016) on this batch.

        Each example's loss is D's loss on `(real_i, fake_i)` (plus the
        penalty at that example's point, drawn for the whole batch first);
        its gradient over all of D's trainable weights is clipped to
        `l2_norm_clip`; the clipped gradients are summed, Gaussian noise
        from the GAN's seed generator is added and the sum divided by the
        batch size (`keras_gans.privacy.clipping`) before `d_optimizer`
        applies it. The random stream is drawn in the order z, the
        penalty's points, the noise.

        The logged `d_loss`, `penalty`, `d_real` and `d_fake` are means of
        the per-example values on the real batch before clipping and
        noise: they are outside the private mechanism.
        """
        batch = [real, fake]
        if labels is not None:
            batch.append(labels)
        if self.penalty is not None:
            batch.append(self.penalty.points(real, fake, self.seed_generator))

        def example_loss(example):
            example = [ops.expand_dims(x, 0) for x in example]
            real_i, fake_i = example[0], example[1]
            labels_i = example[2] if labels is not None else None

            def discriminator(x):
                return self._run_discriminator(x, labels_i, training=True)

            real_logits = ops.cast(discriminator(real_i), "float32")
            fake_logits = ops.cast(discriminator(fake_i), "float32")
            loss = self.gan_loss.discriminator_loss(real_logits, fake_logits)
            penalty = ops.zeros((), "float32")
            if self.penalty is not None:
                penalty = self.penalty.at(discriminator, example[-1])
                loss = loss + penalty
            return loss, (penalty, real_logits[0, 0], fake_logits[0, 0])

        variables = self.discriminator.trainable_variables
        (losses, aux), grads = backend.per_example_value_and_grad(
            example_loss, variables, batch
        )
        grads = clipping.private_gradients(grads, self.privacy,
                                           self.seed_generator)
        backend.apply_gradients(self.d_optimizer, grads, variables)
        penalties, real_logits, fake_logits = aux
        self._track_discriminator(ops.mean(losses), ops.mean(penalties),
                                  real_logits, fake_logits)

    def _generator_update(self, real, labels):
        batch_size = ops.shape(real)[0]
        z = self._sample_latent(batch_size)
        optimizer = self.g_optimizer
        needs_real = getattr(self.gan_loss, "generator_needs_real_logits", False)

        def loss_fn():
            fake = self._augmented(self._run_generator(z, labels,
                                                       training=True))
            fake_logits = self._run_discriminator(fake, labels, training=True)
            real_logits = None
            if needs_real:
                real_logits = self._run_discriminator(
                    self._augmented(real), labels, training=True
                )
            loss = self.gan_loss.generator_loss(fake_logits, real_logits)
            scaled = optimizer.scale_loss(loss * backend.replica_loss_scale())
            return scaled, loss

        variables = self.generator.trainable_variables
        (_, loss), grads = backend.value_and_grad(loss_fn, variables)
        backend.apply_gradients(optimizer, grads, variables)
        self.g_loss_tracker.update_state(loss)

    def _update_ema(self):
        decay = self.ema
        for average, variable in zip(
            self._ema_weights, self.generator.trainable_variables
        ):
            average.assign(average + (1.0 - decay) * (variable - average))

    def _augmented(self, images):
        """The images as D sees them: augmented when `augment` is set."""
        if self.augment is None:
            return images
        return self.augment(ops.cast(images, "float32"), self.seed_generator)

    def _sample_latent(self, batch_size):
        # Drawn for the global batch when replicas split it
        # (`keras_gans.replica_draws`), so N devices draw what one does.
        return replica_draws.batch_rows(
            lambda shape: keras.random.normal(shape,
                                              seed=self.seed_generator),
            (batch_size, self.latent_dim),
        )

    def _run_generator(self, z, labels, training):
        inputs = labels_module.generator_inputs(z, labels, self.label_mode)
        return self.generator(inputs, training=training)

    def _run_discriminator(self, x, labels, training):
        inputs = labels_module.discriminator_inputs(x, labels,
                                                    self.label_mode)
        return self.discriminator(inputs, training=training)

    # ------------------------------------------------------------------
    # Sampling

    def call(self, inputs, training=False, use_ema=True):
        """Runs the generator: `gan(z)` or, if conditional, `gan([z, y])`.

        Outside training, `gan(z)` and `gan.predict(z)` use the weights
        `export_generator()` ships (the moving averages when `ema` is
        set), so they agree with `generate()`; `use_ema=False` (or
        `gan.generator(z)`) runs the raw weights. Training never goes
        through `call`.
        """
        weights = None if training else self._export_weights(use_ema)
        if weights is None:
            return self.generator(inputs, training=training)
        out, _ = self.generator.stateless_call(*weights, inputs,
                                               training=False)
        return out

    def _export_weights(self, use_ema=True):
        """The generator's `(trainable, non-trainable)` values to sample
        with: the moving averages in place of the trainable weights when
        `ema` is set; None when the generator's own weights are the ones.

        The one rule for "which weights": `call`, `generate` and
        `export_generator` all ask here.
        """
        if not (use_ema and self._ema_weights):
            return None
        return (
            [v.value for v in self._ema_weights],
            [v.value for v in self.generator.non_trainable_variables],
        )

    def export_generator(self):
        """The generator to ship: a plain Keras model with the weights
        `generate()` samples with.

        Named for its purpose rather than its weights: with `ema` set it
        carries the moving averages of the generator's trainable weights
        (what `generate()`, `gan(z)` and the run's `generator.keras` use);
        without an EMA, a copy of the raw generator. Either way it is a new
        model: training the GAN further does not change it, and saving or
        exporting it (`.save(...)`, `.export(...)`) needs no keras-gans.

        Returns:
            A `keras.Model` of the same architecture as `generator`.
        """
        backend.current().sync_variables(self)
        exported = keras.models.clone_model(self.generator)
        weights = self._export_weights()
        averages = {}
        if weights is not None:
            averages = dict(zip(
                (id(v) for v in self.generator.trainable_variables),
                weights[0],
            ))
        exported.set_weights([
            ops.convert_to_numpy(
                averages.get(id(v), ops.convert_to_tensor(v)))
            for v in self.generator.weights
        ])
        return exported

    def generate(self, n=None, seed=None, labels=None, batch_size=256,
                 use_ema=True, z=None, truncation=None):
        """Draws samples from the generator as a float32 numpy array.

        Args:
            n: number of samples (may be left out when `z` is given).
            seed: integer seed for z; the same seed gives the same samples
                for the same weights, on every backend. None draws z from
                numpy's global generator (seeded by
                `keras.utils.set_random_seed`).
            labels: class labels for a conditional GAN: an int (all samples)
                or a sequence of `n` ints.
            batch_size: samples per generator call.
            use_ema: use the moving-average weights when `ema` is set (the
                weights `export_generator()` ships).
            z: latent vectors to decode, shape `(n, latent_dim)`, instead
                of drawing them from `seed`.
            truncation: the truncation trick: a threshold t > 0; every
                latent coordinate with |z_i| > t is redrawn until none is
                (BigGAN's resampling; see `latent.prior_noise`). Trades
                diversity for fidelity. Not allowed with `z`.

        Returns:
            A numpy array of shape `(n, *sample_shape)`.

        Raises:
            ValueError: for a bad `n`, `z`, `truncation` or labels.
        """
        z = latent.requested(n, self.latent_dim, seed, z, truncation)
        n = len(z)
        labels = self._check_labels(n, labels)
        backend.current().sync_variables(self)
        weights = self._export_weights(use_ema)
        batches = []
        for start in range(0, n, batch_size):
            stop = start + batch_size
            z_batch = ops.convert_to_tensor(z[start:stop])
            y_batch = None
            if labels is not None:
                y_batch = self._encode_labels(labels[start:stop])
            inputs = labels_module.generator_inputs(z_batch, y_batch,
                                                    self.label_mode)
            if weights is None:
                out = self.generator(inputs, training=False)
            else:
                out, _ = self.generator.stateless_call(
                    *weights, inputs, training=False
                )
            batches.append(ops.convert_to_numpy(ops.cast(out, "float32")))
        return np.concatenate(batches, axis=0)

    def _check_labels(self, n, labels):
        return labels_module.requested(n, labels, self.conditional,
                                       self.num_classes)

    # ------------------------------------------------------------------
    # Serialization

    def save_own_variables(self, store):
        own_state.save(self, store)

    def load_own_variables(self, store):
        own_state.load(
            self, store, "EMA weights and the random-stream state",
            "Compile with the same `ema` setting as the saved model. "
            f"Received: ema={self.ema}",
        )

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        return {
            "name": self.name,
            "generator": serialize(self.generator),
            "discriminator": serialize(self.discriminator),
            "latent_dim": self.latent_dim,
            "conditional": self.conditional,
            "seed": self.seed,
            "label_mode": self.label_mode,
            "num_classes": self.num_classes,
            "augment": serialize(self.augment),
        }

    @classmethod
    def from_config(cls, config):
        _load_plugins()
        config = dict(config)
        for key in ("generator", "discriminator", "augment"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(
                    config[key])
        return cls(**config)


def _load_plugins():
    """Imports the plugins, so classes they define deserialize."""
    from keras_gans import plugins

    plugins.catalogue().import_factories()


def _check_augment(augment, sample_shape):
    """`augment` if it is None or an augmentation for these samples."""
    if augment is None:
        return None
    if not isinstance(augment, augment_base.Augmentation):
        raise ValueError(
            "`augment` must be None or a keras_gans.augment.Augmentation, "
            "such as keras_gans.augment.ADA() or DiffAugment(). "
            f"Received: augment={augment!r}"
        )
    augment_base.check_images(ops.zeros((1,) + tuple(sample_shape)))
    return augment


def _get_optimizer(argument, optimizer):
    if optimizer is None:
        raise ValueError(
            f"compile() needs `{argument}`, the optimizer of the "
            f"{'generator' if argument[0] == 'g' else 'discriminator'}, for "
            "example keras.optimizers.Adam(2e-4, beta_1=0.5). "
            f"Received: {argument}=None"
        )
    try:
        return keras.optimizers.get(optimizer)
    except ValueError as error:
        raise ValueError(
            f"`{argument}` must be a Keras optimizer, its name or its config. "
            f"Received: {argument}={optimizer!r}"
        ) from error


def _loss_scaled(optimizer):
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)

