"""What a new user hits in the first minutes, driven by real Qt events (issue 13).

Each test here failed on the behaviour the issue describes before the fix.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from sketchstudio.gui.draw.view import DrawView


def _send(widget, kind: QEvent.Type, pos: QPointF, button=Qt.MouseButton.LeftButton) -> None:
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    if kind == QEvent.Type.MouseMove:
        button = Qt.MouseButton.NoButton
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def _stroke_events(widget, points: list[QPointF]) -> None:
    """A press, moves and a release delivered back to back, as queued input is after a stall."""
    _send(widget, QEvent.Type.MouseButtonPress, points[0])
    for p in points[1:]:
        _send(widget, QEvent.Type.MouseMove, p)
    _send(widget, QEvent.Type.MouseButtonRelease, points[-1])


# --- start-up: content at once, input only for the pair on screen ----------------------------------

def test_a_press_queued_before_the_new_pair_is_painted_is_not_drawn_on_it(qtbot, context) -> None:
    view = DrawView(context)
    qtbot.addWidget(view)
    view.resize(700, 600)
    view.show()
    qtbot.waitExposed(view)
    view.activate()
    canvas = view.canvas
    shown = context.pair_id
    qtbot.waitUntil(lambda: canvas.painted_pair == shown)
    points = [canvas.to_widget(x, y) for x, y in ((40, 40), (90, 80), (140, 120))]
    context.next_pair()  # the list moved while the click was queued: not painted yet
    other = context.pair_id
    assert other != shown
    _stroke_events(canvas, points)
    assert context.store.sketch(other).strokes == ()
    assert context.store.sketch(shown).strokes == ()
    qtbot.waitUntil(lambda: canvas.painted_pair == other)  # once it is on screen, input works
    _stroke_events(canvas, points)
    assert len(context.store.sketch(other).strokes) == 1
    view.shutdown()


def test_a_click_queued_before_the_new_pair_is_painted_places_no_keypoint(qtbot, context) -> None:
    from sketchstudio.gui.annotate.view import AnnotateView

    context.settings.warp_model = "identity"
    view = AnnotateView(context)
    qtbot.addWidget(view)
    view.resize(1100, 620)
    view.show()
    qtbot.waitExposed(view)
    view.activate()
    pane = view.photo_pane
    first = context.pair_id
    qtbot.waitUntil(lambda: pane.painted_pair == first)
    p = pane.image_to_widget(100, 100)
    context.next_pair()
    view.set_pair(context.pair_id)
    second = context.pair_id
    _stroke_events(pane, [p])
    assert all(k.photo is None for k in context.store.keypoints(second))
    qtbot.waitUntil(lambda: pane.painted_pair == second)
    _stroke_events(pane, [p])
    assert any(k.photo is not None for k in context.store.keypoints(second))
    view.shutdown()


def test_model_workers_wait_for_the_first_frame(qtbot, project_path) -> None:
    """`run_app` holds the workers (torch import, weights) until the window has painted."""
    from sketchstudio.gui.app import application, build_window, release_workers_after_first_frame
    from sketchstudio.gui.workers import START_GATE

    application()
    START_GATE.hold()
    try:
        window = build_window(project_path)
        qtbot.addWidget(window)
        workers = [view.suggester.worker for view in window.views.values() if hasattr(view, "suggester")]
        window.set_view("annotate")
        release_workers_after_first_frame(window, fallback_ms=60_000)
        assert workers and not any(w.isRunning() for w in workers), "a worker started before the window"
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: not START_GATE.held, timeout=5000)
        qtbot.waitUntil(lambda: all(w.isRunning() or not w.busy for w in workers), timeout=5000)
    finally:
        START_GATE.release()
    window.close()
