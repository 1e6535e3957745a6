"""Exporting one sketch: PNG through the core rasteriser, SVG written here as text.

Both are Qt-free and atomic. The PNG goes through `sketchstudio.core.raster.render_sketch`, so
an export from the GUI is byte-identical to a headless one, and the photo underlay can never
end up in it (the rasteriser knows nothing of it). The SVG keeps strokes as vectors: runs of
equal width become one `<polyline>` (round caps and joins), pressure changes start a new run,
exactly the segment-width rule of the rasteriser; eraser strokes are painted in the background
colour, and a raster base layer is embedded as a PNG data URI so the file stands alone.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from xml.sax.saxutils import quoteattr

from sketchstudio.core.atomic import atomic_write_bytes, atomic_write_text
from sketchstudio.core.images import load_image
from sketchstudio.core.model import Sketch, Stroke
from sketchstudio.core.raster import render_sketch, sample_width

Resolve = Callable[[str], Path]


def render_png_bytes(sketch: Sketch, *, resolve: Resolve | None = None,
                     size: int | tuple[int, int] | None = None) -> bytes:
    """The sketch as PNG bytes at `size` (default: the canvas size, 256×256 for Sketchy)."""
    loader = (lambda stored: load_image(resolve(stored))) if resolve is not None else load_image
    image = render_sketch(sketch, size, image_loader=loader)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def export_png(sketch: Sketch, path: str | os.PathLike[str], *, resolve: Resolve | None = None,
               size: int | tuple[int, int] | None = None) -> Path:
    atomic_write_bytes(path, render_png_bytes(sketch, resolve=resolve, size=size))
    return Path(path)


def sketch_to_svg(sketch: Sketch, *, resolve: Resolve | None = None) -> str:
    w, h = sketch.width, sketch.height
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
        f'  <rect width="{w}" height="{h}" fill={quoteattr(sketch.background)}/>',
    ]
    if sketch.base_image:
        loader_path = resolve(sketch.base_image) if resolve is not None else Path(sketch.base_image)
        buffer = io.BytesIO()
        load_image(loader_path).save(buffer, format="PNG")
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        lines.append(f'  <image width="{w}" height="{h}" preserveAspectRatio="none" '
                     f'href="data:image/png;base64,{data}"/>')
    # sketch (0, 0) is the centre of the first pixel: shift by half a pixel into SVG space
    lines.append('  <g transform="translate(0.5 0.5)" fill="none" stroke-linecap="round" '
                 'stroke-linejoin="round">')
    for stroke in sketch.strokes:
        lines.extend(_stroke_elements(stroke, sketch.background))
    lines += ["  </g>", "</svg>", ""]
    return "\n".join(lines)


def export_svg(sketch: Sketch, path: str | os.PathLike[str], *, resolve: Resolve | None = None) -> Path:
    atomic_write_text(path, sketch_to_svg(sketch, resolve=resolve))
    return Path(path)


def _stroke_elements(stroke: Stroke, background: str) -> list[str]:
    colour = background if stroke.eraser else stroke.color
    points = stroke.points
    if not points:
        return []
    if len(points) == 1:
        x, y, p, _ = points[0]
        r = sample_width(stroke.width, p) / 2
        return [f'    <circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{colour}" stroke="none"/>']
    elements = []
    run = [points[0]]
    run_width: float | None = None
    for a, b in pairwise(points):
        width = round(sample_width(stroke.width, (a[2] + b[2]) / 2), 3)
        if run_width is not None and width != run_width:
            elements.append(_polyline(run, run_width, colour))
            run = [run[-1]]
        run_width = width
        run.append(b)
    elements.append(_polyline(run, run_width or stroke.width, colour))
    return elements


def _polyline(points, width: float, colour: str) -> str:
    coords = " ".join(f"{_n(p[0])},{_n(p[1])}" for p in points)
    return f'    <polyline points="{coords}" stroke="{colour}" stroke-width="{_n(width)}"/>'


def _n(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"
