"""PCK by the official protocol: hand-computed cases and the official formulas on random flows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sketchstudio.core.io.psc6k_csv import Psc6kRow
from sketchstudio.warp.evaluate import EvalResult, pck_fraction, score_pair
from sketchstudio.warp.flows import FlowPair


def identity_256() -> FlowPair:
    return FlowPair.identity((256, 256), (256, 256), grid=256)


def test_threshold_is_inclusive_and_scaled_by_the_image_size() -> None:
    truth = np.zeros((4, 2))
    pred = np.array([[12.8, 0.0], [12.81, 0.0], [0.0, 25.6], [20.0, 20.0]])
    assert pck_fraction(pred, truth, 0.05 * 256) == 0.25  # only the first is within 12.8
    assert pck_fraction(pred, truth, 0.10 * 256) == 0.75  # 25.6 counts, 28.3 does not


def test_hand_computed_pair_under_the_identity() -> None:
    photo = np.array([[10.0, 10.0]] * 8)
    # sketch keypoints 0, 10, 20 and 30 px to the right of the photo's: errors under identity
    sketch = photo + np.array([[0, 0], [0, 0], [10, 0], [10, 0], [20, 0], [20, 0], [30, 0], [30, 0]])
    score = score_pair(identity_256(), photo, sketch)
    assert score.pck["pck@0.05"] == (0.5, 0.5)  # 0 and 10 px within 12.8
    assert score.pck["pck@0.10"] == (0.75, 0.75)  # also 20 px within 25.6
    np.testing.assert_allclose(score.photo_to_sketch, photo, atol=1e-4)


def test_keypoints_are_rounded_for_the_lookup() -> None:
    photo = np.array([[10.4, 20.6]] * 8)
    score = score_pair(identity_256(), photo, photo)
    np.testing.assert_allclose(score.photo_to_sketch[0], [10.0, 21.0], atol=1e-4)


def test_averaging_is_over_pairs_and_directions() -> None:
    result = EvalResult()
    flows = identity_256()
    base = np.full((8, 2), 50.0)
    far = base + np.array([[100.0, 0.0]] * 6 + [[0.0, 0.0]] * 2)  # 2 of 8 right
    for sketch in (base, far):
        result.pairs.append(Psc6kRow("p.jpg", "s.png", "cat", base, sketch))
        result.scores.append(score_pair(flows, base, sketch))
    assert result.pck(0.05) == pytest.approx((1 + 1 + 0.25 + 0.25) / 4)
    assert result.summary() == {"pck@0.05": pytest.approx(0.625), "pck@0.10": pytest.approx(0.625)}


def official_protocol(fwd: torch.Tensor, bwd: torch.Tensor, photo_rc: torch.Tensor,
                      sketch_rc: torch.Tensor, size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """The official eval on (row, col) keypoints and normalised flows: gather at rounded pixels,
    convert with (f + 1)(S − 1)/2, flip (x, y) to (row, col), score per pair; returns the
    per-direction score lists (pck@0.10, pck@0.05) as the official `eval.py` collects them."""

    def project(flows: torch.Tensor, kps: torch.Tensor) -> torch.Tensor:
        n = flows.shape[0]
        pix = ((flows + 1) * (size - 1) / 2).reshape(n, size * size, 2)
        k = torch.round(kps).long()
        index = (k[:, :, 0] * size + k[:, :, 1]).unsqueeze(-1).expand(-1, -1, 2)
        return torch.gather(pix, 1, index).flip(dims=(-1,))

    def compute(gt: torch.Tensor, pred: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        diff = np.sqrt(np.sum(np.square(gt.numpy() - pred.numpy()), axis=-1))
        return np.sum(diff <= size * 0.1, axis=1) / 8, np.sum(diff <= size * 0.05, axis=1) / 8

    p10a, p05a = compute(sketch_rc, project(bwd, photo_rc))
    p10b, p05b = compute(photo_rc, project(fwd, sketch_rc))
    return np.concatenate([p10a, p10b]).mean(), np.concatenate([p05a, p05b]).mean()


def test_matches_the_official_formulas_on_random_flows() -> None:
    gen = torch.Generator().manual_seed(0)
    n = 6
    base = torch.nn.functional.affine_grid(torch.eye(2, 3).expand(n, 2, 3), [n, 1, 256, 256],
                                           align_corners=True)
    smooth = torch.nn.functional.interpolate(torch.randn(n, 2, 4, 4, generator=gen) * 0.15, (256, 256),
                                             mode="bilinear", align_corners=True).permute(0, 2, 3, 1)
    fwd, bwd = base + smooth, base - 0.7 * smooth  # on the sketch grid / on the photo grid
    photo_xy = torch.rand(n, 8, 2, generator=gen) * 250
    sketch_xy = (photo_xy + torch.randn(n, 8, 2, generator=gen) * 20).clamp(0, 255)
    photo_xy[0, 0] = torch.tensor([10.5, 11.5])  # exact halves: both round half to even
    expected10, expected05 = official_protocol(fwd, bwd, photo_xy.flip(-1), sketch_xy.flip(-1))

    result = EvalResult()
    for i in range(n):
        flows = FlowPair.from_normalised(bwd[i].numpy(), fwd[i].numpy(), (256, 256), (256, 256))
        result.scores.append(score_pair(flows, photo_xy[i].double().numpy(), sketch_xy[i].double().numpy()))
    assert result.pck(0.10) == pytest.approx(expected10, abs=1e-12)
    assert result.pck(0.05) == pytest.approx(expected05, abs=1e-12)
    assert 0.0 < expected05 < expected10 < 1.0  # a case that discriminates
