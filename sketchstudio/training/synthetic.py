"""Procedural photo–sketch pairs with exact keypoint correspondences.

A "photo" is a shaded, textured parametric object (blob, star, squircle, gear or polygon, with an
inner detail shape) on a varied background, rendered in numpy. Its "sketch" is drawn from the
object's contours as a person might: the outline split into a few strokes with smooth hand
jitter, varying widths and occasionally a dropped stroke, all then moved by a random affine + TPS
deformation (`sketchstudio.training.warps`). The 8 keypoints are salient outline points (corners
and curvature peaks, topped up by farthest-point sampling along the outline); their sketch
positions are the same points pushed through the same deformation, so the correspondence is
exact.

Everything derives from one `numpy.random.Generator`, so a seed reproduces a data set bit for
bit. Coordinates are pixels, x = column, y = row, pixel centres at integers (PSC6K's convention).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from sketchstudio.training.warps import Deformation, WarpStrength

CLASSES = ("blob", "star", "squircle", "gear", "polygon")
KEYPOINTS = 8
CONTOUR_SAMPLES = 256
SKETCH_WARP = WarpStrength(rotation=np.pi / 7, scale=(0.75, 1.08), aspect=0.12, shift=0.15, tps=0.12)
"""Deformation between photo and sketch: how far a drawing drifts from its photo (kept inside the
frame). Strong enough that the identity warp scores only about 0.2 / 0.6 PCK@0.05 / @0.10."""


@dataclass(frozen=True, eq=False)
class SynthPair:
    photo: np.ndarray  # (S, S, 3) uint8
    sketch: np.ndarray  # (S, S) uint8, black ink on white
    photo_kps: np.ndarray  # (8, 2) float64, (x, y) pixels
    sketch_kps: np.ndarray  # (8, 2)
    category: str


# --- shapes --------------------------------------------------------------------------------------


def _radius_profile(rng: np.random.Generator, category: str, theta: np.ndarray) -> np.ndarray:
    """r(θ) > 0 of a star-shaped outline, about 1 on average."""
    if category == "blob":
        r = np.ones_like(theta)
        for k in range(2, 6):
            r += rng.uniform(0.0, 0.2 / np.sqrt(k)) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
        return r
    if category == "star":
        n = int(rng.integers(4, 8))
        inner = rng.uniform(0.45, 0.7)
        return _polygon_profile(theta, np.arange(2 * n) * np.pi / n, np.tile([1.0, inner], n))
    if category == "squircle":
        p = rng.uniform(2.5, 5.0)
        a, b = rng.uniform(0.8, 1.1), rng.uniform(0.7, 1.0)
        return (np.abs(np.cos(theta) / a) ** p + np.abs(np.sin(theta) / b) ** p) ** (-1.0 / p)
    if category == "gear":
        n = int(rng.integers(6, 11))
        depth = rng.uniform(0.08, 0.16)
        return 1.0 + depth * np.tanh(3.0 * np.cos(n * theta))
    if category == "polygon":
        n = int(rng.integers(3, 7))
        angles = np.sort(np.arange(n) * 2 * np.pi / n + rng.uniform(-0.25, 0.25, n) * np.pi / n)
        return _polygon_profile(theta, angles, rng.uniform(0.85, 1.1, n))
    raise ValueError(f"unknown synthetic class {category!r}")


def _polygon_profile(theta: np.ndarray, angles: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Polar radius of the polygon with vertices (radii[i], angles[i]) (angles increasing)."""
    vx, vy = radii * np.cos(angles), radii * np.sin(angles)
    idx = np.searchsorted(angles, np.mod(theta - angles[0], 2 * np.pi) + angles[0], side="right") - 1
    i0 = np.mod(idx, len(angles))
    i1 = np.mod(idx + 1, len(angles))
    # Ray (cos θ, sin θ)·t meets the edge v0 + s (v1 − v0): solve for t.
    ex, ey = vx[i1] - vx[i0], vy[i1] - vy[i0]
    dx, dy = np.cos(theta), np.sin(theta)
    denom = dx * ey - dy * ex
    return (vx[i0] * ey - vy[i0] * ex) / np.where(np.abs(denom) < 1e-9, 1e-9, denom)


@dataclass(frozen=True, eq=False)
class _Shape:
    centre: np.ndarray  # (2,)
    outline: np.ndarray  # (N, 2) pixels, counter-clockwise in θ
    theta: np.ndarray  # (N,) polar angles of the outline about the centre (world frame, sorted)
    radius: np.ndarray  # (N,) distances of the outline points


def _make_shape(rng: np.random.Generator, category: str, size: int, scale: float,
                centre: np.ndarray) -> _Shape:
    theta = np.linspace(0.0, 2 * np.pi, CONTOUR_SAMPLES, endpoint=False)
    r = _radius_profile(rng, category, theta)
    r = r / r.max()
    rot = rng.uniform(0, 2 * np.pi)
    aspect = np.exp(rng.uniform(-0.2, 0.2))
    local = np.stack([r * np.cos(theta) * aspect, r * np.sin(theta) / aspect], axis=1) * scale * size
    c, s = np.cos(rot), np.sin(rot)
    outline = local @ np.array([[c, s], [-s, c]]) + centre
    rel = outline - centre
    ang = np.mod(np.arctan2(rel[:, 1], rel[:, 0]), 2 * np.pi)
    order = np.argsort(ang)
    return _Shape(centre, outline, ang[order], np.hypot(rel[order, 0], rel[order, 1]))


def _rho(shape: _Shape, xs: np.ndarray, ys: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel: normalised radius ρ (1 on the outline), unit direction (ux, uy) from the centre,
    and the outline's distance from the centre in that direction (pixels)."""
    dx, dy = xs - np.float32(shape.centre[0]), ys - np.float32(shape.centre[1])
    dist = np.hypot(dx, dy)
    ang = np.arctan2(dy, dx)
    ang[ang < 0] += np.float32(2 * np.pi)
    edge = np.interp(ang, shape.theta, shape.radius, period=2 * np.pi).astype(np.float32)
    safe = np.maximum(dist, np.float32(1e-6))
    return dist / edge, dx / safe, dy / safe, edge


def _box(shape: _Shape, size: int, margin: int = 2) -> tuple[slice, slice]:
    lo = np.maximum(np.floor(shape.outline.min(0)).astype(int) - margin, 0)
    hi = np.minimum(np.ceil(shape.outline.max(0)).astype(int) + margin + 1, size)
    return slice(lo[1], hi[1]), slice(lo[0], hi[0])


_GRIDS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _pixel_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    if size not in _GRIDS:
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        _GRIDS[size] = (xx, yy)
    return _GRIDS[size]


# --- rendering the photo -------------------------------------------------------------------------


def _smooth_noise(rng: np.random.Generator, size: int, cells: int, shape: tuple[int, int] | None = None
                  ) -> np.ndarray:
    """Value noise in [-1, 1]: a small random grid upsampled bicubically (Pillow, fast)."""
    grid = rng.integers(0, 256, (cells, cells), dtype=np.uint8)
    h, w = shape or (size, size)
    big = Image.fromarray(grid, "L").resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(big, np.float32)[:h, :w] / np.float32(127.5) - np.float32(1.0)


def _random_colour(rng: np.random.Generator, value: tuple[float, float] = (0.25, 0.95)) -> np.ndarray:
    hue = rng.uniform(0, 1)
    sat = rng.uniform(0.3, 0.9)
    val = rng.uniform(*value)
    k = np.mod(np.array([5.0, 3.0, 1.0]) + hue * 6.0, 6.0)
    return (val - val * sat * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)).astype(np.float32)


def _pattern(rng: np.random.Generator, xs: np.ndarray, ys: np.ndarray, size: int) -> np.ndarray:
    kind = rng.integers(0, 4)
    if kind == 0:  # stripes
        a = rng.uniform(0, np.pi)
        f = rng.uniform(4, 14) / size
        return np.sin(np.float32(2 * np.pi * f) * (xs * np.float32(np.cos(a)) + ys * np.float32(np.sin(a))))
    if kind == 1:  # checks
        f = np.float32(2 * np.pi * rng.uniform(3, 9) / size)
        return np.sign(np.sin(f * xs) * np.sin(f * ys)) * np.float32(0.6)
    if kind == 2:  # fine noise
        return _smooth_noise(rng, size, int(rng.integers(12, 32)), xs.shape)
    return np.zeros_like(xs)


def _render_photo(rng: np.random.Generator, size: int, body: _Shape, detail: _Shape | None) -> np.ndarray:
    xx, yy = _pixel_grid(size)
    f32 = np.float32
    # Background: a gradient between two colours, low-frequency noise and sometimes a pattern.
    c0, c1 = _random_colour(rng), _random_colour(rng)
    a = rng.uniform(0, 2 * np.pi)
    t = (xx * f32(np.cos(a) * 0.7 / size) + yy * f32(np.sin(a) * 0.7 / size) + f32(0.5))[..., None]
    shade = f32(1.0) + f32(0.15) * _smooth_noise(rng, size, int(rng.integers(3, 7)))
    if rng.random() < 0.4:
        shade *= f32(1.0) + f32(0.12) * _pattern(rng, xx, yy, size)
    bg = (c0 + (c1 - c0) * t) * shade[..., None]
    # A soft shadow: the object's silhouette, shifted and blurred (Pillow does both in C).
    silhouette = Image.new("L", (size, size), 0)
    shift = rng.uniform(-0.04, 0.04, 2) * size
    ImageDraw.Draw(silhouette).polygon([tuple(p) for p in (body.outline + shift).tolist()],
                                       fill=int(0.35 * 255))
    shadow = np.asarray(silhouette.filter(ImageFilter.GaussianBlur(size / 40)), np.float32) / f32(255)
    img = bg * (f32(1.0) - shadow)[..., None]
    # Object, inside its bounding box only: dome shading with a random light, colour and texture.
    rows, cols = _box(body, size)
    bx, by = xx[rows, cols], yy[rows, cols]
    rho, ux, uy, edge = _rho(body, bx, by)
    alpha = np.clip((f32(1.0) - rho) * edge + f32(0.5), 0.0, 1.0)[..., None]
    light = np.array([rng.uniform(-0.7, 0.7), rng.uniform(-0.7, 0.7), 1.0])
    light = (light / np.linalg.norm(light)).astype(np.float32)
    r = np.minimum(rho, f32(1.0)) * f32(0.85)
    lit = np.clip((ux * light[0] + uy * light[1]) * r + np.sqrt(f32(1.0) - r * r) * light[2], 0.0, 1.0)
    spec = lit ** 24 * f32(rng.uniform(0.0, 0.5))
    base = _random_colour(rng, (0.35, 1.0))
    texture = f32(1.0) + f32(rng.uniform(0.1, 0.3)) * _pattern(rng, bx, by, size)
    lighting = (f32(0.3) + f32(0.75) * lit)[..., None]
    obj = base * lighting * texture[..., None] + spec[..., None]
    if detail is not None:
        d_rows, d_cols = _box(detail, size)
        # Relative to the body's box, clipped to it (the body's alpha hides anything outside).
        d_rows = slice(max(d_rows.start, rows.start) - rows.start, min(d_rows.stop, rows.stop) - rows.start)
        d_cols = slice(max(d_cols.start, cols.start) - cols.start, min(d_cols.stop, cols.stop) - cols.start)
        d_rho, _, _, d_edge = _rho(detail, bx[d_rows, d_cols], by[d_rows, d_cols])
        d_alpha = np.clip((f32(1.0) - d_rho) * d_edge + f32(0.5), 0.0, 1.0)[..., None]
        dcol = _random_colour(rng) * (f32(0.4) + f32(0.7) * lit[d_rows, d_cols])[..., None]
        part = obj[d_rows, d_cols]
        obj[d_rows, d_cols] = part + (dcol - part) * d_alpha
    img[rows, cols] += (obj - img[rows, cols]) * alpha
    img += rng.standard_normal((size, size, 1), dtype=np.float32) * f32(0.01)
    return np.clip(img * f32(255.0) + f32(0.5), 0, 255).astype(np.uint8)


# --- keypoints -----------------------------------------------------------------------------------


def salient_points(outline: np.ndarray, count: int = KEYPOINTS) -> np.ndarray:
    """Indices of `count` salient points of a closed outline: curvature peaks (corners first),
    then farthest-point sampling along the outline to spread the rest."""
    n = len(outline)
    prev, nxt = np.roll(outline, 3, axis=0), np.roll(outline, -3, axis=0)
    a, b = outline - prev, nxt - outline
    turn = np.abs(np.arctan2(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0], (a * b).sum(1)))
    min_gap = n // (2 * count)
    chosen: list[int] = []
    for i in np.argsort(-turn, kind="stable"):
        if turn[i] < 0.35 or len(chosen) >= count - 2:
            break
        if all(min(abs(i - j), n - abs(i - j)) >= min_gap for j in chosen):
            chosen.append(int(i))
    if not chosen:
        chosen.append(int(np.argmax(turn)))
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(outline, axis=0), axis=1))])
    total = arc[-1] + np.linalg.norm(outline[0] - outline[-1])
    while len(chosen) < count:
        d = np.full(n, np.inf)
        for j in chosen:
            gap = np.abs(arc - arc[j])
            d = np.minimum(d, np.minimum(gap, total - gap))
        chosen.append(int(np.argmax(d)))
    # Number them by angle from the top, so index k means roughly the same place across pairs.
    centre = outline.mean(0)
    ang = np.mod(np.arctan2(outline[chosen, 0] - centre[0], -(outline[chosen, 1] - centre[1])), 2 * np.pi)
    return np.asarray(chosen)[np.argsort(ang)]


# --- drawing the sketch --------------------------------------------------------------------------


def _jitter(rng: np.random.Generator, points: np.ndarray, amplitude: float) -> np.ndarray:
    """Smooth hand tremor: a few low-frequency sinusoids along the normal, plus a small offset."""
    n = len(points)
    t = np.linspace(0, 1, n)
    tangent = np.gradient(points, axis=0)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    wobble = sum(rng.uniform(-amplitude, amplitude) * np.sin(2 * np.pi * rng.uniform(0.5, 3) * t
                                                               + rng.uniform(0, 2 * np.pi)) for _ in range(3))
    return points + normal * wobble[:, None] + rng.uniform(-0.5, 0.5, 2) * amplitude


def _strokes(rng: np.random.Generator, outline: np.ndarray, pieces: int, drop: float) -> list[np.ndarray]:
    """Split a closed outline into `pieces` overlapping or gapped open strokes; drop some."""
    n = len(outline)
    cuts = np.sort(rng.choice(n, pieces, replace=False))
    strokes = []
    for k in range(pieces):
        start = cuts[k] + int(rng.integers(-3, 4))
        end = cuts[(k + 1) % pieces] + (n if k == pieces - 1 else 0) + int(rng.integers(-2, 6))
        idx = np.mod(np.arange(start, max(end, start + 2)), n)
        strokes.append(outline[idx])
    keep = [s for s in strokes if rng.random() >= drop]
    return keep or strokes[:1]


def _render_sketch(rng: np.random.Generator, size: int, strokes: list[np.ndarray],
                   deformation: Deformation) -> np.ndarray:
    canvas = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(canvas)
    for stroke in strokes:
        pts = deformation.apply_pixels(stroke, size)
        width = int(rng.choice([1, 2, 2, 3, 3, 4]))
        ink = int(rng.integers(0, 70))
        draw.line([tuple(p) for p in pts.tolist()], fill=ink, width=width, joint="curve")
    return np.asarray(canvas)


# --- the pair --------------------------------------------------------------------------------------


def make_pair(rng: np.random.Generator, size: int = 256, category: str | None = None) -> SynthPair:
    """One photo–sketch pair with 8 exact keypoint correspondences."""
    category = category or CLASSES[int(rng.integers(len(CLASSES)))]
    centre = size / 2 + rng.uniform(-0.08, 0.08, 2) * size
    body = _make_shape(rng, category, size, rng.uniform(0.24, 0.34), centre)
    detail = None
    if rng.random() < 0.7:
        d_centre = centre + rng.uniform(-0.08, 0.08, 2) * size
        detail = _make_shape(rng, "blob" if rng.random() < 0.6 else "squircle", size, rng.uniform(0.06, 0.12),
                             d_centre)
    photo = _render_photo(rng, size, body, detail)

    outline = body.outline
    photo_kps = outline[salient_points(outline)]
    for _ in range(20):
        deformation = Deformation.random(rng, SKETCH_WARP)
        moved = deformation.apply_pixels(outline, size)
        if moved.min() >= 0.04 * size and moved.max() <= 0.96 * (size - 1):
            break
    else:
        deformation = Deformation.identity()
    amplitude = rng.uniform(0.4, 2.0)
    strokes = [_jitter(rng, s, amplitude) for s in _strokes(rng, outline, int(rng.integers(2, 6)), 0.12)]
    if detail is not None:
        strokes += [_jitter(rng, s, amplitude * 0.6) for s in _strokes(rng, detail.outline, 2, 0.3)]
    sketch = _render_sketch(rng, size, strokes, deformation)
    sketch_kps = deformation.apply_pixels(photo_kps, size)
    return SynthPair(photo, sketch, photo_kps, sketch_kps, category)


def pair_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of pair `index` of a data set seeded `seed` (independent of the others, so
    any pair can be regenerated alone and generation can run in any order or in parallel)."""
    return np.random.default_rng([int(seed), int(index)])
