"""Drawing tools as Qt-free state machines over pointer events in sketch coordinates.

The canvas converts Qt mouse and tablet events into `PointerEvent`s (sketch pixels, pressure,
seconds) and feeds the active tool; the tool answers what changed. Tests drive the same tools
with hand-made events, so the drawing logic is checked without a window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sketchstudio.core.model import Stroke
from sketchstudio.gui.draw.geometry import Stabiliser

Sample = tuple[float, float, float, float]  # x, y, pressure, t (seconds since the stroke began)


class ToolKind(StrEnum):
    PEN = "pen"
    ERASER = "eraser"  # pixel eraser: an eraser stroke
    STROKE_ERASER = "stroke_eraser"  # removes whole strokes it touches


@dataclass(frozen=True, slots=True)
class PointerEvent:
    x: float
    y: float
    pressure: float = 1.0
    t: float = 0.0  # seconds, any monotonic origin


class PenTool:
    """Collects a stroke: press starts it, moves extend it, release returns the finished stroke.

    Also the pixel eraser (`eraser=True`): the same stroke, painted as background.
    """

    def __init__(self, *, width: float, color: str = "#000000", smoothing: float = 0.0,
                 eraser: bool = False, min_step: float = 0.2) -> None:
        self.width = width
        self.color = color
        self.eraser = eraser
        self.min_step = min_step
        self._stabiliser = Stabiliser(smoothing)
        self._t0 = 0.0
        self.points: list[Sample] = []
        self.active = False

    @property
    def smoothing(self) -> float:
        return self._stabiliser.strength

    @smoothing.setter
    def smoothing(self, value: float) -> None:
        self._stabiliser = Stabiliser(value)

    def press(self, event: PointerEvent) -> list[Sample]:
        self._stabiliser.reset()
        self._t0 = event.t
        self.points = []
        self.active = True
        return self._add(event, force=True)

    def move(self, event: PointerEvent) -> list[Sample]:
        if not self.active:
            return []
        return self._add(event)

    def release(self, event: PointerEvent | None = None) -> Stroke | None:
        """Finish the stroke; None if no stroke was in progress."""
        if not self.active:
            return None
        if event is not None:
            self._add(event)
        self.active = False
        points = tuple(self.points)
        self.points = []
        if not points:
            return None
        return Stroke(points=points, width=self.width, color=self.color, eraser=self.eraser)

    def cancel(self) -> None:
        self.active = False
        self.points = []

    def _add(self, event: PointerEvent, *, force: bool = False) -> list[Sample]:
        pressure = min(1.0, max(0.0, event.pressure))
        x, y, p = self._stabiliser.feed(event.x, event.y, pressure)
        sample = (x, y, p, max(0.0, event.t - self._t0))
        if not force and self.points:
            last = self.points[-1]
            if math.hypot(x - last[0], y - last[1]) < self.min_step:
                return []
        self.points.append(sample)
        return [sample]


class StrokeEraserTool:
    """Collects the ids of whole strokes the eraser circle passes over during one drag.

    `hit_test(x, y, radius)` answers which stroke ids a circle touches (the canvas passes its
    stroke list's test). Fast drags are sub-sampled so no stroke between two events is missed.
    """

    def __init__(self, *, radius: float, hit_test: Callable[[float, float, float], list[int]]) -> None:
        self.radius = radius
        self.hit_test = hit_test
        self.hit: list[int] = []
        self.active = False
        self._last: tuple[float, float] | None = None

    def press(self, event: PointerEvent) -> list[int]:
        self.hit = []
        self.active = True
        self._last = None
        return self._probe(event.x, event.y)

    def move(self, event: PointerEvent) -> list[int]:
        return self._probe(event.x, event.y) if self.active else []

    def release(self, event: PointerEvent | None = None) -> list[int]:
        if not self.active:
            return []
        if event is not None:
            self._probe(event.x, event.y)
        self.active = False
        hit, self.hit = self.hit, []
        return hit

    def cancel(self) -> None:
        self.active = False
        self.hit = []

    def _probe(self, x: float, y: float) -> list[int]:
        points = [(x, y)]
        if self._last is not None:
            lx, ly = self._last
            steps = int(math.hypot(x - lx, y - ly) / max(self.radius / 2, 0.5))
            points = [(lx + (x - lx) * i / (steps + 1), ly + (y - ly) * i / (steps + 1))
                      for i in range(1, steps + 1)] + points
        self._last = (x, y)
        new: list[int] = []
        for px, py in points:
            for stroke_id in self.hit_test(px, py, self.radius):
                if stroke_id not in self.hit:
                    self.hit.append(stroke_id)
                    new.append(stroke_id)
        return new
