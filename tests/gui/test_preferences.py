"""Edit → Preferences: model and device choices persist and reach the open views at once;
the Render view without any sketch-to-image model says so and the rest of the app works."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from sketchstudio.core import resources
from sketchstudio.gui.dialogs.preferences_dialog import PreferencesDialog
from sketchstudio.gui.render.view import NO_MODEL_TEXT
from sketchstudio.gui.settings import Settings
from sketchstudio.gui.shortcuts import ACTION_SPECS


def _fake_model(path: Path, kind: str, name: str) -> Path:
    """A safetensors header with our metadata: enough for discovery (loading it fails)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"__metadata__": {"sketchstudio": json.dumps({"kind": kind, "name": name})}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header)
    return path


@pytest.fixture
def no_shipped_models(monkeypatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-zoo"
    empty.mkdir()
    monkeypatch.setattr(resources, "models_dir", lambda: empty)


def _choose(combo, predicate) -> None:
    index = next(i for i in range(combo.count()) if predicate(combo.itemData(i) if combo.itemData(i)
                                                                is not None else combo.itemText(i)))
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def test_preferences_persist_and_apply_live(qtbot, no_shipped_models, window) -> None:
    runs = resources.user_data_dir() / "runs"
    _fake_model(runs / "r1" / "model.safetensors", "warp", "my warp")
    _fake_model(resources.user_data_dir() / "models" / "ae.safetensors", "s2i-ae", "my s2i")
    annotate, render = window.views["annotate"], window.views["render"]
    dialog = PreferencesDialog(window.settings, window, devices=("auto", "cpu"))
    qtbot.addWidget(dialog)
    dialog.applied.connect(window.apply_settings)
    assert dialog.device.count() == 2  # only what the machine has, plus auto
    _choose(dialog.warp_picker.models, lambda m: m.name == "my warp")
    _choose(dialog.s2i_picker.models, lambda m: m.name == "my s2i")
    _choose(dialog.device, lambda text: text == "cpu")
    assert annotate._model_choice == ("trained:r1/model.safetensors", "cpu")
    assert render.model.name == "my s2i" and render.device == "cpu"
    saved = Settings.load(window.settings.path)
    assert (saved.warp_model, saved.s2i_model, saved.device) == (
        "trained:r1/model.safetensors", "converted:ae.safetensors", "cpu")


def test_render_view_without_any_s2i_model_says_so_and_the_app_works(qtbot, no_shipped_models,
                                                                     window) -> None:
    window.set_view("render")
    render = window.views["render"]
    assert render.model is None
    assert render.output_box.placeholder == NO_MODEL_TEXT
    assert render.status.text() == "No model" and not render.save_button.isEnabled()
    assert not render.is_busy() and not render.worker.busy  # nothing was sent to a missing model
    assert "none installed" in window.view_status.text()
    window.context.next_pair()  # another pair: still the message, still idle
    assert render.output_box.placeholder == NO_MODEL_TEXT and not render.is_busy()
    window.set_view("draw")  # the rest of the app is unaffected
    window.actions_.action("draw.clear").trigger()
    assert window.current_view_id == "draw"
    window.set_view("annotate")
    assert window.views["annotate"].controller.pair is not None


def test_preferences_and_retrain_are_in_the_menus_with_shortcuts(qtbot, window) -> None:
    specs = {s.id: s for s in ACTION_SPECS}
    assert specs["edit.preferences"].keys and specs["annotate.retrain"].keys
    menu_actions = {a.objectName() for menu in window.menuBar().actions() if menu.menu()
                    for a in menu.menu().actions()}
    assert {"edit.preferences", "annotate.retrain"} <= menu_actions
    window.actions_.action("annotate.retrain").trigger()
    dialog = window.training_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert str(window.context.store.path) in " ".join(
        w.text() for w in dialog.findChildren(type(dialog.status)))
    window.close_project()
    assert window.training_dialog is None
