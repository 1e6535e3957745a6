"""Fixtures for the core tests: a tiny Sketchy-like tree, PSC6K CSVs and a fresh project."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sketchstudio.core.io.psc6k_csv import Psc6kRow, write_psc6k_csv
from sketchstudio.core.store import ProjectStore

PHOTO_DIR = "rendered_256x256/256x256/photo/tx_000000000000"
SKETCH_DIR = "rendered_256x256/256x256/sketch/tx_000000000000"
CLASSES = ("airplane", "cat")


@dataclass
class SketchyTree:
    root: Path
    rows: list[Psc6kRow]  # one per pair, photo/sketch orientation, with non-integer coordinates


def make_sketchy_tree(root: Path, *, per_class: int = 2, seed: int = 0) -> SketchyTree:
    """Write 256×256 photos (.jpg) and sketches (.png) in Sketchy's layout (keypoints lie on them)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c, cls in enumerate(CLASSES, start=1):
        for i in range(per_class):
            name = f"n0000{c}_{100 + i}"
            photo = f"{PHOTO_DIR}/{cls}/{name}.jpg"
            sketch = f"{SKETCH_DIR}/{cls}/{name}-{i + 1}.png"
            for rel, mode in ((photo, "RGB"), (sketch, "L")):
                path = root / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.new(mode, (256, 256), 200 if mode == "L" else (10 * c, 20 * i, 30)).save(path)
            rows.append(
                Psc6kRow(
                    photo=photo,
                    sketch=sketch,
                    category=str(c),
                    photo_xy=np.round(rng.uniform(0, 255, (8, 2)), 3),
                    sketch_xy=np.round(rng.uniform(0, 255, (8, 2)), 3),
                )
            )
    return SketchyTree(root=root, rows=rows)


def csv_rows(kind: str, pairs: list[Psc6kRow]) -> list[Psc6kRow]:
    """Rows of a CSV of `kind` as the official files lay them out."""
    out = []
    for r in pairs:
        flips = (0, 1) if kind.startswith("train") else (None,)
        directions = (False, True) if kind.endswith("_st") else (False,)
        coords = {} if kind.startswith("train") else {"photo_xy": r.photo_xy, "sketch_xy": r.sketch_xy}
        for flip in flips:
            for rev in directions:
                out.append(Psc6kRow(r.photo, r.sketch, r.category, flip=flip, reversed=rev, **coords))
    return out


def write_kind(path: Path, kind: str, pairs: list[Psc6kRow]) -> Path:
    write_psc6k_csv(path, csv_rows(kind, pairs), kind)
    return path


@pytest.fixture
def sketchy(tmp_path: Path) -> SketchyTree:
    return make_sketchy_tree(tmp_path / "sketchy")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ProjectStore]:
    (tmp_path / "proj").mkdir()
    s = ProjectStore.create(tmp_path / "proj" / "p.sketchstudio")
    yield s
    s.close()
