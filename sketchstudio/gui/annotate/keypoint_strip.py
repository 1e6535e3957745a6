"""The row of numbered keypoint chips: what is done, what is pending, which one is selected."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from sketchstudio.core.model import Side
from sketchstudio.gui import theme
from sketchstudio.gui.annotate.markers import keypoint_colour
from sketchstudio.inference.annotation import AnnotationController

CHIP = 24
GAP = 6


class KeypointStrip(QWidget):
    """Chip k: filled when keypoint k is complete, ringed when pending, grey when free; a slash
    marks a side set "not visible". Clicking a chip selects that keypoint."""

    selectRequested = Signal(int)

    def __init__(self, controller: AnnotationController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        n = max(self.controller.n_keypoints, 1)
        return QSize(n * (CHIP + GAP), CHIP + 6)

    minimumSizeHint = sizeHint

    def chip_rect(self, index: int) -> QRectF:
        return QRectF(index * (CHIP + GAP) + 1, (self.height() - CHIP) / 2, CHIP, CHIP)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        for i in range(self.controller.n_keypoints):
            if self.chip_rect(i).adjusted(-GAP / 2, -4, GAP / 2, 4).contains(event.position()):
                self.selectRequested.emit(i)
                return

    def paintEvent(self, event: QPaintEvent) -> None:
        c = self.controller
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont()
        font.setPixelSize(11)
        font.setBold(True)
        painter.setFont(font)
        for i in range(c.n_keypoints):
            rect = self.chip_rect(i)
            kp = c.keypoints.get(i)
            colour = keypoint_colour(i)
            if kp is not None and kp.is_complete:
                painter.setBrush(colour)
                painter.setPen(QPen(colour.darker(130), 1))
                text_colour = QColor("white")
            elif kp is not None:
                painter.setBrush(QColor(theme.BASE))
                painter.setPen(QPen(colour, 2, Qt.PenStyle.DashLine))
                text_colour = colour.lighter(130)
            else:
                painter.setBrush(QColor(theme.RAISED))
                painter.setPen(QPen(QColor(theme.BORDER), 1))
                text_colour = QColor(theme.MUTED)
            painter.drawEllipse(rect)
            if i == c.selected:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(QColor("white"), 1.6))
                painter.drawEllipse(rect.adjusted(-3, -3, 3, 3))
            painter.setPen(text_colour)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(i + 1))
            if kp is not None and (not kp.visible(Side.PHOTO) or not kp.visible(Side.SKETCH)):
                painter.setPen(QPen(QColor(theme.TEXT), 1.6))
                painter.drawLine(QPointF(rect.left() + 5, rect.bottom() - 5),
                                 QPointF(rect.right() - 5, rect.top() + 5))
        painter.end()
