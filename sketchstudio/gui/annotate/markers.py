"""How keypoint markers look: a colour per index, numbered rings, dashed suggestions.

Markers are drawn at a constant size on screen whatever the zoom, centred on the exact pixel
(a ring with a dot, the number in a tag beside it, so the number never hides the spot).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

# A qualitative palette that stays distinct on photos and on white paper (8 = PSC6K's template).
PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#1fb5c9", "#f032e6", "#9a9d12")

RING_RADIUS = 7.0
SELECTED_RADIUS = 10.0


def keypoint_colour(index: int) -> QColor:
    colour = QColor(PALETTE[index % len(PALETTE)])
    if index >= len(PALETTE):  # more than 8 keypoints: shift the hue so repeats stay distinct
        h, s, v, a = colour.getHsvF()
        colour.setHsvF((h + 0.08 * (index // len(PALETTE))) % 1.0, s, v, a)
    return colour


def _label_font() -> QFont:
    font = QFont()
    font.setPixelSize(11)
    font.setBold(True)
    return font


def draw_marker(painter: QPainter, at: QPointF, index: int, *, selected: bool = False,
                suggestion: bool = False, pending: bool = False, confidence: float | None = None) -> None:
    """A numbered marker for keypoint `index` at widget position `at`."""
    colour = keypoint_colour(index)
    radius = SELECTED_RADIUS if selected else RING_RADIUS
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    if selected:  # a soft halo so the selected pair is found at a glance on both sides
        halo = QColor(colour)
        halo.setAlpha(70)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(halo)
        painter.drawEllipse(at, radius + 6, radius + 6)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(QColor(0, 0, 0, 150), 4.5))  # dark under-stroke: contrast on light images
    painter.drawEllipse(at, radius, radius)
    ring = QPen(colour, 2.5)
    if suggestion:
        ring.setStyle(Qt.PenStyle.DashLine)
        ring.setDashPattern([2.0, 1.5])
        if confidence is not None:
            c = QColor(colour)
            c.setAlphaF(0.55 + 0.45 * max(0.0, min(1.0, confidence)))
            ring.setColor(c)
    elif pending:
        ring.setStyle(Qt.PenStyle.DotLine)
    painter.setPen(ring)
    painter.drawEllipse(at, radius, radius)
    if selected:
        painter.setPen(QPen(QColor("white"), 1.2))
        painter.drawEllipse(at, radius + 2.5, radius + 2.5)
    painter.setPen(QPen(QColor(0, 0, 0, 160), 0.8))  # the exact spot: visible on photo and paper
    painter.setBrush(colour if suggestion else QColor("white"))
    painter.drawEllipse(at, 2.0, 2.0)

    text = f"{index + 1}?" if suggestion else str(index + 1)
    painter.setFont(_label_font())
    metrics = painter.fontMetrics()
    w = metrics.horizontalAdvance(text) + 8
    h = metrics.height() + 1
    tag = QRectF(at.x() + radius * 0.7, at.y() - radius * 0.7 - h, w, h)
    fill = QColor(colour)
    if suggestion:
        fill.setAlpha(170)
    painter.setBrush(fill)
    painter.setPen(QPen(QColor(0, 0, 0, 120), 1))
    painter.drawRoundedRect(tag, 4, 4)
    painter.setPen(QColor("white"))
    painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()
