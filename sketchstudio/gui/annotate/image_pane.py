"""One side of the annotate view: an image with zoom/pan, an optional warp overlay, and markers.

The pane only adapts: it maps mouse events to image pixel coordinates and hands them to the
`AnnotationController`, and paints what the controller says. Pixel convention (as the document):
keypoint (0, 0) is the centre of the top-left pixel, so a widget point w maps to
`(w - offset) / scale - 0.5`.

Left button: place / accept / drag (the controller decides). Wheel: zoom about the cursor.
Middle or right button drag: pan. Double-click with the middle button, or `fit()`: fit the image.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from sketchstudio.core.model import Side
from sketchstudio.gui.annotate.markers import draw_marker
from sketchstudio.inference.annotation import AnnotationController

HIT_RADIUS_PX = 11.0
MIN_ZOOM, MAX_ZOOM = 0.25, 16.0  # relative to "fit"


class ImagePane(QWidget):
    """Shows one image of the pair; emits `viewChanged(zoom, cx, cy)` for synchronised views
    (zoom relative to fit, centre in image fractions)."""

    viewChanged = Signal(float, float, float)
    hovered = Signal(object)  # the Side under the mouse

    def __init__(self, controller: AnnotationController, side: Side, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.side = side
        self.image: QImage | None = None
        self.overlay: QImage | None = None
        self.overlay_opacity = 0.0
        self.placeholder = "No image"
        self.caption = ""
        self._zoom = 1.0  # relative to fit
        self._center = (0.5, 0.5)  # image fractions at the widget centre
        self._pan_from: tuple[QPointF, tuple[float, float]] | None = None
        self.suggestion_painted_at = 0.0
        # The pair on screen: input pressed while another pair is loaded but not yet painted
        # was meant for the one on screen, so it is dropped instead of applied to the new one.
        self.painted_pair: int | None = None
        self._press_dropped = False
        self.setMouseTracking(True)
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def sizeHint(self) -> QSize:
        return QSize(420, 420)

    # --- content -------------------------------------------------------------------------------

    def set_image(self, image: QImage | None, placeholder: str = "No image") -> None:
        self.image = image
        self.placeholder = placeholder
        self.update()

    def set_overlay(self, image: QImage | None) -> None:
        self.overlay = image
        self.update()

    def set_overlay_opacity(self, opacity: float) -> None:
        self.overlay_opacity = max(0.0, min(1.0, opacity))
        self.update()

    def image_size(self) -> tuple[int, int]:
        if self.image is None:
            return self.controller.sizes[self.side]
        return (self.image.width(), self.image.height())

    # --- view transform ------------------------------------------------------------------------

    def fit(self) -> None:
        self.set_view(1.0, 0.5, 0.5)

    def set_view(self, zoom: float, cx: float, cy: float, *, notify: bool = True) -> None:
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if (zoom, (cx, cy)) == (self._zoom, self._center):
            return
        self._zoom, self._center = zoom, (cx, cy)
        self.update()
        if notify:
            self.viewChanged.emit(zoom, cx, cy)

    def view(self) -> tuple[float, float, float]:
        return (self._zoom, *self._center)

    def scale(self) -> float:
        w, h = self.image_size()
        margin = 16
        fit = min((self.width() - 2 * margin) / max(w, 1), (self.height() - 2 * margin) / max(h, 1))
        return max(fit, 1e-3) * self._zoom

    def _offset(self) -> QPointF:
        w, h = self.image_size()
        s = self.scale()
        return QPointF(self.width() / 2 - self._center[0] * w * s,
                       self.height() / 2 - self._center[1] * h * s)

    def image_to_widget(self, x: float, y: float) -> QPointF:
        s, o = self.scale(), self._offset()
        return QPointF(o.x() + (x + 0.5) * s, o.y() + (y + 0.5) * s)

    def widget_to_image(self, p: QPointF) -> tuple[float, float]:
        s, o = self.scale(), self._offset()
        return ((p.x() - o.x()) / s - 0.5, (p.y() - o.y()) / s - 0.5)

    def _inside(self, xy: tuple[float, float]) -> bool:
        w, h = self.image_size()
        return -0.5 <= xy[0] <= w - 0.5 and -0.5 <= xy[1] <= h - 0.5

    def _clamped(self, xy: tuple[float, float]) -> tuple[float, float]:
        w, h = self.image_size()
        return (min(max(xy[0], 0.0), w - 1.0), min(max(xy[1], 0.0), h - 1.0))

    # --- mouse ---------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton):
            self._pan_from = (event.position(), self._center)
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if event.button() != Qt.MouseButton.LeftButton or self.image is None:
            return
        self._press_dropped = self.painted_pair != self._pair_id()
        if self._press_dropped:
            return
        xy = self.widget_to_image(event.position())
        if not self._inside(xy) and not self.controller.suggestion_at(
                self.side, xy, HIT_RADIUS_PX / self.scale()):
            return
        self.controller.press(self.side, self._clamped(xy), HIT_RADIUS_PX / self.scale())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self.hovered.emit(self.side)
        if self._pan_from is not None:
            start, (cx, cy) = self._pan_from
            w, h = self.image_size()
            s = self.scale()
            d = event.position() - start
            self.set_view(self._zoom, cx - d.x() / (w * s), cy - d.y() / (h * s))
            return
        if (self.controller.drag_state is not None and event.buttons() & Qt.MouseButton.LeftButton
                and not self._press_dropped):
            self.controller.drag(self.side, self._clamped(self.widget_to_image(event.position())))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton,
                                                              Qt.MouseButton.RightButton):
            self._pan_from = None
            self.setCursor(Qt.CursorShape.CrossCursor)
            return
        if event.button() == Qt.MouseButton.LeftButton and self._press_dropped:
            self._press_dropped = False
            return
        if event.button() == Qt.MouseButton.LeftButton and self.controller.drag_state is not None:
            self.controller.release(self.side, self._clamped(self.widget_to_image(event.position())))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self.fit()
        else:
            self.mousePressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if not steps or self.image is None:
            return
        before = self.widget_to_image(event.position())
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, self._zoom * (1.15 ** steps)))
        old, self._zoom = self._zoom, zoom
        after = self.widget_to_image(event.position())  # keep the point under the cursor in place
        self._zoom = old
        w, h = self.image_size()
        self.set_view(zoom, self._center[0] + (before[0] - after[0]) / w,
                      self._center[1] + (before[1] - after[1]) / h)

    def enterEvent(self, event) -> None:
        self.hovered.emit(self.side)
        super().enterEvent(event)

    # --- painting ------------------------------------------------------------------------------

    def _pair_id(self) -> int | None:
        pair = self.controller.pair
        return pair.id if pair is not None else None

    def paintEvent(self, event: QPaintEvent) -> None:
        self.painted_pair = self._pair_id()
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#26272b"))
        if self.image is None:
            painter.setPen(QColor("#9a9ca3"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            painter.end()
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.scale() < 2.0)
        w, h = self.image_size()
        target = QRectF(self.image_to_widget(-0.5, -0.5), self.image_to_widget(w - 0.5, h - 0.5))
        painter.fillRect(target.adjusted(-1, -1, 1, 1), QColor(0, 0, 0, 90))
        painter.drawImage(target, self.image)
        if self.overlay is not None and self.overlay_opacity > 0:
            painter.setOpacity(self.overlay_opacity)
            painter.drawImage(target, self.overlay)
            painter.setOpacity(1.0)
        self._paint_markers(painter)
        if self.caption:
            self._paint_caption(painter)
        painter.end()

    def _paint_markers(self, painter: QPainter) -> None:
        c = self.controller
        selected = c.selected
        for index in sorted(c.keypoints, key=lambda i: i == selected):  # selected drawn last, on top
            p = c.displayed_point(index, self.side)
            if p is None:
                continue
            kp = c.keypoints[index]
            draw_marker(painter, self.image_to_widget(*p), index, selected=index == selected,
                        pending=not kp.is_complete)
        s = c.displayed_suggestion()
        if s is not None and s.side is self.side and selected is not None:
            draw_marker(painter, self.image_to_widget(s.x, s.y), selected, suggestion=True,
                        selected=True, confidence=s.confidence)
            self.suggestion_painted_at = time.perf_counter()  # for the click-latency benchmark

    def _paint_caption(self, painter: QPainter) -> None:
        font = QFont()
        font.setPixelSize(12)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        rect = QRectF(8, 8, metrics.horizontalAdvance(self.caption) + 14, metrics.height() + 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(rect, 5, 5)
        painter.setPen(QPen(QColor("#f1f1f3")))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.caption)
