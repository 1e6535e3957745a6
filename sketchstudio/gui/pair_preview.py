"""A read-only side-by-side view of a pair's photo and sketch (used by placeholder views)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from sketchstudio.core.events import ChangeEvent
from sketchstudio.gui import theme
from sketchstudio.gui.context import WorkspaceContext
from sketchstudio.gui.draw.layer import flatten_sketch
from sketchstudio.gui.qimages import read_qimage


def render_sketch_image(context: WorkspaceContext, pair_id: int, side: int = 512) -> QImage:
    """The pair's sketch (base layer and strokes) on its background, `side` pixels on the long edge."""
    sketch = context.store.sketch(pair_id)
    base = read_qimage(context.store.resolve(sketch.base_image)) if sketch.base_image else None
    image = flatten_sketch(sketch, base, side / max(sketch.width, sketch.height))
    return image


class PairPreview(QWidget):
    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.pair_id: int | None = None
        self.photo: QImage | None = None
        self.sketch: QImage | None = None
        self.setMinimumSize(300, 200)
        self._disconnect = context.store.events.connect(self._on_event)

    def set_pair(self, pair_id: int | None) -> None:
        self.pair_id = pair_id
        self.photo = self.sketch = None
        if pair_id is not None:
            pair = self.context.store.pair(pair_id)
            self.photo = read_qimage(self.context.store.resolve(pair.photo), max_side=1024)
            self.sketch = render_sketch_image(self.context, pair_id)
        self.update()

    def _on_event(self, event: ChangeEvent) -> None:
        if event.pair_id == self.pair_id and self.isVisible():
            self.set_pair(self.pair_id)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#202227"))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        gap, margin = 24, 24
        w = (self.width() - 2 * margin - gap) / 2
        h = self.height() - 2 * margin
        side = max(10.0, min(w, h))
        top = (self.height() - side) / 2
        left = (self.width() - 2 * side - gap) / 2
        for i, (image, label) in enumerate(((self.photo, "Photo"), (self.sketch, "Sketch"))):
            box = QRectF(left + i * (side + gap), top, side, side)
            painter.fillRect(box, QColor(theme.PANEL))
            if image is not None and not image.isNull():
                s = min(box.width() / image.width(), box.height() / image.height())
                iw, ih = image.width() * s, image.height() * s
                painter.drawImage(QRectF(box.x() + (box.width() - iw) / 2, box.y() + (box.height() - ih) / 2,
                                         iw, ih), image)
            painter.setPen(QColor(theme.MUTED))
            painter.drawText(QRectF(box.x(), box.y() - 20, box.width(), 18),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, label)

    def shutdown(self) -> None:
        self._disconnect()
