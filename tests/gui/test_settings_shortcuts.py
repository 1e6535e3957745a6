"""Settings survive a restart, bad files fall back to defaults; shortcut overrides apply."""

from __future__ import annotations

import json

from PySide6.QtGui import QKeySequence

from sketchstudio.core import resources
from sketchstudio.gui.settings import MAX_RECENT, Settings
from sketchstudio.gui.shortcuts import ACTION_SPECS, ActionRegistry


def test_settings_round_trip_atomically_under_the_config_dir(tmp_path) -> None:
    settings = Settings.load()
    assert settings.path == resources.user_config_dir() / "settings.json"
    settings.brush.size = 7.5
    settings.brush.color = "#ff0000"
    settings.underlay_opacity = 0.8
    settings.shortcuts["draw.pen"] = ["P"]
    for i in range(MAX_RECENT + 3):
        settings.add_recent(tmp_path / f"p{i}.sketchstudio")
    settings.save()
    again = Settings.load()
    assert again.brush.size == 7.5 and again.brush.color == "#ff0000"
    assert again.underlay_opacity == 0.8
    assert again.shortcuts == {"draw.pen": ["P"]}
    assert len(again.recent_projects) == MAX_RECENT
    assert again.recent_projects[0].endswith(f"p{MAX_RECENT + 2}.sketchstudio")
    assert not [p for p in settings.path.parent.iterdir() if p.name.endswith(".tmp")]


def test_corrupt_or_odd_settings_fall_back_to_defaults(tmp_path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    assert Settings.load(path).brush.size == Settings().brush.size
    path.write_text(json.dumps({"brush": {"size": -3, "color": "red", "smoothing": 7},
                                "underlay_opacity": "x", "recent_projects": [1, "a"]}))
    loaded = Settings.load(path)
    defaults = Settings()
    assert loaded.brush.size == defaults.brush.size
    assert loaded.brush.color == defaults.brush.color
    assert loaded.brush.smoothing == 0.95
    assert loaded.underlay_opacity == defaults.underlay_opacity
    assert loaded.recent_projects == ["a"]


def test_registry_applies_defaults_overrides_and_reports_conflicts(qapp) -> None:
    settings = Settings()
    registry = ActionRegistry(settings)
    undo = registry.action("edit.undo")
    assert undo.shortcut() == QKeySequence("Ctrl+Z")
    registry.set_keys("edit.undo", ["Ctrl+U"])
    assert undo.shortcut() == QKeySequence("Ctrl+U")
    assert settings.shortcuts == {"edit.undo": ["Ctrl+U"]}
    registry.set_keys("edit.undo", ["Ctrl+Z"])  # back to the default: no override stored
    assert settings.shortcuts == {}
    assert registry.conflicts() == {}
    registry.set_keys("draw.pen", ["E"])
    assert registry.conflicts() == {"E": ["draw.pen", "draw.eraser"]}


def test_every_frequent_action_has_a_default_shortcut() -> None:
    ids = {spec.id for spec in ACTION_SPECS if spec.keys}
    for action_id in ("edit.undo", "edit.redo", "draw.pen", "draw.eraser", "draw.stroke_eraser",
                      "draw.smaller", "draw.bigger", "zoom.fit", "pair.next", "pair.prev",
                      "view.draw", "view.annotate", "view.render", "edit.shortcuts"):
        assert action_id in ids
