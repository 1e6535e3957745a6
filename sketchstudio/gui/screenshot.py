"""Render the main window offscreen into a PNG (the README's screenshots are made this way)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sketchstudio.core.atomic import atomic_write_bytes
from sketchstudio.core.errors import UserError


def take_screenshot(out: str | Path, *, project: str | Path | None = None, demo: bool = False,
                    view: str = "draw", size: tuple[int, int] = (1400, 860), pair: int | None = None,
                    settle_s: float = 0.3) -> Path:
    """Open the window on `project` (or the demo, or the welcome page), show `view` and `pair`
    (a pair id), wait for thumbnails, and write the window's pixels to `out` atomically."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice

    from sketchstudio.gui.app import application, build_window
    from sketchstudio.gui.settings import Settings

    application()
    # default settings, never saved: the picture does not depend on (or change) the user's setup
    window = build_window(project, demo, Settings(read_only=True, last_view=view))
    try:
        if window.context is not None:
            if pair is not None:
                try:
                    window.context.set_pair(pair)
                except KeyError:
                    raise UserError(f"no pair with id {pair} in this project",
                                    path=window.store.path) from None
            window.set_view(view)
        window.resize(*size)
        window.show()
        deadline = time.monotonic() + settle_s
        while time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.01)
        if window.browser is not None:
            window.browser.thumbnails.wait_idle()
        QCoreApplication.processEvents()
        image = window.grab().toImage()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):
            raise UserError("could not encode the screenshot", path=out)
        buffer.close()
        atomic_write_bytes(out, bytes(data.data()))
    finally:
        window.close()
        window.deleteLater()
        QCoreApplication.processEvents()
    return Path(out)
