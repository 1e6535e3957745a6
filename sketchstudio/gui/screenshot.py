"""Render the main window offscreen into a PNG (the README's screenshots are made this way)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from sketchstudio.core.atomic import atomic_write_bytes
from sketchstudio.core.errors import UserError

IDLE_TIMEOUT_S = 20.0
IDLE_STABLE_S = 0.25  # results arrive as queued signals just after a worker reports "not busy"


def _process_events_for(seconds: float) -> None:
    from PySide6.QtCore import QCoreApplication

    deadline = time.monotonic() + seconds
    while True:
        QCoreApplication.processEvents()
        if time.monotonic() >= deadline:
            return
        time.sleep(0.01)


def wait_until_idle(is_busy: Callable[[], bool], timeout_s: float = IDLE_TIMEOUT_S,
                    stable_s: float = IDLE_STABLE_S) -> bool:
    """Process events until `is_busy()` has been False for `stable_s`; False on timeout."""
    from PySide6.QtCore import QCoreApplication

    deadline = time.monotonic() + timeout_s
    idle_since: float | None = None
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        now = time.monotonic()
        if is_busy():
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= stable_s:
            return True
        time.sleep(0.01)
    return False


def take_screenshot(out: str | Path, *, project: str | Path | None = None, demo: bool = False,
                    view: str = "draw", size: tuple[int, int] = (1400, 860), pair: int | None = None,
                    settle_s: float = 0.3, timeout_s: float = IDLE_TIMEOUT_S) -> Path:
    """Open the window on `project` (or the demo, or the welcome page), show `view` and `pair`
    (a pair id), wait until the view is idle (its first suggestion or preview computed, or an
    error shown; at most `timeout_s`) and for thumbnails, and write the window's pixels to `out`
    atomically."""
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
        _process_events_for(settle_s)
        view = window.current_view
        if view is not None:
            wait_until_idle(view.is_busy, timeout_s)
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
