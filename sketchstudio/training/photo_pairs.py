"""Photo–sketch pairs made from real photos, with exact keypoint correspondences.

The procedural generator (`sketchstudio.training.synthetic`) draws its own objects; this module
starts from any photo instead, so a model can be trained or tested on real images:

1. the photo is centre-cropped (or, for augmentation, randomly cropped) to a square and resized;
2. a line drawing of it comes from the XDoG synthesiser (`sketchstudio.s2i.sketch_synth`), one
   seed and style per sketch;
3. the drawing is deformed by a random affine + thin-plate-spline `Deformation` `D`, resampled
   as ``sketch(u) = drawing(D(u))``, so the photo point `p` is drawn at ``D⁻¹(p)`` in the sketch;
   `D⁻¹` is found by Newton's method to a residual under 1e-6 pixel, so the ground truth is exact;
4. the 8 keypoints are salient photo locations: Harris corners (non-maximum suppressed, spread
   out, preferring the centre of the frame where the subject usually is, away from the border)
   that lie on a line of the drawing, and whose sketch positions stay inside the frame.

`write_photo_pair_dataset` writes the Sketchy layout and PSC6K CSVs exactly as
`sketchstudio.training.synth_dataset.write_synthetic_dataset` does, so `sketchstudio-train eval
--data DIR --csv DIR/test_pairs_ps.csv` and `sketchstudio-train warp --data DIR` read it. Every
random choice derives from (seed, photo index, sketch index), so a seed reproduces a data set
bit for bit, whatever the number of worker processes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from sketchstudio.core.atomic import atomic_write_text
from sketchstudio.core.errors import UserError
from sketchstudio.core.images import load_image
from sketchstudio.core.model import PSC6K_KEYPOINTS
from sketchstudio.s2i.sketch_synth import STYLE_NAMES
from sketchstudio.s2i.stroke_synth import STROKE_STYLE_NAME
from sketchstudio.training.synth_dataset import SKETCHY_PREFIX, TX, test_indices, write_split_csvs
from sketchstudio.training.warps import Deformation, WarpStrength

PHOTO_SKETCH_WARP = WarpStrength(rotation=np.pi / 7, scale=(0.93, 1.3), aspect=0.12, shift=0.15, tps=0.12)
"""Ranges of `D`, the map from sketch to photo coordinates. They mirror the procedural
generator's `SKETCH_WARP` (which maps photo to sketch): a scale of 1.3 here draws the subject at
1/1.3 of its photo size, like that generator's 0.77."""

ALL_STYLES = (*STYLE_NAMES, STROKE_STYLE_NAME)
"""Every line-drawing style a pair can be drawn in: the XDoG looks and traced strokes."""
ANY_XDOG = "xdog"
"""A style name meaning "one of the XDoG looks, drawn at random"."""
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


@dataclass(frozen=True, eq=False)
class PhotoPair:
    photo: np.ndarray  # (S, S, 3) uint8
    sketch: np.ndarray  # (S, S) uint8, dark ink on white paper
    photo_kps: np.ndarray  # (K, 2) float64, (x, y) pixels, pixel centres at integers
    sketch_kps: np.ndarray  # (K, 2)
    deformation: Deformation  # sketch pixel u shows drawing pixel D(u)
    style: str


# --- geometry ----------------------------------------------------------------------------------------


def invert_deformation(deformation: Deformation, points: np.ndarray, size: int, *, iterations: int = 30
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Pixel points u with ``deformation.apply_pixels(u) == points``, by Newton's method.

    Returns (u, residual in pixels). Starts from the inverse of the affine part; the Jacobian
    comes from central differences, which is exact enough for a smooth TPS.
    """
    target = np.asarray(points, np.float64).reshape(-1, 2)
    half = (size - 1) / 2.0
    t = target / half - 1.0
    u = (t - deformation.offset) @ np.linalg.inv(deformation.matrix).T
    eps = 1e-5
    dx, dy = np.array([eps, 0.0]), np.array([0.0, eps])
    for _ in range(iterations):
        f = deformation.apply(u) - t
        jx = (deformation.apply(u + dx) - deformation.apply(u - dx)) / (2 * eps)
        jy = (deformation.apply(u + dy) - deformation.apply(u - dy)) / (2 * eps)
        jac = np.stack([jx, jy], axis=-1)  # (N, 2 outputs, 2 inputs)
        step = np.linalg.solve(jac, f[..., None])[..., 0]
        u = u - step
        if np.abs(step).max(initial=0.0) < 1e-12:
            break
    residual = np.linalg.norm(deformation.apply(u) - t, axis=-1) * half
    pixels = (u + 1.0) * half
    return pixels.reshape(np.shape(points)), residual.reshape(np.shape(points)[:-1])


def warp_drawing(drawing: np.ndarray, deformation: Deformation) -> np.ndarray:
    """(S, S) drawing in [0, 1] (paper 1) → uint8 sketch with sketch(u) = drawing(D(u));
    what falls outside the drawing is paper."""
    size = drawing.shape[0]
    ink = torch.from_numpy(1.0 - drawing.astype(np.float32))[None, None]
    grid = torch.from_numpy(deformation.sampling_grid(size))[None]
    warped = F.grid_sample(ink, grid, mode="bilinear", padding_mode="zeros", align_corners=True)[0, 0]
    return np.clip((1.0 - warped.numpy()) * 255.0 + 0.5, 0, 255).astype(np.uint8)


# --- keypoints ---------------------------------------------------------------------------------------


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    radius = max(1, int(np.ceil(3 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float32)
    weights = np.exp(-(x**2) / (2 * sigma * sigma))
    kernel = torch.from_numpy(weights / weights.sum())
    t = torch.from_numpy(np.ascontiguousarray(image, np.float32))[None, None]
    t = F.conv2d(F.pad(t, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
    t = F.conv2d(F.pad(t, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1))
    return t[0, 0].numpy()


def corner_strength(photo: np.ndarray) -> np.ndarray:
    """Harris response (k = 0.05) of the photo's luminance, scaled to a maximum of 1."""
    size = photo.shape[0]
    luma = _blur(photo.astype(np.float32) @ _LUMA / 255.0, 1.0 * size / 256)
    gy, gx = np.gradient(luma)
    sigma = 2.0 * size / 256
    sxx, syy, sxy = _blur(gx * gx, sigma), _blur(gy * gy, sigma), _blur(gx * gy, sigma)
    response = sxx * syy - sxy * sxy - 0.05 * (sxx + syy) ** 2
    response = np.maximum(response, 0.0)
    return response / max(float(response.max()), 1e-12)


def select_keypoints(photo: np.ndarray, drawing: np.ndarray, allowed: Callable[[np.ndarray], np.ndarray],
                     count: int = PSC6K_KEYPOINTS) -> np.ndarray:
    """(count, 2) salient photo pixels (x, y) that lie on a line of `drawing`, spread out.

    Candidates are local maxima of the Harris response on (or one pixel from) the drawing's ink,
    weighted towards the centre; they are taken greedily by score with a minimum spacing of a
    tenth of the image, which shrinks when too few remain. `allowed(points) -> bool mask` vetoes
    candidates (e.g. those whose sketch position would leave the frame). When corners run out,
    ink pixels farthest from the chosen points fill up. Numbered by angle from the top.
    """
    size = photo.shape[0]
    ink = torch.from_numpy((drawing < 0.5).astype(np.float32))[None, None]
    near_ink = F.max_pool2d(ink, 3, stride=1, padding=1)[0, 0].numpy() > 0
    margin = round(0.08 * size)
    inside = np.zeros_like(near_ink)
    inside[margin:size - margin, margin:size - margin] = True
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    centre = (size - 1) / 2.0
    r2 = ((xx - centre) ** 2 + (yy - centre) ** 2) / (centre * centre)
    score = corner_strength(photo) * (0.4 + 0.6 * np.exp(-r2 / (2 * 0.45**2)))
    peaks = F.max_pool2d(torch.from_numpy(score)[None, None], 5, stride=1, padding=2)[0, 0].numpy()
    candidate = (score >= peaks) & (score > 1e-4) & near_ink & inside
    ys, xs = np.nonzero(candidate)
    points = np.stack([xs, ys], axis=1).astype(np.float64)
    order = np.argsort(-score[ys, xs], kind="stable")
    points = points[order]
    points = points[allowed(points)] if len(points) else points

    chosen: list[np.ndarray] = []
    spacing = 0.1 * size
    while len(chosen) < count and spacing >= 0.02 * size:
        for p in points:
            if len(chosen) >= count:
                break
            if all(np.hypot(*(p - q)) >= spacing for q in chosen):
                chosen.append(p)
        spacing *= 0.7
    if len(chosen) < count:
        ys, xs = np.nonzero(near_ink & inside)
        fill = np.stack([xs, ys], axis=1).astype(np.float64)
        fill = fill[allowed(fill)] if len(fill) else fill
        if len(fill) == 0:
            fill = np.argwhere(inside)[:, ::-1].astype(np.float64)
            fill = fill[allowed(fill)]
        while len(chosen) < count and len(fill):
            if chosen:
                gap = np.min([np.hypot(*(fill - q).T) for q in chosen], axis=0)
            else:
                gap = score[fill[:, 1].astype(int), fill[:, 0].astype(int)]
            chosen.append(fill[int(np.argmax(gap))])
    if len(chosen) < count:
        raise ValueError("no room for keypoints: the deformation leaves too little of the photo in the frame")
    kps = np.asarray(chosen[:count])
    mid = kps.mean(0)
    angle = np.mod(np.arctan2(kps[:, 0] - mid[0], -(kps[:, 1] - mid[1])), 2 * np.pi)
    return kps[np.argsort(angle, kind="stable")]


# --- one pair --------------------------------------------------------------------------------------------


def prepare_photo(image: Image.Image, size: int, rng: np.random.Generator | None = None,
                  crop_scale: float = 1.0) -> np.ndarray:
    """A square (S, S, 3) uint8 photo: the centre crop, or with `crop_scale` < 1 a random square
    crop of side in [crop_scale, 1] × the short side (drawn from `rng`)."""
    rgb = image.convert("RGB")
    w, h = rgb.size
    side = min(w, h)
    if rng is not None and crop_scale < 1.0:
        side = max(8, round(side * rng.uniform(crop_scale, 1.0)))
        x0, y0 = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
    else:
        x0, y0 = (w - side) // 2, (h - side) // 2
    crop = rgb.crop((x0, y0, x0 + side, y0 + side))
    if crop.size != (size, size):
        crop = crop.resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(crop)


def draw_photo(photo: np.ndarray, style: str, seed: int) -> np.ndarray:
    """(S, S) float32 line drawing of an (S, S, 3) uint8 photo, paper 1 and ink 0."""
    from sketchstudio.s2i.sketch_synth import synthesize_batch
    from sketchstudio.s2i.stroke_synth import STROKE_STYLE_NAME, synthesize_strokes

    if style == STROKE_STYLE_NAME:
        return synthesize_strokes(photo, seed)
    tensor = torch.from_numpy(photo.astype(np.float32) / 255.0).permute(2, 0, 1)[None]
    return synthesize_batch(tensor, [seed], [style])[0, 0].numpy()


def make_photo_pair(photo: np.ndarray, rng: np.random.Generator, *, style: str | None = None,
                    strength: WarpStrength = PHOTO_SKETCH_WARP, keypoints: int = PSC6K_KEYPOINTS,
                    attempts: int = 20) -> PhotoPair:
    """A deformed line drawing of `photo` ((S, S, 3) uint8) and `keypoints` exact correspondences.

    `style` is an XDoG style (`sketch_synth.STYLE_NAMES`) or "strokes" (`stroke_synth`: traced
    pen strokes, the human-like kind); "xdog" draws one XDoG style, None any style, at random.
    """
    size = photo.shape[0]
    if photo.ndim != 3 or photo.shape[1] != size or photo.shape[2] != 3:
        raise ValueError(f"expected a square RGB photo, got shape {photo.shape}")
    if style == ANY_XDOG:
        style = STYLE_NAMES[int(rng.integers(len(STYLE_NAMES)))]
    style = style or ALL_STYLES[int(rng.integers(len(ALL_STYLES)))]
    drawing = draw_photo(photo, style, int(rng.integers(2**31)))
    lo, hi = 0.04 * size, 0.96 * (size - 1)
    border = np.array([[x, y] for x in np.linspace(0.15, 0.85, 8) * (size - 1)
                       for y in (0.15 * (size - 1), 0.85 * (size - 1))])
    border = np.concatenate([border, border[:, ::-1]])
    for _ in range(attempts):
        deformation = Deformation.random(rng, strength)
        # The middle 70 % of the photo must stay in the frame, so the keypoints have room.
        inner, residual = invert_deformation(deformation, border, size)
        if residual.max() < 1e-3 and inner.min() >= lo and inner.max() <= hi:
            break
    else:
        deformation = Deformation.identity()

    def allowed(points: np.ndarray) -> np.ndarray:
        moved, res = invert_deformation(deformation, points, size)
        return (res < 1e-6) & (moved >= lo).all(axis=-1) & (moved <= hi).all(axis=-1)

    photo_kps = select_keypoints(photo, drawing, allowed, keypoints)
    sketch_kps, _ = invert_deformation(deformation, photo_kps, size)
    return PhotoPair(photo, warp_drawing(drawing, deformation), photo_kps, sketch_kps, deformation, style)


# --- the data set ------------------------------------------------------------------------------------------


def scaled_strength(factor: float) -> WarpStrength:
    """`PHOTO_SKETCH_WARP` with every range scaled by `factor` (1: unchanged; 1.5: heavier)."""
    base = PHOTO_SKETCH_WARP
    if factor == 1.0:
        return base
    return WarpStrength(rotation=base.rotation * factor,
                        scale=(1 - (1 - base.scale[0]) * factor, 1 + (base.scale[1] - 1) * factor),
                        aspect=base.aspect * factor, shift=base.shift * factor, tps=base.tps * factor,
                        tps_grid=base.tps_grid)


def find_photos(paths: Sequence[str | os.PathLike[str]]) -> list[tuple[Path, str]]:
    """(photo file, category) for files and (recursively) folders, sorted per folder. A photo
    directly named, or lying directly in a named folder, is its own category (its stem); one in a
    sub-folder takes the sub-folder's name (the Sketchy layout: `.../<class>/<name>.jpg`)."""
    found: list[tuple[Path, str]] = []
    for given in paths:
        p = Path(given)
        if p.is_file():
            found.append((p, p.stem))
        elif p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
            found += [(f, f.stem if f.parent == p else f.parent.name) for f in files]
        else:
            raise UserError("photo file or folder not found", path=p)
    if not found:
        raise UserError(f"no photos ({', '.join(IMAGE_SUFFIXES)}) in {', '.join(map(str, paths))}")
    return found


@dataclass(frozen=True)
class _Job:
    root: Path
    photo: Path
    category: str
    stem: str
    photo_index: int
    sketches: int
    seed: int
    size: int
    crop_scale: float
    styles: tuple[str, ...] | None
    warp_strength: float = 1.0


@dataclass(frozen=True, eq=False)
class _Written:
    photo_index: int
    photo: str
    sketch: str
    category: str
    photo_kps: np.ndarray
    sketch_kps: np.ndarray


def _pair_rng(seed: int, photo_index: int, sketch_index: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), 0x9407, int(photo_index), int(sketch_index)])


def _one_thread() -> None:
    torch.set_num_threads(1)  # the pool's processes already use every core


def _write_photo(job: _Job) -> list[_Written]:
    image = load_image(job.photo)
    out: list[_Written] = []
    folder = f"{SKETCHY_PREFIX}/%s/{TX}/{job.category}"
    shared = prepare_photo(image, job.size) if job.crop_scale >= 1.0 else None
    for k in range(job.sketches):
        rng = _pair_rng(job.seed, job.photo_index, k)
        photo = shared if shared is not None else prepare_photo(image, job.size, rng, job.crop_scale)
        style = job.styles[k % len(job.styles)] if job.styles else None
        pair = make_photo_pair(photo, rng, style=style, strength=scaled_strength(job.warp_strength))
        name = job.stem if shared is not None else f"{job.stem}_{k + 1}"
        photo_rel = f"{folder % 'photo'}/{name}.jpg"
        sketch_rel = f"{folder % 'sketch'}/{name}-{k + 1 if shared is not None else 1}.png"
        if shared is None or k == 0:
            Image.fromarray(photo).save(job.root / photo_rel, quality=95)
        Image.fromarray(pair.sketch).save(job.root / sketch_rel, compress_level=6)
        out.append(_Written(job.photo_index, photo_rel, sketch_rel, job.category, pair.photo_kps,
                            pair.sketch_kps))
    return out


def write_photo_pair_dataset(out_dir: str | os.PathLike[str], photos: Sequence[str | os.PathLike[str]], *,
                             sketches_per_photo: int = 4, seed: int = 0, test_fraction: float = 0.0,
                             size: int = 256, crop_scale: float = 1.0, styles: Sequence[str] | None = None,
                             warp_strength: float = 1.0, workers: int | None = None, overwrite: bool = False,
                             progress: Callable[[int, int], None] | None = None) -> dict[str, Path]:
    """Write `sketches_per_photo` pairs per photo into `out_dir`; returns the CSV paths by kind.

    The split is by photo (all sketches of a test photo are test pairs); `test_fraction` 1 makes
    a pure evaluation set, 0 a pure training set.
    """
    root = Path(out_dir)
    if sketches_per_photo < 1:
        raise UserError(f"--sketches must be at least 1, got {sketches_per_photo}")
    if not 0.0 <= test_fraction <= 1.0:
        raise UserError(f"--test-fraction must be in [0, 1], got {test_fraction}")
    if not 0.0 < warp_strength <= 2.0:
        raise UserError(f"--warp-strength must be in (0, 2], got {warp_strength}")
    if not 0.1 <= crop_scale <= 1.0:
        raise UserError(f"--crop-scale must be in [0.1, 1], got {crop_scale}")
    unknown = sorted(set(styles or ()) - {*ALL_STYLES, ANY_XDOG})
    if unknown:
        raise UserError(f"unknown sketch style(s) {unknown} (choose from {', '.join(ALL_STYLES)})")
    if root.exists() and not root.is_dir():
        raise UserError("exists and is not a folder", path=root)
    if root.is_dir() and any(root.iterdir()) and not overwrite:
        raise UserError("folder is not empty (pass --overwrite to write into it)", path=root)
    found = find_photos(photos)
    for path, _ in found:
        load_image(path)  # a bad photo stops the run here, before anything is written
    stems: dict[tuple[str, str], int] = {}
    jobs = []
    for i, (path, category) in enumerate(found):
        stem = path.stem
        seen = stems.get((category, stem), 0)
        stems[(category, stem)] = seen + 1
        jobs.append(_Job(root, path, category, stem if not seen else f"{stem}_{seen}", i, sketches_per_photo,
                         seed, size, crop_scale, tuple(styles) if styles else None, warp_strength))
    for category in {c for _, c in found}:
        for kind in ("photo", "sketch"):
            (root / SKETCHY_PREFIX / kind / TX / category).mkdir(parents=True, exist_ok=True)

    written: list[_Written] = []
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) // 8 + 1))
    if workers == 1:
        results = map(_write_photo, jobs)
        for item in results:
            written += item
            if progress:
                progress(len(written), len(jobs) * sketches_per_photo)
    else:
        with ProcessPoolExecutor(workers, initializer=_one_thread) as pool:
            for item in pool.map(_write_photo, jobs, chunksize=4):
                written += item
                if progress:
                    progress(len(written), len(jobs) * sketches_per_photo)

    if test_fraction >= 1.0:
        test = set(range(len(jobs)))
    else:
        test = test_indices(len(jobs), test_fraction, seed) if test_fraction > 0 else set()
    classes = sorted({c for _, c in found})
    class_index = {c: str(i + 1) for i, c in enumerate(classes)}
    paths, test_pairs = write_split_csvs(root, written, lambda w: w.photo_index in test, class_index)
    manifest = {
        "generator": "sketchstudio.training.photo_pairs", "seed": seed, "size": size,
        "sketches_per_photo": sketches_per_photo, "crop_scale": crop_scale,
        "styles": list(styles) if styles else None, "warp_strength": warp_strength,
        "test_fraction": test_fraction,
        "photos": [p.name for p, _ in found], "test_photos": sorted(found[i][0].name for i in test),
        "pairs": len(written), "test_pairs": test_pairs,
        "classes": {v: k for k, v in class_index.items()},
    }
    atomic_write_text(root / "photo_pairs.json", json.dumps(manifest, indent=2) + "\n")
    return paths
