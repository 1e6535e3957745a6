"""FlowPair: coordinate mapping, sub-pixel transfer, round trips, confidence, nearest lookup."""

from __future__ import annotations

import numpy as np
import pytest

from sketchstudio.core.model import Side
from sketchstudio.warp.flows import Direction, FlowPair, grid_to_image, image_to_grid


def _normalised(fn, grid: int = 64) -> np.ndarray:
    """A flow in [-1, 1] from a function of normalised (x, y)."""
    lin = np.linspace(-1.0, 1.0, grid)
    xs, ys = np.meshgrid(lin, lin)
    fx, fy = fn(xs, ys)
    return np.stack([fx, fy], axis=-1).astype(np.float32)


def shifted_pair(dx: float, dy: float, size: int = 256, grid: int = 64) -> FlowPair:
    """Photo point (x, y) ↔ sketch point (x + dx, y + dy), exactly, for same-size images."""
    shift = np.array([dx, dy])
    g = np.arange(grid, dtype=np.float64)
    gx, gy = np.meshgrid(g, g)
    px = grid_to_image(np.column_stack([gx.ravel(), gy.ravel()]), (size, size), (grid, grid))
    p2s = (px + shift).reshape(grid, grid, 2).astype(np.float32)
    s2p = (px - shift).reshape(grid, grid, 2).astype(np.float32)
    return FlowPair(p2s, s2p, (size, size), (size, size), "shift")


def test_grid_mapping_is_the_half_pixel_rule_and_inverts() -> None:
    pts = np.array([[0.0, 0.0], [99.0, 49.0], [12.3, 7.7]])
    grid = image_to_grid(pts, (100, 50), (256, 256))
    np.testing.assert_allclose(grid[0], [0.5 * 2.56 - 0.5, 0.5 * 5.12 - 0.5])
    np.testing.assert_allclose(grid_to_image(grid, (100, 50), (256, 256)), pts)
    same = np.array([[3.0, 200.0]])
    np.testing.assert_allclose(image_to_grid(same, (256, 256), (256, 256)), same)


def test_identity_keeps_relative_positions_up_to_the_border() -> None:
    flows = FlowPair.identity((200, 100), (400, 300), grid=64)
    pts = np.array([[0.0, 0.0], [199.0, 99.0], [100.0, 50.0], [37.25, 81.5]])
    out, conf = flows.transfer(pts, Direction.PHOTO_TO_SKETCH)
    np.testing.assert_allclose(out, (pts + 0.5) * [2.0, 3.0] - 0.5, atol=1e-3)
    np.testing.assert_allclose(conf, 1.0, atol=1e-6)
    back, _ = flows.transfer(out, Side.SKETCH)
    np.testing.assert_allclose(back, pts, atol=1e-3)


def test_transfer_is_sub_pixel_bilinear() -> None:
    flows = shifted_pair(10.25, -3.5)
    pts = np.array([[100.3, 50.7], [10.0, 200.9], [128.5, 128.5]])
    out, conf = flows.transfer(pts, "photo_to_sketch")
    np.testing.assert_allclose(out, pts + np.array([10.25, -3.5]), atol=1e-4)
    np.testing.assert_allclose(conf, 1.0, atol=1e-6)
    back, _ = flows.transfer(out, Direction.SKETCH_TO_PHOTO)
    np.testing.assert_allclose(back, pts, atol=1e-4)


def test_confidence_drops_when_the_flows_disagree() -> None:
    good = shifted_pair(8.0, 0.0)
    # the reverse flow forgets the shift: a round trip lands 8 px (2 grid cells of 64) away
    bad = good.with_flows(good.photo_to_sketch, good.photo_to_sketch - [8.0, 0.0])
    pts = np.array([[128.0, 128.0]])
    _, conf_good = good.transfer(pts, Side.PHOTO)
    _, conf_bad = bad.transfer(pts, Side.PHOTO)
    assert conf_good[0] == pytest.approx(1.0)
    err = bad.consistency_error(pts, Side.PHOTO)[0]
    assert err == pytest.approx(8.0 * 64 / 256, abs=1e-4)
    assert conf_bad[0] == pytest.approx(np.exp(-0.5 * (err / (0.05 * 64)) ** 2))
    assert conf_bad[0] < 0.9


def test_lookup_nearest_rounds_half_to_even_like_torch_round() -> None:
    g = 256
    flow = np.zeros((g, g, 2), np.float32)
    flow[..., 0] = np.arange(g)[None, :]  # x value = column
    flow[..., 1] = np.arange(g)[:, None]  # y value = row
    flows = FlowPair(flow, flow, (g, g), (g, g))
    pts = np.array([[2.5, 3.5], [2.49, 3.51], [-3.0, 300.0]])
    np.testing.assert_array_equal(flows.lookup_nearest(pts, Side.PHOTO), [[2, 4], [2, 4], [0, 255]])


def test_direction_parsing() -> None:
    assert Direction.parse(Side.PHOTO) is Direction.PHOTO_TO_SKETCH
    assert Direction.parse("sketch") is Direction.SKETCH_TO_PHOTO
    assert Direction.parse("photo_to_sketch").reverse is Direction.SKETCH_TO_PHOTO
    with pytest.raises(ValueError):
        Direction.parse("sideways")


def test_from_normalised_uses_the_official_pixel_conversion() -> None:
    flow = _normalised(lambda x, y: (x * 0 + 0.5, y * 0 - 1.0), grid=256)
    flows = FlowPair.from_normalised(flow, flow, (256, 256), (256, 256))
    # (f + 1) * (S - 1) / 2 with S = 256
    np.testing.assert_allclose(flows.photo_to_sketch[10, 20], [1.5 * 255 / 2, 0.0], atol=1e-4)


def test_points_must_be_pairs() -> None:
    flows = FlowPair.identity((64, 64), (64, 64), grid=16)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        flows.transfer(np.zeros((3, 3)), Side.PHOTO)
    single, _ = flows.transfer([5.0, 6.0], Side.PHOTO)
    assert single.shape == (1, 2)
