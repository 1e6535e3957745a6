"""User settings: window geometry, recent projects, brush defaults and shortcut overrides.

Plain Python (no Qt) so it is testable without a display. The file is JSON under
`resources.user_config_dir()`, written atomically; a missing or corrupt file falls back to the
defaults (logged) rather than stopping the application from starting.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sketchstudio.core import resources
from sketchstudio.core.atomic import atomic_write_text
from sketchstudio.core.errors import UserError
from sketchstudio.core.model import is_hex_colour

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
MAX_RECENT = 10


@dataclass
class BrushSettings:
    size: float = 3.0
    color: str = "#1b1b1f"
    smoothing: float = 0.35  # 0 = raw input, towards 1 = a heavily lagging stabiliser
    eraser_size: float = 16.0


@dataclass
class Settings:
    """Everything the user may expect SketchStudio to remember between sessions."""

    window_geometry: str = ""  # base64 of QWidget.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState()
    recent_projects: list[str] = field(default_factory=list)
    brush: BrushSettings = field(default_factory=BrushSettings)
    underlay_opacity: float = 0.35
    shortcuts: dict[str, list[str]] = field(default_factory=dict)  # action id -> QKeySequence texts
    last_view: str = "draw"
    last_export_dir: str = ""  # the folder the last export/save dialog wrote to
    warp_model: str = ""  # model id for Annotate's suggestions ("" = the default)
    s2i_model: str = ""  # model id for Render ("" = the default)
    device: str = "auto"  # "auto" | "cpu" | "cuda" | "mps" (weights.device.select_device)
    path: Path | None = field(default=None, repr=False, compare=False)
    read_only: bool = field(default=False, repr=False, compare=False)  # screenshots: never saved

    @classmethod
    def default_path(cls) -> Path:
        return resources.user_config_dir() / "settings.json"

    @classmethod
    def load(cls, path: str | Path | None = None) -> Settings:
        target = Path(path) if path is not None else cls.default_path()
        settings = cls(path=target)
        try:
            raw = json.loads(target.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return settings
        except (OSError, ValueError) as exc:
            log.warning("%s: unreadable settings, using defaults (%s)", target, exc)
            return settings
        if not isinstance(raw, dict):
            log.warning("%s: settings are not a JSON object, using defaults", target)
            return settings
        settings._update_from(raw)
        return settings

    def _update_from(self, raw: dict[str, Any]) -> None:
        def pick(key: str, kind: type, default: Any) -> Any:
            value = raw.get(key, default)
            return value if isinstance(value, kind) else default

        self.window_geometry = pick("window_geometry", str, "")
        self.window_state = pick("window_state", str, "")
        self.recent_projects = [p for p in pick("recent_projects", list, []) if isinstance(p, str)]
        self.underlay_opacity = _clamp(raw.get("underlay_opacity"), 0.0, 1.0, 0.35)
        self.shortcuts = {k: [t for t in v if isinstance(t, str)]
                          for k, v in pick("shortcuts", dict, {}).items() if isinstance(v, list)}
        self.last_view = pick("last_view", str, "draw")
        self.last_export_dir = pick("last_export_dir", str, "")
        self.warp_model = pick("warp_model", str, "")
        self.s2i_model = pick("s2i_model", str, "")
        self.device = pick("device", str, "auto")
        brush = pick("brush", dict, {})
        defaults = BrushSettings()
        self.brush = BrushSettings(
            size=_positive(brush.get("size"), defaults.size),
            color=brush.get("color") if is_hex_colour(brush.get("color")) else defaults.color,
            smoothing=_clamp(brush.get("smoothing"), 0.0, 0.95, defaults.smoothing),
            eraser_size=_positive(brush.get("eraser_size"), defaults.eraser_size),
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        data.pop("read_only")
        data["version"] = SETTINGS_VERSION
        return data

    def save(self) -> None:
        """Write atomically; a failure is logged, never raised, because it must not cost edits."""
        if self.read_only:
            return
        target = self.path or self.default_path()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(target, json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n")
        except (OSError, UserError) as exc:
            log.warning("could not save settings to %s: %s", target, exc)

    def add_recent(self, project: str | Path) -> None:
        text = str(Path(project).resolve())
        self.recent_projects = [text] + [p for p in self.recent_projects if p != text]
        del self.recent_projects[MAX_RECENT:]

    def export_dir(self, project: str | Path | None = None) -> Path:
        """Where a save/export dialog opens: the last folder written to, else the project's."""
        last = Path(self.last_export_dir) if self.last_export_dir else None
        if last is not None and last.is_dir():
            return last
        if project is not None and Path(project).parent.is_dir():
            return Path(project).parent
        return Path.home()

    def remember_export(self, path: str | Path) -> None:
        self.last_export_dir = str(Path(path).resolve().parent)

    def existing_recent(self) -> list[Path]:
        return [Path(p) for p in self.recent_projects if Path(p).is_file()]


def _positive(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and value > 0 else default


def _clamp(value: Any, low: float, high: float, default: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
        return default
    return min(high, max(low, float(value)))
