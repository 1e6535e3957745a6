"""Photo–sketch pairs for warp training, from a Sketchy root + PSC6K CSV, a project, or the
procedural generator.

Every source is checked completely before training starts (files exist and are images, CSV rows
parse, a project has usable pairs), so bad data stops the run with one `UserError` line instead
of a crash at step 5,000. Images are decoded once, resized to the model's input size and kept in
memory as uint8 (a few hundred KB per pair at 128 px), which is what makes CPU training
input-bound by the model rather than by JPEG decoding.

Keypoints travel in input-size pixel coordinates (x = column, y = row, pixel centres at
integers); a pair without (complete) annotations has a keypoint mask of all False.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from sketchstudio.core.errors import FormatError, UserError
from sketchstudio.core.images import image_size, load_image
from sketchstudio.core.model import PSC6K_KEYPOINTS

MAX_KEYPOINTS = PSC6K_KEYPOINTS


@dataclass(frozen=True, eq=False)
class PairSource:
    """How to get one pair's images; `load()` returns (photo, sketch) as PIL images."""

    name: str
    load: Callable[[], tuple[Image.Image, Image.Image]]
    photo_kps: np.ndarray | None = None  # (K, 2) in the photo's own pixels
    sketch_kps: np.ndarray | None = None  # (K, 2) in the sketch's own pixels
    photo_size: tuple[int, int] = (256, 256)
    sketch_size: tuple[int, int] = (256, 256)
    flip: bool = False
    kp_valid: np.ndarray | None = None  # (K,) bool; None = all valid when keypoints are given


def rescale_points(points: np.ndarray, src: tuple[int, int], size: int) -> np.ndarray:
    """Pixels of a W×H image → pixels of the size×size resize (half-pixel rule)."""
    scale = np.array([size / src[0], size / src[1]])
    return (np.asarray(points, np.float64) + 0.5) * scale - 0.5


class PairSet:
    """Decoded pairs at the input size: photos (N, S, S, 3) uint8, sketches likewise, keypoints
    (N, K, 2) float32 and their mask (N, K)."""

    def __init__(self, sources: Sequence[PairSource], size: int, *,
                 progress: Callable[[int, int], None] | None = None) -> None:
        if not sources:
            raise UserError("no training pairs")
        n = len(sources)
        self.size = size
        self.names = [s.name for s in sources]
        self.photos = np.empty((n, size, size, 3), np.uint8)
        self.sketches = np.empty((n, size, size, 3), np.uint8)
        self.kps_photo = np.zeros((n, MAX_KEYPOINTS, 2), np.float32)
        self.kps_sketch = np.zeros((n, MAX_KEYPOINTS, 2), np.float32)
        self.kp_mask = np.zeros((n, MAX_KEYPOINTS), bool)
        for i, src in enumerate(sources):
            photo, sketch = src.load()
            self.photos[i] = _resized(photo.convert("RGB"), size)
            self.sketches[i] = _resized(sketch.convert("RGB"), size)
            if src.photo_kps is not None and src.sketch_kps is not None:
                k = min(len(src.photo_kps), MAX_KEYPOINTS)
                p = rescale_points(src.photo_kps[:k], src.photo_size, size)
                s = rescale_points(src.sketch_kps[:k], src.sketch_size, size)
                valid = np.ones(k, bool) if src.kp_valid is None else np.asarray(src.kp_valid[:k], bool)
                if src.flip:
                    p[:, 0] = size - 1 - p[:, 0]
                    s[:, 0] = size - 1 - s[:, 0]
                self.kps_photo[i, :k] = p
                self.kps_sketch[i, :k] = s
                self.kp_mask[i, :k] = valid
            if src.flip:
                self.photos[i] = self.photos[i, :, ::-1]
                self.sketches[i] = self.sketches[i, :, ::-1]
            if progress is not None:
                progress(i + 1, n)

    def __len__(self) -> int:
        return len(self.photos)

    @property
    def annotated(self) -> int:
        return int(self.kp_mask.any(axis=1).sum())

    @classmethod
    def concat(cls, parts: Sequence[PairSet]) -> PairSet:
        parts = [p for p in parts if p is not None and len(p)]
        if not parts:
            raise UserError("no training pairs")
        out = cls.__new__(cls)
        out.size = parts[0].size
        out.names = [n for p in parts for n in p.names]
        for field in ("photos", "sketches", "kps_photo", "kps_sketch", "kp_mask"):
            setattr(out, field, np.concatenate([getattr(p, field) for p in parts]))
        return out

    def batch(self, indices: np.ndarray, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        """Photos and sketches as float [0, 1] (B, 3, S, S), keypoints (B, K, 2), mask (B, K)."""
        photo = torch.from_numpy(self.photos[indices]).permute(0, 3, 1, 2).float().div_(255.0)
        sketch = torch.from_numpy(self.sketches[indices]).permute(0, 3, 1, 2).float().div_(255.0)
        return {
            "photo": photo.to(device),
            "sketch": sketch.to(device),
            "kps_photo": torch.from_numpy(self.kps_photo[indices]).to(device),
            "kps_sketch": torch.from_numpy(self.kps_sketch[indices]).to(device),
            "kp_mask": torch.from_numpy(self.kp_mask[indices]).to(device),
        }


def _resized(image: Image.Image, size: int) -> np.ndarray:
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(image)


# --- sources -----------------------------------------------------------------------------------------


def csv_sources(root: str | os.PathLike[str], csv_file: str | os.PathLike[str], *,
                check_images: bool = True) -> list[PairSource]:
    """Pairs of a PSC6K CSV (any layout) under a Sketchy root; each row is one sample (training
    files list a pair once per flip). Keypoints come along when the file has coordinates."""
    from sketchstudio.core.io.psc6k_csv import read_psc6k_csv

    root = Path(root)
    if not root.is_dir():
        raise UserError("data root folder not found", path=root)
    csv_path = Path(csv_file)
    if not csv_path.is_absolute() and not csv_path.exists():
        csv_path = root / csv_path
    rows = read_psc6k_csv(csv_path, keypoints=None)
    if not rows:
        raise FormatError("no pairs in the CSV", path=csv_path)
    sources = []
    seen: set[tuple[str, str, int]] = set()
    for row in rows:
        key = (row.photo, row.sketch, int(row.flip or 0))
        if key in seen:  # an `_st` file lists each pair in both directions
            continue
        seen.add(key)
        photo, sketch = root / row.photo, root / row.sketch
        sizes = [(256, 256), (256, 256)]
        if check_images:
            for i, path in enumerate((photo, sketch)):
                try:
                    sizes[i] = image_size(path)
                except FormatError as exc:
                    raise FormatError(f"{exc.detail} (CSV line {row.line})", path=path) from exc
        sources.append(PairSource(
            name=row.photo, load=_file_loader(photo, sketch), photo_kps=row.photo_xy,
            sketch_kps=row.sketch_xy, photo_size=sizes[0], sketch_size=sizes[1], flip=bool(row.flip)))
    return sources


def _file_loader(photo: Path, sketch: Path) -> Callable[[], tuple[Image.Image, Image.Image]]:
    return lambda: (load_image(photo, "RGB"), load_image(sketch, "RGB"))


def project_sources(project_file: str | os.PathLike[str], *, annotated_only: bool = False
                    ) -> list[PairSource]:
    """Pairs of a SketchStudio project that have a sketch (raster or drawn); keypoints whose
    both sides are placed and confirmed supervise the flow."""
    from sketchstudio.core.model import KeypointStatus
    from sketchstudio.core.raster import render_sketch
    from sketchstudio.core.store import ProjectStore

    path = Path(project_file)
    if not path.is_file():
        raise UserError("project file not found", path=path)
    sources: list[PairSource] = []
    with ProjectStore.open(path) as store:
        pairs = store.pairs()
        for pair in pairs:
            sketch = store.sketch(pair.id)
            if sketch.is_empty:
                continue
            photo_path = store.resolve(pair.photo)
            photo_size = image_size(photo_path)
            base = store.resolve(sketch.base_image) if sketch.base_image else None
            if base is not None:
                image_size(base)  # fail now, not mid-training
            kps = [k for k in store.keypoints(pair.id)
                   if k.status is KeypointStatus.CONFIRMED and k.photo is not None and k.sketch is not None
                   and k.index < MAX_KEYPOINTS]
            photo_xy = sketch_xy = valid = None
            if kps:
                photo_xy = np.zeros((MAX_KEYPOINTS, 2))
                sketch_xy = np.zeros((MAX_KEYPOINTS, 2))
                valid = np.zeros(MAX_KEYPOINTS, bool)
                for k in kps:
                    photo_xy[k.index] = k.photo
                    sketch_xy[k.index] = k.sketch
                    valid[k.index] = True
            elif annotated_only:
                continue
            resolve = store.resolve

            def load(photo_path: Path = photo_path, sketch: object = sketch, resolve: Callable = resolve
                     ) -> tuple[Image.Image, Image.Image]:
                drawn = render_sketch(sketch, image_loader=lambda p: load_image(resolve(p)))  # type: ignore[arg-type]
                return load_image(photo_path, "RGB"), drawn

            sources.append(PairSource(name=f"{path.name}#{pair.id}", load=load, photo_kps=photo_xy,
                                      sketch_kps=sketch_xy, photo_size=photo_size,
                                      sketch_size=(sketch.width, sketch.height), kp_valid=valid))
    if not sources:
        raise UserError("the project has no pairs with a sketch to train on", path=path)
    return sources


def synthetic_set(pairs: int, size: int, seed: int, *, annotated: bool = True) -> PairSet:
    """`pairs` procedural pairs rendered directly at the input size (no files)."""
    from sketchstudio.training.synthetic import make_pair, pair_rng

    sources = []
    for i in range(pairs):
        pair = make_pair(pair_rng(seed, i), size)
        sources.append(PairSource(
            name=f"synthetic:{seed}:{i}", load=_array_loader(pair.photo, pair.sketch),
            photo_kps=pair.photo_kps if annotated else None,
            sketch_kps=pair.sketch_kps if annotated else None,
            photo_size=(size, size), sketch_size=(size, size)))
    return PairSet(sources, size)


def _array_loader(photo: np.ndarray, sketch: np.ndarray) -> Callable[[], tuple[Image.Image, Image.Image]]:
    return lambda: (Image.fromarray(photo), Image.fromarray(sketch))
