"""Value types of the document: strokes, sketches, keypoints and pairs.

All types are frozen dataclasses. The project store hands out values and takes values back, so a
view can never mutate the document behind the store's back, and a snapshot passed to a worker
thread stays valid however the document changes meanwhile.

Coordinates are pixels of the image they belong to, x = column and y = row, origin at the
top-left corner of the top-left pixel's centre (PSC6K's convention: a keypoint at (0, 0) is the
centre of the first pixel).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum

PSC6K_KEYPOINTS = 8
"""Keypoints per photo–sketch pair in the PSC6K benchmark."""

DEFAULT_SKETCH_SIZE = 256
"""Sketchy's rendered sketches and photos are 256×256."""

Point2 = tuple[float, float]


class PairStatus(StrEnum):
    """Where a pair stands in the annotation work-flow."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    SKIPPED = "skipped"
    FLAGGED = "flagged"


class KeypointSource(StrEnum):
    """Who put a keypoint where it is."""

    HUMAN = "human"
    SUGGESTION = "suggestion"  # a model suggestion the user accepted (possibly after moving it)
    IMPORTED = "imported"


class KeypointStatus(StrEnum):
    """Whether both sides of a correspondence are settled."""

    PENDING = "pending"  # one side placed, the other still a suggestion or missing
    CONFIRMED = "confirmed"


class Side(StrEnum):
    PHOTO = "photo"
    SKETCH = "sketch"

    @property
    def other(self) -> Side:
        return Side.SKETCH if self is Side.PHOTO else Side.PHOTO


@dataclass(frozen=True, slots=True)
class Stroke:
    """One pen (or pixel-eraser) stroke in sketch pixel coordinates.

    `points` holds (x, y, pressure, t) per sample: pressure in [0, 1] (1.0 for a mouse), t in
    seconds since the stroke began. The drawn width at a sample is `width * pressure`, with a
    floor so light pressure never vanishes. Eraser strokes paint the background colour over
    everything drawn before them.
    """

    points: tuple[tuple[float, float, float, float], ...]
    width: float = 2.0
    color: str = "#000000"
    eraser: bool = False
    id: int | None = None

    def __post_init__(self) -> None:
        if self.width <= 0 or not math.isfinite(self.width):
            raise ValueError(f"stroke width must be a positive number, got {self.width!r}")
        if not is_hex_colour(self.color):
            raise ValueError(f"stroke colour must be '#RRGGBB', got {self.color!r}")

    def with_id(self, stroke_id: int | None) -> Stroke:
        return replace(self, id=stroke_id)

    def bounds(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the samples, grown by half the width."""
        if not self.points:
            return (0.0, 0.0, 0.0, 0.0)
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        r = self.width / 2
        return (min(xs) - r, min(ys) - r, max(xs) + r, max(ys) + r)


@dataclass(frozen=True, slots=True)
class Sketch:
    """A vector sketch on a canvas of `width`×`height` pixels.

    `base_image` is an optional raster layer under the strokes (Sketchy's sketches are PNGs), a
    path as the project stores it (see `ProjectStore.resolve`).
    """

    width: int = DEFAULT_SKETCH_SIZE
    height: int = DEFAULT_SKETCH_SIZE
    strokes: tuple[Stroke, ...] = ()
    base_image: str | None = None
    background: str = "#ffffff"

    @property
    def is_empty(self) -> bool:
        return not self.strokes and self.base_image is None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What a model proposed for one side of a keypoint, kept to measure model vs. human."""

    model_id: str
    side: Side
    x: float
    y: float
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class Keypoint:
    """One numbered correspondence between the photo and the sketch of a pair."""

    index: int
    photo: Point2 | None = None
    sketch: Point2 | None = None
    photo_visible: bool = True
    sketch_visible: bool = True
    status: KeypointStatus = KeypointStatus.CONFIRMED
    source: KeypointSource = KeypointSource.HUMAN
    author: str = ""
    created: float = 0.0
    modified: float = 0.0
    suggestion: Suggestion | None = None

    def point(self, side: Side) -> Point2 | None:
        return self.photo if side is Side.PHOTO else self.sketch

    def visible(self, side: Side) -> bool:
        return self.photo_visible if side is Side.PHOTO else self.sketch_visible

    def with_point(self, side: Side, xy: Point2 | None) -> Keypoint:
        return replace(self, photo=xy) if side is Side.PHOTO else replace(self, sketch=xy)

    @property
    def is_complete(self) -> bool:
        """Both sides are placed (or marked not visible) and confirmed."""
        photo_ok = self.photo is not None or not self.photo_visible
        sketch_ok = self.sketch is not None or not self.sketch_visible
        return photo_ok and sketch_ok and self.status is KeypointStatus.CONFIRMED

    @property
    def moved_px(self) -> float | None:
        """How far the user moved the model's suggestion before accepting it."""
        s = self.suggestion
        if s is None:
            return None
        final = self.point(s.side)
        if final is None:
            return None
        return math.hypot(final[0] - s.x, final[1] - s.y)


@dataclass(frozen=True, slots=True)
class Pair:
    """A photo, a sketch of it, its category and its annotation status.

    Keypoints and strokes are read from the store separately (`ProjectStore.keypoints`,
    `ProjectStore.sketch`) so listing thousands of pairs stays cheap.
    """

    id: int
    photo: str
    sketch: str | None = None
    category: str = ""
    name: str = ""
    status: PairStatus = PairStatus.TODO
    n_keypoints: int = PSC6K_KEYPOINTS
    split: str = ""
    flip: bool = False
    created: float = 0.0
    modified: float = 0.0
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def is_hex_colour(value: object) -> bool:
    """'#RRGGBB', the one colour notation of the document."""
    if not isinstance(value, str) or len(value) != 7 or value[0] != "#":
        return False
    try:
        int(value[1:], 16)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class PairSpec:
    """A pair to be added in bulk (`ProjectStore.add_pairs`): what an importer produces.

    The optional fields after `keypoints` let a lossless import (the JSON format) restore a pair
    exactly; CSV importers leave them at their defaults. `created`/`modified` of 0 mean "now".
    """

    photo: str
    sketch: str | None = None
    category: str = ""
    name: str = ""
    split: str = ""
    flip: bool = False
    keypoints: tuple[Keypoint, ...] = ()
    status: PairStatus = PairStatus.TODO
    strokes: tuple[Stroke, ...] = ()
    sketch_size: tuple[int, int] = (DEFAULT_SKETCH_SIZE, DEFAULT_SKETCH_SIZE)
    background: str = "#ffffff"
    extra: tuple[tuple[str, str], ...] = ()
    created: float = 0.0
    modified: float = 0.0


@dataclass(frozen=True, slots=True)
class ProjectStats:
    """Counts for `sketchstudio info` and the browser's header.

    `annotated_pairs` have at least one keypoint; `complete_pairs` have every keypoint of the
    pair complete (`Keypoint.is_complete`), which is what a PSC6K export needs.
    """

    pairs: int
    annotated_pairs: int
    complete_pairs: int
    keypoints: int
    strokes: int
    categories: dict[str, int]
    statuses: dict[str, int]
