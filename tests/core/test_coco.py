"""COCO keypoints export: structure, ids, visibility flags."""

from __future__ import annotations

import json
from pathlib import Path

from sketchstudio.core.io.coco import export_coco
from sketchstudio.core.io.psc6k import import_psc6k
from sketchstudio.core.model import Keypoint
from sketchstudio.core.store import ProjectStore

from .conftest import SketchyTree, write_kind


def test_coco_structure(sketchy: SketchyTree, store: ProjectStore, tmp_path: Path) -> None:
    rows = sketchy.rows
    import_psc6k(store, write_kind(tmp_path / "test_pairs_ps.csv", "test_ps", rows), sketchy.root)
    # A second sketch of the first photo: the photo must appear once, used by two pairs.
    extra = store.add_pair(store.pairs()[0].photo, None, category="airplane")
    store.set_keypoint(extra.id, Keypoint(2, photo=(4.0, 5.0), sketch=(6.0, 7.0), sketch_visible=False))
    assert export_coco(store, tmp_path / "coco.json") == 2 * (len(rows) + 1)
    coco = json.loads((tmp_path / "coco.json").read_text())

    assert [c["name"] for c in coco["categories"]] == ["airplane", "cat"]
    assert all(c["keypoints"] == [f"kp{i}" for i in range(1, 9)] for c in coco["categories"])
    photos = [im for im in coco["images"] if im["side"] == "photo"]
    sketches = [im for im in coco["images"] if im["side"] == "sketch"]
    assert len(photos) == len(rows) and len(sketches) == len(rows) + 1
    assert len({im["id"] for im in coco["images"]}) == len(coco["images"])
    first_photo = next(im for im in photos if im["file_name"] == rows[0].photo)
    assert first_photo["pair_ids"] == [store.pair_ids()[0], extra.id]
    assert (first_photo["width"], first_photo["height"]) == (256, 256)  # read from the image header

    images = {im["id"]: im for im in coco["images"]}
    by_pair = {p["id"]: p for p in coco["pairs"]}
    annotations = {a["id"]: a for a in coco["annotations"]}
    first = store.pairs()[0]
    entry = by_pair[first.id]
    photo_ann = annotations[entry["photo_annotation_id"]]
    assert images[photo_ann["image_id"]]["file_name"] == first.photo and photo_ann["pair_id"] == first.id
    assert photo_ann["num_keypoints"] == 8 and len(photo_ann["keypoints"]) == 24
    assert photo_ann["keypoints"][0:3] == [rows[0].photo_xy[0][0], rows[0].photo_xy[0][1], 2]
    sketch_ann = annotations[entry["sketch_annotation_id"]]
    assert images[sketch_ann["image_id"]]["file_name"] == first.sketch
    assert sketch_ann["keypoints"][21:24] == [rows[0].sketch_xy[7][0], rows[0].sketch_xy[7][1], 2]

    vector = annotations[by_pair[extra.id]["sketch_annotation_id"]]
    assert images[vector["image_id"]]["vector_sketch"] is True
    assert vector["keypoints"][:9] == [0, 0, 0, 0, 0, 0, 6.0, 7.0, 1] and vector["num_keypoints"] == 1
    assert annotations[by_pair[extra.id]["photo_annotation_id"]]["bbox"] == [4.0, 5.0, 0, 0]
