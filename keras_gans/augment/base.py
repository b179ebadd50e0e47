"""The base class of augmentations applied before the discriminator."""

import keras


def check_images(images):
    """Refuses a batch that is not NHWC images with 1 or 3 channels."""
    if len(images.shape) != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            "Augmentations work on image batches of shape (batch, height, "
            "width, channels), channels last, with 1 or 3 channels. Use "
            "them with image data, or leave train.augment unset. "
            f"Received: samples of shape {tuple(images.shape)}"
        )


@keras.saving.register_keras_serializable(package="keras_gans")
class Augmentation(keras.layers.Layer):
    """A differentiable batch transform applied before the discriminator.

    `augmentation(images, seed)` returns augmented images; `seed` is the
    `keras.random.SeedGenerator` the draws come from (the GAN's, so a
    resumed run draws the same). `GAN` applies it to the real and the fake
    batch in both updates and hands the penalty the augmented images. An
    augmentation that adapts (ADA) keeps its state in non-trainable
    variables, which the GAN saves in its checkpoints, and is told each
    discriminator's real logits (`observe`) and each finished step
    (`advance`).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    @property
    def p(self):
        """The probability with which each transform is applied.

        Part of the interface: every augmentation says its p (a plugin's
        too), so the base has none to give."""
        raise NotImplementedError(
            f"{type(self).__name__} must define the property `p`, the "
            "probability with which its transforms are applied.")

    def __call__(self, images, seed):
        """Augments `images`, drawing from the generator `seed`."""
        return super().__call__(images, seed=seed)

    def call(self, images, seed):
        """The transform itself; each augmentation defines it (as every
        Keras layer defines `call`)."""
        raise NotImplementedError(
            f"{type(self).__name__} must define `call(images, seed)`, "
            "returning the augmented images.")

    def observe(self, real_logits):
        """Records D's logits on an augmented real batch (no-op here)."""
        return None

    def advance(self, batch_size):
        """Ends a training step of `batch_size` real images (no-op here)."""
        return None

    def logs(self):
        """Values the training step reports (`aug/...`); none here."""
        return {}
