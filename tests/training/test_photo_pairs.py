"""Photo-derived pairs: exact inverse warps, keypoints on the drawn lines, a readable data set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sketchstudio.core import resources
from sketchstudio.core.errors import UserError
from sketchstudio.core.images import load_image
from sketchstudio.core.io.psc6k_csv import read_psc6k_csv
from sketchstudio.training.cli import main as train_main
from sketchstudio.training.photo_pairs import (
    PHOTO_SKETCH_WARP,
    invert_deformation,
    make_photo_pair,
    prepare_photo,
    warp_drawing,
    write_photo_pair_dataset,
)
from sketchstudio.training.warps import Deformation

PHOTOS = resources.resources_dir() / "photos"


@pytest.fixture(scope="module")
def cat_photo() -> np.ndarray:
    return prepare_photo(load_image(PHOTOS / "chelsea.jpg"), 128)


def test_inverse_deformation_is_exact() -> None:
    rng = np.random.default_rng(4)
    deformation = Deformation.random(rng, PHOTO_SKETCH_WARP)
    points = rng.uniform(40, 216, (50, 2))
    inverse, residual = invert_deformation(deformation, points, 256)
    assert residual.max() < 1e-6
    np.testing.assert_allclose(deformation.apply_pixels(inverse, 256), points, atol=1e-6)
    assert np.abs(inverse - points).max() > 1.0  # a real deformation, not the identity


def test_a_dot_in_the_drawing_lands_where_the_keypoint_goes() -> None:
    """The direction convention: the warped sketch shows drawing pixel D(u) at u, so a photo
    point p (where the drawing has a dot) must appear at D⁻¹(p), the keypoint's sketch position."""
    size = 128
    deformation = Deformation.random(np.random.default_rng(7), PHOTO_SKETCH_WARP)
    p = np.array([70.0, 55.0])
    drawing = np.ones((size, size), np.float32)
    drawing[54:57, 69:72] = 0.0
    sketch = warp_drawing(drawing, deformation)
    ink = 255.0 - sketch.astype(np.float64)
    ys, xs = np.mgrid[0:size, 0:size]
    centroid = np.array([(ink * xs).sum(), (ink * ys).sum()]) / ink.sum()
    expected, _ = invert_deformation(deformation, p, size)
    assert np.linalg.norm(centroid - expected) < 0.75
    assert np.linalg.norm(deformation.apply_pixels(p, size) - centroid) > 2.0  # the other direction is wrong


def test_sketch_keypoints_sit_on_the_warped_lines(cat_photo: np.ndarray) -> None:
    near = []
    for seed in range(4):
        pair = make_photo_pair(cat_photo, np.random.default_rng(seed))
        ys, xs = np.nonzero(pair.sketch < 160)
        ink = np.stack([xs, ys], axis=1)
        d = np.linalg.norm(pair.sketch_kps[:, None, :] - ink[None], axis=2).min(axis=1)
        near.append(d <= 2.5)
        assert np.abs(pair.sketch_kps - pair.photo_kps).max() > 2.0
    assert np.mean(near) > 0.9


def test_keypoints_are_spread_inside_the_frame(cat_photo: np.ndarray) -> None:
    pair = make_photo_pair(cat_photo, np.random.default_rng(1))
    size = cat_photo.shape[0]
    assert pair.photo_kps.shape == pair.sketch_kps.shape == (8, 2)
    for kps in (pair.photo_kps, pair.sketch_kps):
        assert (kps >= 0.04 * size - 1e-9).all() and (kps <= 0.96 * (size - 1) + 1e-9).all()
    gaps = np.linalg.norm(pair.photo_kps[:, None] - pair.photo_kps[None], axis=2) + np.eye(8) * 1e9
    assert gaps.min() >= 0.02 * size
    assert len({tuple(k) for k in pair.photo_kps.round(3).tolist()}) == 8


def test_same_seed_same_pair(cat_photo: np.ndarray) -> None:
    a = make_photo_pair(cat_photo, np.random.default_rng(3))
    b = make_photo_pair(cat_photo, np.random.default_rng(3))
    c = make_photo_pair(cat_photo, np.random.default_rng(5))
    assert np.array_equal(a.sketch, b.sketch) and np.array_equal(a.sketch_kps, b.sketch_kps)
    assert not np.array_equal(a.sketch, c.sketch)


def test_dataset_layout_csvs_and_identity_eval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photos = tmp_path / "in"
    photos.mkdir()
    for name in ("camera", "coffee", "rocket"):
        shutil.copy(PHOTOS / f"{name}.jpg", photos / f"{name}.jpg")
    out = tmp_path / "out"
    paths = write_photo_pair_dataset(out, [photos], sketches_per_photo=2, seed=0, test_fraction=1.0, size=96,
                                     workers=1)
    assert set(paths) == {"test_ps", "test_st"}
    rows = read_psc6k_csv(paths["test_ps"])
    assert len(rows) == 6 and len(read_psc6k_csv(paths["test_st"])) == 12
    for row in rows:
        assert (out / row.photo).is_file() and (out / row.sketch).is_file()
        assert Image.open(out / row.sketch).size == (96, 96)
        assert row.photo.startswith("rendered_256x256/256x256/photo/tx_000000000000/")
    assert {r.sketch.rsplit("-", 1)[1] for r in rows} == {"1.png", "2.png"}
    manifest = json.loads((out / "photo_pairs.json").read_text())
    assert manifest["classes"] == {"1": "camera", "2": "coffee", "3": "rocket"}

    again = write_photo_pair_dataset(tmp_path / "again", [photos], sketches_per_photo=2, seed=0,
                                     test_fraction=1.0, size=96, workers=1)
    assert again["test_ps"].read_text() == paths["test_ps"].read_text()

    code = train_main(["eval", "--model", "identity", "--data", str(out), "--csv", str(paths["test_ps"]),
                       "--json"])
    assert code == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert 0.0 <= scores["pck@0.05"] < scores["pck@0.10"] < 1.0


def test_training_split_is_by_photo(tmp_path: Path) -> None:
    files = [PHOTOS / f"{n}.jpg" for n in ("brick", "grass", "gravel", "camera")]
    paths = write_photo_pair_dataset(tmp_path / "out", files, sketches_per_photo=2, seed=1,
                                     test_fraction=0.25, size=64, crop_scale=0.6, workers=1)
    train = read_psc6k_csv(paths["train_ps"])
    test = read_psc6k_csv(paths["test_ps"])
    assert len(train) == 3 * 2 * 2 and len(test) == 2  # train rows come once per flip
    assert {r.category for r in test}.isdisjoint({r.category for r in train})
    assert len({r.photo for r in test}) == 2  # random crops: one photo file per sketch


def test_bad_input_is_one_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        write_photo_pair_dataset(tmp_path / "o", [tmp_path / "missing"], workers=1)
    (tmp_path / "o2").mkdir()
    (tmp_path / "o2" / "x").write_text("keep me")
    with pytest.raises(UserError, match="not empty"):
        write_photo_pair_dataset(tmp_path / "o2", [PHOTOS / "camera.jpg"], workers=1)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(UserError, match=r"bad\.jpg"):
        write_photo_pair_dataset(tmp_path / "o3", [bad], workers=1)
    assert not (tmp_path / "o3").exists()
