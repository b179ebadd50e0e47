"""The generator's and discriminator's optimizers seen as one `model.optimizer`."""


class OptimizerPair:
    """Presents two optimizers to Keras' trainers as `model.optimizer`.

    Keras' JAX trainer threads `model.optimizer.variables` through its jitted
    step and nothing else (keras#18881, #19358). Exposing both optimizers'
    variables here is what lets `fit()` carry the generator's and the
    discriminator's optimizer state on every backend. The pair is not saved:
    the GAN saves each optimizer under its own attribute.
    """

    def __init__(self, generator_optimizer, discriminator_optimizer, gan):
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        self._gan = gan

    @property
    def variables(self):
        return (
            self.generator_optimizer.variables
            + self.discriminator_optimizer.variables
        )

    @property
    def built(self):
        return (
            self.generator_optimizer.built
            and self.discriminator_optimizer.built
        )

    def build(self, trainable_variables=None):
        """Builds each optimizer on its own network's trainable variables."""
        if not self.generator_optimizer.built:
            self.generator_optimizer.build(
                self._gan.generator.trainable_variables
            )
        if not self.discriminator_optimizer.built:
            self.discriminator_optimizer.build(
                self._gan.discriminator.trainable_variables
            )

    def __repr__(self):
        return (
            f"OptimizerPair(generator={self.generator_optimizer.name}, "
            f"discriminator={self.discriminator_optimizer.name})"
        )
