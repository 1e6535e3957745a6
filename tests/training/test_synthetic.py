"""The procedural pair generator: deterministic, exact keypoints, a Sketchy-layout data set."""

from __future__ import annotations

import numpy as np
from PIL import Image

from sketchstudio.core.io.psc6k_csv import read_psc6k_csv
from sketchstudio.training.synth_dataset import write_synthetic_dataset
from sketchstudio.training.synthetic import KEYPOINTS, make_pair, pair_rng, salient_points
from sketchstudio.training.warps import Deformation, ThinPlateSpline


def test_same_seed_same_pair_and_different_seed_different_pair() -> None:
    a, b, c = make_pair(pair_rng(3, 7)), make_pair(pair_rng(3, 7)), make_pair(pair_rng(3, 8))
    assert np.array_equal(a.photo, b.photo) and np.array_equal(a.sketch, b.sketch)
    assert np.array_equal(a.sketch_kps, b.sketch_kps)
    assert not np.array_equal(a.photo, c.photo)


def test_images_and_keypoints_have_the_promised_shapes() -> None:
    pair = make_pair(pair_rng(0, 1), size=128)
    assert pair.photo.shape == (128, 128, 3) and pair.photo.dtype == np.uint8
    assert pair.sketch.shape == (128, 128)
    assert pair.photo_kps.shape == pair.sketch_kps.shape == (KEYPOINTS, 2)
    assert (pair.sketch_kps >= 0).all() and (pair.sketch_kps <= 127).all()
    assert pair.photo.std() > 10  # shaded and textured, not flat


def test_sketch_keypoints_sit_on_drawn_ink() -> None:
    """Keypoints are outline points moved by the same deformation as the strokes, so nearly all
    of them lie on ink (a dropped stroke or hand jitter may take a few away)."""
    near = []
    for i in range(12):
        pair = make_pair(pair_rng(1, i))
        ys, xs = np.nonzero(pair.sketch < 128)
        ink = np.stack([xs, ys], axis=1)
        d = np.linalg.norm(pair.sketch_kps[:, None, :] - ink[None], axis=2).min(axis=1)
        near.append(d <= 4.0)
    assert np.mean(near) > 0.75


def test_photo_keypoints_sit_on_the_object_outline() -> None:
    """Across the outline the photo changes: the object meets the background."""
    pair = make_pair(pair_rng(2, 0))
    img = pair.photo.astype(float)
    grad = np.abs(np.diff(img, axis=0))[:, :-1].sum(2) + np.abs(np.diff(img, axis=1))[:-1].sum(2)
    at_kps = [grad[int(y) - 2:int(y) + 3, int(x) - 2:int(x) + 3].max() for x, y in pair.photo_kps]
    assert np.median(at_kps) > np.percentile(grad, 75)


def test_salient_points_pick_the_corners_of_a_square() -> None:
    t = np.linspace(0, 1, 40, endpoint=False)
    side = [np.stack([t, np.zeros_like(t)], 1), np.stack([np.ones_like(t), t], 1),
            np.stack([1 - t, np.ones_like(t)], 1), np.stack([np.zeros_like(t), 1 - t], 1)]
    outline = np.concatenate(side) * 100
    picked = outline[salient_points(outline, 8)]
    corners = np.array([[0, 0], [100, 0], [100, 100], [0, 100]])
    for c in corners:
        assert np.linalg.norm(picked - c, axis=1).min() < 4


def test_thin_plate_spline_interpolates_its_control_points() -> None:
    rng = np.random.default_rng(0)
    src = rng.uniform(-1, 1, (9, 2))
    dst = src + rng.normal(0, 0.1, src.shape)
    tps = ThinPlateSpline.fit(src, dst)
    assert np.allclose(tps(src), dst, atol=1e-9)


def test_deformation_grid_agrees_with_the_point_map() -> None:
    d = Deformation.random(np.random.default_rng(4))
    grid = d.sampling_grid(5)
    lin = np.linspace(-1, 1, 5)
    assert np.allclose(grid[1, 3], d.apply(np.array([lin[3], lin[1]])), atol=1e-6)
    assert np.allclose(Deformation.identity().apply_pixels(np.array([[3.0, 7.0]]), 64), [[3.0, 7.0]])


def test_written_dataset_reads_back_as_psc6k(tmp_path) -> None:
    paths = write_synthetic_dataset(tmp_path, 10, seed=5, test_fraction=0.2, size=64, workers=1)
    test = read_psc6k_csv(paths["test_ps"])
    train = read_psc6k_csv(paths["train_ps"])
    st = read_psc6k_csv(paths["test_st"])
    assert len(test) == 2 and len(train) == 2 * 8 and len(st) == 4
    assert {r.flip for r in train} == {0, 1}
    assert all(r.photo_xy is not None and r.photo_xy.shape == (8, 2) for r in train + test)
    assert sum(r.reversed for r in st) == 2
    for row in test:
        assert row.photo.startswith("rendered_256x256/256x256/photo/tx_000000000000/")
        assert row.sketch.endswith("-1.png")
        assert Image.open(tmp_path / row.photo).size == (64, 64)
        assert (tmp_path / row.sketch).is_file()
    # The data set is a function of the seed: regenerating a pair reproduces its keypoints.
    index = int(test[0].photo.rsplit("_", 1)[1].split(".")[0])
    again = make_pair(pair_rng(5, index), 64)
    assert np.allclose(again.photo_kps, test[0].photo_xy, atol=1e-3)
    assert np.allclose(again.sketch_kps, test[0].sketch_xy, atol=1e-3)


def test_writing_into_a_non_empty_folder_needs_overwrite(tmp_path) -> None:
    from sketchstudio.training.cli import main

    (tmp_path / "keep.txt").write_text("mine")
    assert main(["synth", "-o", str(tmp_path), "--pairs", "2"]) == 2
    assert (tmp_path / "keep.txt").read_text() == "mine"
