"""The README's "Writing a plugin" section matches the plugin host.

As datasette's test_docs does, this fails when a hook is added without
being documented, or when the documented example stops working.
"""

import pathlib
import re
import types

import numpy as np
import pluggy
import pytest

import keras
from keras_gans.plugins import hookspecs
from keras_gans import plugins
import paths

README = pathlib.Path(paths.REPO) / "README.md"
SECTION = "## Writing a plugin"


def _section():
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no {SECTION!r} section"
    body = text.split(SECTION, 1)[1]
    return re.split(r"^## ", body, maxsplit=1, flags=re.MULTILINE)[0]


def _code_blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", _section(), flags=re.DOTALL)


def _hooks():
    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if callable(value) and hasattr(value, "keras_gans_spec")
    )


@pytest.mark.parametrize("hook", _hooks())
def test_every_hook_is_documented(hook):
    assert f"`{hook}`" in _section(), f"{hook} is not documented in README.md"


def test_every_documented_hook_exists():
    documented = set(re.findall(r"`(register_\w+)`", _section()))
    assert documented <= set(_hooks()), documented - set(_hooks())


def test_entry_point_snippet_uses_the_group_keras_gans_reads():
    (toml,) = _code_blocks("toml")
    assert f"[project.entry-points.{plugins.ENTRY_POINT_GROUP}]" in toml


def test_hookimpl_example_registers_a_working_loss():
    (source,) = _code_blocks("python")
    module = types.ModuleType("readme_plugin")
    exec(compile(source, f"{README}:{SECTION}", "exec"), module.__dict__)

    # The example is a valid plugin for keras-gans' hookspecs ...
    manager = pluggy.PluginManager(plugins.ENTRY_POINT_GROUP)
    manager.add_hookspecs(hookspecs)
    manager.register(module, "readme")
    manager.check_pending()

    # ... registering the loss the text names, through a real catalogue.
    catalogue = plugins.Catalogue()
    catalogue.add_plugin(plugins.PluginInfo("readme", "readme_plugin"))
    module.register_losses(catalogue.register_function("losses", "readme"))
    assert catalogue.names("losses") == ["soft_hinge"]
    assert "`soft_hinge`" in _section() or '"soft_hinge"' in _section()

    loss = catalogue.create("losses", "soft_hinge")
    real = np.array([[2.0], [-1.0]], "float32")
    fake = np.array([[0.5], [-3.0]], "float32")

    def softplus(x):
        return np.log1p(np.exp(x))

    expected_d = softplus(1 - real).mean() + softplus(1 + fake).mean()
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loss.discriminator_loss(real, fake)),
        expected_d,
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loss.generator_loss(fake, real)),
        -fake.mean(),
        rtol=1e-5,
    )
