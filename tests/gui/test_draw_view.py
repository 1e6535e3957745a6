"""The Draw view driven by real Qt events: strokes reach the store, undo/redo, erasers, zoom."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtWidgets import QApplication

from sketchstudio.core.model import Stroke
from sketchstudio.gui.draw.tools import ToolKind
from sketchstudio.gui.draw.view import DrawView


@pytest.fixture
def view(qtbot, context):
    v = DrawView(context)
    qtbot.addWidget(v)
    v.resize(700, 600)
    v.show()
    qtbot.waitExposed(v)
    v.activate()
    yield v
    v.shutdown()


def widget_point(view: DrawView, x: float, y: float) -> QPoint:
    return view.canvas.to_widget(x, y).toPoint()


def drag(qtbot, view: DrawView, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Press, move and release the left button through sketch points; returns where the canvas
    maps the integer widget positions back to (what a stroke should hold)."""
    canvas = view.canvas
    # a user presses on what is on screen: input before the pair is painted is dropped
    qtbot.waitUntil(lambda: canvas.painted_pair == canvas.pair_id, timeout=2000)
    qpoints = [widget_point(view, x, y) for x, y in points]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=qpoints[0])
    for p in qpoints[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=qpoints[-1])
    return [canvas.to_sketch(QPointF(p)) for p in qpoints]


def strokes(context) -> tuple[Stroke, ...]:
    return context.store.sketch(context.pair_id).strokes


def test_mouse_stroke_is_stored_with_its_points_and_full_pressure(qtbot, view, context) -> None:
    expected = drag(qtbot, view, [(40, 40), (80, 60), (120, 90), (160, 100)])
    (stroke,) = strokes(context)
    np.testing.assert_allclose([(p[0], p[1]) for p in stroke.points], expected)
    assert all(p[2] == 1.0 for p in stroke.points)
    assert stroke.width == context.settings.brush.size
    assert not stroke.eraser
    assert context.undo_stack.count() == 1


def _tablet(kind: QEvent.Type, pos: QPointF, pressure: float, device: QPointingDevice,
            button=Qt.MouseButton.LeftButton) -> QTabletEvent:
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.TabletRelease else Qt.MouseButton.LeftButton
    return QTabletEvent(kind, device, pos, pos, pressure, 0.0, 0.0, 0.0, 0.0, 0.0,
                        Qt.KeyboardModifier.NoModifier, button, buttons)


def _stylus(pointer: QPointingDevice.PointerType = QPointingDevice.PointerType.Pen) -> QPointingDevice:
    caps = QInputDevice.Capability.Position | QInputDevice.Capability.Pressure
    return QPointingDevice("test stylus", 4242, QInputDevice.DeviceType.Stylus, pointer, caps, 1, 3)


def send_tablet_stroke(view: DrawView, samples: list[tuple[float, float, float]],
                       pointer: QPointingDevice.PointerType = QPointingDevice.PointerType.Pen) -> None:
    device = _stylus(pointer)
    canvas = view.canvas
    moves = [QEvent.Type.TabletMove] * (len(samples) - 2)
    kinds = [QEvent.Type.TabletPress, *moves, QEvent.Type.TabletRelease]
    for kind, (x, y, pressure) in zip(kinds, samples):
        event = _tablet(kind, canvas.to_widget(x, y), pressure, device)
        QApplication.sendEvent(canvas, event)
        assert event.isAccepted()


def test_tablet_stroke_keeps_pressure(view, context) -> None:
    samples = [(30.0, 30.0, 0.2), (60.0, 50.0, 0.5), (90.0, 70.0, 0.9), (120.0, 75.0, 0.4)]
    send_tablet_stroke(view, samples)
    (stroke,) = strokes(context)
    np.testing.assert_allclose([(p[0], p[1], p[2]) for p in stroke.points], samples, atol=1e-6)
    assert not stroke.eraser


def test_tablet_eraser_end_makes_an_eraser_stroke(view, context) -> None:
    send_tablet_stroke(view, [(30, 30, 1.0), (90, 90, 1.0), (120, 90, 1.0)],
                       pointer=QPointingDevice.PointerType.Eraser)
    (stroke,) = strokes(context)
    assert stroke.eraser
    assert view.canvas.tool_kind is ToolKind.PEN  # the pen end still draws afterwards


def test_undo_redo_restore_exact_store_contents(qtbot, view, context) -> None:
    drag(qtbot, view, [(20, 20), (60, 60), (100, 60)])
    one = strokes(context)
    drag(qtbot, view, [(30, 150), (90, 160), (200, 170)])
    two = strokes(context)
    assert len(two) == 2 and two[0] == one[0]
    context.undo_stack.undo()
    assert strokes(context) == one
    context.undo_stack.undo()
    assert strokes(context) == ()
    context.undo_stack.redo()
    context.undo_stack.redo()
    assert strokes(context) == two  # same ids, points, widths
    view.clear_sketch()
    assert strokes(context) == ()
    context.undo_stack.undo()
    assert strokes(context) == two


def test_undo_shortcut_goes_through_the_window(qtbot, window) -> None:
    view = window.views["draw"]
    drag(qtbot, view, [(20, 20), (60, 60), (100, 60)])
    assert len(strokes(window.context)) == 1
    window.actions_.action("edit.undo").trigger()
    assert strokes(window.context) == ()
    window.actions_.action("edit.redo").trigger()
    assert len(strokes(window.context)) == 1


def test_stroke_eraser_removes_only_what_it_touches(qtbot, view, context) -> None:
    drag(qtbot, view, [(20, 40), (200, 40)])
    drag(qtbot, view, [(20, 200), (200, 200)])
    keep, doomed = strokes(context)
    view.set_tool(ToolKind.STROKE_ERASER)
    drag(qtbot, view, [(100, 20), (100, 60)])  # crosses the first line only
    assert strokes(context) == (doomed,)
    context.undo_stack.undo()
    assert strokes(context) == (keep, doomed)


def pixel(view: DrawView, x: float, y: float):
    image = view.canvas.grab().toImage()
    return image.pixelColor(view.canvas.to_widget(x, y).toPoint())


def test_pixel_eraser_clears_drawn_pixels(qtbot, view, context) -> None:
    view.set_underlay_opacity(0)
    view.set_brush_size(6)
    drag(qtbot, view, [(20, 100), (220, 100)])
    assert pixel(view, 120, 100).lightness() < 80
    view.set_tool(ToolKind.ERASER)
    view.set_brush_size(20)
    drag(qtbot, view, [(120, 70), (120, 130)])
    (_, eraser) = strokes(context)
    assert eraser.eraser and eraser.width == 20
    assert pixel(view, 120, 100).lightness() > 240  # erased back to paper
    assert pixel(view, 40, 100).lightness() < 80  # the rest of the line stays


def test_underlay_opacity_changes_the_display(qtbot, view, context) -> None:
    view.set_underlay_opacity(0)
    blank = pixel(view, 120, 120)
    view.set_underlay_opacity(80)
    tinted = pixel(view, 120, 120)
    assert blank.name() == "#ffffff"
    assert tinted.name() != blank.name()
    view.underlay_action.trigger()  # hide the underlay
    assert pixel(view, 120, 120).name() == "#ffffff"


def test_brush_size_keys_and_tool_shortcuts(qtbot, window) -> None:
    view = window.views["draw"]
    window.activateWindow()
    qtbot.waitActive(window)
    view.canvas.setFocus()
    size = view.canvas.brush_size
    qtbot.keyClick(view.canvas, Qt.Key.Key_BracketRight)
    assert view.canvas.brush_size == pytest.approx(round(size * 1.25, 1))  # sizes step in 0.1 px
    bigger = view.canvas.brush_size
    qtbot.keyClick(view.canvas, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(view.canvas, Qt.Key.Key_BracketLeft)
    assert view.canvas.brush_size == pytest.approx(round(round(bigger / 1.25, 1) / 1.25, 1))
    qtbot.keyClick(view.canvas, Qt.Key.Key_E)
    assert view.canvas.tool_kind is ToolKind.ERASER
    qtbot.keyClick(view.canvas, Qt.Key.Key_E, Qt.KeyboardModifier.ShiftModifier)
    assert view.canvas.tool_kind is ToolKind.STROKE_ERASER
    qtbot.keyClick(view.canvas, Qt.Key.Key_B)
    assert view.canvas.tool_kind is ToolKind.PEN


def test_wheel_zoom_keeps_the_point_under_the_cursor_and_middle_drag_pans(qtbot, view) -> None:
    canvas = view.canvas
    anchor = canvas.to_widget(100, 80)
    before = canvas.zoom
    canvas.zoom_by(2.0, anchor)
    assert canvas.zoom == pytest.approx(before * 2)
    assert canvas.to_sketch(anchor) == pytest.approx((100, 80))
    start = canvas.to_sketch(QPointF(300, 300))
    qtbot.mousePress(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(300, 300))
    qtbot.mouseMove(canvas, QPoint(340, 320))
    qtbot.mouseRelease(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(340, 320))
    moved = canvas.to_sketch(QPointF(340, 320))
    assert moved == pytest.approx(start, abs=1e-6)
    canvas.fit_to_window()
    assert canvas.zoom == pytest.approx(before)


def test_space_drag_pans_instead_of_drawing(qtbot, view, context) -> None:
    canvas = view.canvas
    canvas.setFocus()
    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    start = canvas.to_sketch(QPointF(200, 200))
    drag(qtbot, view, [(50, 50), (90, 90)])
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    assert strokes(context) == ()
    assert canvas.to_sketch(QPointF(200, 200)) != pytest.approx(start)


def test_strokes_go_to_the_pair_they_were_drawn_on(qtbot, view, context) -> None:
    first = context.pair_id
    drag(qtbot, view, [(20, 20), (60, 60)])
    context.next_pair()
    assert strokes(context) == ()
    drag(qtbot, view, [(100, 100), (150, 120)])
    assert len(context.store.sketch(first).strokes) == 1
    context.undo_stack.undo()  # undoing the second stroke stays on the second pair
    assert context.pair_id != first
    context.undo_stack.undo()  # undoing the first stroke brings its pair back
    assert context.pair_id == first
    assert strokes(context) == ()


def test_raster_sketch_is_the_base_layer(qtbot, view, context) -> None:
    context.set_pair(2)  # pair 2 has sketches/s1.png: a circle and a line at y=240
    view.set_underlay_opacity(0)
    assert view.canvas.sketch.base_image == "sketches/s1.png"
    assert pixel(view, 120, 240).lightness() < 100
    assert pixel(view, 120, 120).lightness() > 240


def test_new_sketch_for_this_photo(qtbot, view, context) -> None:
    context.set_pair(2)  # has a raster sketch: a new pair with the same photo is made
    photo = context.pair().photo
    view.new_sketch()
    new = context.pair()
    assert new.id != 2 and new.photo == photo and new.sketch is None
    context.undo_stack.undo()
    assert context.pair_id == 2
    with pytest.raises(KeyError):
        context.store.pair(new.id)


def test_canvas_sketch_layer_matches_the_export_with_a_base_image_and_an_eraser(qtbot, view, context) -> None:
    """The display follows `core.raster`: an eraser stroke paints the paper over everything drawn
    before it, the raster base sketch included, so what the canvas shows is what exports give."""
    from PySide6.QtGui import QColor, QImage, QPainter

    from sketchstudio.core.images import load_image
    from sketchstudio.core.raster import render_sketch
    from sketchstudio.gui.annotate.view import qimage_to_rgb

    store = context.store
    pid = next(p.id for p in store.pairs() if p.sketch)  # the raster (Sketchy-style) sketch
    context.set_pair(pid)
    # ink across the base circle, then an eraser right through both the base lines and the ink
    store.add_stroke(pid, Stroke(points=((20, 128, 1, 0), (236, 128, 1, 0.1)), width=6, color="#d03030"))
    store.add_stroke(pid, Stroke(points=((128, 20, 1, 0), (128, 236, 1, 0.1)), width=24, eraser=True))
    view.canvas.set_underlay_visible(False)
    qtbot.wait(10)
    view.canvas.repaint()
    sketch = store.sketch(pid)
    canvas = view.canvas
    canvas.layer.set_scale(1.0)
    shown = QImage(sketch.width, sketch.height, QImage.Format.Format_RGB32)
    shown.fill(QColor(sketch.background))
    painter = QPainter(shown)
    painter.drawImage(0, 0, canvas.layer.image)
    painter.end()
    ours = qimage_to_rgb(shown).astype(np.int16)
    export = np.asarray(render_sketch(sketch, image_loader=lambda p: load_image(store.resolve(p))))
    export = export.astype(np.int16)
    assert ours.shape == export.shape
    diff = np.abs(ours - export).max(axis=2)
    # the erased band is paper in both (the base circle's lines do not show through)
    band = (slice(40, 216), slice(122, 135))
    assert ours[band].min() >= 250 and export[band].min() >= 250
    assert (diff > 96).mean() < 0.01, "display and export disagree beyond anti-aliasing"
    assert diff.mean() < 4
