"""Starting the desktop application (`sketchstudio`, `sketchstudio PROJECT`, `sketchstudio --demo`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from sketchstudio.core import resources
from sketchstudio.gui.icons import icon
from sketchstudio.gui.settings import Settings
from sketchstudio.gui.theme import apply_theme

if TYPE_CHECKING:
    from sketchstudio.gui.main_window import MainWindow


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once, themed); tests and the screenshot command share it."""
    app = QApplication.instance()
    if app is None:
        QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setApplicationName(resources.APP_NAME)
        app.setOrganizationName(resources.APP_AUTHOR)
        app.setWindowIcon(icon("app"))
    assert isinstance(app, QApplication)
    if not app.property("sketchstudio_themed"):
        apply_theme(app)
        app.setProperty("sketchstudio_themed", True)
    return app


def build_window(project: str | Path | None = None, demo: bool = False,
                 settings: Settings | None = None) -> MainWindow:
    """A main window with `project` (or the demo) open; raises `UserError` if it cannot open."""
    from sketchstudio.gui.main_window import MainWindow

    window = MainWindow(settings)
    if demo:
        from sketchstudio.core.demo import ensure_demo_project

        window.load_project(ensure_demo_project())
    elif project is not None:
        window.load_project(project)
    return window


def release_workers_after_first_frame(window: QWidget, fallback_ms: int = 3000) -> None:
    """Start the model workers once `window` has painted (or after `fallback_ms` regardless)."""
    from sketchstudio.gui.workers import START_GATE

    def release() -> None:
        if START_GATE.held:
            START_GATE.release()

    class FirstFrame(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                window.removeEventFilter(self)
                QTimer.singleShot(150, release)  # let the backing store reach the screen first
            return False

    watcher = FirstFrame(window)
    window.installEventFilter(watcher)
    QTimer.singleShot(fallback_ms, release)


def run_app(project: str | None = None, demo: bool = False) -> int:
    from sketchstudio.gui.workers import START_GATE

    app = application()
    START_GATE.hold()  # no torch import competing with the first frame
    window = build_window(project, demo)
    release_workers_after_first_frame(window)
    window.show()
    return app.exec()
