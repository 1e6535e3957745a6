"""Stroke geometry without Qt: which strokes a circle touches, stabilising input.

Kept free of Qt so the stroke eraser and the stabiliser are tested with plain numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from sketchstudio.core.model import Stroke


def point_segment_distances(x: float, y: float, xy: np.ndarray) -> np.ndarray:
    """Distance from (x, y) to each segment of the polyline `xy` (N×2); a single point if N == 1."""
    if len(xy) == 1:
        return np.hypot(xy[:, 0] - x, xy[:, 1] - y)
    a = xy[:-1]
    b = xy[1:]
    ab = b - a
    length2 = np.einsum("ij,ij->i", ab, ab)
    p = np.array([x, y])
    t = np.einsum("ij,ij->i", p - a, ab) / np.where(length2 == 0, 1.0, length2)
    t = np.clip(t, 0.0, 1.0)
    closest = a + ab * t[:, None]
    return np.hypot(closest[:, 0] - x, closest[:, 1] - y)


def stroke_touches(stroke: Stroke, x: float, y: float, radius: float) -> bool:
    """True if a circle of `radius` at (x, y) overlaps the drawn stroke (its half width included)."""
    if not stroke.points:
        return False
    x0, y0, x1, y1 = stroke.bounds()
    if x < x0 - radius or x > x1 + radius or y < y0 - radius or y > y1 + radius:
        return False
    xy = np.asarray([(p[0], p[1]) for p in stroke.points], dtype=float)
    return bool(np.min(point_segment_distances(x, y, xy)) <= radius + stroke.width / 2)


def strokes_hit(strokes: Iterable[Stroke], x: float, y: float, radius: float) -> list[int]:
    """Ids of the pen strokes (not eraser strokes) that a circle at (x, y) touches."""
    return [s.id for s in strokes
            if s.id is not None and not s.eraser and stroke_touches(s, x, y, radius)]


class Stabiliser:
    """An exponential moving average of the pen position ("lazy brush").

    `strength` 0 passes input through unchanged; towards 1 the drawn point lags further behind
    the pen and wobble is smoothed away. Pressure is smoothed less so taper stays responsive.
    """

    def __init__(self, strength: float) -> None:
        if not 0.0 <= strength < 1.0:
            raise ValueError(f"stabiliser strength must be in [0, 1), got {strength}")
        self.strength = strength
        self._state: tuple[float, float, float] | None = None

    def reset(self) -> None:
        self._state = None

    def feed(self, x: float, y: float, pressure: float) -> tuple[float, float, float]:
        if self._state is None or self.strength == 0.0:
            self._state = (x, y, pressure)
            return self._state
        k = 1.0 - self.strength
        kp = 1.0 - self.strength / 2
        sx, sy, sp = self._state
        self._state = (sx + (x - sx) * k, sy + (y - sy) * k, sp + (pressure - sp) * kp)
        return self._state


def distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])
