"""The keypoint annotation work-flow as a Qt-free state machine, and model-vs-human metrics.

`AnnotationController` holds what one pair's annotation looks like right now (the store's
keypoints, the selected index, the live model suggestion, a drag in progress) and turns mouse and
keyboard intents, given in image pixel coordinates, into `KeypointEdit`s. It never writes the
store itself: an `apply` callback does (the GUI pushes a QUndoCommand that writes through the
store; scripts and tests call `apply_edit`). The store's change events bring the new state back,
so undo, redo and edits made elsewhere all take the same path.

Suggestions come from a `PointTransfer` (a warp model's cached flows, wrapped by the GUI's
worker) or, until one is available for the pair, from `anchored_identity`, which needs no model
at all: the tool keeps suggesting, and stays usable by hand, when no model loads.

Neither torch nor Qt is imported here; numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple, Protocol

import numpy as np

from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.core.model import (
    Keypoint,
    KeypointSource,
    KeypointStatus,
    Pair,
    PairStatus,
    Point2,
    Side,
    Suggestion,
)
from sketchstudio.warp.flows import image_to_grid  # numpy only: the warp package's pixel convention

IDENTITY_MODEL_ID = "identity"
"""`Suggestion.model_id` of suggestions made without a model (identity + anchors)."""

Anchor = tuple[Point2, Point2]
"""A confirmed correspondence: (photo xy, sketch xy)."""


class PointTransfer(Protocol):
    """Maps a point from one image of a pair to the other (a model's cached dense flows)."""

    model_id: str

    def transfer(self, side_from: Side, xy: Point2) -> tuple[float, float, float | None]:
        """(x, y, confidence or None) on the other side."""
        ...


@dataclass(frozen=True, slots=True)
class KeypointEdit:
    """One undoable annotation edit: keypoint `index` of `pair_id` goes from `before` to `after`
    (None = absent), and the pair's status from `status_before` to `status_after` (None = keep)."""

    pair_id: int
    index: int
    before: Keypoint | None
    after: Keypoint | None
    text: str
    status_before: PairStatus | None = None
    status_after: PairStatus | None = None

    def inverse(self) -> KeypointEdit:
        return KeypointEdit(self.pair_id, self.index, self.after, self.before, self.text,
                            self.status_after, self.status_before)


def apply_edit(store, edit: KeypointEdit, *, author: str | None = None) -> None:
    """Write `edit.after` (and the status change) through the store. Used by the GUI's undo
    command for redo (and with `edit.inverse()` for undo) and directly by Qt-free callers."""
    if edit.after is None:
        if store.keypoint(edit.pair_id, edit.index) is not None:
            store.remove_keypoint(edit.pair_id, edit.index)
    else:
        store.set_keypoint(edit.pair_id, edit.after, author=author)
    if edit.status_after is not None and store.pair(edit.pair_id).status is not edit.status_after:
        store.set_pair_status(edit.pair_id, edit.status_after)


# --- suggestions without a model -------------------------------------------------------------


def rescale_points(points, size_from: tuple[int, int], size_to: tuple[int, int]) -> np.ndarray:
    """The same relative position in an image of another size, by the half-pixel rule
    `(x + 0.5)·W_to/W_from − 0.5` that `sketchstudio.warp.flows` uses for the model grid, so a
    suggestion without a model and one through the flows agree on where "the same place" is."""
    return image_to_grid(np.asarray(points, dtype=np.float64).reshape(-1, 2), size_from, size_to)


def anchored_identity(side_from: Side, xy: Point2, size_from: tuple[int, int], size_to: tuple[int, int],
                      anchors: Sequence[Anchor] = ()) -> Point2:
    """Where `xy` probably lies on the other image when no model is available.

    With no anchors the point keeps its relative position (images of a pair are roughly aligned,
    as in Sketchy). One or two confirmed anchors add their mean offset; three or more,
    not collinear, fit an affine map by least squares, so suggestions follow the user's
    corrections as the pair fills up.
    """
    bx, by = rescale_points([xy], size_from, size_to)[0]
    base = (float(bx), float(by))
    if not anchors:
        return base
    src = np.array([a[0] if side_from is Side.PHOTO else a[1] for a in anchors], dtype=np.float64)
    dst = np.array([a[1] if side_from is Side.PHOTO else a[0] for a in anchors], dtype=np.float64)
    if len(anchors) >= 3:
        design = np.column_stack([src, np.ones(len(src))])
        if np.linalg.matrix_rank(design, tol=1e-6 * max(size_from)) == 3:
            coef, *_ = np.linalg.lstsq(design, dst, rcond=None)
            out = np.array([xy[0], xy[1], 1.0]) @ coef
            return (float(out[0]), float(out[1]))
    offset = (dst - rescale_points(src, size_from, size_to)).mean(axis=0)
    return (base[0] + float(offset[0]), base[1] + float(offset[1]))


# --- model vs. human -------------------------------------------------------------------------


PCK_ALPHAS = (0.05, 0.10)
PSC6K_IMAGE_SIZE = 256
"""PCK counts an error ≤ α·max(width, height) of the image the point lies on (the warp eval's
rule, `sketchstudio.warp.evaluate`); on PSC6K's 256×256 images that is α·256."""


class PckRecord(NamedTuple):
    """One keypoint for `model_vs_human`, with the longer sides of its pair's two images."""

    category: str
    keypoint: Keypoint
    photo_side: float = PSC6K_IMAGE_SIZE
    sketch_side: float = PSC6K_IMAGE_SIZE

    def tolerance_side(self) -> float:
        """The longer side of the image the suggestion was made on (where the error is measured)."""
        s = self.keypoint.suggestion
        return self.sketch_side if s is not None and s.side is Side.SKETCH else self.photo_side


@dataclass(frozen=True, slots=True)
class PckRow:
    """How close a model's suggestions came to the points the user accepted."""

    model_id: str
    category: str
    n: int
    pck: tuple[float, ...]  # one per `PCK_ALPHAS`, in [0, 1]
    mean_px: float


def model_vs_human(records: Iterable[PckRecord | tuple], *, alphas: Sequence[float] = PCK_ALPHAS
                   ) -> list[PckRow]:
    """PCK of the recorded suggestions against the accepted points, per model and category.

    `records` are `PckRecord`s (or tuples of their fields) for every keypoint of the project. Only
    confirmed keypoints with a recorded suggestion count: `Keypoint.moved_px` is the model's
    error, compared with α·max(width, height) of the image it was suggested on. Each model gets a
    row per category plus an "all" row (category ""), sorted by model then category.
    """
    errors: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for record in records:
        record = PckRecord(*record)
        kp = record.keypoint
        if kp.status is not KeypointStatus.CONFIRMED or kp.suggestion is None:
            continue
        moved = kp.moved_px
        if moved is None:
            continue
        model = kp.suggestion.model_id
        entry = (moved, float(record.tolerance_side()))
        errors.setdefault((model, record.category), []).append(entry)
        errors.setdefault((model, ""), []).append(entry)
    rows = []
    for (model, category), entries in sorted(errors.items()):
        arr = np.asarray(entries)
        err, side = arr[:, 0], arr[:, 1]
        pck = tuple(float((err <= a * side).mean()) for a in alphas)
        rows.append(PckRow(model, category, len(entries), pck, float(err.mean())))
    return rows


def project_records(store) -> list[PckRecord]:
    """A `PckRecord` for every keypoint of the store's project, for `model_vs_human`. Image sizes
    are read (headers only) just for pairs with a recorded suggestion; an unreadable photo
    counts as 256 px, PSC6K's size."""
    from sketchstudio.core.errors import UserError
    from sketchstudio.core.images import image_size

    out = []
    for pair in store.pairs():
        keypoints = store.keypoints(pair.id)
        if not any(kp.suggestion is not None for kp in keypoints):
            out.extend(PckRecord(pair.category, kp) for kp in keypoints)
            continue
        try:
            photo_side = max(image_size(store.resolve(pair.photo)))
        except UserError:  # a metric must not fail on one missing photo
            photo_side = PSC6K_IMAGE_SIZE
        sketch = store.sketch(pair.id)
        sketch_side = max(sketch.width, sketch.height)
        out.extend(PckRecord(pair.category, kp, photo_side, sketch_side) for kp in keypoints)
    return out


# --- the controller --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Drag:
    """A press that may turn into a drag: of a placed point or of the live suggestion."""

    index: int
    side: Side
    start: Point2
    pos: Point2
    on_suggestion: bool = False

    @property
    def moved(self) -> bool:
        return math.hypot(self.pos[0] - self.start[0], self.pos[1] - self.start[1]) > 0.5


@dataclass(slots=True)
class _Listeners:
    callbacks: list[Callable[[], None]] = field(default_factory=list)

    def connect(self, callback: Callable[[], None]) -> Callable[[], None]:
        self.callbacks.append(callback)
        return lambda: self.callbacks.remove(callback) if callback in self.callbacks else None

    def emit(self) -> None:
        for callback in list(self.callbacks):
            callback()


class AnnotationController:
    """The annotation state of the current pair and the rules of the work-flow.

    Intents (`press`/`drag`/`release`, `accept`, `delete_selected`, `toggle_visible`, `select`)
    produce `KeypointEdit`s handed to `apply`; `changed` fires whenever anything a view draws
    may have changed. Coordinates are image pixels of the side they belong to.
    """

    def __init__(self, store, *, apply: Callable[[KeypointEdit], None] | None = None,
                 author: str = "") -> None:
        self.store = store
        self.author = author
        self._apply = apply if apply is not None else (lambda e: apply_edit(store, e, author=author))
        self.changed = _Listeners()
        self.pair_completed = _Listeners()  # the user's edit just completed the pair: advance
        self.pair: Pair | None = None
        self.keypoints: dict[int, Keypoint] = {}
        self.selected: int | None = None
        self.suggestion: Suggestion | None = None
        self.drag_state: Drag | None = None
        self.sizes: dict[Side, tuple[int, int]] = {Side.PHOTO: (256, 256), Side.SKETCH: (256, 256)}
        self._transfer: PointTransfer | None = None
        self._transfer_anchors: tuple[Anchor, ...] | None = None
        self._unsubscribe = store.events.connect(self._on_store_event)

    # --- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._unsubscribe()

    @property
    def n_keypoints(self) -> int:
        if self.pair is not None and self.pair.n_keypoints:
            return self.pair.n_keypoints
        return int(self.store.keypoints_per_pair)

    def set_pair(self, pair_id: int | None) -> None:
        self.drag_state = None
        self._transfer = None
        self._transfer_anchors = None
        if pair_id is None:
            self.pair, self.keypoints, self.selected = None, {}, None
        else:
            self.pair = self.store.pair(pair_id)
            self.keypoints = {kp.index: kp for kp in self.store.keypoints(pair_id)}
            self.selected = self._first_unfinished()
        self._refresh_suggestion()
        self.changed.emit()

    def set_image_sizes(self, photo: tuple[int, int], sketch: tuple[int, int]) -> None:
        self.sizes = {Side.PHOTO: photo, Side.SKETCH: sketch}
        self._refresh_suggestion()
        self.changed.emit()

    def set_transfer(self, pair_id: int, transfer: PointTransfer | None,
                     anchors: tuple[Anchor, ...] | None = None) -> None:
        """A model's correspondence for `pair_id` (computed with `anchors`) is ready."""
        if self.pair is None or pair_id != self.pair.id:
            return
        self._transfer = transfer
        self._transfer_anchors = anchors
        self._refresh_suggestion()
        self.changed.emit()

    @property
    def transfer(self) -> PointTransfer | None:
        return self._transfer

    @property
    def transfer_is_current(self) -> bool:
        """Whether the model's flows already account for every confirmed anchor."""
        return self._transfer is not None and self._transfer_anchors == self.anchors()

    # --- derived state -----------------------------------------------------------------------

    def anchors(self) -> tuple[Anchor, ...]:
        """Confirmed correspondences with both points placed, by index (for anchor refinement)."""
        out = []
        for i in sorted(self.keypoints):
            kp = self.keypoints[i]
            if (kp.status is KeypointStatus.CONFIRMED and kp.photo is not None and kp.sketch is not None
                    and kp.photo_visible and kp.sketch_visible):
                out.append((kp.photo, kp.sketch))
        return tuple(out)

    def completed(self) -> int:
        return sum(1 for kp in self.keypoints.values() if kp.is_complete)

    @property
    def is_complete(self) -> bool:
        return self.pair is not None and self.completed() >= self.n_keypoints

    def next_free_index(self) -> int | None:
        for i in range(self.n_keypoints):
            if i not in self.keypoints:
                return i
        return None

    def awaiting_side(self) -> Side | None:
        """The side the selected keypoint still needs a point on (the suggestion's side)."""
        kp = self.keypoints.get(self.selected) if self.selected is not None else None
        if kp is None or kp.is_complete:
            return None
        for side in (Side.SKETCH, Side.PHOTO):
            if kp.point(side) is None and kp.visible(side) and kp.point(side.other) is not None:
                return side
        return None

    def point_at(self, side: Side, xy: Point2, radius: float) -> int | None:
        """The index of the placed point on `side` nearest to `xy` within `radius`, if any."""
        best, best_d = None, radius
        for i, kp in self.keypoints.items():
            p = kp.point(side)
            if p is None:
                continue
            d = math.hypot(p[0] - xy[0], p[1] - xy[1])
            if d <= best_d:
                best, best_d = i, d
        return best

    def suggestion_at(self, side: Side, xy: Point2, radius: float) -> bool:
        s = self.suggestion
        return s is not None and s.side is side and math.hypot(s.x - xy[0], s.y - xy[1]) <= radius

    def displayed_point(self, index: int, side: Side) -> Point2 | None:
        """Where to draw keypoint `index` on `side`, following a drag in progress."""
        d = self.drag_state
        if d is not None and d.index == index and d.side is side and not d.on_suggestion:
            return d.pos
        kp = self.keypoints.get(index)
        return None if kp is None else kp.point(side)

    def displayed_suggestion(self) -> Suggestion | None:
        d, s = self.drag_state, self.suggestion
        if s is not None and d is not None and d.on_suggestion:
            return replace(s, x=d.pos[0], y=d.pos[1])
        return s

    # --- intents -----------------------------------------------------------------------------

    def select(self, index: int | None) -> None:
        if index is not None and not 0 <= index < self.n_keypoints:
            return
        self.selected = index
        self._refresh_suggestion()
        self.changed.emit()

    def press(self, side: Side, xy: Point2, radius: float = 6.0) -> bool:
        """A click (press) at `xy` on `side`. Returns False when there is nothing to do there."""
        if self.pair is None:
            return False
        if self.suggestion_at(side, xy, radius):
            self.drag_state = Drag(self.selected, side, xy, xy, on_suggestion=True)
            self.changed.emit()
            return True
        hit = self.point_at(side, xy, radius)
        if hit is not None:
            if hit != self.selected:
                self.selected = hit
                self._refresh_suggestion()
            point = self.keypoints[hit].point(side)
            self.drag_state = Drag(hit, side, point, point)
            self.changed.emit()
            return True
        return self._place(side, xy)

    def drag(self, side: Side, xy: Point2) -> None:
        d = self.drag_state
        if d is None or d.side is not side:
            return
        self.drag_state = replace(d, pos=xy)
        if not d.on_suggestion:
            self._refresh_suggestion()
        self.changed.emit()

    def release(self, side: Side, xy: Point2) -> None:
        d = self.drag_state
        if d is None:
            return
        if d.side is side:
            d = replace(d, pos=xy)
        self.drag_state = None
        if d.on_suggestion:
            self._confirm(d.side, d.pos, accepted=True)
        elif d.moved:
            self._move(d.index, d.side, d.pos)
        else:
            self._refresh_suggestion()
            self.changed.emit()

    def accept(self) -> bool:
        """Accept the live suggestion as it is (Enter)."""
        s = self.suggestion
        if s is None or self.awaiting_side() is None:
            return False
        self._confirm(s.side, (s.x, s.y), accepted=True)
        return True

    def delete_selected(self) -> bool:
        if self.pair is None or self.selected is None or self.selected not in self.keypoints:
            return False
        before = self.keypoints[self.selected]
        status = PairStatus.IN_PROGRESS if self.pair.status is PairStatus.DONE else None
        self._emit_edit(KeypointEdit(self.pair.id, before.index, before, None,
                                     f"Delete keypoint {before.index + 1}", self.pair.status, status))
        return True

    def toggle_visible(self, side: Side) -> bool:
        """Toggle "not visible" on `side` for the selected keypoint (creating it if needed)."""
        if self.pair is None:
            return False
        index = self.selected if self.selected is not None else self.next_free_index()
        if index is None:
            return False
        before = self.keypoints.get(index)
        kp = before or Keypoint(index=index, status=KeypointStatus.PENDING)
        if kp.visible(side):
            kp = replace(kp, **{f"{side.value}_visible": False, side.value: None})
        else:
            kp = replace(kp, **{f"{side.value}_visible": True})
        kp = replace(kp, status=self._status_for(kp))
        self.selected = index
        self._emit_edit(self._edit(before, kp, f"Toggle keypoint {index + 1} visibility on the {side.value}"))
        if kp.is_complete:
            self._advance()
        return True

    def next_unfinished_pair(self) -> int | None:
        if self.pair is None:
            return None
        return self.store.next_pair_id(self.pair.id, unfinished_only=True)

    # --- internals ---------------------------------------------------------------------------

    def _place(self, side: Side, xy: Point2) -> bool:
        kp = self.keypoints.get(self.selected) if self.selected is not None else None
        if kp is not None and not kp.is_complete and kp.point(side) is None and kp.visible(side):
            if kp.point(side.other) is not None or not kp.visible(side.other):
                self._confirm(side, xy, accepted=False)
                return True
            new = replace(kp.with_point(side, xy), status=KeypointStatus.PENDING)
            self._emit_edit(self._edit(kp, new, f"Place keypoint {kp.index + 1}"))
            return True
        if kp is not None and not kp.is_complete and kp.point(side) is not None:
            self._move(kp.index, side, xy)
            return True
        index = self.next_free_index()
        if index is None:
            return False
        new = Keypoint(index=index, status=KeypointStatus.PENDING, source=KeypointSource.HUMAN,
                       author=self.author).with_point(side, xy)
        self.selected = index
        self._emit_edit(self._edit(None, new, f"Place keypoint {index + 1}"))
        return True

    def _confirm(self, side: Side, xy: Point2, *, accepted: bool) -> None:
        """Settle the awaited side of the selected keypoint at `xy`, recording the suggestion."""
        kp = self.keypoints[self.selected]
        s = self.suggestion if self.suggestion is not None and self.suggestion.side is side else None
        new = replace(kp.with_point(side, xy), suggestion=s or kp.suggestion,
                      source=KeypointSource.SUGGESTION if accepted else KeypointSource.HUMAN)
        new = replace(new, status=self._status_for(new))
        verb = "Accept suggestion for" if accepted else "Place"
        self._emit_edit(self._edit(kp, new, f"{verb} keypoint {kp.index + 1}"))
        if new.is_complete:
            self._advance()

    def _move(self, index: int, side: Side, xy: Point2) -> None:
        kp = self.keypoints[index]
        self._emit_edit(self._edit(kp, kp.with_point(side, xy), f"Move keypoint {index + 1}"))

    @staticmethod
    def _status_for(kp: Keypoint) -> KeypointStatus:
        photo_ok = kp.photo is not None or not kp.photo_visible
        sketch_ok = kp.sketch is not None or not kp.sketch_visible
        placed = kp.photo is not None or kp.sketch is not None
        return KeypointStatus.CONFIRMED if photo_ok and sketch_ok and placed else KeypointStatus.PENDING

    def _edit(self, before: Keypoint | None, after: Keypoint, text: str) -> KeypointEdit:
        """An edit with the pair status that follows from it (in progress / done)."""
        assert self.pair is not None
        kps = dict(self.keypoints)
        kps[after.index] = after
        done = sum(1 for k in kps.values() if k.is_complete) >= self.n_keypoints
        status = self.pair.status
        target = PairStatus.DONE if done else PairStatus.IN_PROGRESS
        if status in (PairStatus.SKIPPED, PairStatus.FLAGGED) and not done:
            target = status
        return KeypointEdit(self.pair.id, after.index, before, after, text, status,
                            target if target is not status else None)

    def _emit_edit(self, edit: KeypointEdit) -> None:
        # Reflect the edit at once (the store's event will confirm it), so a view that applies
        # edits asynchronously still shows the result of the click immediately.
        if edit.after is None:
            self.keypoints.pop(edit.index, None)
        else:
            self.keypoints[edit.index] = edit.after
        self._refresh_suggestion()
        self.changed.emit()  # views may show the result (and the new suggestion) before the fsync
        self._apply(edit)
        self._refresh_suggestion()
        self.changed.emit()

    def _advance(self) -> None:
        """After a keypoint is complete, select the next unfinished one."""
        self.selected = self._first_unfinished()
        self._refresh_suggestion()
        self.changed.emit()
        if self.selected is None:
            self.pair_completed.emit()

    def _first_unfinished(self) -> int | None:
        for i in range(self.n_keypoints):
            kp = self.keypoints.get(i)
            if kp is None or not kp.is_complete:
                return i
        return None

    def _refresh_suggestion(self) -> None:
        side_to = self.awaiting_side()
        if side_to is None or self.pair is None:
            self.suggestion = None
            return
        side_from = side_to.other
        src = self.displayed_point(self.selected, side_from)
        if src is None:
            self.suggestion = None
            return
        if self._transfer is not None:
            x, y, conf = self._transfer.transfer(side_from, src)
            model_id = self._transfer.model_id
        else:
            x, y = anchored_identity(side_from, src, self.sizes[side_from], self.sizes[side_to],
                                     self.anchors())
            conf, model_id = None, IDENTITY_MODEL_ID
        w, h = self.sizes[side_to]
        x = min(max(float(x), 0.0), float(w - 1))
        y = min(max(float(y), 0.0), float(h - 1))
        self.suggestion = Suggestion(model_id=model_id, side=side_to, x=x, y=y, confidence=conf)

    def _on_store_event(self, event: ChangeEvent) -> None:
        if self.pair is None:
            return
        if event.kind is ChangeKind.PROJECT_RELOADED:
            self.set_pair(self.pair.id if self.pair.id in self.store.pair_ids() else None)
            return
        if event.pair_id != self.pair.id:
            return
        if event.kind is ChangeKind.PAIR_REMOVED:
            self.set_pair(None)
            return
        if event.kind is ChangeKind.PAIR_CHANGED:
            self.pair = self.store.pair(self.pair.id)
        elif event.kind in (ChangeKind.KEYPOINT_CHANGED, ChangeKind.KEYPOINT_REMOVED):
            kp = self.store.keypoint(self.pair.id, event.index)
            if kp is None:
                self.keypoints.pop(event.index, None)
            else:
                self.keypoints[event.index] = kp
            if self.selected is not None and self.selected >= self.n_keypoints:
                self.selected = self._first_unfinished()
        else:
            return
        self._refresh_suggestion()
        self.changed.emit()


# --- dense flows as a point transfer ---------------------------------------------------------


class FlowPairTransfer:
    """A model's `FlowPair` (numpy, cached on the GUI side) as a `PointTransfer`, so a click on
    a pair whose flows are ready needs no round trip to the worker."""

    def __init__(self, flows) -> None:  # sketchstudio.warp.flows.FlowPair
        self.flows = flows
        self.model_id = flows.model_id or "model"

    def transfer(self, side_from: Side, xy: Point2) -> tuple[float, float, float | None]:
        points, confidence = self.flows.transfer([xy], side_from)
        return (float(points[0, 0]), float(points[0, 1]), float(confidence[0]))


def warp_image(source: np.ndarray, field: np.ndarray, out_size: tuple[int, int]) -> np.ndarray:
    """`source` (H, W, C uint8) resampled onto an image of `out_size` (width, height) through
    `field`: an (h, w, 2) grid over the output holding (x, y) source pixels (a `FlowPair` flow
    from the output's side). Bilinear, clamped at the edges. This is the warp overlay: the photo
    seen through the flows on the sketch, and back."""
    out_w, out_h = out_size
    fh, fw = field.shape[:2]
    # output pixel centres → field grid cells (the half-pixel rule of `warp.flows`)
    gx = (np.arange(out_w) + 0.5) * fw / out_w - 0.5
    gy = (np.arange(out_h) + 0.5) * fh / out_h - 0.5
    xy = _bilinear(field.astype(np.float32), *np.meshgrid(gx, gy))
    out = _bilinear(source.astype(np.float32), xy[..., 0], xy[..., 1])
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _bilinear(data: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Sample `data` (H, W, C) at matching arrays of columns `gx` and rows `gy`, edge-clamped."""
    h, w = data.shape[:2]
    gx = np.clip(gx, 0, w - 1)
    gy = np.clip(gy, 0, h - 1)
    x0 = np.floor(gx).astype(np.intp)
    y0 = np.floor(gy).astype(np.intp)
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx = (gx - x0)[..., None]
    fy = (gy - y0)[..., None]
    top = data[y0, x0] * (1 - fx) + data[y0, x1] * fx
    bottom = data[y1, x0] * (1 - fx) + data[y1, x1] * fx
    return top * (1 - fy) + bottom * fy
