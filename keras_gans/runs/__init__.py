"""Runs: a recipe turned into a trained, evaluated run directory.

- `recipe`, `recipe_schema`: reading, checking and resolving TOML recipes.
- `folder_recipe`: the recipe for a folder of images (`run --data`).
- `resume`: continuing a run from its newest checkpoint, exactly.
- `kinds`: what a run does differently for a VAE (`model.kind = "vae"`).
- `errors`: the exceptions a run raises, worded for the library.
- `sources`: which saved model a user means (a run, `--step`, a file,
  `hf://`); `init_from`: a new run started from saved weights;
  `recipe_callbacks`: a recipe's callbacks, by name or import path.

Importing this package imports no Keras.
"""
