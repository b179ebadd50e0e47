"""`python -m keras_gans.cli`: the `keras-gans` command."""

from keras_gans.cli import main

main(prog_name="keras-gans")
