"""Shell completion of `--set` keys and of registered names."""

from keras_gans.cli.backend import setup_backend

# Recipe keys whose value is a registered name, and the kind of name.
NAME_FIELDS = {
    "model.architecture": "architectures",
    "data.dataset": "datasets",
    "train.loss": "losses",
    "train.loss.name": "losses",
    "train.penalty": "penalties",
    "train.penalty.name": "penalties",
    "train.augment": "augmentations",
    "train.augment.name": "augmentations",
}


def complete_set(ctx, param, incomplete):
    """Completes `--set` keys, and registered names after `=`."""
    from click.shell_completion import CompletionItem

    from keras_gans.runs.recipe import known_keys

    key, sep, value = incomplete.partition("=")
    if not sep:
        return [CompletionItem(f"{k}=") for k in known_keys()
                if k.startswith(incomplete)]
    kind = NAME_FIELDS.get(key)
    if kind is None:
        return []
    try:  # loads the catalogue (and Keras): only after "name=".
        setup_backend(None)
        from keras_gans import plugins

        names = plugins.catalogue().names(kind)
    except Exception:
        return []
    return [CompletionItem(f"{key}={n}") for n in names if n.startswith(value)]
