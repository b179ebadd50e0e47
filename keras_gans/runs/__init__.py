"""Runs: a recipe turned into a trained, evaluated run directory.

- `recipe`, `recipe_schema`: reading, checking and resolving TOML recipes.
- `resume`: continuing a run from its newest checkpoint, exactly.
- `kinds`: what a run does differently for a VAE (`model.kind = "vae"`).
- `errors`: the exceptions a run raises, worded for the library.

Importing this package imports no Keras.
"""
