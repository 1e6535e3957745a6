"""Reading and writing PSC6K's pair CSVs (PF-Pascal style), with no project involved.

The four files of the benchmark (Lu et al., ICML 2023; `cogtoolslab/photo-sketch-correspondence`):

=====================  ===============================================================
`test_pairs_ps.csv`    photo, sketch, class, XA, YA, XB, YB          one row per pair
`test_pairs_st.csv`    source_image, target_image, class, XA, YA, XB, YB
                       two rows per pair: photo→sketch and sketch→photo
`train_pairs_ps.csv`   photo, sketch, class, flip                    a row per flip (0 and 1)
`train_pairs_st.csv`   source_image, target_image, class, flip       flips × both directions
=====================  ===============================================================

Paths are relative to the Sketchy root (`.../photo/tx_000000000000/<class>/<name>.jpg`, sketches
`.../sketch/tx_000000000000/<class>/<name>-<k>.png`). Each coordinate cell holds 8 numbers
separated by semicolons; XA/YA are the x (column) and y (row) pixel coordinates in the first
image (the photo in `_ps` files, the source in `_st` files), XB/YB those in the second. The
official loader reads them as (row, col) = (YA, XA). Training files may also carry the
coordinate columns; both layouts are read, and written back as they came.

`read_psc6k_csv` is what evaluation code calls: it returns rows in photo/sketch orientation
whatever the file layout (`reversed` says a row was sketch→photo in the file).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from sketchstudio.core.atomic import atomic_write
from sketchstudio.core.errors import FormatError
from sketchstudio.core.io.text_files import read_text
from sketchstudio.core.model import PSC6K_KEYPOINTS

COORD_COLUMNS = ("XA", "YA", "XB", "YB")
PS_COLUMNS = ("photo", "sketch")
ST_COLUMNS = ("source_image", "target_image")
KINDS = ("test_ps", "test_st", "train_ps", "train_st")


@dataclass(frozen=True, slots=True, eq=False)
class Psc6kRow:
    """One CSV row in photo/sketch orientation.

    `photo_xy` and `sketch_xy` are float64 arrays of shape (K, 2) holding (x, y) = (column, row),
    or None in a training file without coordinates. `flip` is None when the file has no flip
    column. `line` is the row's line number in the file (the header is line 1).
    """

    photo: str
    sketch: str
    category: str
    photo_xy: np.ndarray | None = None
    sketch_xy: np.ndarray | None = None
    flip: int | None = None
    reversed: bool = False
    line: int = 0

    def source_target(self) -> tuple[str, str, np.ndarray | None, np.ndarray | None]:
        """The row as the file wrote it: (source, target, source_xy, target_xy)."""
        if self.reversed:
            return self.sketch, self.photo, self.sketch_xy, self.photo_xy
        return self.photo, self.sketch, self.photo_xy, self.sketch_xy


def kind_from_name(path: str | os.PathLike[str]) -> str | None:
    """'test_ps' for `test_pairs_ps.csv` and so on; None for any other file name."""
    stem = Path(path).stem.lower()
    for kind in KINDS:
        split, layout = kind.split("_")
        if stem == f"{split}_pairs_{layout}":
            return kind
    return None


def read_psc6k_csv(path: str | os.PathLike[str], *,
                   keypoints: int | None = PSC6K_KEYPOINTS) -> list[Psc6kRow]:
    """Read any of the four PSC6K CSV layouts (detected from the header).

    `keypoints` is the number of values every coordinate cell must hold (None: any number, the
    same in the four cells of a row). Raises FormatError naming the file, the line and the
    column for a missing column, a short row, a wrong number of coordinates, or a value that is
    not a finite number. Columns other than the known ones are ignored.
    """
    p = Path(path)
    text = read_text(p, encoding="utf-8-sig")
    return parse_psc6k_csv(text, path=p, keypoints=keypoints)


def parse_psc6k_csv(text: str, *, path: str | os.PathLike[str] = "<csv>",
                    keypoints: int | None = PSC6K_KEYPOINTS) -> list[Psc6kRow]:
    """`read_psc6k_csv` on a string (`path` only names the source in errors)."""
    if "\x00" in text:
        raise FormatError("not a text file (contains NUL bytes)", path=path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise FormatError("empty file: expected a header row", path=path)
        layout = _Layout.from_header([h.strip() for h in header], path)
        rows: list[Psc6kRow] = []
        seen: set[tuple[str, str]] = set()
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            rows.append(layout.row(cells, reader.line_num, keypoints, seen))
    except csv.Error as exc:
        raise FormatError(f"malformed CSV ({exc})", path=path, where=f"line {reader.line_num}") from exc
    return rows


@dataclass(frozen=True, slots=True)
class _Layout:
    path: str
    first: int
    second: int
    cls: int
    coords: tuple[int, int, int, int] | None
    flip: int | None
    source_target: bool
    width: int

    @classmethod
    def from_header(cls, header: list[str], path: str | os.PathLike[str]) -> _Layout:
        index = {name: i for i, name in enumerate(header)}
        if all(c in index for c in ST_COLUMNS):
            names, source_target = ST_COLUMNS, True
        elif all(c in index for c in PS_COLUMNS):
            names, source_target = PS_COLUMNS, False
        else:
            raise FormatError("missing columns: expected 'photo,sketch' or 'source_image,target_image' "
                              f"in the header, found {','.join(header)[:120]!r}", path=path, where="line 1")
        if "class" not in index:
            raise FormatError("missing column 'class'", path=path, where="line 1")
        present = [c for c in COORD_COLUMNS if c in index]
        if present and len(present) < 4:
            missing = ", ".join(c for c in COORD_COLUMNS if c not in index)
            raise FormatError(f"missing coordinate column(s) {missing}", path=path, where="line 1")
        if not present and "flip" not in index:
            raise FormatError("missing columns: a test file needs XA, YA, XB, YB and a training file "
                              "needs flip", path=path, where="line 1")
        coords = tuple(index[c] for c in COORD_COLUMNS) if present else None
        return cls(path=str(path), first=index[names[0]], second=index[names[1]], cls=index["class"],
                   coords=coords, flip=index.get("flip"), source_target=source_target,  # type: ignore[arg-type]
                   width=len(header))

    def row(self, cells: list[str], line: int, keypoints: int | None,
            seen: set[tuple[str, str]]) -> Psc6kRow:
        where = f"line {line}"
        if len(cells) < self.width:
            raise FormatError(f"expected {self.width} cells, found {len(cells)}", path=self.path, where=where)
        first, second = cells[self.first].strip(), cells[self.second].strip()
        for name, value in ((self._name(0), first), (self._name(1), second)):
            if not value:
                raise FormatError("empty image path", path=self.path, where=f"{where}, column {name}")
        category = cells[self.cls].strip()
        if not category:
            raise FormatError("empty class", path=self.path, where=f"{where}, column class")
        flip = None
        if self.flip is not None:
            raw = cells[self.flip].strip()
            if raw not in ("0", "1"):
                raise FormatError(f"flip must be 0 or 1, found {raw[:30]!r}", path=self.path,
                                  where=f"{where}, column flip")
            flip = int(raw)
        xy_a = xy_b = None
        if self.coords is not None:
            values = [self._numbers(cells[i], name, where, keypoints) for i, name in
                      zip(self.coords, COORD_COLUMNS)]
            counts = {len(v) for v in values}
            if len(counts) != 1:
                raise FormatError(f"coordinate columns hold different numbers of values "
                                  f"({', '.join(str(len(v)) for v in values)})", path=self.path, where=where)
            xy_a = np.array([values[0], values[1]], dtype=np.float64).T
            xy_b = np.array([values[2], values[3]], dtype=np.float64).T
        reverse = False
        if self.source_target:
            reverse = _looks_like_sketch(first) and not _looks_like_sketch(second)
            if not reverse and _looks_like_sketch(first) == _looks_like_sketch(second):
                # Paths do not say which side is the photo: the first row of a pair is photo→sketch.
                reverse = (second, first) in seen
            seen.add((first, second))
        if reverse:
            return Psc6kRow(photo=second, sketch=first, category=category, photo_xy=xy_b, sketch_xy=xy_a,
                            flip=flip, reversed=True, line=line)
        return Psc6kRow(photo=first, sketch=second, category=category, photo_xy=xy_a, sketch_xy=xy_b,
                        flip=flip, reversed=False, line=line)

    def _name(self, which: int) -> str:
        return (ST_COLUMNS if self.source_target else PS_COLUMNS)[which]

    def _numbers(self, cell: str, column: str, where: str, keypoints: int | None) -> list[float]:
        parts = cell.split(";")
        if keypoints is not None and len(parts) != keypoints:
            raise FormatError(f"expected {keypoints} numbers separated by ';', found {len(parts)}",
                              path=self.path, where=f"{where}, column {column}")
        values = []
        for part in parts:
            try:
                value = float(part)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise FormatError(f"{part.strip()[:30]!r} is not a finite number", path=self.path,
                                  where=f"{where}, column {column}")
            values.append(value)
        return values


def _looks_like_sketch(path: str) -> bool:
    parts = PurePosixPath(path.replace("\\", "/")).parts
    return "sketch" in (p.lower() for p in parts[:-1]) or path.lower().endswith(".png")


def format_number(value: float) -> str:
    """Coordinates as written: integers without a decimal point, others with up to 4 decimals
    (well inside the 0.01 px a round trip must keep)."""
    rounded = round(float(value), 4)
    if rounded == int(rounded) and abs(rounded) < 1e15:
        return str(int(rounded))
    return repr(rounded)


def header_for(kind: str, *, with_coords: bool) -> list[str]:
    split, layout = kind.split("_")
    names = [*(ST_COLUMNS if layout == "st" else PS_COLUMNS), "class"]
    if split == "test" or with_coords:
        names += list(COORD_COLUMNS)
    if split == "train":
        names.append("flip")
    return names


def write_psc6k_csv(path: str | os.PathLike[str], rows: Sequence[Psc6kRow], kind: str) -> None:
    """Write `rows` (each in the orientation its `reversed` flag gives) atomically.

    Test kinds need coordinates on every row; training kinds write the coordinate columns only
    when every row has them, and a missing `flip` is written as 0.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown PSC6K CSV kind {kind!r}; expected one of {', '.join(KINDS)}")
    train = kind.startswith("train")
    with_coords = all(r.photo_xy is not None and r.sketch_xy is not None for r in rows)
    if not train and not with_coords:
        raise ValueError("every row of a test CSV needs photo and sketch coordinates")
    header = header_for(kind, with_coords=with_coords)
    with atomic_write(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            if kind.endswith("_st"):
                first, second, xy_a, xy_b = row.source_target()
            else:
                first, second, xy_a, xy_b = row.photo, row.sketch, row.photo_xy, row.sketch_xy
            cells = [first, second, row.category]
            if "XA" in header:
                assert xy_a is not None and xy_b is not None
                cells += [";".join(format_number(v) for v in column)
                          for column in (xy_a[:, 0], xy_a[:, 1], xy_b[:, 0], xy_b[:, 1])]
            if train:
                cells.append(str(row.flip or 0))
            writer.writerow(cells)
