"""Test-wide set-up: Qt offscreen, a private home for settings and data, few torch threads."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import pytest


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep settings, recent files and copied demo projects out of the real home directory."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SKETCHSTUDIO_HOME", str(home))


@pytest.fixture
def no_shipped_models(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Pretend this build ships no default models (an empty model zoo)."""
    from sketchstudio.core import resources

    empty = tmp_path_factory.mktemp("empty_zoo")
    monkeypatch.setattr(resources, "models_dir", lambda: empty)
    return empty
