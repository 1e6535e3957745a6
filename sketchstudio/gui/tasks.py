"""One-shot background tasks for long project work (imports, exports) with progress.

`BackgroundTask(fn)` runs `fn(report)` on its own QThread; `report(done, total, text)` may be
called from `fn` and reaches the GUI thread as the `progress` signal, and the outcome arrives as
`succeeded(result)` or `failed(message)` (a `UserError`'s one line; anything else is logged and
summarised). The task never gets the GUI's store: work that needs the project opens its own
connection from the path (SQLite in WAL mode lets the window keep reading meanwhile), and the
caller tells the GUI's store what changed afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from sketchstudio.core.errors import UserError

log = logging.getLogger(__name__)

Report = Callable[[int, int, str], None]


class _Thread(QThread):
    progressed = Signal(int, int, str)

    def __init__(self, fn: Callable[[Report], Any]) -> None:
        super().__init__()
        self.setObjectName("background-task")
        self.fn = fn
        self.result: Any = None
        self.error: str | None = None
        self.cancelled = False

    def run(self) -> None:
        try:
            self.result = self.fn(self._report)
        except UserError as exc:
            self.error = str(exc)
        except Exception as exc:  # a bug: keep the window alive, log the traceback
            log.exception("background task failed")
            self.error = f"unexpected error: {type(exc).__name__}: {exc}"

    def _report(self, done: int, total: int, text: str = "") -> None:
        self.progressed.emit(done, total, text)


class BackgroundTask(QObject):
    progress = Signal(int, int, str)  # done, total (0: unknown), text
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[Report], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = _Thread(fn)
        self._thread.progressed.connect(self.progress)
        self._thread.finished.connect(self._on_finished)

    def start(self) -> None:
        self._thread.start()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block until the task ends (closing a dialog mid-import must not leak the thread)."""
        return self._thread.wait(timeout_ms)

    def _on_finished(self) -> None:
        if self._thread.error is not None:
            self.failed.emit(self._thread.error)
        else:
            self.succeeded.emit(self._thread.result)
