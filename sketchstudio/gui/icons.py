"""Icons by name from the bundled `resources/icons/*.svg` (rendered by Qt's SVG plugin)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from sketchstudio.core import resources


@cache
def icon(name: str) -> QIcon:
    """The icon `name` (file stem); an empty icon if it is missing, so a typo never crashes."""
    path = resources.resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()
