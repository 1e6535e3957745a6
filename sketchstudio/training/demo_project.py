"""Build the bundled demo project (`resources/demo/`) from bundled photos and procedural pairs.

    python -m sketchstudio.training.demo_project [OUT_DIR]     # training/build_demo.sh

The demo shows every mode at once: twelve pairs, the five real photos of `resources/photos`
with deformed XDoG sketches (`sketchstudio.training.photo_pairs`) and seven procedural pairs
(`sketchstudio.training.synthetic`). Half are annotated with their exact ground-truth keypoints
(source "imported"), two only partly (3 of 8) so suggestions have something to complete, the
rest are to do; one pair's sketch is vector strokes (drawn through its outline keypoints, so it
can be edited and re-rendered) and one has a photo but no sketch yet.

Images are copied under `OUT_DIR/images/` and stored with paths relative to the project file,
so the folder can be copied anywhere (`sketchstudio.core.demo` copies it to the user's data
folder). The result is deterministic: fixed seeds and fixed timestamps; the project file is
closed (WAL checkpointed) before it is moved into place, so no `-wal`/`-shm` files ship.
"""

from __future__ import annotations

import itertools
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from sketchstudio.core import resources
from sketchstudio.core.images import load_image
from sketchstudio.core.model import Keypoint, KeypointSource, KeypointStatus, PairSpec, PairStatus, Stroke
from sketchstudio.core.store import ProjectStore

PROJECT_FILE = "demo.sketchstudio"
SIZE = 256
TIMESTAMP = 1_735_689_600.0  # 2025-01-01 00:00 UTC: fixed, so rebuilding changes nothing
AUTHOR = "ground truth"
PARTIAL_KEYPOINTS = 3

REAL_PHOTOS = (  # (file stem, category, name)
    ("astronaut", "person", "Astronaut"),
    ("camera", "person", "Cameraman"),
    ("chelsea", "cat", "Chelsea the cat"),
    ("coffee", "cup", "Coffee"),
    ("rocket", "rocket", "Rocket"),
)
SYNTHETIC = ("blob", "star", "squircle", "gear", "polygon", "blob", "squircle")

# How each pair is annotated: "full" (8 keypoints, done), "partial" (3 keypoints, in progress),
# "todo", "strokes" (vector sketch, annotated), "photo" (no sketch yet).
PLAN = {
    "astronaut": "full", "camera": "partial", "chelsea": "full", "coffee": "todo", "rocket": "full",
    "blob_1": "full", "star_2": "partial", "squircle_3": "full", "gear_4": "todo", "polygon_5": "todo",
    "blob_6": "strokes", "squircle_7": "photo",
}


@dataclass(frozen=True)
class _Made:
    key: str
    category: str
    name: str
    photo: Path  # written under the staging folder
    sketch: np.ndarray
    photo_kps: np.ndarray
    sketch_kps: np.ndarray


def _real_pairs(images: Path, photos_dir: Path) -> list[_Made]:
    from sketchstudio.training.photo_pairs import make_photo_pair, prepare_photo

    made = []
    for i, (stem, category, name) in enumerate(REAL_PHOTOS):
        source = photos_dir / f"{stem}.jpg"
        image = load_image(source)
        target = images / "photos" / f"{stem}.jpg"
        if image.size == (SIZE, SIZE):
            shutil.copyfile(source, target)  # no second JPEG generation
            photo = np.asarray(image)
        else:
            photo = prepare_photo(image, SIZE)
            Image.fromarray(photo).save(target, quality=92)
        pair = make_photo_pair(photo, np.random.default_rng([8, 0xDE40, i]), style="fine")
        made.append(_Made(stem, category, name, target, pair.sketch, pair.photo_kps, pair.sketch_kps))
    return made


def _synthetic_pairs(images: Path) -> list[_Made]:
    from sketchstudio.training.synthetic import make_pair

    made = []
    for i, category in enumerate(SYNTHETIC, start=1):
        for attempt in range(20):  # skip drawings that dropped strokes under the keypoints
            pair = make_pair(np.random.default_rng([8, 0xDE40, 100 + i, attempt]), SIZE, category)
            if _keypoints_on_ink(pair.sketch, pair.sketch_kps) == len(pair.sketch_kps):
                break
        key = f"{category}_{i}"
        target = images / "photos" / f"{key}.jpg"
        Image.fromarray(pair.photo).save(target, quality=90)
        made.append(_Made(key, category, f"{category.title()} {i}", target, pair.sketch, pair.photo_kps,
                          pair.sketch_kps))
    return made


def _keypoints_on_ink(sketch: np.ndarray, points: np.ndarray, radius: float = 3.0) -> int:
    ys, xs = np.nonzero(sketch < 128)
    if len(xs) == 0:
        return 0
    ink = np.stack([xs, ys], axis=1)
    return int((np.linalg.norm(points[:, None, :] - ink[None], axis=2).min(axis=1) <= radius).sum())


def outline_strokes(points: np.ndarray, pieces: int = 3, samples: int = 24) -> tuple[Stroke, ...]:
    """A closed Catmull–Rom curve through `points` (in order), cut into `pieces` open strokes
    with a pen-like pressure profile and 60 Hz timestamps: a quick vector drawing of an outline
    that passes exactly through its keypoints."""
    p = np.asarray(points, np.float64)
    n = len(p)
    curve = []
    for i in range(n):
        p0, p1, p2, p3 = p[i - 1], p[i], p[(i + 1) % n], p[(i + 2) % n]
        for t in np.linspace(0.0, 1.0, samples, endpoint=False):
            curve.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t * t
                                + (3 * p1 - p0 - 3 * p2 + p3) * t**3))
    curve.append(p[0])
    line = np.asarray(curve)
    bounds = np.linspace(0, len(line) - 1, pieces + 1).round().astype(int)
    strokes = []
    for a, b in itertools.pairwise(bounds):
        seg = line[a:b + 1]
        u = np.linspace(0.0, 1.0, len(seg))
        pressure = 0.45 + 0.5 * np.sin(np.pi * u) ** 0.5
        pts = tuple((round(float(x), 2), round(float(y), 2), round(float(q), 3), round(k / 60.0, 4))
                    for k, ((x, y), q) in enumerate(zip(seg, pressure)))
        strokes.append(Stroke(points=pts, width=3.0))
    return tuple(strokes)


def _xy(point: np.ndarray) -> tuple[float, float]:
    return round(float(point[0]), 3), round(float(point[1]), 3)


def _keypoints(made: _Made, count: int) -> tuple[Keypoint, ...]:
    return tuple(Keypoint(index=k, photo=_xy(made.photo_kps[k]), sketch=_xy(made.sketch_kps[k]),
                          status=KeypointStatus.CONFIRMED, source=KeypointSource.IMPORTED, author=AUTHOR,
                          created=TIMESTAMP, modified=TIMESTAMP)
                 for k in range(count))


def _spec(made: _Made, staging: Path, images: Path) -> PairSpec:
    plan = PLAN[made.key]
    photo = made.photo.relative_to(staging).as_posix()
    sketch = None
    if plan not in ("strokes", "photo"):
        target = images / "sketches" / f"{made.key}.png"
        Image.fromarray(made.sketch).save(target, optimize=True)
        sketch = target.relative_to(staging).as_posix()
    keypoints = {"full": 8, "strokes": 8, "partial": PARTIAL_KEYPOINTS}.get(plan, 0)
    status = {"full": PairStatus.DONE, "strokes": PairStatus.DONE, "partial": PairStatus.IN_PROGRESS}.get(
        plan, PairStatus.TODO)
    return PairSpec(photo=photo, sketch=sketch, category=made.category, name=made.name, split="demo",
                    keypoints=_keypoints(made, keypoints), status=status,
                    strokes=outline_strokes(made.sketch_kps) if plan == "strokes" else (),
                    created=TIMESTAMP, modified=TIMESTAMP)


def build_demo_project(out_dir: str | Path | None = None, *, photos_dir: str | Path | None = None) -> Path:
    """(Re)build the demo into `out_dir` (default: the bundled `resources/demo`); returns the
    project file. Builds in a sibling staging folder and swaps it in, so a failure leaves the
    old demo untouched."""
    out = Path(out_dir) if out_dir is not None else resources.demo_project_dir()
    photos = Path(photos_dir) if photos_dir is not None else resources.resources_dir() / "photos"
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".demo-build-", dir=out.parent))
    try:
        images = staging / "images"
        (images / "photos").mkdir(parents=True)
        (images / "sketches").mkdir()
        made = _real_pairs(images, photos) + _synthetic_pairs(images)
        specs = [_spec(m, staging, images) for m in made]
        with ProjectStore.create(staging / PROJECT_FILE, name="SketchStudio demo") as store:
            store.add_pairs(specs)
        leftovers = [p.name for p in staging.iterdir() if p.name.endswith(("-wal", "-shm"))]
        if leftovers:
            raise RuntimeError(f"the demo project was not checkpointed: {leftovers}")
        for name in (PROJECT_FILE, "images"):
            old = out / name
            if old.is_dir():
                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
        out.mkdir(exist_ok=True)
        for name in (PROJECT_FILE, "images"):
            (staging / name).rename(out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out / PROJECT_FILE


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = build_demo_project(args[0] if args else None)
    size = sum(f.stat().st_size for f in path.parent.rglob("*") if f.is_file())
    print(f"wrote {path} ({size / 1024:.0f} KB with its images)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
