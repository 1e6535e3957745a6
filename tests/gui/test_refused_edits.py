"""Edits the project refuses (locked by another writer, read-only, disk full), driven by real
mouse events in the real window: the click shows a message with Retry, nothing unsaved stays on
screen or on the undo stack, the app keeps running and nothing confirmed is lost."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from sketchstudio.core.model import KeypointStatus


@pytest.fixture
def annotate(qtbot, window, no_shipped_models):
    window.set_view("annotate")
    view = window.views["annotate"]
    sketched = next(p.id for p in window.context.store.pairs() if p.sketch)
    window.context.set_pair(sketched)
    qtbot.waitUntil(lambda: view.controller.pair is not None and view.controller.pair.id == sketched)
    return view


def click(qtbot, pane, x: float, y: float) -> None:
    qtbot.mouseClick(pane, Qt.MouseButton.LeftButton, pos=pane.image_to_widget(x, y).toPoint())


def failure_box(window) -> QMessageBox:
    box = window.edit_failure_box
    assert box is not None and box.isVisible(), "a refused edit shows a message"
    return box


def press_retry(qtbot, window) -> None:
    box = failure_box(window)
    retry = next(b for b in box.buttons() if b.text() == "Retry")
    qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)


def settle(qtbot) -> None:
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(10)


class _FullDisk:
    """The connection of a project on a full disk: every COMMIT fails the way SQLite reports
    ENOSPC (SQLITE_FULL), after which SQLite has rolled the transaction back."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, *args):
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


def test_a_click_on_a_locked_project_shows_a_message_and_retry_saves_it(qtbot, window, annotate,
                                                                          project_path: Path) -> None:
    store, view = window.context.store, annotate
    pid = view.controller.pair.id
    other = sqlite3.connect(project_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a second SketchStudio in the middle of a write
    try:
        start = time.monotonic()
        click(qtbot, view.photo_pane, 100, 120)
        assert time.monotonic() - start < 2.0, "the GUI thread must not wait 5 s on the lock"
        assert "busy" in failure_box(window).text()
        assert store.keypoint(pid, 0) is None
        assert view.controller.keypoints == {}, "the view re-read the store: no phantom point"
        assert window.context.undo_stack.count() == 0
        click(qtbot, view.photo_pane, 140, 60)  # the click that used to end the process
        settle(qtbot)
        assert store.keypoint(pid, 0) is None and window.context.undo_stack.count() == 0
    finally:
        other.execute("ROLLBACK")
        other.close()
    press_retry(qtbot, window)
    qtbot.waitUntil(lambda: store.keypoint(pid, 0) is not None)
    assert window.context.undo_stack.count() == 1
    assert view.controller.keypoints[0] == store.keypoint(pid, 0)
    assert window.isVisible()


def test_read_only_project_keeps_confirmed_work_and_the_undo_stack_true(qtbot, window, annotate) -> None:
    store, view, stack = window.context.store, annotate, window.context.undo_stack
    pid = view.controller.pair.id
    click(qtbot, view.photo_pane, 100, 120)
    qtbot.keyClick(view, Qt.Key.Key_Return)  # accept the suggestion: keypoint 1 confirmed
    confirmed = store.keypoint(pid, 0)
    assert confirmed.status is KeypointStatus.CONFIRMED and stack.count() == 2
    store._conn.execute("PRAGMA query_only = ON")  # SQLite's read-only path (SQLITE_READONLY)
    try:
        click(qtbot, view.photo_pane, 30, 40)
        assert "read-only" in failure_box(window).text()
        assert store.keypoint(pid, 1) is None and 1 not in view.controller.keypoints
        assert stack.count() == 2 and stack.index() == 2
        stack.undo()  # refused too: the stack goes back to where the store is
        settle(qtbot)
        assert stack.index() == 2 and stack.canUndo()
        assert store.keypoint(pid, 0) == confirmed and view.controller.keypoints[0] == confirmed
    finally:
        store._conn.execute("PRAGMA query_only = OFF")
    press_retry(qtbot, window)  # retry the undo
    qtbot.waitUntil(lambda: stack.index() == 1)
    assert store.keypoint(pid, 0).status is KeypointStatus.PENDING
    stack.redo()
    assert store.keypoint(pid, 0) == confirmed or store.keypoint(pid, 0).status is KeypointStatus.CONFIRMED


def test_full_disk_drops_the_stroke_and_says_why(qtbot, window, monkeypatch) -> None:
    window.set_view("draw")
    view, store, stack = window.views["draw"], window.context.store, window.context.undo_stack
    pid = window.context.pair_id
    canvas = view.canvas
    before = store.sketch(pid).strokes
    monkeypatch.setattr(store, "_conn", _FullDisk(store._conn))
    points = [canvas.to_widget(x, 80 + x / 3).toPoint() for x in range(40, 200, 20)]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=points[0])
    for p in points[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=points[-1])
    assert "disk is full" in failure_box(window).text()
    assert store.sketch(pid).strokes == before and stack.count() == 0
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[2].toTuple()))
    settle(qtbot)
    monkeypatch.undo()
    press_retry(qtbot, window)
    qtbot.waitUntil(lambda: len(store.sketch(pid).strokes) == len(before) + 1)
    assert stack.count() == 1 and window.isVisible()
