"""Rasterisation: deterministic, anti-aliased, pressure-aware, erasers, base layer, any size."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sketchstudio.core.errors import FormatError
from sketchstudio.core.images import image_size, load_image
from sketchstudio.core.model import Sketch, Stroke
from sketchstudio.core.raster import PRESSURE_FLOOR, render_mask, render_sketch, sample_width


def _line(pressure: float = 1.0, width: float = 3.0, eraser: bool = False, color: str = "#000000") -> Stroke:
    return Stroke(
        points=tuple((x, 0.4 * x + 5, pressure, x / 100) for x in np.linspace(4, 60, 15)),
        width=width,
        color=color,
        eraser=eraser,
    )


def _ink(img: Image.Image) -> np.ndarray:
    return 255.0 - np.asarray(img.convert("L"), dtype=np.float64)


SKETCH = Sketch(
    width=64,
    height=64,
    strokes=(
        _line(),
        Stroke(points=((10.0, 50.0, 0.5, 0.0), (50.0, 58.0, 1.0, 0.1)), width=5.0, color="#d02030"),
    ),
)


def test_deterministic_across_calls_and_processes() -> None:
    first = render_sketch(SKETCH, 96).tobytes()
    assert render_sketch(SKETCH, 96).tobytes() == first
    code = (
        "import hashlib; from tests.core.test_raster import SKETCH; from sketchstudio.core.raster import "
        "render_sketch; print(hashlib.sha256(render_sketch(SKETCH, 96).tobytes()).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == hashlib.sha256(first).hexdigest()


def test_anti_aliased_edges() -> None:
    sketch = Sketch(64, 64, strokes=(_line(),))
    smooth = np.unique(np.asarray(render_sketch(sketch).convert("L")))
    hard = np.unique(np.asarray(render_sketch(sketch, supersample=1).convert("L")))
    assert len(hard) == 2  # only ink and paper without supersampling
    assert len(smooth) > 8  # intermediate greys along the diagonal edges


def test_any_output_size_keeps_geometry() -> None:
    dot = Sketch(32, 32, strokes=(Stroke(points=((10.0, 20.0, 1.0, 0.0),), width=4.0),))
    for size, scale in ((32, 1), (64, 2), (128, 4)):
        ink = _ink(render_sketch(dot, size))
        ys, xs = np.indices(ink.shape)
        cx, cy = (ink * xs).sum() / ink.sum(), (ink * ys).sum() / ink.sum()
        # (0, 0) is the centre of the first pixel: x maps to (x + 0.5) * scale - 0.5.
        assert cx == pytest.approx((10 + 0.5) * scale - 0.5, abs=0.05)
        assert cy == pytest.approx((20 + 0.5) * scale - 0.5, abs=0.05)
        assert ink.sum() / 255 == pytest.approx(np.pi * (2 * scale) ** 2, rel=0.05)
    assert render_sketch(dot, (40, 20)).size == (40, 20)


def test_pressure_changes_width() -> None:
    light = _ink(render_sketch(Sketch(64, 64, strokes=(_line(pressure=0.3, width=6),)))).sum()
    full = _ink(render_sketch(Sketch(64, 64, strokes=(_line(pressure=1.0, width=6),)))).sum()
    assert full / light == pytest.approx(1 / 0.3, rel=0.2)
    assert sample_width(6, 0.0) == 6 * PRESSURE_FLOOR
    assert _ink(render_sketch(Sketch(64, 64, strokes=(_line(pressure=0.0, width=6),)))).sum() > 0


def test_eraser_paints_background_over_strokes_and_base(tmp_path: Path) -> None:
    base = tmp_path / "base.png"
    Image.new("RGB", (16, 16), (0, 0, 255)).save(base)
    erase = Stroke(points=((32.0, 5.0, 1.0, 0.0), (32.0, 60.0, 1.0, 0.1)), width=8, eraser=True)
    sketch = Sketch(64, 64, strokes=(_line(), erase), base_image=str(base), background="#fafafa")
    img = np.asarray(render_sketch(sketch))
    assert img[30, 32].tolist() == [250, 250, 250]  # erased: background over the base and the line
    assert img[2, 2].tolist() == [0, 0, 255]  # base layer under the strokes elsewhere
    assert img[11, 16].tolist() == [0, 0, 0]  # the line, away from the eraser, is drawn over the base


def test_base_layer_uses_the_loader_and_can_be_skipped() -> None:
    asked = []

    def loader(path: str) -> Image.Image:
        asked.append(path)
        return Image.new("RGB", (8, 8), (10, 200, 10))

    sketch = Sketch(32, 32, base_image="rel/sketch.png")
    assert np.asarray(render_sketch(sketch, image_loader=loader))[5, 5].tolist() == [10, 200, 10]
    assert asked == ["rel/sketch.png"]
    assert np.asarray(render_sketch(sketch, include_base=False))[5, 5].tolist() == [255, 255, 255]
    with pytest.raises(FormatError, match="image file not found"):
        render_sketch(Sketch(32, 32, base_image="/no/such/file.png"))


def test_mask_ignores_colour() -> None:
    red = render_mask(Sketch(64, 64, strokes=(_line(color="#ff0000"),)))
    black = render_mask(Sketch(64, 64, strokes=(_line(),)))
    assert red.mode == "L" and red.tobytes() == black.tobytes() and np.asarray(red).max() == 255


# --- images --------------------------------------------------------------------------------------


def test_load_image_errors_name_the_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("hello")
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 64), (1, 2, 3)).save(good)
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(good.read_bytes()[:60])
    for path, what in (
        (tmp_path / "missing.png", "image file not found"),
        (text, "not an image file"),
        (truncated, "corrupt or truncated"),
        (tmp_path, "not a file"),
    ):
        with pytest.raises(FormatError) as info:
            load_image(path)
        assert str(info.value) == f"{path}: {what}" or str(info.value).startswith(f"{path}: {what}")
    assert load_image(good).getpixel((0, 0)) == (1, 2, 3)
    assert image_size(good) == (64, 64)


def test_transparent_png_is_composited_on_white(tmp_path: Path) -> None:
    path = tmp_path / "t.png"
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(path)
    assert load_image(path).getpixel((0, 0)) == (255, 255, 255)
    assert load_image(path, "L").getpixel((0, 0)) == 255
