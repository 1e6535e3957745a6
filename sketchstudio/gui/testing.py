"""Test support shipped with the GUI: a watcher that finds QThreads left running.

`tests/gui/conftest.py` wraps every GUI test in a `ThreadLeakWatcher`; it lives here (not in the
conftest) so it is importable, reusable by other test folders, and itself tested.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QThread, QThreadPool


class ThreadLeakWatcher:
    """Records every QThread started from Python between `start()` and `stop()`, then reports
    the ones still running after a grace period (and busy global thread-pool workers)."""

    def __init__(self) -> None:
        self.started: list[QThread] = []
        self._original: Any = None

    def start(self) -> None:
        original = self._original = QThread.start
        started = self.started

        def recording_start(thread: QThread, *args: Any, **kwargs: Any) -> Any:
            started.append(thread)
            return original(thread, *args, **kwargs)

        QThread.start = recording_start  # type: ignore[method-assign]

    def stop(self) -> None:
        if self._original is not None:
            QThread.start = self._original  # type: ignore[method-assign]
            self._original = None

    def leaked(self, grace_s: float = 1.0) -> list[str]:
        deadline = time.monotonic() + grace_s
        leaked: list[str] = []
        for thread in self.started:
            try:
                while thread.isRunning() and time.monotonic() < deadline:
                    thread.wait(20)
                if thread.isRunning():
                    leaked.append(f"{type(thread).__name__}({thread.objectName()!r})")
            except RuntimeError:  # the C++ object is gone, so the thread is too
                continue
        pool = QThreadPool.globalInstance()
        if pool.activeThreadCount() and not pool.waitForDone(int(grace_s * 1000)):
            leaked.append(f"{pool.activeThreadCount()} QThreadPool task(s)")
        return leaked
