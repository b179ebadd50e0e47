"""An example keras-gans plugin.

Installing this distribution adds three names to the keras-gans catalogue,
through the `example` entry point of the `keras_gans` group:

- architecture `example_mlp`: a residual MLP generator and an MLP
  discriminator that sees the batch's spread (minibatch standard deviation);
- loss `example_least_squares_symmetric`: LSGAN with targets -1 / 1 / 0;
- dataset `example_spiral`: points on the arms of a 2-D spiral.

Importing this package (or `keras_gans_example.plugin`) imports neither
Keras nor a backend; the hooks import the modules that need them.
"""

__version__ = "0.1.0"
