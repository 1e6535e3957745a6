"""The drawing tools as plain state machines, fed hand-made pointer events (no Qt window)."""

from __future__ import annotations

import numpy as np
import pytest

from sketchstudio.core.model import Stroke
from sketchstudio.gui.draw.geometry import Stabiliser, stroke_touches, strokes_hit
from sketchstudio.gui.draw.tools import PenTool, PointerEvent, StrokeEraserTool


def test_pen_collects_samples_with_relative_time_and_clamped_pressure() -> None:
    pen = PenTool(width=3, color="#112233")
    pen.press(PointerEvent(10, 10, 0.5, t=100.0))
    pen.move(PointerEvent(20, 10, 1.7, t=100.25))
    pen.move(PointerEvent(20.05, 10, 0.3, t=100.3))  # closer than min_step: dropped
    stroke = pen.release(PointerEvent(30, 12, 0.0, t=100.5))
    assert stroke == Stroke(points=((10, 10, 0.5, 0.0), (20, 10, 1.0, 0.25), (30, 12, 0.0, 0.5)),
                            width=3, color="#112233")
    assert not pen.active and pen.release() is None


def test_a_click_is_a_dot_and_cancel_drops_the_stroke() -> None:
    pen = PenTool(width=2)
    pen.press(PointerEvent(5, 5))
    assert pen.release(PointerEvent(5, 5)).points == ((5, 5, 1.0, 0.0),)
    pen.press(PointerEvent(5, 5))
    pen.move(PointerEvent(9, 9))
    pen.cancel()
    assert pen.release(PointerEvent(9, 9)) is None


def test_stabiliser_smooths_jitter_and_zero_passes_through() -> None:
    rng = np.random.default_rng(0)
    xs = np.linspace(0, 100, 200)
    ys = 50 + rng.normal(0, 3, size=xs.size)
    raw = Stabiliser(0.0)
    assert [raw.feed(x, y, 1.0)[:2] for x, y in zip(xs[:3], ys[:3])] == list(zip(xs[:3], ys[:3]))
    smooth = Stabiliser(0.8)
    out = np.array([smooth.feed(x, y, 1.0)[1] for x, y in zip(xs, ys)])
    assert np.std(np.diff(out)) < 0.4 * np.std(np.diff(ys))
    with pytest.raises(ValueError):
        Stabiliser(1.0)


def test_pen_with_smoothing_lags_but_starts_at_the_press() -> None:
    pen = PenTool(width=2, smoothing=0.5)
    pen.press(PointerEvent(0, 0))
    (sample,) = pen.move(PointerEvent(10, 0))
    assert sample[:2] == (5.0, 0.0)


def _line(y: float, sid: int, width: float = 2.0) -> Stroke:
    return Stroke(points=((0, y, 1, 0), (100, y, 1, 0.1)), width=width, id=sid)


def test_hit_testing_uses_segments_and_half_the_width() -> None:
    line = _line(50, 1, width=10)
    assert stroke_touches(line, 50, 57, 2.5)  # 7 px away: within 5 (half width) + 2.5
    assert not stroke_touches(line, 50, 58, 2.5)
    assert not stroke_touches(line, 120, 50, 5)
    eraser = Stroke(points=((0, 50, 1, 0), (100, 50, 1, 0)), width=10, eraser=True, id=2)
    assert strokes_hit([line, eraser], 50, 50, 1) == [1]


def test_stroke_eraser_collects_each_stroke_once_and_interpolates_fast_drags() -> None:
    strokes = [_line(10, 1), _line(50, 2), _line(90, 3)]
    tool = StrokeEraserTool(radius=2, hit_test=lambda x, y, r: strokes_hit(strokes, x, y, r))
    assert tool.press(PointerEvent(50, 0)) == []
    assert tool.move(PointerEvent(50, 70)) == [1, 2]  # one event, but the path crosses two lines
    assert tool.move(PointerEvent(52, 48)) == []  # already collected
    assert tool.release(PointerEvent(52, 48)) == [1, 2]
    assert tool.release() == []
