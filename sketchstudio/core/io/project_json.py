"""The versioned JSON exchange format (`"format": "sketchstudio-project", "version": 1`).

Export → import is lossless for everything a user made: pairs (paths, category, name, split, flip,
status, extra fields, timestamps), keypoints (both points, visibility, status, source, author,
timestamps, the model suggestion) and strokes (samples with pressure and time, width, colour,
eraser), in order. Ids are renumbered on import (they are the project's, not the data's).
The schema is `resources/schema/sketchstudio-project.schema.json`; a file is validated against it
and against what a schema cannot say (indices within keypoints_per_pair, no duplicate index)
before anything is written. A file of a newer version is refused with a clear message.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sketchstudio import __version__
from sketchstudio.core import resources
from sketchstudio.core.atomic import atomic_write, refuse_output
from sketchstudio.core.errors import FormatError, UserError, check_name
from sketchstudio.core.images import check_image
from sketchstudio.core.io.schema_check import SchemaViolation, validate
from sketchstudio.core.io.text_files import read_text
from sketchstudio.core.model import (
    Keypoint,
    KeypointSource,
    KeypointStatus,
    PairSpec,
    PairStatus,
    Side,
    Stroke,
    Suggestion,
)
from sketchstudio.core.store import MAX_SKETCH_SIDE, ProjectStore

FORMAT = "sketchstudio-project"
VERSION = 1


@dataclass(frozen=True, slots=True)
class ProjectDocument:
    """A validated JSON project, ready for `ProjectStore.add_pairs`."""

    name: str
    keypoints_per_pair: int
    images_root: str | None
    pairs: tuple[PairSpec, ...]


@dataclass(frozen=True, slots=True)
class JsonImportReport:
    added: int
    skipped_existing: int


@cache
def project_schema() -> dict[str, Any]:
    return json.loads(resources.schema_path().read_text(encoding="utf-8"))


# --- export --------------------------------------------------------------------------------------

def project_to_dict(store: ProjectStore) -> dict[str, Any]:
    pairs = []
    for pair in store.pairs():
        sketch = store.sketch(pair.id)
        pairs.append({
            "id": pair.id, "photo": pair.photo, "sketch": pair.sketch, "category": pair.category,
            "name": pair.name, "split": pair.split, "flip": pair.flip, "status": pair.status.value,
            "created": pair.created, "modified": pair.modified, "extra": dict(sorted(pair.extra.items())),
            "sketch_size": [sketch.width, sketch.height], "background": sketch.background,
            "keypoints": [_keypoint_to_dict(kp) for kp in store.keypoints(pair.id)],
            "strokes": [{"points": [list(p) for p in s.points], "width": s.width, "color": s.color,
                         "eraser": s.eraser} for s in sketch.strokes],
        })
    root = store.images_root
    return {
        "format": FORMAT, "version": VERSION, "generator": f"sketchstudio {__version__}",
        "name": store.name, "keypoints_per_pair": store.keypoints_per_pair,
        "images_root": None if root is None else str(root), "exported": time.time(),
        "categories": store.categories(), "splits": sorted({p["split"] for p in pairs if p["split"]}),
        "pairs": pairs,
    }


def export_json(store: ProjectStore, out: str | os.PathLike[str]) -> int:
    """Write the project as JSON atomically; returns the number of pairs."""
    refuse_output(out, store.protected_paths())
    document = project_to_dict(store)
    write_json(out, document, indent=1)
    return len(document["pairs"])


def write_json(out: str | os.PathLike[str], document: Any, **kw: Any) -> None:
    """Stream `document` into `out` atomically; a value JSON cannot carry (a number overflowing
    to infinity, text that is not UTF-8) is a UserError and leaves `out` as it was."""
    try:
        with atomic_write(out, "w") as handle:
            json.dump(document, handle, ensure_ascii=False, allow_nan=False, **kw)
            handle.write("\n")
    except (ValueError, OverflowError, TypeError, RecursionError, UnicodeError) as exc:
        raise UserError(f"the project holds a value JSON cannot represent ({str(exc)[:80]}); "
                        "nothing was written", path=out) from exc


def _keypoint_to_dict(kp: Keypoint) -> dict[str, Any]:
    s = kp.suggestion
    return {
        "index": kp.index, "photo": None if kp.photo is None else list(kp.photo),
        "sketch": None if kp.sketch is None else list(kp.sketch),
        "photo_visible": kp.photo_visible, "sketch_visible": kp.sketch_visible,
        "status": kp.status.value, "source": kp.source.value, "author": kp.author,
        "created": kp.created, "modified": kp.modified,
        "suggestion": None if s is None else {"model_id": s.model_id, "side": Side(s.side).value,
                                              "x": s.x, "y": s.y, "confidence": s.confidence},
    }


# --- import --------------------------------------------------------------------------------------

def read_project_json(path: str | os.PathLike[str]) -> ProjectDocument:
    """Parse and validate a JSON project file; FormatError naming the file and the field."""
    p = Path(path)
    text = read_text(p, encoding="utf-8")
    return parse_project_json(text, path=p)


def parse_project_json(text: str, *, path: str | os.PathLike[str] = "<json>") -> ProjectDocument:
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON ({exc.msg})", path=path,
                          where=f"line {exc.lineno}, column {exc.colno}") from exc
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"not valid JSON ({exc})", path=path) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FormatError(f"not a SketchStudio project export (expected \"format\": \"{FORMAT}\")", path=path)
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise FormatError(f"format version {version} is newer than this SketchStudio reads ({VERSION}); "
                          "update SketchStudio", path=path)
    try:
        validate(data, project_schema())
    except SchemaViolation as exc:
        raise FormatError(exc.message, path=path, where=exc.where) from exc
    except RecursionError as exc:
        raise FormatError("nested too deeply", path=path) from exc
    n = int(data["keypoints_per_pair"])
    specs = tuple(_pair_spec(item, n, path, f"pairs[{i}]") for i, item in enumerate(data["pairs"]))
    seen: dict[tuple[str, str | None], int] = {}
    for i, spec in enumerate(specs):
        first = seen.setdefault((spec.photo, spec.sketch), i)
        if first != i:
            raise FormatError(f"the same photo and sketch as pairs[{first}] (a pair may appear once)",
                              path=path, where=f"pairs[{i}]")
    return ProjectDocument(name=data.get("name", ""), keypoints_per_pair=n,
                           images_root=data.get("images_root"), pairs=specs)


def import_json(store: ProjectStore, path: str | os.PathLike[str],
                document: ProjectDocument | None = None, *, check_images: bool = False) -> JsonImportReport:
    """Add the pairs of a JSON project to `store` in one transaction. Pairs already in the
    project (same photo and sketch) are skipped; the file's images root is adopted when the
    project has none. With `check_images` every image is decoded first (as the CSV and folder
    importers do) and keypoints must lie on their images."""
    document = document or read_project_json(path)
    if check_images:
        _check_document_images(store, document, path)
    if document.keypoints_per_pair > store.keypoints_per_pair:
        used = max((kp.index for spec in document.pairs for kp in spec.keypoints), default=-1)
        if used >= store.keypoints_per_pair:
            raise FormatError(f"uses keypoint index {used}, but the project has "
                              f"{store.keypoints_per_pair} keypoints per pair", path=path)
    existing = store.pair_keys()
    specs = []
    for spec in document.pairs:
        key = (spec.photo, spec.sketch)
        if key in existing:
            continue
        specs.append(spec)
    with store.transaction():  # pairs and images root: all or nothing
        store.add_pairs(specs)
        if document.images_root and store.images_root is None:
            store.set_images_root(document.images_root)
    return JsonImportReport(added=len(specs), skipped_existing=len(document.pairs) - len(specs))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _check_document_images(store: ProjectStore, document: ProjectDocument,
                           path: str | os.PathLike[str]) -> None:
    from sketchstudio.core.io.psc6k import check_point

    base = Path(document.images_root) if document.images_root else store.images_root or store.root
    if not base.is_absolute():
        base = Path(path).parent / base
    sizes: dict[str, tuple[int, int]] = {}
    for i, spec in enumerate(document.pairs):
        for side, image in (("photo", spec.photo), ("sketch", spec.sketch)):
            if image is None or image in sizes:
                continue
            target = Path(image) if Path(image).is_absolute() else base / image
            try:
                sizes[image] = check_image(target)
            except FormatError as exc:
                raise FormatError(f"{exc.detail}: {target}", path=path, where=f"pairs[{i}].{side}") from exc
        for j, kp in enumerate(spec.keypoints):
            for side, point, image in (("photo", kp.photo, spec.photo), ("sketch", kp.sketch, spec.sketch)):
                if point is not None:
                    size = sizes.get(image) if image is not None else spec.sketch_size
                    check_point(point, size, side, path, f"pairs[{i}].keypoints[{j}].{side}")


def _pair_spec(item: dict[str, Any], n: int, path: str | os.PathLike[str], where: str) -> PairSpec:
    from sketchstudio.core.io.psc6k import check_inside_root, check_point

    for field in ("photo", "sketch"):
        value = item.get(field)
        if isinstance(value, str):
            check_name(value)
            if not Path(value).is_absolute():  # our own exports keep absolute paths as they are
                check_inside_root(value, path, f"{where}.{field}")
    size = item.get("sketch_size", [256, 256])
    if not all(1 <= int(v) <= MAX_SKETCH_SIDE for v in size[:2]):
        raise FormatError(f"sketch_size must be 1..{MAX_SKETCH_SIDE} pixels a side, got {size[:2]}",
                          path=path, where=f"{where}.sketch_size")
    for j, kp in enumerate(item.get("keypoints", [])):
        for side in ("photo", "sketch"):
            if kp.get(side) is not None:
                check_point(kp[side], None, side, path, f"{where}.keypoints[{j}].{side}")
    keypoints = []
    seen: set[int] = set()
    for j, kp in enumerate(item.get("keypoints", [])):
        index = int(kp["index"])
        if index >= n:
            raise FormatError(f"index {index} is outside 0..{n - 1} (keypoints_per_pair is {n})",
                              path=path, where=f"{where}.keypoints[{j}].index")
        if index in seen:
            raise FormatError(f"duplicate keypoint index {index}", path=path, where=f"{where}.keypoints[{j}]")
        seen.add(index)
        keypoints.append(_keypoint(kp))
    strokes = tuple(Stroke(points=tuple(tuple(float(v) for v in p) for p in s["points"]),
                           width=float(s.get("width", 2.0)), color=s.get("color", "#000000"),
                           eraser=bool(s.get("eraser", False))) for s in item.get("strokes", []))
    size = item.get("sketch_size", [256, 256])
    return PairSpec(
        photo=item["photo"], sketch=item.get("sketch"), category=item.get("category", ""),
        name=item.get("name", ""), split=item.get("split", ""), flip=bool(item.get("flip", False)),
        keypoints=tuple(keypoints), status=PairStatus(item.get("status", PairStatus.TODO.value)),
        strokes=strokes, sketch_size=(int(size[0]), int(size[1])),
        background=item.get("background", "#ffffff"), extra=tuple(sorted(item.get("extra", {}).items())),
        created=float(item.get("created", 0.0)), modified=float(item.get("modified", 0.0)))


def _keypoint(kp: dict[str, Any]) -> Keypoint:
    s = kp.get("suggestion")
    suggestion = None if s is None else Suggestion(
        model_id=s["model_id"], side=Side(s["side"]), x=float(s["x"]), y=float(s["y"]),
        confidence=None if s.get("confidence") is None else float(s["confidence"]))
    photo, sketch = kp.get("photo"), kp.get("sketch")
    return Keypoint(
        index=int(kp["index"]),
        photo=None if photo is None else (float(photo[0]), float(photo[1])),
        sketch=None if sketch is None else (float(sketch[0]), float(sketch[1])),
        photo_visible=kp.get("photo_visible", True), sketch_visible=kp.get("sketch_visible", True),
        status=KeypointStatus(kp.get("status", KeypointStatus.CONFIRMED.value)),
        source=KeypointSource(kp.get("source", KeypointSource.IMPORTED.value)), author=kp.get("author", ""),
        created=float(kp.get("created", 0.0)), modified=float(kp.get("modified", 0.0)),
        suggestion=suggestion)
