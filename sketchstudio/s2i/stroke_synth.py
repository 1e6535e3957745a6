"""Human-like stroke sketches from photos: coarse edges traced into pen strokes.

XDoG (`sketch_synth`) gives every edge pixel of the photo, texture included, which reads as a
speckled edge map. A person draws fewer, longer lines: outlines and the main inner contours,
each as a continuous stroke of one width, slightly off the true edge, often running past its
end. This synthesiser imitates that:

1. coarse edges: Canny on a strongly blurred luminance (σ 2–4 px at 256 px), so texture is gone
   before edges are found; thresholds are quantiles of the gradient magnitude, so every photo
   gets a sane amount of line;
2. tracing: the thin edge pixels are walked into polylines (8-connected chains, preferring to
   continue straight on at a junction), simplified with Douglas–Peucker;
3. editing: short chains are dropped, a random share of the rest too, the longest outlines are
   always kept; control points are jittered, smoothed (Chaikin), and the ends overshoot along
   their tangent;
4. drawing: each polyline becomes one anti-aliased stroke 1.5–3 px wide (at 256 px).

Every random choice comes from one seeded `numpy.random.Generator`, so (photo, seed) gives the
same sketch every time. Output: (S, S) float32, paper 1 and ink 0, like `sketch_synth`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from sketchstudio.s2i.sketch_synth import gaussian_blur

_LUMA = (0.299, 0.587, 0.114)
_NEIGHBOURS = ((1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, 1), (-1, -1), (1, -1))
STROKE_STYLE_NAME = "strokes"


@dataclass(frozen=True)
class StrokeStyle:
    """Ranges each sketch draws its values from; lengths in pixels at 256 px."""

    blur: tuple[float, float] = (2.0, 3.5)
    edge_share: tuple[float, float] = (0.06, 0.11)  # share of pixels above the high threshold
    min_length: tuple[float, float] = (14.0, 26.0)
    drop: tuple[float, float] = (0.05, 0.3)
    keep_longest: int = 3
    jitter: tuple[float, float] = (0.4, 1.4)
    overshoot: tuple[float, float] = (0.0, 6.0)
    width: tuple[float, float] = (1.5, 3.0)
    simplify: float = 1.2


DEFAULT_STROKE_STYLE = StrokeStyle()


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(*bounds)) if bounds[1] > bounds[0] else float(bounds[0])


def coarse_edges(luma: np.ndarray, blur: float, edge_share: float) -> np.ndarray:
    """Canny edges (bool, 1 px thin) of a blurred (H, W) luminance in [0, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(luma, np.float32))[None, None]
    t = gaussian_blur(t, blur)[0, 0].numpy()
    gy, gx = np.gradient(t)
    mag = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), np.pi)
    sector = (np.round(angle / (np.pi / 4)).astype(np.intp)) % 4  # 0: x, 1: diagonal, 2: y, 3: anti
    padded = np.pad(mag, 1)
    h, w = mag.shape
    ys, xs = np.mgrid[1:h + 1, 1:w + 1]
    offsets = np.array([(1, 0), (1, 1), (0, 1), (-1, 1)])  # (dx, dy) along the gradient
    dx, dy = offsets[sector, 0], offsets[sector, 1]
    ahead = padded[ys + dy, xs + dx]
    behind = padded[ys - dy, xs - dx]
    thin = (mag >= ahead) & (mag > behind)
    values = mag[thin]
    if values.size == 0 or float(values.max()) <= 1e-6:
        return np.zeros_like(thin)
    share = min(0.9, edge_share * mag.size / values.size)
    high = float(np.quantile(values, 1.0 - share))
    high = max(high, 0.02 * float(mag.max()))
    low = 0.45 * high
    weak = thin & (mag >= low)
    strong = thin & (mag >= high)
    # Hysteresis: grow the strong edges through the weak ones.
    keep = torch.from_numpy(strong.astype(np.float32))[None, None]
    allowed = torch.from_numpy(weak.astype(np.float32))[None, None]
    for _ in range(64):
        grown = F.max_pool2d(keep, 3, stride=1, padding=1) * allowed
        if torch.equal(grown, keep):
            break
        keep = grown
    edges = keep[0, 0].numpy() > 0
    margin = 2
    edges[:margin], edges[-margin:], edges[:, :margin], edges[:, -margin:] = False, False, False, False
    return edges


def trace_chains(edges: np.ndarray) -> list[np.ndarray]:
    """8-connected chains of edge pixels as (N, 2) float arrays of (x, y), longest walks first
    from end points, then from whatever is left (closed loops)."""
    h, w = edges.shape
    remaining = edges.copy()
    padded = np.pad(edges, 1).astype(np.int8)
    count = sum(np.roll(np.roll(padded, -dy, 0), -dx, 1)[1:-1, 1:-1] for dx, dy in _NEIGHBOURS)
    ends = list(zip(*np.nonzero(edges & (count == 1)), strict=True))
    rest = list(zip(*np.nonzero(edges), strict=True))
    chains: list[np.ndarray] = []
    for y0, x0 in [*ends, *rest]:
        if not remaining[y0, x0]:
            continue
        chain = [(x0, y0)]
        remaining[y0, x0] = False
        x, y = x0, y0
        heading = (0.0, 0.0)
        while True:
            best, best_score = None, -9.0
            for dx, dy in _NEIGHBOURS:
                nx, ny = x + dx, y + dy
                if 0 <= nx < w and 0 <= ny < h and remaining[ny, nx]:
                    norm = math.hypot(dx, dy)
                    score = (dx * heading[0] + dy * heading[1]) / norm - 0.01 * norm
                    if score > best_score:
                        best, best_score = (nx, ny), score
            if best is None:
                break
            heading = (best[0] - x, best[1] - y)
            x, y = best
            remaining[y, x] = False
            chain.append(best)
        if len(chain) >= 2:
            chains.append(np.asarray(chain, np.float64))
    return chains


def simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas–Peucker: the fewest points within `tolerance` pixels of the polyline."""
    if len(points) < 3:
        return points
    keep = np.zeros(len(points), bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg = points[b] - points[a]
        rel = points[a + 1:b] - points[a]
        length = math.hypot(*seg)
        if length < 1e-9:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / length
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            mid = a + 1 + i
            keep[mid] = True
            stack += [(a, mid), (mid, b)]
    return points[keep]


def chaikin(points: np.ndarray, rounds: int = 2) -> np.ndarray:
    """Corner cutting: a smooth curve through the polyline's neighbourhood, ends kept."""
    for _ in range(rounds):
        if len(points) < 3:
            return points
        q = 0.75 * points[:-1] + 0.25 * points[1:]
        r = 0.25 * points[:-1] + 0.75 * points[1:]
        middle = np.stack([q, r], axis=1).reshape(-1, 2)[1:-1]
        points = np.concatenate([points[:1], middle, points[-1:]])
    return points


def polyline_length(points: np.ndarray) -> float:
    return float(np.hypot(*np.diff(points, axis=0).T).sum()) if len(points) > 1 else 0.0


def stroke_polylines(photo: np.ndarray, rng: np.random.Generator, style: StrokeStyle = DEFAULT_STROKE_STYLE
                     ) -> tuple[list[np.ndarray], float]:
    """The strokes (polylines in pixels) a person might draw of an (S, S, 3) uint8 photo, and
    their width in pixels."""
    size = photo.shape[0]
    scale = size / 256.0
    luma = (photo.astype(np.float32) / 255.0) @ np.array(_LUMA, np.float32)
    edges = coarse_edges(luma, _uniform(rng, style.blur) * scale, _uniform(rng, style.edge_share))
    chains = trace_chains(edges)
    lengths = np.array([polyline_length(c) for c in chains])
    order = np.argsort(-lengths, kind="stable")
    min_length = _uniform(rng, style.min_length) * scale
    drop = _uniform(rng, style.drop)
    jitter = _uniform(rng, style.jitter) * scale
    overshoot = _uniform(rng, style.overshoot) * scale
    strokes: list[np.ndarray] = []
    for rank, i in enumerate(order):
        if lengths[i] < min_length:
            break
        if rank >= style.keep_longest and rng.random() < drop:
            continue
        line = simplify(chains[i], style.simplify * scale)
        line = line + rng.normal(0.0, jitter, line.shape)
        line = chaikin(line)
        if overshoot > 0 and len(line) >= 2:
            for end, prev in ((0, 1), (-1, -2)):
                tangent = line[end] - line[prev]
                norm = math.hypot(*tangent)
                if norm > 1e-6:
                    extra = line[end] + tangent / norm * rng.uniform(0.0, overshoot)
                    parts = [extra[None], line] if end == 0 else [line, extra[None]]
                    line = np.concatenate(parts)
        strokes.append(line)
    return strokes, _uniform(rng, style.width) * scale


def draw_polylines(strokes: list[np.ndarray], size: int, width: float, supersample: int = 4) -> np.ndarray:
    """(S, S) float32 drawing, paper 1 and ink 0, strokes anti-aliased by supersampling."""
    big = size * supersample
    canvas = Image.new("L", (big, big), 255)
    draw = ImageDraw.Draw(canvas)
    w = max(1, round(width * supersample))
    r = w / 2.0
    for line in strokes:
        pts = [((x + 0.5) * supersample - 0.5, (y + 0.5) * supersample - 0.5) for x, y in line]
        draw.line(pts, fill=0, width=w, joint="curve")
        for x, y in (pts[0], pts[-1]):
            draw.ellipse([x - r, y - r, x + r, y + r], fill=0)
    small = canvas.reduce(supersample)
    return np.asarray(small, np.float32) / 255.0


def synthesize_strokes(photo: np.ndarray, seed: int | np.random.Generator = 0,
                       style: StrokeStyle = DEFAULT_STROKE_STYLE) -> np.ndarray:
    """A stroke-style line drawing of an (S, S, 3) uint8 photo: (S, S) float32, paper 1, ink 0."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if photo.ndim != 3 or photo.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) photo, got shape {photo.shape}")
    strokes, width = stroke_polylines(photo, rng, style)
    return draw_polylines(strokes, photo.shape[0], width)
