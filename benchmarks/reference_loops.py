"""Hand-written Keras training loops, one per backend, for the throughput benchmark.

Each loop follows the pattern of Keras' "customizing what happens in fit()"
guides for its backend and does the same math as `keras_gans.GAN`: `d_steps`
discriminator updates (same real batch, fresh z) then one generator update,
the same losses, and for WGAN-GP the penalty on random interpolates with a
nested gradient. They are written independently of keras-gans' code, so the
benchmark compares the framework against what an expert writes by hand.

`make_loop(...)` returns `(step, sync)`: `step(real, labels=None)` trains
on one numpy batch (with integer labels for a conditional GAN, whose
networks take `[z, labels]` and `[x, labels]`) and `sync()` waits until all
queued work is finished.

`keras_io_model(...)` is the same TensorFlow step written as the keras-io
examples write it: a `keras.Model` whose `train_step` does the updates,
compiled with Keras' default `compile()` (on a CPU, `jit_compile="auto"`
means no XLA), trained with `fit()`.
"""

import keras
from keras import ops


def adam_pair():
    """The optimizers every loop in the benchmark uses (DCGAN's settings)."""
    return (
        keras.optimizers.Adam(2e-4, beta_1=0.5),
        keras.optimizers.Adam(2e-4, beta_1=0.5),
    )


def d_loss(loss, real_logits, fake_logits):
    """Discriminator loss on logits: `non_saturating` or `wasserstein`."""
    if loss == "wasserstein":
        return ops.mean(fake_logits) - ops.mean(real_logits)
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(
        ops.softplus(fake_logits)
    )


def g_loss(loss, fake_logits):
    """Generator loss on logits: `non_saturating` or `wasserstein`."""
    if loss == "wasserstein":
        return -ops.mean(fake_logits)
    return ops.mean(ops.softplus(-fake_logits))


def _alpha_shape(real):
    return (real.shape[0],) + (1,) * (len(real.shape) - 1)


def _gp_from_grad(grad, weight):
    axes = list(range(1, len(grad.shape)))
    norm = ops.sqrt(ops.sum(ops.square(grad), axis=axes) + 1e-12)
    return weight * ops.mean(ops.square(norm - 1.0))


def _with_labels(x, labels):
    return x if labels is None else [x, labels]


def make_loop(generator, discriminator, latent_dim, loss, gp_weight, d_steps):
    """The hand-written loop of the active backend; returns `(step, sync)`."""
    backend = keras.backend.backend()
    builder = {
        "tensorflow": _tensorflow_loop,
        "jax": _jax_loop,
        "torch": _torch_loop,
    }[backend]
    return builder(generator, discriminator, latent_dim, loss, gp_weight, d_steps)


def _tensorflow_step(G, D, latent_dim, loss, gp_weight, d_steps):
    """The TensorFlow training step as a plain function `step(real, labels)`."""
    import tensorflow as tf

    g_opt, d_opt = adam_pair()
    g_opt.build(G.trainable_variables)
    d_opt.build(D.trainable_variables)
    seeds = keras.random.SeedGenerator(1)

    def penalty(real, fake, labels):
        alpha = keras.random.uniform(_alpha_shape(real), seed=seeds)
        points = real + alpha * (fake - real)
        with tf.GradientTape() as inner:
            inner.watch(points)
            logits = D(_with_labels(points, labels), training=True)
            total = tf.reduce_sum(logits)
        return _gp_from_grad(inner.gradient(total, points), gp_weight)

    def step(real, labels=None):
        batch = real.shape[0]
        for _ in range(d_steps):
            z = keras.random.normal((batch, latent_dim), seed=seeds)
            fake = G(_with_labels(z, labels), training=True)
            with tf.GradientTape() as tape:
                loss_d = d_loss(
                    loss,
                    D(_with_labels(real, labels), training=True),
                    D(_with_labels(fake, labels), training=True),
                )
                if gp_weight:
                    loss_d = loss_d + penalty(real, fake, labels)
            grads = tape.gradient(loss_d, D.trainable_variables)
            d_opt.apply(grads, D.trainable_variables)
        z = keras.random.normal((batch, latent_dim), seed=seeds)
        with tf.GradientTape() as tape:
            fake = G(_with_labels(z, labels), training=True)
            loss_g = g_loss(loss, D(_with_labels(fake, labels), training=True))
        grads = tape.gradient(loss_g, G.trainable_variables)
        g_opt.apply(grads, G.trainable_variables)
        return loss_d, loss_g

    return step


def keras_io_model(G, D, latent_dim, loss, gp_weight, d_steps):
    """A keras-io style GAN: `train_step` overridden, default `compile()`."""
    step = _tensorflow_step(G, D, latent_dim, loss, gp_weight, d_steps)

    class KerasIoGAN(keras.Model):
        def __init__(self):
            super().__init__()
            self.generator = G
            self.discriminator = D

        def train_step(self, data):
            real, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
            loss_d, loss_g = step(real, labels)
            return {"d_loss": loss_d, "g_loss": loss_g}

    model = KerasIoGAN()
    model.compile()
    return model


def _tensorflow_loop(G, D, latent_dim, loss, gp_weight, d_steps):
    """`tf.function(jit_compile=True)` + `GradientTape` + `optimizer.apply`."""
    import tensorflow as tf

    step = tf.function(
        _tensorflow_step(G, D, latent_dim, loss, gp_weight, d_steps),
        jit_compile=True,
    )
    last = []

    def run(real, labels=None):
        labels = None if labels is None else tf.constant(labels)
        last[:] = step(tf.constant(real), labels)

    def sync():
        if last:
            last[0].numpy()

    return run, sync


def _jax_loop(G, D, latent_dim, loss, gp_weight, d_steps):
    """`jax.jit` over `stateless_call` + `value_and_grad` + `stateless_apply`."""
    import jax
    import jax.numpy as jnp

    g_opt, d_opt = adam_pair()
    g_opt.build(G.trainable_variables)
    d_opt.build(D.trainable_variables)

    def values(variables):
        return [v.value for v in variables]

    state = [
        values(G.trainable_variables),
        values(G.non_trainable_variables),
        values(D.trainable_variables),
        values(D.non_trainable_variables),
        values(g_opt.variables),
        values(d_opt.variables),
        jax.random.key(1),
    ]

    def d_update(state, real, labels):
        g_tv, g_ntv, d_tv, d_ntv, g_ov, d_ov, key = state
        key, key_z, key_alpha = jax.random.split(key, 3)
        z = jax.random.normal(key_z, (real.shape[0], latent_dim))
        fake, g_ntv = G.stateless_call(
            g_tv, g_ntv, _with_labels(z, labels), training=True
        )
        fake = jax.lax.stop_gradient(fake)

        def loss_fn(d_tv, d_ntv):
            real_logits, d_ntv = D.stateless_call(
                d_tv, d_ntv, _with_labels(real, labels), training=True
            )
            fake_logits, d_ntv = D.stateless_call(
                d_tv, d_ntv, _with_labels(fake, labels), training=True
            )
            value = d_loss(loss, real_logits, fake_logits)
            if gp_weight:
                alpha = jax.random.uniform(key_alpha, _alpha_shape(real))
                points = real + alpha * (fake - real)

                def total(x):
                    out, _ = D.stateless_call(
                        d_tv, d_ntv, _with_labels(x, labels), training=True
                    )
                    return jnp.sum(out)

                value = value + _gp_from_grad(
                    jax.grad(total)(points), gp_weight
                )
            return value, d_ntv

        (value, d_ntv), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            d_tv, d_ntv
        )
        d_tv, d_ov = d_opt.stateless_apply(d_ov, grads, d_tv)
        return [g_tv, g_ntv, d_tv, d_ntv, g_ov, d_ov, key], value

    def g_update(state, real, labels):
        g_tv, g_ntv, d_tv, d_ntv, g_ov, d_ov, key = state
        key, key_z = jax.random.split(key)
        z = jax.random.normal(key_z, (real.shape[0], latent_dim))

        def loss_fn(g_tv, g_ntv, d_ntv):
            fake, g_ntv = G.stateless_call(
                g_tv, g_ntv, _with_labels(z, labels), training=True
            )
            logits, d_ntv = D.stateless_call(
                d_tv, d_ntv, _with_labels(fake, labels), training=True
            )
            return g_loss(loss, logits), (g_ntv, d_ntv)

        (value, (g_ntv, d_ntv)), grads = jax.value_and_grad(
            loss_fn, has_aux=True
        )(g_tv, g_ntv, d_ntv)
        g_tv, g_ov = g_opt.stateless_apply(g_ov, grads, g_tv)
        return [g_tv, g_ntv, d_tv, d_ntv, g_ov, d_ov, key], value

    @jax.jit
    def train(state, real, labels):
        for _ in range(d_steps):
            state, loss_d = d_update(state, real, labels)
        state, loss_g = g_update(state, real, labels)
        return state, (loss_d, loss_g)

    def run(real, labels=None):
        labels = None if labels is None else jnp.asarray(labels)
        state[:], _ = train(state, jnp.asarray(real), labels)

    def sync():
        jax.block_until_ready(state)

    return run, sync


def _torch_loop(G, D, latent_dim, loss, gp_weight, d_steps):
    """Eager `loss.backward()` + `optimizer.apply` on the Keras torch backend."""
    import torch

    g_opt, d_opt = adam_pair()
    g_opt.build(G.trainable_variables)
    d_opt.build(D.trainable_variables)
    seeds = keras.random.SeedGenerator(1)
    g_params = [v.value for v in G.trainable_variables]
    d_params = [v.value for v in D.trainable_variables]

    def penalty(real, fake, labels):
        alpha = keras.random.uniform(_alpha_shape(real), seed=seeds)
        points = (real + alpha * (fake - real)).requires_grad_(True)
        total = D(_with_labels(points, labels), training=True).sum()
        (grad,) = torch.autograd.grad(total, points, create_graph=True)
        return _gp_from_grad(grad, gp_weight)

    def update(optimizer, value, params, variables):
        for param in params:
            param.grad = None
        value.backward(inputs=params)
        with torch.no_grad():
            optimizer.apply([p.grad for p in params], variables)

    def run(real, labels=None):
        # On Keras' device (the GPU when there is one), like z and alpha.
        real = keras.ops.convert_to_tensor(real)
        labels = None if labels is None else keras.ops.convert_to_tensor(
            labels)
        batch = real.shape[0]
        for _ in range(d_steps):
            z = keras.random.normal((batch, latent_dim), seed=seeds)
            with torch.no_grad():
                fake = G(_with_labels(z, labels), training=True)
            value = d_loss(
                loss,
                D(_with_labels(real, labels), training=True),
                D(_with_labels(fake, labels), training=True),
            )
            if gp_weight:
                value = value + penalty(real, fake, labels)
            update(d_opt, value, d_params, D.trainable_variables)
        z = keras.random.normal((batch, latent_dim), seed=seeds)
        fake = G(_with_labels(z, labels), training=True)
        value = g_loss(loss, D(_with_labels(fake, labels), training=True))
        update(g_opt, value, g_params, G.trainable_variables)

    def sync():
        return None

    return run, sync
