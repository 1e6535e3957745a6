"""Write procedural photo–sketch pairs as a Sketchy-layout data set with PSC6K CSVs.

    DIR/rendered_256x256/256x256/photo/tx_000000000000/<class>/<name>.jpg
    DIR/rendered_256x256/256x256/sketch/tx_000000000000/<class>/<name>-1.png
    DIR/train_pairs_ps.csv   photo, sketch, class, XA, YA, XB, YB, flip   (rows for flip 0 and 1)
    DIR/test_pairs_ps.csv    photo, sketch, class, XA, YA, XB, YB
    DIR/test_pairs_st.csv    source_image, target_image, class, XA, YA, XB, YB (both directions)
    DIR/synth.json           how the set was made (seed, sizes, classes)

CSV paths are relative to DIR, so `--data DIR` works as a Sketchy root everywhere. The class cell
is the 1-based class index, as in PSC6K. Pairs are generated in a process pool; each pair's
randomness comes from (seed, index) alone, so the output does not depend on the worker count.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sketchstudio.core.atomic import atomic_write_text
from sketchstudio.core.errors import UserError
from sketchstudio.core.io.psc6k_csv import Psc6kRow, write_psc6k_csv
from sketchstudio.training.synthetic import CLASSES, make_pair, pair_rng

SKETCHY_PREFIX = "rendered_256x256/256x256"
TX = "tx_000000000000"


@dataclass(frozen=True)
class _Written:
    index: int
    photo: str
    sketch: str
    category: str
    photo_kps: np.ndarray
    sketch_kps: np.ndarray


def _relpaths(category: str, name: str) -> tuple[str, str]:
    return (f"{SKETCHY_PREFIX}/photo/{TX}/{category}/{name}.jpg",
            f"{SKETCHY_PREFIX}/sketch/{TX}/{category}/{name}-1.png")


def _generate_and_write(job: tuple[Path, int, int, int]) -> _Written:
    root, seed, index, size = job
    pair = make_pair(pair_rng(seed, index), size)
    photo_rel, sketch_rel = _relpaths(pair.category, f"synth_{index:06d}")
    Image.fromarray(pair.photo).save(root / photo_rel, quality=92)
    Image.fromarray(pair.sketch).save(root / sketch_rel, compress_level=1)
    return _Written(index, photo_rel, sketch_rel, pair.category, pair.photo_kps, pair.sketch_kps)


def write_split_csvs(root: Path, written: Sequence[Any], is_test: Callable[[Any], bool],
                     class_index: dict[str, str]) -> tuple[dict[str, Path], int]:
    """Write PSC6K CSVs for generated pairs: `train_pairs_ps.csv` (each pair plain and flipped)
    and, when any pair is in the test split, `test_pairs_ps.csv` and `test_pairs_st.csv` (both
    directions). `written` items carry photo, sketch, category, photo_kps and sketch_kps.
    Returns the paths written and the number of test pairs."""
    train_rows, test_rows, st_rows = [], [], []
    for w in written:
        base = dict(photo=w.photo, sketch=w.sketch, category=class_index[w.category],
                    photo_xy=w.photo_kps, sketch_xy=w.sketch_kps)
        if is_test(w):
            test_rows.append(Psc6kRow(**base))
            st_rows += [Psc6kRow(**base), Psc6kRow(**base, reversed=True)]
        else:
            train_rows += [Psc6kRow(**base, flip=0), Psc6kRow(**base, flip=1)]
    paths: dict[str, Path] = {}
    if train_rows:
        paths["train_ps"] = root / "train_pairs_ps.csv"
        write_psc6k_csv(paths["train_ps"], train_rows, "train_ps")
    if test_rows:
        paths["test_ps"] = root / "test_pairs_ps.csv"
        paths["test_st"] = root / "test_pairs_st.csv"
        write_psc6k_csv(paths["test_ps"], test_rows, "test_ps")
        write_psc6k_csv(paths["test_st"], st_rows, "test_st")
    return paths, len(test_rows)


def test_indices(pairs: int, test_fraction: float, seed: int) -> set[int]:
    """Which pairs form the test split: a seeded choice of round(pairs × fraction)."""
    count = round(pairs * test_fraction)
    if test_fraction > 0 and pairs > 1:
        count = min(max(count, 1), pairs - 1)
    perm = np.random.default_rng([int(seed), 0x7E57]).permutation(pairs)
    return {int(i) for i in perm[:count]}


def write_synthetic_dataset(out_dir: str | os.PathLike[str], pairs: int, *, seed: int = 0,
                            test_fraction: float = 0.1, size: int = 256, workers: int | None = None,
                            overwrite: bool = False,
                            progress: Callable[[int, int], None] | None = None) -> dict[str, Path]:
    """Generate `pairs` pairs into `out_dir`; returns the CSV paths by kind."""
    root = Path(out_dir)
    if pairs < 1:
        raise UserError(f"--pairs must be at least 1, got {pairs}")
    if not 0.0 <= test_fraction < 1.0:
        raise UserError(f"--test-fraction must be in [0, 1), got {test_fraction}")
    if root.exists() and not root.is_dir():
        raise UserError("exists and is not a folder", path=root)
    if root.is_dir() and any(root.iterdir()) and not overwrite:
        raise UserError("folder is not empty (pass --overwrite to write into it)", path=root)
    for category in CLASSES:
        for kind in ("photo", "sketch"):
            (root / SKETCHY_PREFIX / kind / TX / category).mkdir(parents=True, exist_ok=True)

    jobs = [(root, seed, i, size) for i in range(pairs)]
    workers = max(1, min(workers or os.cpu_count() or 1, pairs // 32 + 1))
    written: list[_Written] = []
    if workers == 1:
        for job in jobs:
            written.append(_generate_and_write(job))
            if progress:
                progress(len(written), pairs)
    else:
        with ProcessPoolExecutor(workers) as pool:
            for item in pool.map(_generate_and_write, jobs, chunksize=16):
                written.append(item)
                if progress:
                    progress(len(written), pairs)

    test = test_indices(pairs, test_fraction, seed)
    class_index = {c: str(i + 1) for i, c in enumerate(CLASSES)}
    paths, test_pairs = write_split_csvs(root, written, lambda w: w.index in test, class_index)
    manifest = {"generator": "sketchstudio.training.synthetic", "seed": seed, "pairs": pairs, "size": size,
                "test_fraction": test_fraction, "test_pairs": test_pairs,
                "classes": {class_index[c]: c for c in CLASSES}}
    atomic_write_text(root / "synth.json", json.dumps(manifest, indent=2) + "\n")
    return paths
