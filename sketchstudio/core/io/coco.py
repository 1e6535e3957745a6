"""COCO keypoints export: an image entry per photo and per sketch, an annotation per side of a pair.

Layout: `images` (each photo and each sketch once, with `side` and the `pair_ids` that use it),
`categories` (one per project category, keypoints named "kp1".."kpN", no skeleton), `annotations`
(per pair and side: `keypoints` as [x, y, v] * N with v = 2 placed and visible, 1 placed but
marked hidden, 0 not placed; `pair_id`, `side`, a bbox around the placed points) and `pairs`
(each pair's two image ids and two annotation ids). Image sizes come from the image headers; an
image that cannot be read gets the pair's sketch canvas size (Sketchy: 256×256). A vector-only
sketch has no file: its entry is named `sketches/<pair id>.png` and marked `"vector_sketch": true`.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

from sketchstudio import __version__
from sketchstudio.core.atomic import refuse_output
from sketchstudio.core.errors import FormatError
from sketchstudio.core.images import image_size
from sketchstudio.core.model import Keypoint, Side
from sketchstudio.core.store import ProjectStore

UNCATEGORISED = "object"


def project_to_coco(store: ProjectStore) -> dict[str, Any]:
    n = store.keypoints_per_pair
    names = [f"kp{i + 1}" for i in range(n)]
    pairs = store.pairs()
    category_names = sorted({p.category or UNCATEGORISED for p in pairs})
    category_ids = {name: i for i, name in enumerate(category_names, start=1)}
    images: dict[tuple[str, str], dict[str, Any]] = {}
    annotations: list[dict[str, Any]] = []
    pair_entries: list[dict[str, Any]] = []

    def image_entry(side: Side, file_name: str, fallback: tuple[int, int], pair_id: int,
                    vector: bool = False) -> dict[str, Any]:
        entry = images.get((side.value, file_name))
        if entry is None:
            size = fallback
            if not vector:
                with contextlib.suppress(FormatError):
                    size = image_size(store.resolve(file_name))
            entry = {"id": len(images) + 1, "file_name": file_name, "width": size[0], "height": size[1],
                     "side": side.value, "pair_ids": []}
            if vector:
                entry["vector_sketch"] = True
            images[(side.value, file_name)] = entry
        entry["pair_ids"].append(pair_id)
        return entry

    for pair in pairs:
        sketch = store.sketch(pair.id)
        canvas = (sketch.width, sketch.height)
        kps = {kp.index: kp for kp in store.keypoints(pair.id)}
        photo_image = image_entry(Side.PHOTO, pair.photo, canvas, pair.id)
        if pair.sketch is not None:
            sketch_image = image_entry(Side.SKETCH, pair.sketch, canvas, pair.id)
        else:
            sketch_image = image_entry(Side.SKETCH, f"sketches/{pair.id}.png", canvas, pair.id, vector=True)
        entry = {"id": pair.id, "status": pair.status.value, "split": pair.split}
        for side, image in ((Side.PHOTO, photo_image), (Side.SKETCH, sketch_image)):
            flat = _flat_keypoints(kps, side, n)
            annotation = {
                "id": len(annotations) + 1, "image_id": image["id"],
                "category_id": category_ids[pair.category or UNCATEGORISED],
                "pair_id": pair.id, "side": side.value, "keypoints": flat,
                "num_keypoints": sum(1 for v in flat[2::3] if v > 0), "iscrowd": 0,
                **_bbox(flat),
            }
            annotations.append(annotation)
            entry[f"{side.value}_image_id"] = image["id"]
            entry[f"{side.value}_annotation_id"] = annotation["id"]
        pair_entries.append(entry)
    return {
        "info": {"description": f"SketchStudio project {store.name}", "version": "1.0",
                 "contributor": f"sketchstudio {__version__}",
                 "date_created": time.strftime("%Y-%m-%dT%H:%M:%S")},
        "licenses": [],
        "images": list(images.values()),
        "categories": [{"id": i, "name": name, "supercategory": name, "keypoints": names, "skeleton": []}
                       for name, i in category_ids.items()],
        "annotations": annotations,
        "pairs": pair_entries,
    }


def export_coco(store: ProjectStore, out: str | os.PathLike[str]) -> int:
    """Write the COCO keypoints JSON atomically; returns the number of annotations."""
    from sketchstudio.core.io.project_json import write_json

    refuse_output(out, store.protected_paths())
    document = project_to_coco(store)
    write_json(out, document)
    return len(document["annotations"])


def _flat_keypoints(kps: dict[int, Keypoint], side: Side, n: int) -> list[float]:
    flat: list[float] = []
    for i in range(n):
        kp = kps.get(i)
        point = None if kp is None else kp.point(side)
        if point is None:
            flat += [0, 0, 0]
        else:
            flat += [point[0], point[1], 2 if kp.visible(side) else 1]  # type: ignore[union-attr]
    return flat


def _bbox(flat: list[float]) -> dict[str, Any]:
    xs = [flat[i] for i in range(0, len(flat), 3) if flat[i + 2] > 0]
    ys = [flat[i + 1] for i in range(0, len(flat), 3) if flat[i + 2] > 0]
    if not xs:
        return {"bbox": [0, 0, 0, 0], "area": 0}
    x0, y0 = min(xs), min(ys)
    w, h = max(xs) - x0, max(ys) - y0
    return {"bbox": [x0, y0, w, h], "area": w * h}
