"""Rasterising a vector `Sketch` to a Pillow image: deterministic and anti-aliased, at any size.

This is the sketch the models see (warp-model input, sketch-to-image input, PNG export), so it
must not depend on Qt or on the screen. Strokes are drawn with Pillow's `ImageDraw` on a canvas
`supersample` times larger and box-filtered down, which anti-aliases edges; the same inputs give
the same bytes on every run and machine (no randomness, no font or GPU paths).

Rules (shared with the GUI's painter, which imports `PRESSURE_FLOOR` from here):
- the width at a sample is `stroke.width * max(pressure, PRESSURE_FLOOR)`, a segment uses the mean
  of its two ends, and every sample gets a round cap, so joins are round and width varies smoothly;
- an eraser stroke paints the background colour over everything before it, base layer included;
- the optional raster base layer (`sketch.base_image`, e.g. a Sketchy PNG) is resized to the
  canvas and lies under the strokes; `image_loader` reads it (give it `store.resolve` composed
  with `load_image` to honour the project's path rules);
- coordinates are sketch pixels with (0, 0) the centre of the top-left pixel, so the point
  (x, y) lands at (x + 0.5) * scale - 0.5 in the output.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise

from PIL import Image, ImageColor, ImageDraw

from sketchstudio.core.images import load_image
from sketchstudio.core.model import Sketch, Stroke

PRESSURE_FLOOR = 0.15
"""Light pressure never draws thinner than this fraction of the stroke width."""

DEFAULT_SUPERSAMPLE = 4

ImageLoader = Callable[[str], Image.Image]


def sample_width(stroke_width: float, pressure: float) -> float:
    return stroke_width * max(min(pressure, 1.0), PRESSURE_FLOOR)


def render_sketch(sketch: Sketch, size: int | tuple[int, int] | None = None, *,
                  image_loader: ImageLoader | None = load_image, supersample: int = DEFAULT_SUPERSAMPLE,
                  include_base: bool = True, background: str | None = None) -> Image.Image:
    """Render `sketch` as an RGB image of `size` (an int means square; default: the canvas size).

    `image_loader(path)` reads the base layer (None, or `include_base=False`, skips it).
    Raises FormatError (from the loader) if the base layer cannot be read.
    """
    if size is None:
        out_w, out_h = sketch.width, sketch.height
    elif isinstance(size, int):
        out_w = out_h = size
    else:
        out_w, out_h = size
    if out_w < 1 or out_h < 1:
        raise ValueError(f"output size must be positive, got {out_w}x{out_h}")
    if supersample < 1:
        raise ValueError(f"supersample must be at least 1, got {supersample}")
    paper = ImageColor.getrgb(background or sketch.background)
    big = (out_w * supersample, out_h * supersample)
    canvas = Image.new("RGB", big, paper)
    if include_base and sketch.base_image and image_loader is not None:
        base = image_loader(sketch.base_image).convert("RGB")
        canvas.paste(base.resize(big, Image.Resampling.LANCZOS))
    sx = big[0] / sketch.width
    sy = big[1] / sketch.height
    draw = ImageDraw.Draw(canvas)
    for stroke in sketch.strokes:
        colour = paper if stroke.eraser else ImageColor.getrgb(stroke.color)
        _draw_stroke(draw, stroke, sx, sy, colour)
    if supersample == 1:
        return canvas
    return canvas.reduce(supersample)


def render_mask(sketch: Sketch, size: int | tuple[int, int] | None = None, *,
                supersample: int = DEFAULT_SUPERSAMPLE) -> Image.Image:
    """Ink coverage as an "L" image (255 = full ink), strokes only: what a model that wants a
    line map gets regardless of stroke colours."""
    inked = Sketch(width=sketch.width, height=sketch.height, background="#000000",
                   strokes=tuple(Stroke(points=s.points, width=s.width, color="#ffffff", eraser=s.eraser)
                                 for s in sketch.strokes))
    return render_sketch(inked, size, image_loader=None, supersample=supersample).convert("L")


def _draw_stroke(draw: ImageDraw.ImageDraw, stroke: Stroke, sx: float, sy: float,
                 colour: tuple[int, ...]) -> None:
    scale = math.sqrt(sx * sy)
    # (u, v): continuous canvas coordinates, pixel i spanning [i, i + 1). ImageDraw addresses
    # pixels by index, so line end points are (u - 0.5, v - 0.5) and a disc of radius r covers
    # the inclusive pixel box [u - r, u + r - 1].
    points = [((x + 0.5) * sx, (y + 0.5) * sy, sample_width(stroke.width, p) * scale)
              for x, y, p, _t in stroke.points]
    for (u0, v0, w0), (u1, v1, w1) in pairwise(points):
        width = (w0 + w1) / 2
        if width >= 1.0 and (u0, v0) != (u1, v1):
            draw.line([(u0 - 0.5, v0 - 0.5), (u1 - 0.5, v1 - 0.5)], fill=colour, width=round(width))
    for u, v, w in points:
        r = w / 2
        if w < 2.0:
            draw.point((u - 0.5, v - 0.5), fill=colour)
        else:
            draw.ellipse([u - r, v - r, u + r - 1, v + r - 1], fill=colour)
