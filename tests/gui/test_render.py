"""The Render view: a live preview rendered by the worker, unchanged input skipped, saved atomically."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from sketchstudio.core.model import Stroke
from sketchstudio.gui.render.view import RenderView


def _tiny_s2i(path: Path) -> None:
    from sketchstudio.s2i.model import create_s2i_model
    from sketchstudio.s2i.zoo import save_generator

    save_generator(path, create_s2i_model("tiny"))


@pytest.fixture
def render_view(qtbot, context, tmp_path: Path, monkeypatch):
    ckpt = tmp_path / "home" / "data" / "models" / "s2i_tiny.safetensors"
    ckpt.parent.mkdir(parents=True)
    _tiny_s2i(ckpt)
    monkeypatch.setenv("SKETCHSTUDIO_HOME", str(tmp_path / "home"))
    context.set_pair(next(p.id for p in context.store.pairs() if p.sketch))
    view = RenderView(context)
    qtbot.addWidget(view)
    view.resize(1000, 500)
    view.show()
    view.activate()
    yield view
    view.shutdown()


def test_live_preview_rerenders_after_a_stroke_and_saves(qtbot, render_view, context, tmp_path) -> None:
    view = render_view
    qtbot.waitUntil(lambda: view.result is not None, timeout=30000)
    first_key = view._rendered[0]
    context.store.add_stroke(view.pair_id, Stroke(points=((10, 10, 1, 0), (200, 200, 1, 0.1)), width=4))
    qtbot.waitUntil(lambda: view._rendered[0] != first_key, timeout=30000)
    assert "Rendered" in view.status.text()
    submitted = view.worker._ids  # unchanged input is not rendered again
    before = next(submitted)
    view._schedule()
    qtbot.wait(view._debounce.delay_ms + 100)
    assert next(submitted) == before + 1, "no request was sent for an unchanged sketch"
    out = tmp_path / "render.png"
    view.save(out)
    assert Image.open(out).size == (view.result.width(), view.result.height())
