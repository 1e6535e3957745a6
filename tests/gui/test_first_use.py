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


# --- Draw: defects 1, 4, 9, 10, 12 ------------------------------------------------------------------

import pytest  # noqa: E402
from PySide6.QtCore import QPoint  # noqa: E402

from sketchstudio.core.model import PairStatus  # noqa: E402


@pytest.fixture
def draw(qtbot, context):
    view = DrawView(context)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    view.activate()
    view.activateWindow()
    qtbot.waitUntil(lambda: view.canvas.painted_pair == context.pair_id)
    yield view
    view.shutdown()


def _drag(qtbot, canvas, points) -> None:
    qpoints = [canvas.to_widget(x, y).toPoint() for x, y in points]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=qpoints[0])
    for p in qpoints[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=qpoints[-1])


def test_1_space_drag_pans_after_the_opacity_slider_was_clicked(qtbot, draw, context) -> None:
    canvas = draw.canvas
    slider = draw.opacity_slider
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(slider.width() // 4, slider.height() // 2))
    qtbot.mouseMove(canvas, canvas.to_widget(60, 60).toPoint())
    focus = QApplication.focusWidget() or canvas  # the keyboard goes where focus is
    qtbot.keyPress(focus, Qt.Key.Key_Space)
    start = canvas.to_sketch(QPointF(200, 200))
    _drag(qtbot, canvas, [(50, 50), (90, 90), (120, 110)])
    qtbot.keyRelease(QApplication.focusWidget() or canvas, Qt.Key.Key_Space)
    assert context.store.sketch(context.pair_id).strokes == ()
    assert canvas.to_sketch(QPointF(200, 200)) != pytest.approx(start)


def test_4_status_counts_strokes_after_erase_undo_redo_and_clear(qtbot, window) -> None:
    window.set_view("draw")
    view = window.views["draw"]
    canvas = view.canvas
    qtbot.waitUntil(lambda: canvas.painted_pair == window.context.pair_id)

    def count() -> str:
        return window.view_status.text().split(" · ")[1]

    _drag(qtbot, canvas, [(30, 30), (100, 40)])
    _drag(qtbot, canvas, [(30, 150), (100, 160)])
    assert count() == "2 strokes"
    view.set_tool(view.canvas.tool_kind.STROKE_ERASER)
    _drag(qtbot, canvas, [(60, 20), (60, 50)])
    assert count() == "1 stroke"
    window.actions_.action("edit.undo").trigger()
    assert count() == "2 strokes"
    window.actions_.action("edit.redo").trigger()
    assert count() == "1 stroke"
    view.named_actions["draw.clear"].trigger()
    assert count() == "0 strokes"
    window.actions_.action("edit.undo").trigger()
    assert count() == "1 stroke"
    view.set_tool(view.canvas.tool_kind.PEN)
    for _ in range(3):
        view.named_actions["draw.bigger"].trigger()
    import re

    assert re.match(r"Pen \d+(\.\d)?px · ", window.view_status.text()), window.view_status.text()


def test_9_red_ink_stays_red_over_the_photo_underlay(qtbot, draw, context) -> None:
    draw.set_colour("#ff0000")
    draw.set_brush_size(14)
    draw.set_underlay_opacity(80)
    _drag(qtbot, draw.canvas, [(40, 128), (128, 128), (220, 128)])
    qtbot.waitUntil(lambda: draw.canvas.painted_pair == context.pair_id)
    colour = draw.canvas.grab().toImage().pixelColor(draw.canvas.to_widget(128, 128).toPoint())
    assert (colour.red(), colour.green(), colour.blue()) == (255, 0, 0), colour.name()


def test_10_sketch_export_opens_in_the_project_folder_and_confirms(qtbot, draw, context, tmp_path,
                                                                  monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    starts: list[str] = []
    target = tmp_path / "elsewhere"
    target.mkdir()

    def save(_parent, _caption, start, _filter):
        starts.append(start)
        return str(target / "mine"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save)
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (256, True))
    notices: list[str] = []
    context.notices.connect(notices.append)
    _drag(qtbot, draw.canvas, [(30, 30), (90, 90)])
    draw.named_actions["draw.export_png"].trigger()
    assert starts[0].startswith(str(context.store.path.parent)), starts
    assert (target / "mine.png").is_file()
    assert notices and str(target / "mine.png") in notices[-1]
    draw.named_actions["draw.export_svg"].trigger()
    assert starts[1].startswith(str(target)), "the second export opens where the first one went"


def test_12_done_needs_settled_keypoints_and_a_stroke_starts_progress(qtbot, window) -> None:
    context = window.context
    pid = context.pair_id
    assert context.store.pair(pid).status is PairStatus.TODO
    window.actions_.action("pair.status.done").trigger()
    assert context.store.pair(pid).status is PairStatus.TODO
    assert "Not marked done" in window.statusBar().currentMessage()
    window.set_view("draw")
    canvas = window.views["draw"].canvas
    qtbot.waitUntil(lambda: canvas.painted_pair == pid)
    _drag(qtbot, canvas, [(30, 30), (100, 40)])
    assert context.store.pair(pid).status is PairStatus.IN_PROGRESS
    window.actions_.action("edit.undo").trigger()  # one step undoes both
    assert context.store.pair(pid).status is PairStatus.TODO
    assert context.store.sketch(pid).strokes == ()


# --- 5: the browser thumbnail shows what was drawn -------------------------------------------------

def _sketch_thumb(window, pair_id: int):
    browser = window.browser
    row = browser.model.row_of(pair_id)
    index = browser.proxy.mapFromSource(browser.model.index(row))
    rect = browser.list.visualRect(index)
    from sketchstudio.gui.browser.delegate import THUMB

    box = rect.adjusted(10 + THUMB + 4, 0, 0, 0)
    box.setWidth(THUMB)
    return browser.list.viewport().grab(box).toImage()


def test_5_thumbnail_of_a_raster_sketch_shows_strokes_drawn_on_it(qtbot, window) -> None:
    context = window.context
    raster = next(p.id for p in context.store.pairs() if p.sketch)
    context.set_pair(raster)
    window.set_view("draw")
    view = window.views["draw"]
    window.browser.thumbnails.wait_idle()
    qtbot.wait(50)
    before = _sketch_thumb(window, raster)
    view.set_brush_size(40)
    view.set_underlay_opacity(0)
    qtbot.waitUntil(lambda: view.canvas.painted_pair == raster)
    _drag(qtbot, view.canvas, [(20, 128), (128, 128), (236, 128)])
    window.browser.thumbnails.wait_idle()
    qtbot.wait(50)
    window.browser.thumbnails.wait_idle()
    after = _sketch_thumb(window, raster)
    assert after != before, "the row still shows the sketch file as it was imported"


# --- 7: the hint names the keypoint the next click places ------------------------------------------

@pytest.fixture
def annotate(qtbot, context):
    from sketchstudio.gui.annotate.view import AnnotateView

    context.settings.warp_model = "identity"
    context.set_pair(next(p.id for p in context.store.pairs() if p.sketch))
    view = AnnotateView(context)
    qtbot.addWidget(view)
    view.resize(1280, 640)
    view.show()
    qtbot.waitExposed(view)
    view.activate()
    qtbot.waitUntil(lambda: view.photo_pane.painted_pair == context.pair_id)
    yield view
    view.shutdown()


def _click(qtbot, pane, x, y) -> None:
    qtbot.mouseClick(pane, Qt.MouseButton.LeftButton, pos=pane.image_to_widget(x, y).toPoint())


def test_7_after_dragging_keypoint_1_the_hint_names_the_keypoint_the_next_click_places(qtbot, context,
                                                                                       annotate):
    view = annotate
    photo, sketch = view.photo_pane, view.sketch_pane
    for i in range(3):
        _click(qtbot, photo, 40 + 50 * i, 60)
        _click(qtbot, sketch, 40 + 50 * i, 70)
    assert view.controller.completed() == 3
    start, end = photo.image_to_widget(40, 60).toPoint(), photo.image_to_widget(48, 90).toPoint()
    qtbot.mousePress(photo, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(photo, end)
    _send(photo, QEvent.Type.MouseMove, QPointF(end), Qt.MouseButton.LeftButton)
    qtbot.mouseRelease(photo, Qt.MouseButton.LeftButton, pos=end)
    assert context.store.keypoint(context.pair_id, 0).photo[1] > 80, "keypoint 1 was not dragged"
    hint = view.hint_label.toolTip()
    _click(qtbot, photo, 200, 200)
    placed = [k.index for k in context.store.keypoints(context.pair_id) if k.photo == (200.0, 200.0)
              or (k.photo and abs(k.photo[0] - 200) < 1 and abs(k.photo[1] - 200) < 1)]
    assert placed, "the click placed nothing"
    assert f"keypoint {placed[0] + 1}" in hint.lower(), hint
    assert not hint.startswith("Keypoint 1: click"), hint


# --- 8: paging fast never paints one pair's images with another pair's keypoints ------------------

def test_8_fast_paging_paints_each_pair_with_its_own_images_keypoints_and_title(qtbot, context, annotate):
    from PySide6.QtCore import QObject

    from sketchstudio.core.model import Keypoint, KeypointStatus

    view = annotate
    store = context.store
    ids = store.pair_ids()
    for pid in ids:  # a keypoint waiting for its sketch side: each pair shows a suggestion at once
        store.set_keypoint(pid, Keypoint(index=0, photo=(30.0 + pid, 40.0), sketch=None,
                                         status=KeypointStatus.PENDING))
    context.set_pair(ids[0])
    view.set_pair(ids[0])
    qtbot.wait(20)
    painted: list[tuple[int, int, int | None, str]] = []

    class Spy(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and obj.image is not None:
                pair = view.controller.pair
                painted.append((id(obj), obj.image.cacheKey(), pair.id if pair else None,
                                view.pair_label.text()))
            return False

    spy = Spy()
    for pane in (view.photo_pane, view.sketch_pane):
        pane.installEventFilter(spy)
    expected: dict[tuple[int, int], int] = {}
    for _ in range(len(ids) - 1):
        context.next_pair()  # what PgDown does
        pid = context.pair_id
        for pane in (view.photo_pane, view.sketch_pane):
            if pane.image is not None:
                expected[(id(pane), pid)] = pane.image.cacheKey()
        qtbot.wait(5)
    for pane_id, key, pid, title in painted:
        if (pane_id, pid) in expected:
            assert expected[(pane_id, pid)] == key, f"pair {pid} painted with another pair's image"
        pair = store.pair(pid)
        assert (pair.name or "") in title, (pid, title)


# --- 6: the model-vs-human panel's columns fit ----------------------------------------------------

def test_6_model_vs_human_columns_fit_without_a_horizontal_scrollbar(qtbot, annotate) -> None:
    from sketchstudio.gui.app import application

    application()  # the app's theme and font, as the user sees it
    view = annotate
    qtbot.mouseClick(view.panel_button, Qt.MouseButton.LeftButton)
    table = view.panel.table
    qtbot.waitUntil(table.isVisible)
    qtbot.wait(20)
    header = table.horizontalHeader()
    assert header.length() <= table.viewport().width() + 1, (header.length(), table.viewport().width())
    assert not table.horizontalScrollBar().isVisible()
    assert header.sectionSize(0) >= table.fontMetrics().horizontalAdvance("Category")


# --- 14 (layout part): the hint and the pair title are never cut off at 1280 px -------------------

def test_14_long_hint_and_long_model_name_leave_hint_and_title_readable(qtbot, annotate) -> None:
    from sketchstudio.gui.app import application

    application()
    view = annotate
    view.resize(1280 - 320, 640)  # the window at 1280 px minus the pair browser
    _click(qtbot, view.photo_pane, 60, 60)  # a suggestion: the longest hint
    view.model_label.setText("model: " + "a-very-long-fine-tuned-model-name-" * 4 + " · cpu")
    view.pair_label.setText("person · Astronaut with a rather long name")
    qtbot.wait(30)
    hint = view.hint_label
    assert len(hint.text()) > 100
    needed = hint.heightForWidth(hint.width()) if hint.wordWrap() else hint.fontMetrics().horizontalAdvance(
        hint.text())
    available = hint.height() if hint.wordWrap() else hint.width()
    assert needed <= available, "the hint is cut off"
    title = view.pair_label
    assert title.width() >= title.fontMetrics().horizontalAdvance(title.text()), "the title is squeezed"
