"""Random smooth deformations (affine + thin-plate spline) with exactly known correspondences.

A `Deformation` maps points of the normalised square [-1, 1]² (x right, y down) to points of the
same square: first a thin-plate spline through a jittered control grid, then an affine map. Two
users, two directions:

* the synthetic pair generator moves sketch *points* (stroke samples, keypoints) forward with
  `apply`, so keypoints land exactly where their strokes are drawn;
* the trainers use `apply` on the identity grid to get a sampling grid for `grid_sample`
  (`sampling_grid`): the warped image at output position u shows the input at `apply(u)`, which
  is then the known flow from the warped image's grid into the original.

The parameter ranges follow the official PSCNet generator (`utils/spatial_transforms.py`: affine
rotation, scale and shift plus a 4×4 TPS grid) with strengths chosen per caller. numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _tps_kernel(r2: np.ndarray) -> np.ndarray:
    """U(r) = r² log r², written on squared distances (the 1/2 factor folds into the weights)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = r2 * np.log(r2)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


@dataclass(frozen=True)
class ThinPlateSpline:
    """f(x) = a0 + A x + Σ w_i U(|x − c_i|), interpolating control points c_i → targets."""

    centres: np.ndarray  # (K, 2)
    weights: np.ndarray  # (K, 2)
    affine: np.ndarray  # (3, 2): rows 1, x, y

    @classmethod
    def fit(cls, source: np.ndarray, target: np.ndarray, regularisation: float = 0.0) -> ThinPlateSpline:
        source = np.asarray(source, np.float64)
        target = np.asarray(target, np.float64)
        k = len(source)
        d2 = ((source[:, None, :] - source[None, :, :]) ** 2).sum(-1)
        kmat = _tps_kernel(d2) + regularisation * np.eye(k)
        p = np.hstack([np.ones((k, 1)), source])
        system = np.zeros((k + 3, k + 3))
        system[:k, :k] = kmat
        system[:k, k:] = p
        system[k:, :k] = p.T
        rhs = np.zeros((k + 3, 2))
        rhs[:k] = target
        solution = np.linalg.solve(system, rhs)
        return cls(source, solution[:k], solution[k:])

    def __call__(self, points: np.ndarray) -> np.ndarray:
        pts = np.asarray(points, np.float64)
        flat = pts.reshape(-1, 2)
        d2 = ((flat[:, None, :] - self.centres[None, :, :]) ** 2).sum(-1)
        out = self.affine[0] + flat @ self.affine[1:] + _tps_kernel(d2) @ self.weights
        return out.reshape(pts.shape)


@dataclass(frozen=True)
class WarpStrength:
    """Ranges of a random deformation, in units of the normalised square (side 2)."""

    rotation: float = np.pi / 12  # ± radians
    scale: tuple[float, float] = (0.85, 1.15)
    aspect: float = 0.1  # ± log-ratio of x to y scale
    shift: float = 0.1  # ± per axis
    tps: float = 0.08  # ± control point jitter
    tps_grid: int = 4  # control points per side


OFFICIAL_STRENGTH = WarpStrength(rotation=np.pi / 8, scale=(0.5, 1.5), aspect=0.0, shift=0.5, tps=0.25)
"""The official training generator's ranges (`random_alpha=π/8, random_s=(0.5, 1.5), random_t=1/2,
random_t_tps=1/4`): strong, meant for 1,500 epochs on Sketchy."""


@dataclass(frozen=True)
class Deformation:
    """x ↦ M · tps(x) + t on the normalised square."""

    tps: ThinPlateSpline | None
    matrix: np.ndarray  # (2, 2)
    offset: np.ndarray  # (2,)

    @classmethod
    def identity(cls) -> Deformation:
        return cls(None, np.eye(2), np.zeros(2))

    @classmethod
    def random(cls, rng: np.random.Generator, strength: WarpStrength = WarpStrength()) -> Deformation:
        tps = None
        if strength.tps > 0 and strength.tps_grid >= 2:
            lin = np.linspace(-1.0, 1.0, strength.tps_grid)
            gx, gy = np.meshgrid(lin, lin)
            ctrl = np.stack([gx.ravel(), gy.ravel()], axis=1)
            moved = ctrl + rng.uniform(-strength.tps, strength.tps, ctrl.shape)
            tps = ThinPlateSpline.fit(ctrl, moved)
        angle = rng.uniform(-strength.rotation, strength.rotation)
        scale = rng.uniform(*strength.scale)
        aspect = np.exp(rng.uniform(-strength.aspect, strength.aspect))
        c, s = np.cos(angle), np.sin(angle)
        matrix = np.array([[c, -s], [s, c]]) @ np.diag([scale * aspect, scale / aspect])
        offset = rng.uniform(-strength.shift, strength.shift, 2)
        return cls(tps, matrix, offset)

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Map (..., 2) points of the normalised square."""
        pts = np.asarray(points, np.float64)
        if self.tps is not None:
            pts = self.tps(pts)
        return pts @ self.matrix.T + self.offset

    def apply_pixels(self, points: np.ndarray, size: int) -> np.ndarray:
        """Map (..., 2) pixel points (x, y; pixel centres at integers) of a size×size image."""
        half = (size - 1) / 2.0
        return self.apply(np.asarray(points, np.float64) / half - 1.0) * half + half

    def sampling_grid(self, size: int) -> np.ndarray:
        """(size, size, 2) float32 grid for `grid_sample(align_corners=True)`: output (x, y) → input."""
        lin = np.linspace(-1.0, 1.0, size)
        gx, gy = np.meshgrid(lin, lin)
        return self.apply(np.stack([gx, gy], axis=-1)).astype(np.float32)


def random_grids(rng: np.random.Generator, count: int, size: int,
                 strength: WarpStrength = WarpStrength()) -> np.ndarray:
    """(count, size, size, 2) sampling grids of independent random deformations."""
    return np.stack([Deformation.random(rng, strength).sampling_grid(size) for _ in range(count)])
