"""Losses of the warp estimator (PSCNet's, plus our keypoint loss).

Flows follow the model's convention: (N, h, w, 2) on the target's grid, (x, y) in [-1, 1]
(align_corners=True) pointing into the source.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from sketchstudio.warp.estimator import identity_grid


def masked_mse(pred: Tensor, target: Tensor) -> Tensor:
    """MSE over entries where both sides are in range and non-zero (the official `MaskMSE`:
    zeros come from zero padding in grid_sample, |v| > 1 from flows leaving the image)."""
    mask = (pred != 0) & (target != 0) & (pred.abs() <= 1) & (target.abs() <= 1)
    mask = mask.detach()
    if not bool(mask.any()):
        return pred.sum() * 0.0
    return ((pred - target) ** 2)[mask].mean()


def _stack_maps(maps: list[Tensor], size: int) -> Tensor:
    return torch.cat([F.interpolate(m.float(), (size, size), mode="bilinear", align_corners=False)
                      for m in maps], dim=1)


def weighted_similarity_loss(warped: list[Tensor], target: list[Tensor], size: int, temperature: float,
                             weighted: bool = True) -> Tensor:
    """The official cross-modal similarity loss: each target position should be most similar to
    the warped source feature at the same position, weighted by how distinctive it is."""
    a = _stack_maps(warped, size)
    b = _stack_maps(target, size)
    n, c = a.shape[:2]
    d = size * size
    corr = torch.bmm(a.permute(0, 2, 3, 1).reshape(n, d, c), b.reshape(n, c, d))
    corr = F.normalize(corr, dim=1, p=1)
    corr = F.normalize(corr, dim=2, p=1)
    labels = torch.arange(d, device=corr.device).expand(n, d)
    ce = F.cross_entropy(corr / temperature, labels, reduction="none")  # (N, D)
    if not weighted:
        return ce.mean()
    weight = corr.max(dim=2).values
    weight = weight - weight.amin(dim=1, keepdim=True)
    weight = weight / weight.amax(dim=1, keepdim=True).clamp_min(1e-12)
    return (ce * weight.detach()).mean()


def cycle_consistency_loss(fwd: Tensor, bwd: Tensor) -> Tensor:
    """fwd(bwd(x)) = x on bwd's grid (the official forward–backward consistency; nearest lookup)."""
    size = bwd.shape[1]
    cycle = F.grid_sample(fwd.permute(0, 3, 1, 2), bwd, mode="nearest", padding_mode="zeros",
                          align_corners=True).permute(0, 2, 3, 1)
    return masked_mse(cycle, identity_grid(size).to(cycle).expand_as(cycle))


def pixels_to_normalised(points: Tensor, size: int) -> Tensor:
    return points / (size - 1) * 2.0 - 1.0


def sample_flow(flow: Tensor, points: Tensor) -> Tensor:
    """Bilinear flow values (N, K, 2) at normalised points (N, K, 2) of the flow's grid."""
    out = F.grid_sample(flow.permute(0, 3, 1, 2), points.unsqueeze(1).to(flow.dtype), mode="bilinear",
                        padding_mode="border", align_corners=True)
    return out.squeeze(2).permute(0, 2, 1)


def keypoint_loss(a_to_b: Tensor, b_to_a: Tensor, kps_a: Tensor, kps_b: Tensor, mask: Tensor,
                  size: int) -> Tensor:
    """Our supervised term: the flows must carry each confirmed keypoint of A to its partner in B,
    each of B's to A, and both there and back. Mean end-point error in normalised units.

    a_to_b lives on A's grid (points into B); kps_* are input-size pixels (N, K, 2); mask (N, K)."""
    if not bool(mask.any()):
        return a_to_b.sum() * 0.0
    pa = pixels_to_normalised(kps_a, size)
    pb = pixels_to_normalised(kps_b, size)
    to_b = sample_flow(a_to_b, pa)
    to_a = sample_flow(b_to_a, pb)
    back_a = sample_flow(b_to_a, to_b)
    back_b = sample_flow(a_to_b, to_a)
    m = mask.float()
    terms = [(to_b - pb), (to_a - pa), (back_a - pa), (back_b - pb)]
    epe = sum(torch.linalg.vector_norm(t.float(), dim=-1) * m for t in terms) / len(terms)
    return epe.sum() / m.sum()


def flow_pixel_error(pred: Tensor, target: Tensor, size: int) -> Tensor:
    """Mean end-point error in input pixels (a readable training metric for the synthetic flow)."""
    return (torch.linalg.vector_norm((pred - target).float(), dim=-1) * (size - 1) / 2).mean()
