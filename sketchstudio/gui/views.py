"""The plug-in interface of the workspace's views (Draw, Annotate, Render).

A view is a QWidget built from the shared `WorkspaceContext`. The main window stacks the views
and calls the same small interface on each; a view never reaches into the main window. To add
a view, subclass `WorkspaceView`, set `view_id`/`title`/`icon_name`, and list the class in
`sketchstudio.gui.main_window.VIEW_CLASSES`.

* `set_pair(pair_id)` — the current pair changed (None: no pair). Views also receive it while
  inactive and may defer heavy work until `activate()`.
* `activate()` / `deactivate()` — the view became visible / hidden (start or pause live work).
* `view_actions()` — QActions this view contributes to the view's toolbar and the "View-specific"
  menu; their shortcuts are registered in `sketchstudio.gui.shortcuts`.
* `status_text()` / `status_changed` — a short line for the status bar, and a signal to emit
  when it changes.
* `is_busy()` / `busy_changed(bool)` — whether background work the view shows is still under
  way (a first suggestion, a preview). `sketchstudio screenshot` waits for it to settle; views
  call `_busy_changed()` whenever the answer may have changed.
* `settings_changed()` — the user changed the preferences (models, device) in
  `context.settings`; apply what concerns the view.
* `shutdown()` — stop every thread and timer and disconnect from the store; called once before
  the project closes. After it the view must hold no running QThread.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from sketchstudio.gui.context import WorkspaceContext


class WorkspaceView(QWidget):
    status_changed = Signal()  # `status_text()` changed; the status bar re-reads it
    busy_changed = Signal(bool)  # `is_busy()` changed

    view_id: str = ""
    title: str = ""
    icon_name: str = ""

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._active = False
        self._was_busy = False
        self._disconnects = [context.pair_changed.connect(self.set_pair)]

    @property
    def is_active(self) -> bool:
        return self._active

    def set_pair(self, pair_id: int | None) -> None:  # pragma: no cover - overridden
        """Show `pair_id` (None: nothing)."""

    def activate(self) -> None:
        self._active = True

    def deactivate(self) -> None:
        self._active = False

    def view_actions(self) -> list[QAction]:
        return []

    def status_text(self) -> str:
        """A short line for the status bar (tool, zoom...)."""
        return ""

    def settings_changed(self) -> None:
        """Re-read `self.context.settings` (the preferences dialog changed something)."""

    def is_busy(self) -> bool:
        """True while work the view is about to show is still being computed."""
        return False

    def _busy_changed(self) -> None:
        busy = self.is_busy()
        if busy != self._was_busy:
            self._was_busy = busy
            self.busy_changed.emit(busy)

    def shutdown(self) -> None:
        for disconnect in self._disconnects:
            disconnect()
        self._disconnects.clear()
