"""The sketch canvas: a view of one pair's vector sketch over an optional photo underlay.

Qt events become `PointerEvent`s in sketch pixels and go to the active Qt-free tool; finished
strokes become `QUndoCommand`s on the context's undo stack, which write them to the store. The
canvas repaints from the store's change events: its own stroke takes a fast path (the live
working image becomes the cached layer), anything else (undo, redo, another view's edit)
re-reads the sketch on the next paint, painting only appended strokes where it can.
"""

from __future__ import annotations

import logging
import math
import time

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPointingDevice,
    QResizeEvent,
    QTabletEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.core.model import PairStatus, Sketch, Stroke
from sketchstudio.gui.commands import SetPairStatusCommand
from sketchstudio.gui.context import WorkspaceContext
from sketchstudio.gui.draw.commands import AddStrokeCommand, RemoveStrokesCommand, push
from sketchstudio.gui.draw.geometry import strokes_hit
from sketchstudio.gui.draw.layer import StrokeLayer
from sketchstudio.gui.draw.painting import paint_stroke
from sketchstudio.gui.draw.tools import PenTool, PointerEvent, StrokeEraserTool, ToolKind
from sketchstudio.gui.qimages import read_qimage

log = logging.getLogger(__name__)

MIN_ZOOM = 0.1
MAX_ZOOM = 32.0
CANVAS_BACKGROUND = QColor("#202227")
HIT_COLOUR = QColor(255, 90, 90, 170)


class SketchCanvas(QWidget):
    zoom_changed = Signal(float)

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("SketchCanvas")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setAttribute(Qt.WidgetAttribute.WA_TabletTracking, True)
        self.setMinimumSize(200, 200)
        brush = context.settings.brush
        self.pen = PenTool(width=brush.size, color=brush.color, smoothing=brush.smoothing)
        self.pixel_eraser = PenTool(width=brush.eraser_size, eraser=True)
        self.stroke_eraser = StrokeEraserTool(radius=brush.eraser_size / 2, hit_test=self._hit_test)
        self.tool_kind = ToolKind.PEN
        self.underlay_opacity = context.settings.underlay_opacity
        self.underlay_visible = True
        self.layer = StrokeLayer()
        self.naive_repaint = False  # benchmark switch: paint every stroke on every frame
        self.paint_count = 0  # paint events handled (tests and benchmarks check repaints happen)
        self.pair_id: int | None = None
        # The pair on screen: a press that arrives after another pair was loaded but before it
        # was painted was meant for the pair the user saw, so it is dropped, never drawn here.
        self.painted_pair: int | None = None
        self._press_dropped = False
        self.sketch: Sketch | None = None
        self.photo: QImage | None = None
        self._base_image: QImage | None = None
        self._dirty = False
        self._scale = 1.0
        self._offset = QPointF(0, 0)
        self._fit = True
        self._panning: QPointF | None = None
        self._space = False
        self._hover: QPointF | None = None
        self._active_tool: PenTool | StrokeEraserTool | None = None
        self._own_stroke: Stroke | None = None
        self._tablet_eraser = False
        self._rescale_timer = QTimer(self, singleShot=True, interval=120, timeout=self._rescale_layer)
        self._disconnect = context.store.events.connect(self._on_store_event)

    # -- document ------------------------------------------------------------------------------
    def set_pair(self, pair_id: int | None) -> None:
        self._cancel_tool()
        self.pair_id = pair_id
        self.photo = None
        if pair_id is not None:
            pair = self.context.store.pair(pair_id)
            self.photo = read_qimage(self.context.store.resolve(pair.photo), max_side=2048)
        self._load_sketch(full=True)
        self._fit = True
        self._fit_view()
        self.update()

    def _load_sketch(self, *, full: bool) -> None:
        """Re-read the sketch; paint only appended strokes when the rest is unchanged."""
        self._dirty = False
        if self.pair_id is None:
            self.sketch = None
            self.layer = StrokeLayer()
            return
        try:
            sketch = self.context.store.sketch(self.pair_id)
        except KeyError:  # the pair was removed
            self.pair_id, self.sketch = None, None
            return
        old = self.sketch
        same_frame = (old is not None and not full and (old.width, old.height, old.base_image)
                      == (sketch.width, sketch.height, sketch.base_image))
        n = len(self.layer.strokes)
        if same_frame and self.layer.image is not None and tuple(self.layer.strokes) == sketch.strokes[:n]:
            self.layer.append(sketch.strokes[n:])
        else:
            if old is None or full or old.base_image != sketch.base_image:
                base = (read_qimage(self.context.store.resolve(sketch.base_image))
                        if sketch.base_image else None)
                self._base_image = ink_on_clear(base) if base is not None and not base.isNull() else None
            self.layer.reset(sketch.width, sketch.height, sketch.strokes, self._base_image,
                             self._layer_scale())
        self.sketch = sketch

    def _on_store_event(self, event: ChangeEvent) -> None:
        if event.kind is ChangeKind.PROJECT_RELOADED:
            self._dirty = True
        elif event.pair_id != self.pair_id or self.pair_id is None:
            return
        elif event.kind is ChangeKind.STROKE_ADDED and self._own_stroke is not None:
            self.layer.commit_live(self._own_stroke.with_id(event.stroke_id))
            self._own_stroke = None
        elif event.kind in (ChangeKind.STROKE_ADDED, ChangeKind.STROKE_REMOVED, ChangeKind.SKETCH_CHANGED,
                            ChangeKind.PAIR_CHANGED):
            self._dirty = True
        else:
            return
        self.update()

    def _hit_test(self, x: float, y: float, radius: float) -> list[int]:
        return strokes_hit(self.layer.strokes, x, y, radius)

    # -- tools -------------------------------------------------------------------------------------
    def set_tool(self, kind: ToolKind) -> None:
        self._cancel_tool()
        self.tool_kind = kind
        self.update()

    def tool_for(self, kind: ToolKind) -> PenTool | StrokeEraserTool:
        return {ToolKind.PEN: self.pen, ToolKind.ERASER: self.pixel_eraser,
                ToolKind.STROKE_ERASER: self.stroke_eraser}[kind]

    @property
    def brush_size(self) -> float:
        return self.pen.width if self.tool_kind is ToolKind.PEN else self.pixel_eraser.width

    def set_brush_size(self, size: float) -> None:
        size = round(min(200.0, max(0.5, size)), 1)  # what the size box shows
        if self.tool_kind is ToolKind.PEN:
            self.pen.width = size
        else:
            self.pixel_eraser.width = size
            self.stroke_eraser.radius = size / 2
        self.update()

    def set_underlay_opacity(self, opacity: float) -> None:
        self.underlay_opacity = min(1.0, max(0.0, opacity))
        self.update()

    def set_underlay_visible(self, visible: bool) -> None:
        self.underlay_visible = visible
        self.update()

    def _cancel_tool(self) -> None:
        if self._active_tool is not None:
            self._active_tool.cancel()
            self._active_tool = None
        self.layer.abort_live()
        self._tablet_eraser = False

    def _press(self, pos: QPointF, pressure: float, t: float, kind: ToolKind | None = None) -> None:
        if self.pair_id is None or self.sketch is None:
            return
        kind = kind or self.tool_kind
        tool = self.tool_for(kind)
        self._active_tool = tool
        event = PointerEvent(*self.to_sketch(pos), pressure, t)
        if isinstance(tool, PenTool):
            self.layer.begin_live()
            self._paint_new(tool, tool.press(event))
        else:
            tool.press(event)
            self.update()

    def _move(self, pos: QPointF, pressure: float, t: float) -> None:
        tool = self._active_tool
        if tool is None:
            return
        event = PointerEvent(*self.to_sketch(pos), pressure, t)
        if isinstance(tool, PenTool):
            self._paint_new(tool, tool.move(event))
        elif tool.move(event):
            self.update()

    def _release(self, pos: QPointF, pressure: float, t: float) -> None:
        tool, self._active_tool = self._active_tool, None
        self._tablet_eraser = False
        if tool is None or self.pair_id is None:
            return
        event = PointerEvent(*self.to_sketch(pos), pressure, t)
        if isinstance(tool, PenTool):
            before = len(tool.points)
            stroke = tool.release(event)
            if stroke is not None:
                self._paint_live_tail(tool, stroke, before)
                self._own_stroke = stroke
                self._push_stroke(AddStrokeCommand(self.context, self.pair_id, stroke))
            if self._own_stroke is not None:  # not announced by the store (it failed): resync
                self._own_stroke = None
                self.layer.abort_live()
                self._dirty = True
        else:
            hit = tool.release(event)
            if hit:
                push(self.context.undo_stack, RemoveStrokesCommand(self.context, self.pair_id, hit))
        self.update()

    def _push_stroke(self, command: AddStrokeCommand) -> None:
        """The first stroke on a "To do" pair also marks it "In progress" (one undo step), as
        "New sketch for this photo" does."""
        stack = self.context.undo_stack
        try:
            todo = self.context.store.pair(command.pair_id).status is PairStatus.TODO
        except KeyError:
            todo = False
        if not todo:
            push(stack, command)
            return
        stack.beginMacro(command.text())
        stored = push(stack, command)
        if stored:
            push(stack, SetPairStatusCommand(self.context, command.pair_id, PairStatus.IN_PROGRESS))
        stack.endMacro()
        if not stored and stack.index() > 0:  # the stroke was refused: drop the empty step too
            stack.command(stack.index() - 1).setObsolete(True)
            stack.undo()

    def _paint_live_tail(self, tool: PenTool, stroke: Stroke, before: int) -> None:
        tail = stroke.points[max(0, before - 1):]
        if len(stroke.points) > before:
            self._paint_samples(tool, tail)

    def _paint_new(self, tool: PenTool, new: list) -> None:
        if not new:
            return
        start = max(0, len(tool.points) - len(new) - 1)
        self._paint_samples(tool, tool.points[start:])

    def _paint_samples(self, tool: PenTool, samples) -> None:
        rect = self.layer.paint_live(samples, width=tool.width, color=tool.color, eraser=tool.eraser)
        if not rect.isEmpty():
            self.update(self.to_widget_rect(rect).toAlignedRect().adjusted(-2, -2, 2, 2))

    # -- view transform ------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self._scale

    def to_sketch(self, pos: QPointF) -> tuple[float, float]:
        """Widget position -> sketch pixels ((0, 0) is the centre of the first pixel)."""
        return ((pos.x() - self._offset.x()) / self._scale - 0.5,
                (pos.y() - self._offset.y()) / self._scale - 0.5)

    def to_widget(self, x: float, y: float) -> QPointF:
        return QPointF(self._offset.x() + (x + 0.5) * self._scale, self._offset.y() + (y + 0.5) * self._scale)

    def to_widget_rect(self, rect: QRectF) -> QRectF:
        top_left = self.to_widget(rect.x(), rect.y())
        return QRectF(top_left.x(), top_left.y(), rect.width() * self._scale, rect.height() * self._scale)

    def fit_to_window(self) -> None:
        self._fit = True
        self._fit_view()
        self.update()

    def _fit_view(self) -> None:
        w, h = self._sketch_size()
        margin = 24
        avail_w = max(1, self.width() - 2 * margin)
        avail_h = max(1, self.height() - 2 * margin)
        self._scale = max(MIN_ZOOM, min(MAX_ZOOM, min(avail_w / w, avail_h / h)))
        self._offset = QPointF((self.width() - w * self._scale) / 2, (self.height() - h * self._scale) / 2)
        self._schedule_rescale()
        self.zoom_changed.emit(self._scale)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        new_scale = min(MAX_ZOOM, max(MIN_ZOOM, self._scale * factor))
        sx, sy = self.to_sketch(anchor)
        self._scale = new_scale
        self._offset = QPointF(anchor.x() - (sx + 0.5) * new_scale, anchor.y() - (sy + 0.5) * new_scale)
        self._fit = False
        self._schedule_rescale()
        self.zoom_changed.emit(self._scale)
        self.update()

    def set_zoom(self, scale: float) -> None:
        self.zoom_by(scale / self._scale)

    def pan_by(self, dx: float, dy: float) -> None:
        self._offset += QPointF(dx, dy)
        self._fit = False
        self.update()

    def _sketch_size(self) -> tuple[int, int]:
        if self.sketch is not None:
            return max(1, self.sketch.width), max(1, self.sketch.height)
        return 256, 256

    def _layer_scale(self) -> float:
        return self._scale * self.devicePixelRatioF()

    def _schedule_rescale(self) -> None:
        if self.layer.image is not None:
            self._rescale_timer.start()

    def _rescale_layer(self) -> None:
        if self._active_tool is None and self.layer.image is not None:
            self.layer.set_scale(self._layer_scale())
            self.update()
        elif self._active_tool is not None:
            self._rescale_timer.start()

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        self.paint_count += 1
        self.painted_pair = self.pair_id
        if self._dirty and self._active_tool is None:
            self._load_sketch(full=False)
        painter = QPainter(self)
        painter.fillRect(event.rect(), CANVAS_BACKGROUND)
        if self.sketch is None:
            painter.setPen(QColor("#8a8f98"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No pair selected")
            return
        w, h = self._sketch_size()
        paper = QRectF(self._offset.x(), self._offset.y(), w * self._scale, h * self._scale)
        painter.fillRect(paper.translated(0, 3).adjusted(-1, -1, 1, 1), QColor(0, 0, 0, 90))
        painter.fillRect(paper, QColor(self.sketch.background))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        show_photo = self.underlay_visible and self.photo is not None and self.underlay_opacity > 0
        if show_photo:
            painter.setOpacity(self.underlay_opacity)
            painter.drawImage(_aspect_fit(self.photo, paper), self.photo)
            painter.setOpacity(1.0)
            # the ink goes over the photo unchanged (a red stroke stays red); a raster base sketch
            # is shown as ink on transparent paper (`ink_on_clear`), so the photo shows through
        if self.naive_repaint:
            self._paint_naive(painter, paper)
        else:
            image = self.layer.current()
            if image is not None:
                painter.drawImage(paper, image)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        self._paint_overlay(painter)

    def _paint_naive(self, painter: QPainter, paper: QRectF) -> None:
        """Reference path for the benchmark: every stroke on every frame, no cache.

        Without eraser strokes it paints straight onto the widget (clipped to the update
        rectangle), the fastest a cache-less canvas can be; eraser strokes need a layer.
        """
        strokes = list(self.layer.strokes)
        if isinstance(self._active_tool, PenTool) and self._active_tool.points:
            tool = self._active_tool
            strokes.append(Stroke(points=tuple(tool.points), width=tool.width, color=tool.color,
                                  eraser=tool.eraser))
        if not any(s.eraser for s in strokes):
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            if self._base_image is not None:
                painter.drawImage(paper, self._base_image)
            painter.translate(self._offset)
            painter.scale(self._scale, self._scale)
            painter.translate(0.5, 0.5)
            for stroke in strokes:
                paint_stroke(painter, stroke)
            painter.restore()
            return
        image = QImage(self.layer.image.size() if self.layer.image is not None else paper.size().toSize(),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.scale(self.layer.scale, self.layer.scale)
        if self._base_image is not None:
            p.drawImage(QRectF(0, 0, *self._sketch_size()), self._base_image)
        p.translate(0.5, 0.5)
        for stroke in strokes:
            paint_stroke(p, stroke)
        p.end()
        painter.drawImage(paper, image)

    def _paint_overlay(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if isinstance(self._active_tool, StrokeEraserTool) and self._active_tool.hit:
            painter.save()
            painter.translate(self._offset)
            painter.scale(self._scale, self._scale)
            painter.translate(0.5, 0.5)
            hit = set(self._active_tool.hit)
            for stroke in self.layer.strokes:
                if stroke.id in hit:
                    paint_stroke(painter, Stroke(points=stroke.points, width=stroke.width + 2,
                                                 color=HIT_COLOUR.name()))
            painter.restore()
        if self._hover is not None and not self._space and self._panning is None:
            radius = self.brush_size * self._scale / 2
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(255, 255, 255, 200), 1.0))
            painter.drawEllipse(self._hover, radius + 1, radius + 1)
            painter.setPen(QPen(QColor(0, 0, 0, 200), 1.0))
            painter.drawEllipse(self._hover, radius, radius)

    def resizeEvent(self, event: QResizeEvent) -> None:
        if self._fit:
            self._fit_view()
        super().resizeEvent(event)

    # -- Qt input ------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                event.button() == Qt.MouseButton.LeftButton and self._space):
            self._panning = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif event.button() == Qt.MouseButton.LeftButton and self._active_tool is None:
            self._press_dropped = self.painted_pair != self.pair_id
            if not self._press_dropped:
                self._press(event.position(), 1.0, time.monotonic())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._hover = event.position()
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.pan_by(delta.x(), delta.y())
        elif self._active_tool is not None:
            self._move(event.position(), 1.0, time.monotonic())
        else:
            self.update()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._panning is not None and event.button() in (Qt.MouseButton.MiddleButton,
                                                             Qt.MouseButton.LeftButton):
            self._panning = None
            self.setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor)
        elif event.button() == Qt.MouseButton.LeftButton:
            if self._press_dropped:
                self._press_dropped = False
            else:
                self._release(event.position(), 1.0, time.monotonic())
        event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:
        """Pen input with pressure; accepting it stops Qt from also sending a mouse event."""
        kind = event.type()
        pos, pressure, t = event.position(), float(event.pressure()), event.timestamp() / 1000.0
        if kind == QEvent.Type.TabletPress:
            if self._space or self._active_tool is not None:
                event.ignore()
                return
            if self.painted_pair != self.pair_id:  # meant for the pair that was on screen
                event.accept()
                return
            eraser_end = event.pointerType() == QPointingDevice.PointerType.Eraser
            self._tablet_eraser = eraser_end
            self._press(pos, pressure, t, ToolKind.ERASER if eraser_end else None)
        elif kind == QEvent.Type.TabletMove:
            self._hover = pos
            if self._active_tool is not None:
                self._move(pos, pressure, t)
            else:
                self.update()
        elif kind == QEvent.Type.TabletRelease:
            self._release(pos, pressure, t)
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.15 ** steps, event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self._active_tool is not None:
            self._cancel_tool()
            self.update()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.setCursor(Qt.CursorShape.CrossCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def enterEvent(self, event: QEvent) -> None:
        # the canvas takes the keyboard under the pointer (Space+drag pans) unless the user is
        # typing somewhere (the size box)
        focus = QApplication.focusWidget()
        if not isinstance(focus, QLineEdit | QAbstractSpinBox | QTextEdit | QPlainTextEdit) \
                and self.window().isActiveWindow():
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor)
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def shutdown(self) -> None:
        self._rescale_timer.stop()
        self._disconnect()


def ink_on_clear(image: QImage) -> QImage:
    """A raster sketch (dark lines on light paper) as ink on transparent paper: alpha is the
    darkness, the colour is what gives the original pixel over white. Over white it looks as
    before; over the photo underlay the paper no longer hides the photo."""
    import numpy as np

    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h = rgba.width(), rgba.height()
    data = np.frombuffer(rgba.constBits(), np.uint8).reshape(h, rgba.bytesPerLine())[:, :w * 4]
    rgb = data.reshape(h, w, 4)[..., :3].astype(np.float32)
    lum = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    alpha = np.clip(255.0 - lum, 0.0, 255.0) * (data.reshape(h, w, 4)[..., 3] / 255.0)
    a = np.maximum(alpha, 1e-3)[..., None] / 255.0
    colour = np.clip((rgb - (1.0 - a) * 255.0) / a, 0, 255)
    out = np.dstack([colour, alpha[..., None]]).astype(np.uint8)
    result = QImage(out.tobytes(), w, h, w * 4, QImage.Format.Format_RGBA8888)
    return result.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def _aspect_fit(image: QImage, frame: QRectF) -> QRectF:
    """`image`'s rectangle scaled to fit inside `frame`, centred (photos keep their shape)."""
    iw, ih = image.width(), image.height()
    if iw <= 0 or ih <= 0:
        return frame
    s = min(frame.width() / iw, frame.height() / ih)
    w, h = iw * s, ih * s
    if math.isclose(w, frame.width(), rel_tol=0.01) and math.isclose(h, frame.height(), rel_tol=0.01):
        return frame
    return QRectF(frame.x() + (frame.width() - w) / 2, frame.y() + (frame.height() - h) / 2, w, h)
