"""A process catalogue with a test file's own datasets and callbacks."""

from keras_gans import plugins


def use_test_plugin(monkeypatch, name, module, **kinds):
    """Makes `plugins.catalogue()` a fresh catalogue in which plugin `name`
    (from `module`) registers `kinds`: `datasets={"ring_x": factory}`, ...
    monkeypatch puts the process catalogue back afterwards."""
    catalogue = plugins.load_catalogue()
    catalogue.add_plugin(plugins.PluginInfo(name, module))
    for kind, factories in kinds.items():
        register = catalogue.register_function(kind, name)
        for entry, factory in factories.items():
            register(entry, factory)
    monkeypatch.setattr(plugins, "_catalogue", catalogue)
    return catalogue
