"""The plugin host, tested through real entry points.

Each test writes fake plugin distributions into a site directory under
`tmp_path`: `<name>-<version>.dist-info/` with `METADATA` and
`entry_points.txt`, next to the plugin module. With that directory on
`sys.path` (in this process) or on `PYTHONPATH` (in a subprocess),
`importlib.metadata` finds them exactly as it finds installed packages.

Every in-process test sets `KERAS_GANS_LOAD_PLUGINS` to its own fake
plugins, so plugins installed in the environment (such as
keras-gans-example) do not change what it sees; the tests of the variable
itself and of the installed example plugin are the exceptions.
"""

import importlib
import importlib.metadata
import inspect
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans.plugins import hookspecs
from keras_gans import plugins
from keras_gans.plugins import CatalogueError
import paths

REPO = pathlib.Path(paths.REPO)

# A plugin module registering one name of each of three kinds. `{prefix}` is
# replaced so that every plugin's names (and classes) are its own.
GOOD_PLUGIN = """
import keras_gans


class {Prefix}Loss:
    '''Hinge loss with a margin, as a plugin would write it.'''

    def __init__(self, margin=1.0):
        self.margin = margin

    def discriminator_loss(self, real_logits, fake_logits):
        from keras import ops
        return ops.mean(ops.relu(self.margin - real_logits)) + ops.mean(
            ops.relu(self.margin + fake_logits)
        )

    def generator_loss(self, fake_logits, real_logits=None):
        from keras import ops
        return -ops.mean(fake_logits)


def {prefix}_mlp(latent_dim, sample_shape, num_classes=None, width=8):
    from keras_gans.architectures import mlp
    return mlp(latent_dim, sample_shape, num_classes, width=width, depth=1)


def {prefix}_points(num_samples=64, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    return rng.normal(size=(num_samples, 2)).astype("float32")


@keras_gans.hookimpl
def register_architectures(register):
    register("{prefix}_mlp", {prefix}_mlp, description="A one-layer MLP pair.")


@keras_gans.hookimpl
def register_losses(register):
    register("{prefix}_hinge", {Prefix}Loss, description="Hinge with a margin.")


@keras_gans.hookimpl
def register_datasets(register):
    register("{prefix}_points", {prefix}_points, description="Gaussian points.")
"""


class FakeSite:
    """A directory of fake installed distributions, on `sys.path`."""

    def __init__(self, path):
        self.path = path
        self.path.mkdir()
        self.modules = []

    def add(self, name, source, version="0.1", module=None, entry_point=None):
        """Writes distribution `kg-fake-<name>` with entry point `name`.

        The plugin module is `kg_fake_<name>` unless `module` is given;
        `entry_point` overrides the entry point's value (e.g. a module that
        does not exist).
        """
        module = module or f"kg_fake_{name}"
        dist = f"kg_fake_{name}"
        info = self.path / f"{dist}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: kg-fake-{name}\nVersion: {version}\n"
        )
        (info / "entry_points.txt").write_text(
            f"[keras_gans]\n{name} = {entry_point or module}\n"
        )
        (self.path / f"{module}.py").write_text(textwrap.dedent(source))
        self.modules.append(module)
        importlib.invalidate_caches()
        return module

    def add_good(self, name, prefix=None, version="0.1"):
        prefix = prefix or name
        source = GOOD_PLUGIN.replace("{prefix}", prefix).replace(
            "{Prefix}", prefix.capitalize()
        )
        return self.add(name, source, version=version)


@pytest.fixture
def site(tmp_path):
    """A `FakeSite` on `sys.path`; the catalogue is reset afterwards."""
    fake = FakeSite(tmp_path / "site")
    saved_path = list(sys.path)
    sys.path.insert(0, str(fake.path))
    importlib.invalidate_caches()
    plugins._catalogue = None
    yield fake
    sys.path[:] = saved_path
    for module in fake.modules:
        sys.modules.pop(module, None)
    importlib.invalidate_caches()
    plugins._catalogue = None


def load(monkeypatch, *names):
    """Loads the catalogue with exactly the fake plugins `names`."""
    monkeypatch.setenv(plugins.LOAD_PLUGINS_ENV, ",".join(names))
    return plugins.reload_catalogue()


def run_python(code, site_path, **env):
    """Runs `code` in a fresh interpreter that sees the fake site."""
    environment = dict(os.environ)
    environment.pop(plugins.LOAD_PLUGINS_ENV, None)
    environment.update(env)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(site_path), str(REPO), environment.get("PYTHONPATH", "")]
    )
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


LIST_PLUGINS = """
    import json
    from keras_gans import plugins
    catalogue = plugins.load_catalogue()
    print(json.dumps({
        "plugins": {n: p.as_dict() for n, p in catalogue.plugins.items()},
        "losses": catalogue.names("losses"),
        "architectures": catalogue.names("architectures"),
    }))
"""


# -- a working plugin ---------------------------------------------------------


def test_plugin_names_are_listed_with_version_and_usable(site, monkeypatch):
    site.add_good("good", version="1.2.3")
    catalogue = load(monkeypatch, "good")

    info = catalogue.plugins["good"].as_dict()
    assert info["version"] == "1.2.3"
    assert info["status"] == "ok" and info["error"] is None
    assert info["module"] == "kg_fake_good"
    assert info["registered"] == {
        "architectures": ["good_mlp"],
        "losses": ["good_hinge"],
        "datasets": ["good_points"],
    }
    assert {
        "name": "good_hinge",
        "description": "Hinge with a margin.",
        "plugin": "good",
    } in keras_gans.registered("losses")
    # Built-ins are still there, owned by keras_gans.
    assert catalogue.get("losses", "hinge").plugin == plugins.BUILTIN_PLUGIN

    loss = keras_gans.get_loss("good_hinge", margin=2.0)
    assert type(loss).__name__ == "GoodLoss" and loss.margin == 2.0
    G, D = keras_gans.build_architecture(
        "good_mlp", latent_dim=3, sample_shape=(2,), width=4
    )
    assert tuple(G.output.shape) == (None, 2)
    assert tuple(D.output.shape) == (None, 1)
    x = keras_gans.load_dataset("good_points", num_samples=32)
    assert x.shape == (32, 2) and x.dtype == np.float32

    gan = keras_gans.GAN(generator=G, discriminator=D, latent_dim=3)
    gan.compile(
        g_optimizer=keras.optimizers.Adam(1e-3),
        d_optimizer=keras.optimizers.Adam(1e-3),
        loss="good_hinge",
    )
    assert type(gan.gan_loss).__name__ == "GoodLoss"
    history = gan.fit(x, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])


def test_plugin_objects_appear_in_registered_of_every_kind(site, monkeypatch):
    site.add_good("good")
    load(monkeypatch, "good")
    everything = keras_gans.registered()
    assert set(everything) == set(plugins.KINDS)
    owners = {
        kind: {row["name"]: row["plugin"] for row in rows}
        for kind, rows in everything.items()
    }
    assert owners["architectures"]["good_mlp"] == "good"
    assert owners["datasets"]["good_points"] == "good"
    assert owners["architectures"]["mlp"] == plugins.BUILTIN_PLUGIN


# -- broken plugins -----------------------------------------------------------


BROKEN_IMPORT = """
    import keras_gans
    raise ImportError("No module named 'missing_dependency'")
"""


def test_plugin_failing_to_import_is_broken_and_the_rest_works(
    site, monkeypatch
):
    site.add("broken", BROKEN_IMPORT)
    site.add_good("good")
    catalogue = load(monkeypatch, "broken", "good")

    broken = catalogue.plugins["broken"]
    assert broken.status == "broken"
    assert "ImportError" in broken.error
    assert "missing_dependency" in broken.error
    assert catalogue.plugins["good"].status == "ok"
    assert plugins.catalogue() is catalogue
    assert type(keras_gans.get_loss("good_hinge")).__name__ == "GoodLoss"
    assert type(keras_gans.get_loss("hinge")).__name__ == "Hinge"

    with pytest.raises(CatalogueError) as info:
        keras_gans.get_loss("not_a_loss")
    message = str(info.value)
    assert "'broken'" in message and "missing_dependency" in message
    assert "keras-gans plugins" in message
    assert "Received: loss='not_a_loss'" in message


def test_entry_point_to_a_missing_module_is_broken(site, monkeypatch):
    site.add("ghost", "", entry_point="kg_fake_no_such_module")
    catalogue = load(monkeypatch, "ghost")
    assert catalogue.plugins["ghost"].status == "broken"
    assert "kg_fake_no_such_module" in catalogue.plugins["ghost"].error
    assert "mlp" in catalogue.names("architectures")


def test_broken_plugin_is_listed_in_a_fresh_process(site):
    site.add("broken", BROKEN_IMPORT)
    site.add_good("good", version="2.0")
    out = json.loads(
        run_python(
            LIST_PLUGINS, site.path, KERAS_GANS_LOAD_PLUGINS="broken,good"
        )
    )
    assert set(out["plugins"]) == {plugins.BUILTIN_PLUGIN, "broken", "good"}
    assert out["plugins"]["broken"]["status"] == "broken"
    assert "missing_dependency" in out["plugins"]["broken"]["error"]
    assert out["plugins"]["good"]["version"] == "2.0"
    assert out["plugins"]["good"]["status"] == "ok"
    assert {"good_hinge", "hinge", "non_saturating"} <= set(out["losses"])


RAISES_IN_ONE_HOOK = """
    import keras_gans
    import numpy as np


    class HalfLoss:
        def discriminator_loss(self, real_logits, fake_logits):
            return 0.0

        def generator_loss(self, fake_logits, real_logits=None):
            return 0.0


    @keras_gans.hookimpl
    def register_losses(register):
        register("half_loss", HalfLoss)


    @keras_gans.hookimpl
    def register_datasets(register):
        register("half_points", lambda: np.zeros((4, 2), "float32"))
        raise RuntimeError("the dataset server is down")
"""


def test_plugin_raising_in_one_hook_is_broken_for_that_kind_only(
    site, monkeypatch
):
    site.add("half", RAISES_IN_ONE_HOOK)
    catalogue = load(monkeypatch, "half")

    info = catalogue.plugins["half"]
    assert info.status == "broken"
    assert "register_datasets" in info.error
    assert "RuntimeError: the dataset server is down" in info.error
    # The loss hook ran fine: its name works.
    assert type(keras_gans.get_loss("half_loss")).__name__ == "HalfLoss"
    # The name registered before the hook raised is withdrawn.
    assert "half_points" not in catalogue.names("datasets")
    with pytest.raises(CatalogueError, match="'half'.*dataset server is down"):
        keras_gans.load_dataset("half_points")
    assert "ring" in catalogue.names("datasets")


def test_hookimpl_with_wrong_arguments_is_broken(site, monkeypatch):
    site.add(
        "wrong",
        """
        import keras_gans

        @keras_gans.hookimpl
        def register_losses(registry):
            registry("wrong_loss", object)
        """,
    )
    site.add_good("good")
    catalogue = load(monkeypatch, "wrong", "good")
    assert catalogue.plugins["wrong"].status == "broken"
    assert "registry" in catalogue.plugins["wrong"].error
    assert "wrong_loss" not in catalogue.names("losses")
    assert "good_hinge" in catalogue.names("losses")


def test_misspelt_hook_name_is_broken_not_silently_ignored(site, monkeypatch):
    site.add(
        "typo",
        """
        import keras_gans

        @keras_gans.hookimpl
        def register_loss(register):
            register("typo_loss", object)
        """,
    )
    site.add_good("good")
    catalogue = load(monkeypatch, "typo", "good")
    assert catalogue.plugins["typo"].status == "broken"
    assert "register_loss" in catalogue.plugins["typo"].error
    assert "register_losses" in catalogue.plugins["typo"].error
    assert "good_hinge" in catalogue.names("losses")


def test_bad_registration_breaks_only_that_plugin(site, monkeypatch):
    site.add(
        "sloppy",
        """
        import keras_gans

        @keras_gans.hookimpl
        def register_losses(register):
            register("sloppy_loss", "not callable")
        """,
    )
    site.add_good("good")
    catalogue = load(monkeypatch, "sloppy", "good")
    error = catalogue.plugins["sloppy"].error
    assert "register_losses" in error and "must be callable" in error
    assert "good_hinge" in catalogue.names("losses")


# -- duplicate names ----------------------------------------------------------


def test_name_registered_by_two_plugins_is_refused_naming_both(
    site, monkeypatch
):
    site.add_good("alpha", prefix="shared")
    site.add_good("beta", prefix="shared")
    catalogue = load(monkeypatch, "alpha", "beta")

    assert "shared_hinge" not in catalogue.names("losses")
    assert "shared_hinge" not in {r["name"] for r in keras_gans.registered("losses")}
    with pytest.raises(CatalogueError) as info:
        keras_gans.get_loss("shared_hinge")
    message = str(info.value)
    assert "'alpha'" in message and "'beta'" in message
    assert "none of them is used" in message
    assert plugins.LOAD_PLUGINS_ENV in message
    for name in ("alpha", "beta"):
        assert any(
            "shared_hinge" in conflict
            for conflict in catalogue.plugins[name].conflicts
        )

    gan = keras_gans.GAN(*keras_gans.build_architecture(
        "mlp", latent_dim=2, sample_shape=(2,), width=4, depth=1
    ), latent_dim=2)
    with pytest.raises(ValueError, match="'alpha' and 'beta'|'beta' and 'alpha'"):
        gan.compile(
            g_optimizer=keras.optimizers.Adam(),
            d_optimizer=keras.optimizers.Adam(),
            loss="shared_hinge",
        )


def test_name_registered_by_three_plugins_names_all_three(site, monkeypatch):
    for name in ("alpha", "beta", "gamma"):
        site.add_good(name, prefix="shared")
    catalogue = load(monkeypatch, "alpha", "beta", "gamma")
    with pytest.raises(CatalogueError) as info:
        catalogue.get("datasets", "shared_points")
    assert all(f"'{n}'" in str(info.value) for n in ("alpha", "beta", "gamma"))


def test_duplicate_of_a_built_in_name_is_a_conflict(site, monkeypatch):
    site.add(
        "usurper",
        """
        import keras_gans

        class Hinge:
            def discriminator_loss(self, real_logits, fake_logits):
                return 0.0

            def generator_loss(self, fake_logits, real_logits=None):
                return 0.0

        @keras_gans.hookimpl
        def register_losses(register):
            register("hinge", Hinge)
        """,
    )
    catalogue = load(monkeypatch, "usurper")
    assert "hinge" not in catalogue.names("losses")
    with pytest.raises(CatalogueError) as info:
        keras_gans.get_loss("hinge")
    assert f"'{plugins.BUILTIN_PLUGIN}'" in str(info.value)
    assert "'usurper'" in str(info.value)
    # The other built-in losses are untouched.
    assert type(keras_gans.get_loss("wasserstein")).__name__ == "Wasserstein"


def test_same_name_in_two_kinds_is_not_a_conflict(site, monkeypatch):
    site.add(
        "twokinds",
        """
        import keras_gans
        import numpy as np

        @keras_gans.hookimpl
        def register_datasets(register):
            register("mlp", lambda: np.zeros((4, 2), "float32"))
        """,
    )
    catalogue = load(monkeypatch, "twokinds")
    assert catalogue.get("datasets", "mlp").plugin == "twokinds"
    assert catalogue.get("architectures", "mlp").plugin == plugins.BUILTIN_PLUGIN


# -- choosing the plugins to load ---------------------------------------------


@pytest.mark.parametrize(
    "chosen, expected",
    [
        ("alpha", {"alpha"}),
        (" alpha , beta ", {"alpha", "beta"}),
        ("", set()),
        (",", set()),
        ("gamma", set()),
    ],
)
def test_load_plugins_variable_picks_plugins(site, monkeypatch, chosen, expected):
    site.add_good("alpha")
    site.add_good("beta")
    monkeypatch.setenv(plugins.LOAD_PLUGINS_ENV, chosen)
    catalogue = plugins.reload_catalogue()
    assert set(catalogue.plugins) == {plugins.BUILTIN_PLUGIN, *expected}
    losses = set(catalogue.names("losses"))
    assert {"hinge", "non_saturating"} <= losses
    assert ("alpha_hinge" in losses) == ("alpha" in expected)
    assert ("beta_hinge" in losses) == ("beta" in expected)


def test_load_plugins_variable_unset_loads_all(site, monkeypatch):
    site.add_good("alpha")
    site.add_good("beta")
    monkeypatch.delenv(plugins.LOAD_PLUGINS_ENV, raising=False)
    catalogue = plugins.reload_catalogue()
    assert {"alpha", "beta", plugins.BUILTIN_PLUGIN} <= set(catalogue.plugins)


def test_load_plugins_variable_in_a_fresh_process(site):
    site.add_good("alpha")
    site.add("broken", BROKEN_IMPORT)
    only_alpha = json.loads(
        run_python(LIST_PLUGINS, site.path, KERAS_GANS_LOAD_PLUGINS="alpha")
    )
    assert set(only_alpha["plugins"]) == {plugins.BUILTIN_PLUGIN, "alpha"}
    assert "alpha_hinge" in only_alpha["losses"]
    none = json.loads(
        run_python(LIST_PLUGINS, site.path, KERAS_GANS_LOAD_PLUGINS="")
    )
    assert set(none["plugins"]) == {plugins.BUILTIN_PLUGIN}
    assert "alpha_hinge" not in none["losses"]
    assert {"mlp", "dcgan"} <= set(none["architectures"])


def test_catalogue_is_loaded_once_and_reloaded_on_request(site, monkeypatch):
    monkeypatch.setenv(plugins.LOAD_PLUGINS_ENV, "late")
    first = plugins.catalogue()
    assert plugins.catalogue() is first
    site.add_good("late")
    assert "late_hinge" not in plugins.catalogue().names("losses")
    assert "late_hinge" in plugins.reload_catalogue().names("losses")


# -- the hooks themselves -----------------------------------------------------


def _hookspecs():
    return {
        name: function
        for name, function in vars(hookspecs).items()
        if callable(function) and hasattr(function, "keras_gans_spec")
    }


def test_every_hook_has_a_docstring_and_takes_register():
    specs = _hookspecs()
    assert specs, "no hookspecs found"
    for name, function in specs.items():
        assert (function.__doc__ or "").strip(), f"{name} has no docstring"
        assert list(inspect.signature(function).parameters) == ["register"], name


def test_every_kind_has_a_hook_and_every_hook_a_kind():
    assert set(_hookspecs()) == {f"register_{kind}" for kind in plugins.KINDS}


def test_builtins_implement_hooks_that_exist():
    implemented = {
        name
        for module in plugins.DEFAULT_PLUGINS
        for name, function in vars(importlib.import_module(module)).items()
        if hasattr(function, "keras_gans_impl")
    }
    assert implemented == set(_hookspecs())


# -- the installed example plugin ---------------------------------------------


def test_installed_example_plugin_is_in_the_catalogue(monkeypatch):
    # Installed means discoverable through its entry point; being importable
    # (the example's conftest puts its src/ on sys.path) is not enough.
    installed = [
        ep for ep in importlib.metadata.entry_points(group="keras_gans")
        if ep.value == "keras_gans_example.plugin"
    ]
    if not installed:
        pytest.skip("keras-gans-example is not installed")
    monkeypatch.delenv(plugins.LOAD_PLUGINS_ENV, raising=False)
    try:
        catalogue = plugins.load_catalogue()
    finally:
        plugins._catalogue = None
    assert catalogue.plugins["example"].status == "ok"
    assert catalogue.plugins["example"].version is not None
    for kind, name in [
        ("architectures", "example_mlp"),
        ("losses", "example_least_squares_symmetric"),
        ("datasets", "example_spiral"),
    ]:
        assert catalogue.get(kind, name).plugin == "example"


# -- factories registered as "module:attribute" references ------------------

LAZY_PLUGIN = """
import keras_gans


@keras_gans.hookimpl
def register_losses(register):
    register("lazy_hinge", "kg_fake_lazy_losses:LazyHinge",
             description="Imported on first use.")
    register("lazy_missing", "kg_fake_lazy_losses:NotThere",
             description="A reference to nothing.")
"""

LAZY_FACTORIES = """
class LazyHinge:
    def __init__(self, margin=1.0):
        self.margin = margin
"""


def test_reference_is_imported_on_first_use_only(site, monkeypatch):
    site.add("lazy", LAZY_PLUGIN)
    site.add("lazy_factories", LAZY_FACTORIES, module="kg_fake_lazy_losses")
    catalogue = load(monkeypatch, "lazy")
    rows = [r for r in catalogue.listing("losses") if r["plugin"] == "lazy"]
    assert rows == [
        {"name": "lazy_hinge", "description": "Imported on first use.",
         "plugin": "lazy"},
        {"name": "lazy_missing", "description": "A reference to nothing.",
         "plugin": "lazy"},
    ]
    assert "kg_fake_lazy_losses" not in sys.modules
    loss = keras_gans.get_loss("lazy_hinge", margin=2.0)
    assert type(loss).__name__ == "LazyHinge" and loss.margin == 2.0
    assert "kg_fake_lazy_losses" in sys.modules


def test_reference_to_nothing_fails_on_use_naming_plugin_and_target(
    site, monkeypatch
):
    site.add("lazy", LAZY_PLUGIN)
    site.add("lazy_factories", LAZY_FACTORIES, module="kg_fake_lazy_losses")
    catalogue = load(monkeypatch, "lazy")
    with pytest.raises(CatalogueError) as error:
        keras_gans.get_loss("lazy_missing")
    message = str(error.value)
    assert "'lazy_missing'" in message and "'lazy'" in message
    assert "kg_fake_lazy_losses:NotThere" in message
    # Loading a model imports every reference first: the bad one marks its
    # plugin broken and withdraws the names of that hook only.
    catalogue.import_factories()
    assert catalogue.plugins["lazy"].status == "broken"
    assert "NotThere" in catalogue.plugins["lazy"].error
    assert not {"lazy_hinge", "lazy_missing"} & set(catalogue.names("losses"))
    assert "hinge" in catalogue.names("losses")


def test_malformed_reference_is_refused_at_registration(site, monkeypatch):
    site.add(
        "dotted",
        """
        import keras_gans

        @keras_gans.hookimpl
        def register_losses(register):
            register("dotted_loss", "kg_fake.losses.Hinge")
        """,
    )
    catalogue = load(monkeypatch, "dotted")
    error = catalogue.plugins["dotted"].error
    assert "must be callable, or a 'module:attribute' string" in error
    assert "dotted_loss" not in catalogue.names("losses")
