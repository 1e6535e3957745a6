"""Dense flows of a photo–sketch pair as numpy arrays, and point transfer through them.

Coordinates. Image points are pixels of the original image, x = column, y = row, with pixel
centres at integers (PSC6K's convention). Each image is resized to the model's S×S input, so a
point maps to the model grid by `g = (x + 0.5)·S / W − 0.5` (the half-pixel rule image resizers
use) and back by `x = (g + 0.5)·W / S − 0.5`. For Sketchy's 256×256 images and S = 256 both are
the identity.

A `FlowPair` holds two S×S×2 arrays: `photo_to_sketch[gy, gx]` is the (x, y) in *sketch*
pixels that the photo's grid cell (gx, gy) corresponds to, `sketch_to_photo` the reverse. A point
is transferred by a bilinear lookup on the grid (`transfer`) or, as the official PCK protocol
does, by rounding to the nearest grid cell (`lookup_nearest`).

Confidence comes from forward–backward consistency: a point sent across and back should come
home. With `d` the round-trip error in model-grid pixels, confidence = exp(−½ (d / τ)²) with
τ = 0.05·S (PCK@0.05's tolerance), so 1 for a perfect round trip, ≈0.6 at τ and ≈0.1 at 2τ.

numpy only: the GUI and the annotation logic use this without torch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from sketchstudio.core.model import Side

CONFIDENCE_TOLERANCE = 0.05
"""Round-trip error (fraction of the grid side) at which confidence is exp(−½)."""

Size = tuple[int, int]
"""(width, height) in pixels."""


class Direction(StrEnum):
    PHOTO_TO_SKETCH = "photo_to_sketch"
    SKETCH_TO_PHOTO = "sketch_to_photo"

    @classmethod
    def parse(cls, value: Direction | Side | str) -> Direction:
        """A direction, or the `Side` the points are on (`Side.PHOTO` = photo→sketch)."""
        if isinstance(value, Direction):
            return value
        if isinstance(value, Side) or value in ("photo", "sketch"):
            return cls.PHOTO_TO_SKETCH if Side(value) is Side.PHOTO else cls.SKETCH_TO_PHOTO
        return cls(value)

    @property
    def reverse(self) -> Direction:
        return Direction.SKETCH_TO_PHOTO if self is Direction.PHOTO_TO_SKETCH else Direction.PHOTO_TO_SKETCH

    @property
    def source(self) -> Side:
        return Side.PHOTO if self is Direction.PHOTO_TO_SKETCH else Side.SKETCH


def image_to_grid(points: np.ndarray, image_size: Size, grid_size: Size) -> np.ndarray:
    """Image pixels → model grid cells (half-pixel rule), (N, 2) float64."""
    scale = np.array(grid_size, dtype=np.float64) / np.array(image_size, dtype=np.float64)
    return (np.asarray(points, dtype=np.float64) + 0.5) * scale - 0.5


def grid_to_image(points: np.ndarray, image_size: Size, grid_size: Size) -> np.ndarray:
    """Model grid cells → image pixels, (N, 2) float64."""
    scale = np.array(image_size, dtype=np.float64) / np.array(grid_size, dtype=np.float64)
    return (np.asarray(points, dtype=np.float64) + 0.5) * scale - 0.5


def normalised_to_image(flow: np.ndarray, image_size: Size) -> np.ndarray:
    """A flow in [-1, 1] (align_corners=True on the model grid) → pixels of the image it points into.

    The model grid of the target has side S = the flow's side (flows are upsampled to the input
    size); `(f + 1)·(S − 1)/2` is the official conversion to grid pixels.
    """
    h, w = flow.shape[:2]
    grid = (flow.astype(np.float64) + 1.0) * (np.array([w, h], dtype=np.float64) - 1.0) / 2.0
    return grid_to_image(grid.reshape(-1, 2), image_size, (w, h)).reshape(flow.shape).astype(np.float32)


def bilinear_lookup(field: np.ndarray, grid_points: np.ndarray) -> np.ndarray:
    """Sample an (H, W, C) field at fractional (x, y) grid points.

    Within the outer half cell (between the last cell centre and the image edge) the edge cells'
    slope is extrapolated, so an identity flow stays exact up to the border; farther out the
    point is clamped to the image edge.
    """
    h, w = field.shape[:2]
    x = np.clip(grid_points[:, 0], -0.5, w - 0.5)
    y = np.clip(grid_points[:, 1], -0.5, h - 0.5)
    x0 = np.clip(np.floor(x).astype(np.intp), 0, max(w - 2, 0))
    y0 = np.clip(np.floor(y).astype(np.intp), 0, max(h - 2, 0))
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx = (x - x0)[:, None]
    fy = (y - y0)[:, None]
    top = field[y0, x0] * (1 - fx) + field[y0, x1] * fx
    bottom = field[y1, x0] * (1 - fx) + field[y1, x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float64)


@dataclass(frozen=True, eq=False)
class FlowPair:
    """Both flows of a pair on the model grid, values in the other image's pixels."""

    photo_to_sketch: np.ndarray
    """(S, S, 2) on the photo's model grid: (x, y) in sketch pixels."""
    sketch_to_photo: np.ndarray
    """(S, S, 2) on the sketch's model grid: (x, y) in photo pixels."""
    photo_size: Size
    sketch_size: Size
    model_id: str = ""

    def __post_init__(self) -> None:
        for name in ("photo_to_sketch", "sketch_to_photo"):
            arr = getattr(self, name)
            if arr.ndim != 3 or arr.shape[2] != 2:
                raise ValueError(f"{name} must be (H, W, 2), got {arr.shape}")

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def from_normalised(cls, photo_to_sketch: np.ndarray, sketch_to_photo: np.ndarray, photo_size: Size,
                        sketch_size: Size, model_id: str = "") -> FlowPair:
        """From model output in [-1, 1] (each (S, S, 2), (x, y) order)."""
        return cls(normalised_to_image(photo_to_sketch, sketch_size),
                   normalised_to_image(sketch_to_photo, photo_size), photo_size, sketch_size, model_id)

    @classmethod
    def identity(cls, photo_size: Size, sketch_size: Size, grid: int = 256, model_id: str = "identity"
                 ) -> FlowPair:
        """No warp: every point keeps its relative position in the image."""
        lin = np.linspace(-1.0, 1.0, grid, dtype=np.float32)
        xs, ys = np.meshgrid(lin, lin)
        flow = np.stack([xs, ys], axis=-1)
        return cls.from_normalised(flow, flow, photo_size, sketch_size, model_id)

    # --- queries ---------------------------------------------------------------------------

    def flow(self, direction: Direction | Side | str) -> np.ndarray:
        d = Direction.parse(direction)
        return self.photo_to_sketch if d is Direction.PHOTO_TO_SKETCH else self.sketch_to_photo

    def size(self, side: Side) -> Size:
        return self.photo_size if side is Side.PHOTO else self.sketch_size

    def grid_size(self, direction: Direction | Side | str) -> Size:
        h, w = self.flow(direction).shape[:2]
        return (w, h)

    def transfer(self, points: np.ndarray | list, direction: Direction | Side | str
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Carry (N, 2) points across with a bilinear lookup: (points, confidence in [0, 1])."""
        d = Direction.parse(direction)
        pts = as_points(points)
        out = self._lookup(pts, d)
        tau = CONFIDENCE_TOLERANCE * max(self.grid_size(d))
        return out, np.exp(-0.5 * (self._round_trip_error(pts, out, d) / tau) ** 2)

    def lookup_nearest(self, points: np.ndarray | list, direction: Direction | Side | str) -> np.ndarray:
        """The official PCK lookup: round each point to the nearest grid cell (half to even, as
        `torch.round`) and read the flow there. Points off the grid are clamped to it."""
        d = Direction.parse(direction)
        flow = self.flow(d)
        h, w = flow.shape[:2]
        grid = np.rint(image_to_grid(as_points(points), self.size(d.source), (w, h))).astype(np.intp)
        gx = np.clip(grid[:, 0], 0, w - 1)
        gy = np.clip(grid[:, 1], 0, h - 1)
        return flow[gy, gx].astype(np.float64)

    def consistency_error(self, points: np.ndarray | list, direction: Direction | Side | str) -> np.ndarray:
        """Round-trip (there and back) error in model-grid pixels, per point."""
        d = Direction.parse(direction)
        pts = as_points(points)
        return self._round_trip_error(pts, self._lookup(pts, d), d)

    def with_flows(self, photo_to_sketch: np.ndarray, sketch_to_photo: np.ndarray) -> FlowPair:
        return replace(self, photo_to_sketch=photo_to_sketch, sketch_to_photo=sketch_to_photo)

    # --- internals -------------------------------------------------------------------------

    def _lookup(self, points: np.ndarray, d: Direction) -> np.ndarray:
        flow = self.flow(d)
        h, w = flow.shape[:2]
        return bilinear_lookup(flow, image_to_grid(points, self.size(d.source), (w, h)))

    def _round_trip_error(self, points: np.ndarray, across: np.ndarray, d: Direction) -> np.ndarray:
        back = self._lookup(across, d.reverse)
        grid = self.grid_size(d)
        src = self.size(d.source)
        return np.linalg.norm(image_to_grid(back, src, grid) - image_to_grid(points, src, grid), axis=1)


def as_points(points: np.ndarray | list) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim == 1 and pts.shape[0] == 2:
        pts = pts[None, :]
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"points must be (N, 2) as (x, y), got shape {pts.shape}")
    return pts
