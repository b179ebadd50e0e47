"""Runs: a recipe turned into a trained, evaluated run directory.

- `recipe`, `recipe_schema`: reading, checking and resolving TOML recipes.
- `folder_recipe`: the recipe for a folder of images (`run --data`).
- `resume`: continuing a run from its newest checkpoint, exactly.
- `errors`: the exceptions a run raises, worded for the library.

Importing this package imports no Keras.
"""
