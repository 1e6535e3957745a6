"""PSC6K CSVs into and out of a project.

Import groups the CSV rows into pairs (a `_st` file has each pair twice, a training file once per
flip), checks every image and every row first, and adds all new pairs in one transaction: a failed
import leaves the project exactly as it was. Pairs already in the project (same photo and sketch
path) are left untouched, so re-importing never overwrites human work.

What a CSV says beyond pairs and keypoints is kept in `Pair.extra` so export writes it back:
`psc6k_class` (the class cell verbatim) and `psc6k_flips` (the flip values the file listed, e.g.
"0;1"). The category is the Sketchy class folder of the photo (`.../<class>/<name>.jpg`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from sketchstudio.core.atomic import refuse_output
from sketchstudio.core.errors import FormatError, UserError
from sketchstudio.core.images import check_image
from sketchstudio.core.io.psc6k_csv import (
    KINDS,
    Psc6kRow,
    kind_from_name,
    read_psc6k_csv,
    write_psc6k_csv,
)
from sketchstudio.core.model import (
    Keypoint,
    KeypointSource,
    KeypointStatus,
    Pair,
    PairSpec,
    PairStatus,
)
from sketchstudio.core.store import ProjectStore

TOLERANCE_PX = 0.01
"""Two rows describing the same pair (the two directions of an `_st` file) must agree this well."""
BORDER_PX = 1.0
"""A keypoint may lie this far outside the pixel centres (0..W-1) and still count as on the image."""
MAX_IMAGE_SIDE = 65535
"""Without image checks, coordinates beyond this are refused (no image format goes further)."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int
    added: int
    skipped_existing: int


@dataclass(frozen=True, slots=True)
class ExportReport:
    path: Path
    rows: int
    pairs: int
    skipped: int  # pairs left out (test kinds: keypoints incomplete; train kinds: not in the train split)


@dataclass
class _Group:
    first: Psc6kRow
    photo_xy: np.ndarray | None
    sketch_xy: np.ndarray | None
    flips: list[int]


def import_psc6k(store: ProjectStore, csv_path: str | os.PathLike[str],
                 images_root: str | os.PathLike[str] | None = None, *, check_images: bool = True,
                 split: str | None = None) -> ImportReport:
    """Add the pairs of a PSC6K CSV to `store`.

    `images_root` is the folder the CSV's paths are relative to (the Sketchy root); it becomes the
    project's images root when the project has none. `split` defaults to "train"/"test" from the
    file name. With `check_images`, every image must exist and be readable as an image (header
    check). All errors are FormatErrors naming the CSV line (and the image file).
    """
    csv_file = Path(csv_path)
    rows = read_psc6k_csv(csv_file, keypoints=store.keypoints_per_pair)
    if split is None:
        kind = kind_from_name(csv_file)
        split = kind.split("_")[0] if kind else ""
    root = Path(images_root).absolute() if images_root is not None else None
    if root is not None and not root.is_dir():
        raise UserError("the images folder does not exist", path=root)
    current_root = store.images_root
    adopt_root = root is not None and current_root is None
    same_root = root is not None and (adopt_root or _same_dir(root, current_root))

    def stored(path: str) -> str:
        """What the project stores: the CSV path itself when it is relative to the project's
        images root (so export writes it back verbatim), else a path the project resolves."""
        if root is None or same_root:
            return path
        return store.relative_path(root / path)

    def resolved(path: str) -> Path:
        return root / path if root is not None else store.resolve(path)

    groups = _group_rows(rows, csv_file)
    for group in groups.values():
        for column, path in (("photo", group.first.photo), ("sketch", group.first.sketch)):
            check_inside_root(path, csv_file, f"line {group.first.line}, column {column}")
    sizes = _check_images(groups.values(), resolved, csv_file) if check_images else {}
    for group in groups.values():
        _check_coordinates(group, sizes, csv_file)
    existing = store.pair_keys()
    specs = []
    for group in groups.values():
        row = group.first
        key = (stored(row.photo), stored(row.sketch))
        if key in existing:
            continue
        existing.add(key)
        specs.append(_spec(row, key, group, split))
    # Everything is valid: the project changes now, in one transaction (root and pairs).
    with store.transaction():
        if adopt_root:
            store.set_images_root(root)
        store.add_pairs(specs)
    return ImportReport(rows=len(rows), added=len(specs), skipped_existing=len(groups) - len(specs))


def _group_rows(rows: Sequence[Psc6kRow], csv_file: Path) -> dict[tuple[str, str], _Group]:
    groups: dict[tuple[str, str], _Group] = {}
    for row in rows:
        group = groups.get((row.photo, row.sketch))
        if group is None:
            groups[(row.photo, row.sketch)] = _Group(row, row.photo_xy, row.sketch_xy,
                                                     [] if row.flip is None else [row.flip])
            continue
        if row.flip is not None and row.flip not in group.flips:
            group.flips.append(row.flip)
        for side, new in (("photo", row.photo_xy), ("sketch", row.sketch_xy)):
            old = getattr(group, f"{side}_xy")
            if new is None:
                continue
            if old is None:
                setattr(group, f"{side}_xy", new)
            elif np.max(np.abs(old - new)) > TOLERANCE_PX:
                raise FormatError(f"{side} keypoints disagree with line {group.first.line} for the same pair",
                                  path=csv_file, where=f"line {row.line}")
        if row.category != group.first.category:
            raise FormatError(f"class {row.category!r} disagrees with line {group.first.line} "
                              f"({group.first.category!r}) for the same pair", path=csv_file,
                              where=f"line {row.line}")
    return groups


def _check_images(groups: Iterable[_Group], resolved: Callable[[str], Path],
                  csv_file: Path) -> dict[str, tuple[int, int]]:
    """Decode every image once; their sizes by CSV path."""
    sizes: dict[str, tuple[int, int]] = {}
    for group in groups:
        row = group.first
        for column, path in (("photo", row.photo), ("sketch", row.sketch)):
            if path in sizes:
                continue
            image = resolved(path)
            try:
                sizes[path] = check_image(image)
            except FormatError as exc:
                raise FormatError(f"{exc.detail}: {image}", path=csv_file,
                                  where=f"line {row.line}, column {column}") from exc
    return sizes


def check_inside_root(path: str, source: str | os.PathLike[str], where: str) -> None:
    """FormatError unless `path` is relative and stays inside the folder it is relative to."""
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute() or Path(path).is_absolute() or (len(path) > 1 and path[1] == ":"):
        raise FormatError(f"image path {path!r:.80} is absolute; paths must be relative to the images folder",
                          path=source, where=where)
    if ".." in posix.parts:
        raise FormatError(f"image path {path!r:.80} leaves the images folder ('..')", path=source,
                          where=where)


def check_point(xy: tuple[float, float] | np.ndarray, size: tuple[int, int] | None, side: str,
                source: str | os.PathLike[str], where: str) -> None:
    """FormatError unless the point is finite and on an image of `size` (within `BORDER_PX`);
    without a size, non-negative and below `MAX_IMAGE_SIDE`."""
    x, y = float(xy[0]), float(xy[1])
    w, h = size if size is not None else (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE)
    ok = bool(np.isfinite(x) and np.isfinite(y)) and -BORDER_PX <= x <= w - 1 + BORDER_PX \
        and -BORDER_PX <= y <= h - 1 + BORDER_PX
    if not ok:
        on = f"the {side} ({w}×{h})" if size is not None else f"0..{MAX_IMAGE_SIDE}"
        raise FormatError(f"{side} keypoint ({x:.6g}, {y:.6g}) lies outside {on}", path=source, where=where)


def _check_coordinates(group: _Group, sizes: dict[str, tuple[int, int]], csv_file: Path) -> None:
    row = group.first
    for side, xy, path in (("photo", group.photo_xy, row.photo), ("sketch", group.sketch_xy, row.sketch)):
        if xy is None:
            continue
        for k, point in enumerate(xy):
            check_point(point, sizes.get(path), side, csv_file, f"line {row.line}, keypoint {k + 1}")


def _same_dir(a: Path, b: Path | None) -> bool:
    if b is None:
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _spec(row: Psc6kRow, key: tuple[str, str], group: _Group, split: str) -> PairSpec:
    keypoints: tuple[Keypoint, ...] = ()
    if group.photo_xy is not None and group.sketch_xy is not None:
        keypoints = tuple(
            Keypoint(index=i, photo=(float(p[0]), float(p[1])), sketch=(float(s[0]), float(s[1])),
                     status=KeypointStatus.CONFIRMED, source=KeypointSource.IMPORTED)
            for i, (p, s) in enumerate(zip(group.photo_xy, group.sketch_xy)))
    extra = [("psc6k_class", row.category)]
    if group.flips:
        extra.append(("psc6k_flips", ";".join(str(f) for f in group.flips)))
    photo_parts = PurePosixPath(row.photo.replace("\\", "/")).parts
    category = photo_parts[-2] if len(photo_parts) >= 2 else row.category
    return PairSpec(photo=key[0], sketch=key[1], category=category,
                    name=PurePosixPath(row.sketch.replace("\\", "/")).stem, split=split,
                    flip=1 in group.flips, keypoints=keypoints,
                    status=PairStatus.DONE if keypoints else PairStatus.TODO, extra=tuple(extra))


# --- export --------------------------------------------------------------------------------------

def export_psc6k(store: ProjectStore, out: str | os.PathLike[str], kind: str | None = None,
                 *, protected: Iterable[str | os.PathLike[str]] = ()) -> ExportReport:
    """Write one PSC6K CSV; `kind` (test_ps, test_st, train_ps, train_st) defaults to the one the
    file name says, else test_ps.

    Test kinds take every pair outside the train split whose keypoints are all complete with
    points on both sides; training kinds take the pairs of the train split.
    """
    out_path = Path(out)
    refuse_output(out_path, [*store.protected_paths(), *protected])
    kind = kind or kind_from_name(out_path) or "test_ps"
    if kind not in KINDS:
        raise UserError(f"unknown PSC6K kind {kind!r}; expected one of {', '.join(KINDS)}")
    train = kind.startswith("train")
    class_index = {c: str(i) for i, c in enumerate(store.categories(), start=1)}
    rows: list[Psc6kRow] = []
    pairs = skipped = 0
    for pair in store.pairs():
        if train != (pair.split == "train") or pair.sketch is None:
            skipped += 1
            continue
        photo_xy, sketch_xy = _coordinates(store, pair)
        if not train and photo_xy is None:
            skipped += 1
            continue
        pairs += 1
        base = Psc6kRow(photo=_csv_path(store, pair.photo), sketch=_csv_path(store, pair.sketch),
                        category=pair.extra.get("psc6k_class") or class_index.get(pair.category, "0"),
                        photo_xy=photo_xy, sketch_xy=sketch_xy)
        flips = [int(f) for f in pair.extra.get("psc6k_flips", "0;1").split(";")] if train else [None]
        directions = (False, True) if kind.endswith("_st") else (False,)
        for flip in flips:
            for reverse in directions:
                rows.append(Psc6kRow(base.photo, base.sketch, base.category, base.photo_xy, base.sketch_xy,
                                     flip=flip, reversed=reverse))
    write_psc6k_csv(out_path, rows, kind)
    return ExportReport(path=out_path, rows=len(rows), pairs=pairs, skipped=skipped)


def export_psc6k_folder(store: ProjectStore, folder: str | os.PathLike[str]) -> list[ExportReport]:
    """Write the benchmark's four files into `folder` (training files only if the project has a
    train split)."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    has_train = any(p.split == "train" for p in store.pairs())
    kinds = KINDS if has_train else ("test_ps", "test_st")
    return [export_psc6k(store, target / f"{k.split('_')[0]}_pairs_{k.split('_')[1]}.csv", k) for k in kinds]


def _coordinates(store: ProjectStore, pair: Pair) -> tuple[np.ndarray | None, np.ndarray | None]:
    kps = store.keypoints(pair.id)
    n = store.keypoints_per_pair
    if len(kps) != n or any(kp.photo is None or kp.sketch is None for kp in kps):
        return None, None
    photo = np.array([kp.photo for kp in kps], dtype=np.float64)
    sketch = np.array([kp.sketch for kp in kps], dtype=np.float64)
    return photo, sketch


def _csv_path(store: ProjectStore, stored: str) -> str:
    """CSV paths are relative to the images root: stored relative paths already are."""
    path = Path(stored)
    if not path.is_absolute():
        return stored
    return store.relative_path(path)
