"""Anchor refinement: bend a pair's flows through the keypoints the user has confirmed.

For each direction, the residuals between where the flow sends the confirmed source points and
where the user put them are interpolated over the source grid and added to the flow:

* k = 1: a translation (every point moves by the one residual);
* k = 2: the similarity (rotation, scale, shift) that maps the two predicted points onto the two
  confirmed ones, as a displacement field;
* k ≥ 3: the least-squares similarity plus a thin-plate spline through what it leaves. The
  spline's affine part is lightly damped (a ridge on its coefficients), so three nearly
  collinear anchors do not shear the whole image; the spline still passes through every anchor.
  On synthetic deformations this beats a plain spline for 3-8 anchors and never does worse than
  no anchors with 3 (see tests/warp/test_refine.py).

The refined flow sends every anchor to its confirmed point and changes least where no anchor
is near. Works equally on a model's flows and on the identity (`FlowPair.identity`), which
makes it the no-model fallback too. numpy only.
"""

from __future__ import annotations

import numpy as np

from sketchstudio.warp.flows import Direction, FlowPair, as_points, bilinear_lookup, image_to_grid

KERNEL_RIDGE = 1e-6
"""Keeps repeated anchors solvable (the grid is normalised to [0, 1])."""
AFFINE_RIDGE = 0.3
"""Damping of the spline's affine part, chosen on synthetic deformations."""


def refine_flow(flows: FlowPair, anchors_photo: np.ndarray | list, anchors_sketch: np.ndarray | list
                ) -> FlowPair:
    """Both flows of `flows` bent so that anchors_photo[i] ↔ anchors_sketch[i] (image pixels)."""
    photo = as_points(anchors_photo) if len(anchors_photo) else np.zeros((0, 2))
    sketch = as_points(anchors_sketch) if len(anchors_sketch) else np.zeros((0, 2))
    if len(photo) != len(sketch):
        raise ValueError(f"{len(photo)} photo anchors but {len(sketch)} sketch anchors")
    if len(photo) == 0:
        return flows
    p2s = _refine_one(flows, Direction.PHOTO_TO_SKETCH, photo, sketch)
    s2p = _refine_one(flows, Direction.SKETCH_TO_PHOTO, sketch, photo)
    return flows.with_flows(p2s, s2p)


def _refine_one(flows: FlowPair, d: Direction, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    field = flows.flow(d)
    h, w = field.shape[:2]
    src_grid = image_to_grid(src, flows.size(d.source), (w, h))
    residual = dst - bilinear_lookup(field, src_grid)
    # Work on the grid normalised to [0, 1] so the spline's conditioning does not depend on S.
    scale = float(max(w, h, 2) - 1)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    query = np.column_stack([xs.ravel(), ys.ravel()]) / scale
    correction = residual_field(src_grid / scale, residual, query)
    return (field + correction.reshape(h, w, 2)).astype(field.dtype)


def residual_field(points: np.ndarray, residuals: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Interpolate (k, 2) residuals at (k, 2) points onto (M, 2) query points."""
    k = len(points)
    if k == 1:
        return np.broadcast_to(residuals[0], query.shape).copy()
    base_at_points = _similarity_displacement(points, residuals, points)
    base = _similarity_displacement(points, residuals, query)
    if k == 2:
        return base
    return base + _thin_plate_spline(points, residuals - base_at_points, query)


def _similarity_displacement(points: np.ndarray, residuals: np.ndarray, query: np.ndarray) -> np.ndarray:
    """z ↦ a·z + b (complex numbers) fitted by least squares to points → points + residuals
    (exact for two points), as a displacement field at `query`."""
    z = points[:, 0] + 1j * points[:, 1]
    target = z + residuals[:, 0] + 1j * residuals[:, 1]
    if np.ptp(z.real) < 1e-9 and np.ptp(z.imag) < 1e-9:  # one point, repeated: nothing to turn about
        return np.broadcast_to(residuals.mean(axis=0), query.shape).copy()
    design = np.column_stack([z, np.ones_like(z)])
    (a, b), *_ = np.linalg.lstsq(design, target, rcond=None)
    q = query[:, 0] + 1j * query[:, 1]
    moved = a * q + b - q
    return np.column_stack([moved.real, moved.imag])


def _tps_kernel(r2: np.ndarray) -> np.ndarray:
    """U(r) = r² log r, written with r² to avoid a square root; U(0) = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 0.5 * r2 * np.log(r2)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def _thin_plate_spline(points: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    k = len(points)
    d2 = ((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)
    poly = np.column_stack([np.ones(k), points])
    system = np.zeros((k + 3, k + 3))
    system[:k, :k] = _tps_kernel(d2) + KERNEL_RIDGE * np.eye(k)
    system[:k, k:] = poly
    system[k:, :k] = poly.T
    system[k:, k:] = -AFFINE_RIDGE * np.eye(3)
    rhs = np.zeros((k + 3, 2))
    rhs[:k] = values
    coef, *_ = np.linalg.lstsq(system, rhs, rcond=None)
    weights, affine = coef[:k], coef[k:]
    out = np.column_stack([np.ones(len(query)), query]) @ affine
    for start in range(0, len(query), 16384):  # bound the (chunk × k) distance matrix
        q = query[start:start + 16384]
        qd2 = ((q[:, None, :] - points[None, :, :]) ** 2).sum(-1)
        out[start:start + 16384] += _tps_kernel(qd2) @ weights
    return out
