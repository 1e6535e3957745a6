"""Canvas benchmark: the cached stroke layer against a naive full redraw, in the same run.

Run: `.venv/bin/pytest tests/benchmarks/test_bench_canvas.py -m benchmark -s`.

* repaint: a full repaint of a 2,000-stroke sketch (what every pan, hover or resize costs);
* input latency: from a mouse-move event to its pixels painted (the event is sent, the event
  loop runs the resulting paint), while drawing a stroke on top of the 2,000 others.
The reference is the same widget with `naive_repaint` on: every paint draws every stroke
(straight onto the widget, clipped to the update rectangle — the best a cache-less canvas does).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PIL import Image
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from sketchstudio.core.model import PairSpec, Stroke
from sketchstudio.core.store import ProjectStore

pytestmark = pytest.mark.benchmark

N_STROKES = 2000


def _strokes(n: int, seed: int = 0) -> tuple[Stroke, ...]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        steps = rng.normal(0, 2.5, size=(int(rng.integers(15, 40)), 2)).cumsum(axis=0)
        xy = np.clip(steps + rng.uniform(20, 236, size=2), 0, 255)
        pressure = np.clip(0.5 + 0.5 * np.sin(np.linspace(0, np.pi, len(xy))), 0.1, 1) if i % 2 else \
            np.ones(len(xy))
        points = tuple((float(x), float(y), float(p), j * 0.01)
                       for j, ((x, y), p) in enumerate(zip(xy, pressure)))
        out.append(Stroke(points=points, width=float(rng.uniform(1, 4))))
    return tuple(out)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench_canvas")
    Image.new("RGB", (256, 256), (120, 150, 180)).save(folder / "photo.png")
    path = folder / "bench.sketchstudio"
    with ProjectStore.create(path) as store:
        store.add_pairs([PairSpec(photo="photo.png", strokes=_strokes(N_STROKES))])
    return path


@pytest.fixture
def view(qtbot, project: Path):
    from sketchstudio.gui.context import WorkspaceContext
    from sketchstudio.gui.draw.view import DrawView
    from sketchstudio.gui.settings import Settings

    store = ProjectStore.open(project)
    settings = Settings(read_only=True)
    settings.brush.smoothing = 0.0
    context = WorkspaceContext(store, settings)
    context.first_pair()
    v = DrawView(context)
    qtbot.addWidget(v)
    v.resize(900, 900)
    v.show()
    qtbot.waitExposed(v)
    v.activate()
    v.canvas.layer.set_scale(v.canvas.zoom * v.canvas.devicePixelRatioF())  # settle the debounced rescale
    QApplication.processEvents()
    assert len(v.canvas.layer.strokes) == N_STROKES
    yield v
    v.shutdown()
    context.close()
    store.close()


def _time_repaints(canvas, n: int) -> float:
    canvas.repaint()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        canvas.repaint()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def test_repaint_of_a_2000_stroke_sketch(view) -> None:
    canvas = view.canvas
    cached = _time_repaints(canvas, 30)
    canvas.naive_repaint = True
    naive = _time_repaints(canvas, 8)
    canvas.naive_repaint = False
    print(f"\n[bench canvas] full repaint, {N_STROKES} strokes, {canvas.width()}x{canvas.height()} px: "
          f"cached layer {cached * 1e3:.2f} ms, naive redraw {naive * 1e3:.1f} ms, "
          f"speed-up x{naive / cached:.0f}")
    assert naive / cached > 3


def _latency(view, *, naive: bool, moves: int) -> float:
    canvas = view.canvas
    canvas.naive_repaint = naive
    start = canvas.to_widget(40, 128)
    press = QMouseEvent(QEvent.Type.MouseButtonPress, start, start, Qt.MouseButton.LeftButton,
                        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas, press)
    QApplication.processEvents()
    times = []
    for i in range(1, moves + 1):
        pos = canvas.to_widget(40 + i * 170 / moves, 128 + 30 * np.sin(i / 7))
        move = QMouseEvent(QEvent.Type.MouseMove, pos, pos, Qt.MouseButton.NoButton,
                           Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        painted = canvas.paint_count
        t0 = time.perf_counter()
        QApplication.sendEvent(canvas, move)
        QApplication.processEvents()  # runs the paint the move scheduled
        times.append(time.perf_counter() - t0)
        assert canvas.paint_count > painted, "the move did not repaint"
    end = QPointF(pos)
    release = QMouseEvent(QEvent.Type.MouseButtonRelease, end, end, Qt.MouseButton.LeftButton,
                          Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas, release)
    QApplication.processEvents()
    canvas.naive_repaint = False
    return statistics.median(times)


def test_input_event_to_pixel_latency_while_drawing(view) -> None:
    cached = _latency(view, naive=False, moves=120)
    naive = _latency(view, naive=True, moves=25)
    strokes = view.context.store.sketch(view.context.pair_id).strokes
    assert len(strokes) == N_STROKES + 2  # both strokes were committed to the store
    print(f"\n[bench canvas] move event -> pixels while drawing over {N_STROKES} strokes: "
          f"cached layer {cached * 1e3:.2f} ms, naive redraw {naive * 1e3:.1f} ms, "
          f"speed-up x{naive / cached:.0f}")
    assert naive / cached > 3
