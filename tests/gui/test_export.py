"""Sketch export: PNG through the core rasteriser (never the underlay), SVG with stroke widths."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from sketchstudio.core.model import Sketch, Stroke
from sketchstudio.core.raster import render_sketch
from sketchstudio.gui.draw.export import export_png, export_svg, sketch_to_svg
from sketchstudio.gui.draw.view import DrawView

SVG = "{http://www.w3.org/2000/svg}"


def _draw(qtbot, view: DrawView) -> None:
    canvas = view.canvas
    qtbot.waitUntil(lambda: canvas.painted_pair == canvas.pair_id, timeout=2000)  # on screen first
    pts = [canvas.to_widget(x, y).toPoint() for x, y in ((30, 30), (120, 80), (220, 200))]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=pts[0])
    for p in pts[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=pts[-1])


def test_underlay_changes_the_screen_but_not_the_exported_png(qtbot, context, tmp_path) -> None:
    view = DrawView(context)
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    qtbot.waitExposed(view)
    _draw(qtbot, view)
    probe = view.canvas.to_widget(200, 60).toPoint()
    out_a, out_b = tmp_path / "a.png", tmp_path / "b.png"
    view.set_underlay_opacity(0)
    shown_a = view.canvas.grab().toImage().pixelColor(probe)
    export_png(context.store.sketch(context.pair_id), out_a, resolve=context.store.resolve)
    view.set_underlay_opacity(90)
    shown_b = view.canvas.grab().toImage().pixelColor(probe)
    export_png(context.store.sketch(context.pair_id), out_b, resolve=context.store.resolve)
    assert shown_a != shown_b
    assert out_a.read_bytes() == out_b.read_bytes()
    exported = np.asarray(Image.open(out_a).convert("RGB"))
    assert exported.shape == (256, 256, 3)
    assert (exported[60, 200] == 255).all()  # white where the screen showed the photo
    headless = np.asarray(render_sketch(context.store.sketch(context.pair_id)))
    assert (exported == headless).all()
    view.shutdown()


def test_canvas_display_matches_the_core_rasteriser(qtbot, context) -> None:
    """The on-screen sketch and the exported one put ink in the same places."""
    view = DrawView(context)
    qtbot.addWidget(view)
    view.resize(256 + 48, 256 + 48 + view.toolbar.sizeHint().height())
    view.show()
    qtbot.waitExposed(view)
    view.set_underlay_opacity(0)
    view.canvas.set_zoom(1.0)
    view.set_brush_size(4)
    _draw(qtbot, view)
    sketch = context.store.sketch(context.pair_id)
    origin = view.canvas.to_widget(-0.5, -0.5).toPoint()
    shot = view.canvas.grab().toImage().copy(origin.x(), origin.y(), 256, 256)
    buffer = io.BytesIO(bytes(_png(shot)))
    screen = np.asarray(Image.open(buffer).convert("L"), dtype=float)
    raster = np.asarray(render_sketch(sketch).convert("L"), dtype=float)
    assert np.abs(screen - raster).mean() < 4.0
    ink_screen, ink_raster = screen < 128, raster < 128
    overlap = (ink_screen & ink_raster).sum() / max(1, (ink_screen | ink_raster).sum())
    assert overlap > 0.7
    view.shutdown()


def _png(image) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return bytes(data.data())


def test_png_export_any_size(tmp_path) -> None:
    sketch = Sketch(strokes=(Stroke(points=((10, 10, 1, 0), (200, 200, 1, 0.1)), width=3),))
    out = export_png(sketch, tmp_path / "big.png", size=512)
    assert Image.open(out).size == (512, 512)


def test_svg_keeps_strokes_as_vectors_with_widths(tmp_path) -> None:
    sketch = Sketch(width=256, height=200, strokes=(
        Stroke(points=((10, 10, 1.0, 0), (50, 10, 1.0, 0.1), (90, 10, 1.0, 0.2)), width=4, color="#ff0000"),
        Stroke(points=((10, 50, 0.2, 0), (50, 50, 0.6, 0.1), (90, 50, 1.0, 0.2)), width=10),
        Stroke(points=((30, 10, 1.0, 0), (30, 60, 1.0, 0.1)), width=8, eraser=True),
        Stroke(points=((100, 100, 0.5, 0),), width=6),
    ))
    path = export_svg(sketch, tmp_path / "s.svg")
    root = ET.parse(path).getroot()
    assert root.get("width") == "256" and root.get("height") == "200"
    lines = root.findall(f".//{SVG}polyline")
    # stroke 1: one run of equal width; stroke 2: pressure changes -> two runs; eraser: one run
    assert [ln.get("stroke") for ln in lines] == ["#ff0000", "#000000", "#000000", "#ffffff"]
    assert lines[0].get("points") == "10,10 50,10 90,10" and lines[0].get("stroke-width") == "4"
    assert [ln.get("stroke-width") for ln in lines[1:3]] == ["4", "8"]  # 10 * mean pressure
    (dot,) = root.findall(f".//{SVG}circle")
    assert dot.get("r") == "1.5"
    assert not list(tmp_path.glob(".*.tmp"))
    assert sketch_to_svg(sketch) == path.read_text()


def test_draw_view_export_actions_write_png_and_svg(qtbot, context, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    view = DrawView(context)
    qtbot.addWidget(view)
    view.show()
    _draw(qtbot, view)
    targets = iter([str(tmp_path / "s.png"), str(tmp_path / "s.svg")])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (next(targets), ""))
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (512, True))
    view.named_actions["draw.export_png"].trigger()
    view.named_actions["draw.export_svg"].trigger()
    assert Image.open(tmp_path / "s.png").size == (512, 512)
    assert ET.parse(tmp_path / "s.svg").getroot().findall(f".//{SVG}polyline")
    view.shutdown()
