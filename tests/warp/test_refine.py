"""Anchor refinement: confirmed keypoints bend the flows, with or without a model."""

from __future__ import annotations

import numpy as np
import pytest
from warp_testing import deform

from sketchstudio.core.model import Side
from sketchstudio.warp.flows import Direction, FlowPair
from sketchstudio.warp.refine import refine_flow

SIZE = (256, 256)


def test_one_anchor_translates_everything() -> None:
    flows = FlowPair.identity(SIZE, SIZE, grid=64)
    refined = refine_flow(flows, [[100.0, 100.0]], [[110.0, 95.0]])
    out, _ = refined.transfer([[100.0, 100.0], [20.0, 230.0]], Side.PHOTO)
    np.testing.assert_allclose(out, [[110.0, 95.0], [30.0, 225.0]], atol=1e-3)
    back, _ = refined.transfer([[110.0, 95.0]], Side.SKETCH)
    np.testing.assert_allclose(back, [[100.0, 100.0]], atol=1e-3)


def test_two_anchors_fit_a_similarity() -> None:
    flows = FlowPair.identity(SIZE, SIZE, grid=256)
    photo = np.array([[64.0, 128.0], [192.0, 128.0]])
    sketch = np.array([[128.0, 64.0], [128.0, 192.0]])  # a 90° rotation about the centre
    refined = refine_flow(flows, photo, sketch)
    out, _ = refined.transfer(np.vstack([photo, [[128.0, 0.0]]]), Side.PHOTO)
    np.testing.assert_allclose(out, [[128.0, 64.0], [128.0, 192.0], [256.0, 128.0]], atol=0.02)


def test_three_or_more_anchors_are_hit_by_the_spline() -> None:
    flows = FlowPair.identity(SIZE, SIZE, grid=256)
    photo = np.array([[40.0, 50.0], [200.0, 60.0], [120.0, 210.0], [90.0, 120.0], [170.0, 170.0]])
    sketch = deform(photo, seed=1)
    refined = refine_flow(flows, photo, sketch)
    for direction, src, dst in ((Direction.PHOTO_TO_SKETCH, photo, sketch),
                                (Direction.SKETCH_TO_PHOTO, sketch, photo)):
        out, _ = refined.transfer(src, direction)
        np.testing.assert_allclose(out, dst, atol=0.05)


def test_degenerate_anchors_do_not_break_the_fit() -> None:
    flows = FlowPair.identity(SIZE, SIZE, grid=64)
    collinear = np.array([[10.0, 10.0], [50.0, 50.0], [90.0, 90.0]])
    refined = refine_flow(flows, collinear, collinear + 5.0)
    out, _ = refined.transfer(collinear, Side.PHOTO)
    np.testing.assert_allclose(out, collinear + 5.0, atol=0.05)
    repeated = np.array([[30.0, 30.0], [30.0, 30.0]])
    refined = refine_flow(flows, repeated, repeated + np.array([[2.0, 0.0], [4.0, 0.0]]))
    assert np.isfinite(refined.photo_to_sketch).all()


def test_anchor_counts_must_match_and_none_is_a_no_op() -> None:
    flows = FlowPair.identity(SIZE, SIZE, grid=16)
    with pytest.raises(ValueError, match="2 photo anchors but 1 sketch"):
        refine_flow(flows, [[1.0, 1.0], [2.0, 2.0]], [[1.0, 1.0]])
    assert refine_flow(flows, [], []) is flows


def test_three_anchors_bring_suggestions_closer_on_synthetic_deformations() -> None:
    ratios = []
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        anchors = rng.uniform(30, 226, size=(3, 2))
        held_out = rng.uniform(20, 236, size=(80, 2))
        truth = deform(held_out, seed)
        flows = FlowPair.identity(SIZE, SIZE, grid=256)
        before, _ = flows.transfer(held_out, Side.PHOTO)
        after, _ = refine_flow(flows, anchors, deform(anchors, seed)).transfer(held_out, Side.PHOTO)
        error_after = np.linalg.norm(after - truth, axis=1).mean()
        ratios.append(error_after / np.linalg.norm(before - truth, axis=1).mean())
    assert max(ratios) < 1.0  # never worse, even with nearly collinear anchors
    assert np.mean(ratios) < 0.45
