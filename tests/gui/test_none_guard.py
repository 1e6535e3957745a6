"""PySide6 6.12.0 drops a reference to `None` on every void Qt call under CPython 3.11 and the
interpreter aborts after a few thousand calls; pyproject.toml excludes it. This guards the pin."""

from __future__ import annotations

import sys

from PySide6.QtCore import QPointF


def test_void_qt_calls_keep_none_alive() -> None:
    probe = QPointF()
    before = sys.getrefcount(None)
    for i in range(2_000):
        probe.setX(float(i))
    assert sys.getrefcount(None) >= before - 10, "this PySide6 build leaks references to None"
