"""The leaked-thread watcher behind the autouse fixture really catches a running QThread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from sketchstudio.gui.testing import ThreadLeakWatcher


class _Blocked(QThread):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("blocked")
        self.release = threading.Event()

    def run(self) -> None:
        self.release.wait(10)


def test_watcher_reports_a_running_thread_and_not_a_finished_one() -> None:
    watcher = ThreadLeakWatcher()
    watcher.start()
    try:
        leaky, done = _Blocked(), _Blocked()
        leaky.start()
        done.start()
        done.release.set()
    finally:
        watcher.stop()
    assert watcher.leaked(grace_s=0.5) == ["_Blocked('blocked')"]
    leaky.release.set()
    assert leaky.wait(5000) and done.wait(5000)
    assert watcher.leaked(grace_s=0.1) == []
