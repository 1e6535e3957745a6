"""The cached raster layer of a sketch: finished strokes are painted once, not on every repaint.

`StrokeLayer` keeps the sketch's raster base image and finished strokes rendered into one
transparent QImage at the display scale. A repaint blits it; only the stroke being drawn is
painted incrementally, segment by segment, into a working copy (`begin_live`/`paint_live`),
which becomes the layer when the stroke is committed. Removing strokes (undo, eraser) needs a
full re-render, which is what the naive canvas would do on every frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from sketchstudio.core.model import Sketch, Stroke
from sketchstudio.gui.draw.painting import Sample, paint_samples, paint_strokes, sample_width

MAX_LAYER_SIDE = 4096


class StrokeLayer:
    def __init__(self) -> None:
        self.width = 0
        self.height = 0
        self.scale = 1.0
        self.strokes: list[Stroke] = []
        self.base: QImage | None = None
        self.image: QImage | None = None
        self.live: QImage | None = None
        self.renders = 0  # full renders, counted for tests and benchmarks

    # -- building ------------------------------------------------------------------------------
    def reset(self, width: int, height: int, strokes: Sequence[Stroke], base: QImage | None,
              scale: float) -> None:
        self.width, self.height = width, height
        self.strokes = list(strokes)
        self.base = base
        self.scale = self.clamp_scale(width, height, scale)
        self.render()

    def clamp_scale(self, width: int, height: int, scale: float) -> float:
        longest = max(width, height, 1)
        return max(0.05, min(scale, MAX_LAYER_SIDE / longest))

    def set_scale(self, scale: float) -> None:
        scale = self.clamp_scale(self.width, self.height, scale)
        if not math.isclose(scale, self.scale, rel_tol=1e-3):
            self.scale = scale
            self.render()

    def render(self) -> None:
        w = max(1, math.ceil(self.width * self.scale))
        h = max(1, math.ceil(self.height * self.scale))
        image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = self._painter(image)
        if self.base is not None and not self.base.isNull():
            painter.drawImage(QRectF(-0.5, -0.5, self.width, self.height), self.base)
        paint_strokes(painter, self.strokes)
        painter.end()
        self.image = image
        self.live = None
        self.renders += 1

    def append(self, strokes: Sequence[Stroke]) -> None:
        """Paint strokes added after the current ones without re-rendering the others."""
        if self.image is None:
            return
        painter = self._painter(self.image)
        paint_strokes(painter, strokes)
        painter.end()
        self.strokes.extend(strokes)

    # -- the live stroke -------------------------------------------------------------------------
    def begin_live(self) -> None:
        if self.image is not None:
            self.live = self.image.copy()

    def paint_live(self, samples: Sequence[Sample], *, width: float, color: str, eraser: bool) -> QRectF:
        """Paint the newest samples (with the sample before them) and return the sketch-space
        rectangle that changed, so the widget repaints only that."""
        if self.live is None or not samples:
            return QRectF()
        painter = self._painter(self.live)
        paint_samples(painter, samples, width=width, color=color, eraser=eraser)
        painter.end()
        xs = [s[0] for s in samples]
        ys = [s[1] for s in samples]
        r = max(sample_width(width, s[2]) for s in samples) / 2 + 2
        return QRectF(min(xs) - r, min(ys) - r, max(xs) - min(xs) + 2 * r, max(ys) - min(ys) + 2 * r)

    def commit_live(self, stroke: Stroke) -> None:
        """The live stroke was stored: its working copy becomes the layer."""
        if self.live is not None:
            self.image = self.live
            self.live = None
            self.strokes.append(stroke)
        else:
            self.append([stroke])

    def abort_live(self) -> None:
        self.live = None

    def current(self) -> QImage | None:
        return self.live if self.live is not None else self.image

    def _painter(self, image: QImage) -> QPainter:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.scale(self.scale, self.scale)
        painter.translate(0.5, 0.5)  # sketch (0, 0) is the centre of the first pixel (core.raster)
        return painter


def flatten_sketch(sketch: Sketch, base: QImage | None, scale: float = 1.0) -> QImage:
    """The sketch (raster base and strokes) on its background colour, opaque, at `scale`: what the
    previews, the render input and the model requests see (the photo underlay never is)."""
    layer = StrokeLayer()
    layer.reset(sketch.width, sketch.height, sketch.strokes, base, scale)
    assert layer.image is not None
    image = QImage(layer.image.size(), QImage.Format.Format_RGB32)
    image.fill(QColor(sketch.background))
    painter = QPainter(image)
    painter.drawImage(0, 0, layer.image)
    painter.end()
    return image
