"""Fixtures of the dataset tests: a fresh Keras cache folder in which
downloads fail the test, so loaders are tested up to the download."""

import keras
import pytest


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """A fresh, empty Keras cache folder (`KERAS_HOME`)."""
    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


@pytest.fixture
def keras_home(cache_home, monkeypatch):
    """A fresh Keras cache folder; any download attempt fails the test."""
    home = cache_home

    def no_download(*args, **kwargs):
        raise AssertionError(f"unexpected download: {kwargs.get('origin')}")

    monkeypatch.setattr(keras.utils, "get_file", no_download)
    return home
