"""Painting strokes with QPainter, shared by the canvas's cached layer and its live stroke.

Width at a sample follows `core.raster.sample_width` (`width * max(pressure, PRESSURE_FLOOR)`);
a segment uses the mean of its two ends. Runs of equal width
(every mouse stroke) are drawn as one polyline, which is what keeps a 2,000-stroke redraw fast.
Eraser strokes clear the layer to transparent: the layer is composited over a background, so a
cleared pixel shows the paper (and, in trace mode, the photo) exactly as the exported PNG shows
the background colour.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from sketchstudio.core.model import Stroke
from sketchstudio.core.raster import sample_width  # the core owns the width rule

Sample = tuple[float, float, float, float]


def _pen(color: QColor, width: float) -> QPen:
    pen = QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    return pen



def paint_samples(painter: QPainter, samples: Sequence[Sample], *, width: float, color: str,
                  eraser: bool) -> None:
    """Paint a polyline of samples (a whole stroke, or the new tail of a live one)."""
    if not samples:
        return
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear if eraser
                               else QPainter.CompositionMode.CompositionMode_SourceOver)
    qcolor = QColor(0, 0, 0, 255) if eraser else QColor(color)
    if len(samples) == 1:
        x, y, p, _ = samples[0]
        w = sample_width(width, p)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(qcolor)
        painter.drawEllipse(QPointF(x, y), w / 2, w / 2)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        return
    run: list[QPointF] = [QPointF(samples[0][0], samples[0][1])]
    run_width: float | None = None
    for a, b in pairwise(samples):
        w = round(sample_width(width, (a[2] + b[2]) / 2), 2)
        if run_width is not None and w != run_width:
            painter.setPen(_pen(qcolor, run_width))
            painter.drawPolyline(run)
            run = [run[-1]]
        run_width = w
        run.append(QPointF(b[0], b[1]))
    painter.setPen(_pen(qcolor, run_width or width))
    painter.drawPolyline(run)


def paint_stroke(painter: QPainter, stroke: Stroke) -> None:
    paint_samples(painter, stroke.points, width=stroke.width, color=stroke.color, eraser=stroke.eraser)


def paint_strokes(painter: QPainter, strokes: Iterable[Stroke]) -> None:
    for stroke in strokes:
        paint_stroke(painter, stroke)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
