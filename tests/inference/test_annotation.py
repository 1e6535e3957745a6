"""The annotation work-flow without Qt: clicks in image pixels in, store contents out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sketchstudio.core.model import Keypoint, KeypointSource, KeypointStatus, PairStatus, Side, Suggestion
from sketchstudio.core.store import ProjectStore
from sketchstudio.inference.annotation import (
    IDENTITY_MODEL_ID,
    AnnotationController,
    FlowPairTransfer,
    KeypointEdit,
    PckRecord,
    anchored_identity,
    apply_edit,
    model_vs_human,
    project_records,
    warp_image,
)
from sketchstudio.warp.flows import FlowPair


@pytest.fixture
def store(tmp_path: Path):
    s = ProjectStore.create(tmp_path / "p.sketchstudio")
    s.add_pair("a.jpg", "a.png", category="cat")
    s.add_pair("b.jpg", "b.png", category="dog")
    yield s
    s.close()


@pytest.fixture
def ctl(store):
    c = AnnotationController(store, author="tester")
    c.set_pair(store.pair_ids()[0])
    yield c
    c.close()


class ShiftTransfer:
    """A fake model: the sketch point is the photo point moved by (+10, +5)."""

    model_id = "shift"

    def transfer(self, side_from, xy):
        d = 1 if side_from is Side.PHOTO else -1
        return (xy[0] + 10 * d, xy[1] + 5 * d, 0.9)


def test_click_places_keypoint_and_suggests_counterpart(store, ctl) -> None:
    pid = ctl.pair.id
    assert ctl.selected == 0
    assert ctl.press(Side.PHOTO, (40.0, 50.0))
    kp = store.keypoint(pid, 0)
    assert kp.photo == (40.0, 50.0) and kp.sketch is None and kp.status is KeypointStatus.PENDING
    assert store.pair(pid).status is PairStatus.IN_PROGRESS
    # no model: identity + anchors (same size images: the same spot)
    s = ctl.suggestion
    assert (s.side, s.x, s.y, s.model_id) == (Side.SKETCH, 40.0, 50.0, IDENTITY_MODEL_ID)


def test_enter_accepts_suggestion_and_advances(store, ctl) -> None:
    pid = ctl.pair.id
    ctl.set_transfer(pid, ShiftTransfer())
    ctl.press(Side.PHOTO, (40.0, 50.0))
    assert (ctl.suggestion.x, ctl.suggestion.y) == (50.0, 55.0)
    assert ctl.accept()
    kp = store.keypoint(pid, 0)
    assert kp.sketch == (50.0, 55.0) and kp.status is KeypointStatus.CONFIRMED
    assert kp.source is KeypointSource.SUGGESTION
    assert kp.suggestion == Suggestion("shift", Side.SKETCH, 50.0, 55.0, 0.9)
    assert kp.moved_px == 0.0
    assert ctl.selected == 1 and ctl.suggestion is None


def test_click_elsewhere_places_by_hand_and_keeps_the_suggestion(store, ctl) -> None:
    pid = ctl.pair.id
    ctl.set_transfer(pid, ShiftTransfer())
    ctl.press(Side.SKETCH, (100.0, 100.0))  # start on the sketch side this time
    assert ctl.suggestion.side is Side.PHOTO and (ctl.suggestion.x, ctl.suggestion.y) == (90.0, 95.0)
    ctl.press(Side.PHOTO, (93.0, 99.0), radius=2.0)
    kp = store.keypoint(pid, 0)
    assert kp.photo == (93.0, 99.0) and kp.source is KeypointSource.HUMAN
    assert kp.moved_px == pytest.approx(5.0)


def test_dragging_the_suggestion_accepts_it_where_dropped(store, ctl) -> None:
    pid = ctl.pair.id
    ctl.press(Side.PHOTO, (40.0, 50.0))
    ctl.press(Side.SKETCH, (41.0, 51.0), radius=3.0)  # grabs the suggestion at (40, 50)
    ctl.drag(Side.SKETCH, (60.0, 50.0))
    assert ctl.displayed_suggestion().x == 60.0
    assert store.keypoint(pid, 0).sketch is None, "nothing is written while dragging"
    ctl.release(Side.SKETCH, (70.0, 50.0))
    kp = store.keypoint(pid, 0)
    assert kp.sketch == (70.0, 50.0) and kp.moved_px == pytest.approx(30.0)
    assert kp.source is KeypointSource.SUGGESTION


def test_drag_existing_point_moves_it_in_one_edit(store) -> None:
    edits: list[KeypointEdit] = []
    ctl = AnnotationController(store, apply=lambda e: (edits.append(e), apply_edit(store, e)))
    pid = store.pair_ids()[0]
    ctl.set_pair(pid)
    ctl.press(Side.PHOTO, (10.0, 10.0))
    ctl.accept()
    ctl.press(Side.PHOTO, (11.0, 11.0), radius=3.0)
    for x in range(12, 30):
        ctl.drag(Side.PHOTO, (float(x), 10.0))
    ctl.release(Side.PHOTO, (30.0, 10.0))
    assert [e.text for e in edits] == [
        "Place keypoint 1", "Accept suggestion for keypoint 1", "Move keypoint 1"]
    assert store.keypoint(pid, 0).photo == (30.0, 10.0)
    # undo through the inverse edits restores every step
    for e in reversed(edits):
        apply_edit(store, e.inverse())
    assert store.keypoint(pid, 0) is None
    assert store.pair(pid).status is PairStatus.TODO
    ctl.close()


def test_delete_and_visibility(store, ctl) -> None:
    pid = ctl.pair.id
    ctl.press(Side.PHOTO, (10.0, 10.0))
    assert ctl.toggle_visible(Side.SKETCH)  # not visible on the sketch: complete without a point
    kp = store.keypoint(pid, 0)
    assert kp.is_complete and not kp.sketch_visible and kp.sketch is None
    assert ctl.selected == 1
    ctl.select(0)
    assert ctl.delete_selected()
    assert store.keypoint(pid, 0) is None
    # toggling first, then clicking the visible side, completes the keypoint
    ctl.select(0)
    ctl.toggle_visible(Side.PHOTO)
    ctl.press(Side.SKETCH, (5.0, 6.0))
    kp = store.keypoint(pid, 0)
    assert kp.is_complete and kp.sketch == (5.0, 6.0) and not kp.photo_visible


def test_full_pair_marks_done_and_offers_next_unfinished(store, ctl) -> None:
    pid = ctl.pair.id
    for k in range(8):
        ctl.press(Side.PHOTO, (10.0 + 20 * k, 10.0))
        assert ctl.accept()
    assert ctl.completed() == 8 and ctl.is_complete
    assert store.pair(pid).status is PairStatus.DONE
    assert ctl.next_unfinished_pair() == store.pair_ids()[1]
    assert not ctl.press(Side.PHOTO, (200.0, 200.0)), "a full pair takes no new keypoint"
    ctl.select(3)
    ctl.delete_selected()
    assert store.pair(pid).status is PairStatus.IN_PROGRESS


def test_store_events_refresh_the_controller(store, ctl) -> None:
    pid = ctl.pair.id
    seen = []
    ctl.changed.connect(lambda: seen.append(1))
    ctl.press(Side.PHOTO, (10.0, 10.0))
    store.remove_keypoint(pid, 0)  # e.g. undo from the menu
    assert 0 not in ctl.keypoints and ctl.suggestion is None and seen


def test_anchored_identity_follows_anchors() -> None:
    # half-pixel rule (sketchstudio.warp.flows): (x + 0.5)·W_to/W_from − 0.5
    assert anchored_identity(Side.PHOTO, (10, 20), (100, 100), (200, 200)) == (20.5, 40.5)
    shifted = anchored_identity(Side.PHOTO, (10, 20), (100, 100), (100, 100), [((0, 0), (5, 7))])
    assert shifted == pytest.approx((15.0, 27.0))
    # three anchors of a pure scaling by 2 are fitted exactly
    anchors = [((0, 0), (0, 0)), ((10, 0), (20, 0)), ((0, 10), (0, 20))]
    assert anchored_identity(Side.PHOTO, (5, 5), (100, 100), (100, 100), anchors) == pytest.approx((10, 10))
    assert anchored_identity(Side.SKETCH, (10, 10), (100, 100), (100, 100), anchors) == pytest.approx((5, 5))


def test_identity_without_a_model_agrees_with_identity_flows_for_unequal_sizes() -> None:
    """A suggestion without a model and one through (identity) flows put a point in the same place,
    whatever the two image sizes: one pixel convention for the whole tool."""
    photo, sketch = (300, 200), (256, 256)
    flows = FlowPair.identity(photo, sketch, grid=64)
    points = [(0.0, 0.0), (149.5, 99.5), (37.25, 180.0), (299.0, 199.0)]
    expected, _conf = flows.transfer(points, "photo_to_sketch")
    for (x, y), (ex, ey) in zip(points, expected, strict=True):
        assert anchored_identity(Side.PHOTO, (x, y), photo, sketch) == pytest.approx((ex, ey), abs=1e-6)
    back, _ = flows.transfer([(128.0, 40.0)], "sketch_to_photo")
    assert anchored_identity(Side.SKETCH, (128.0, 40.0), sketch, photo) == pytest.approx(tuple(back[0]))
    # the image centre maps to the image centre, corners to corners
    assert anchored_identity(Side.PHOTO, (149.5, 99.5), photo, sketch) == pytest.approx((127.5, 127.5))
    # one anchor: its offset is measured after the same rescaling
    moved = anchored_identity(Side.PHOTO, (149.5, 99.5), photo, sketch, [((149.5, 99.5), (130.0, 120.0))])
    assert moved == pytest.approx((130.0, 120.0))


def test_flowpair_transfer_and_warp_overlay() -> None:
    flows = FlowPair.identity((64, 32), (32, 32), grid=16, model_id="m")
    t = FlowPairTransfer(flows)
    x, y, conf = t.transfer(Side.PHOTO, (63.0, 31.0))
    assert (x, y) == pytest.approx((31.0, 31.0), abs=0.5) and conf == pytest.approx(1.0)
    img = np.zeros((32, 64, 3), np.uint8)
    img[:, 32:] = 200  # right half bright
    out = warp_image(img, flows.sketch_to_photo, (32, 32))
    assert out.shape == (32, 32, 3)
    assert out[:, :14].max() == 0 and out[:, 18:].min() == 200


def test_model_vs_human_pck_per_category(store, ctl) -> None:
    pid0, pid1 = store.pair_ids()
    ctl.set_transfer(pid0, ShiftTransfer())
    ctl.press(Side.PHOTO, (10.0, 10.0))
    ctl.accept()  # error 0
    ctl.press(Side.PHOTO, (50.0, 50.0))
    ctl.press(Side.SKETCH, (60.0 + 20, 55.0), radius=1.0)  # moved by 20 px: > 12.8, ≤ 25.6
    ctl.set_pair(pid1)
    ctl.set_transfer(pid1, ShiftTransfer())
    ctl.press(Side.PHOTO, (10.0, 10.0))
    ctl.press(Side.SKETCH, (20.0 + 40, 15.0), radius=1.0)  # moved by 40 px: wrong at both
    rows = {(r.model_id, r.category): r for r in model_vs_human(project_records(store))}
    assert rows[("shift", "cat")].n == 2 and rows[("shift", "cat")].pck == (0.5, 1.0)
    assert rows[("shift", "dog")].pck == (0.0, 0.0)
    overall = rows[("shift", "")]
    assert overall.n == 3 and overall.pck == pytest.approx((1 / 3, 2 / 3))
    assert overall.mean_px == pytest.approx(20.0)


def test_pck_tolerance_is_alpha_times_the_longer_side_of_the_target_image() -> None:
    def kp(moved: float, side: Side) -> Keypoint:
        s = Suggestion(side=side, x=0.0, y=0.0, model_id="m")
        point = (moved, 0.0)
        return Keypoint(index=0, photo=point if side is Side.PHOTO else (1.0, 1.0),
                        sketch=point if side is Side.SKETCH else (1.0, 1.0), status=KeypointStatus.CONFIRMED,
                        suggestion=s)

    records = [
        PckRecord("a", kp(40.0, Side.SKETCH), photo_side=256, sketch_side=1000),  # ≤ 0.05·1000
        PckRecord("a", kp(40.0, Side.PHOTO), photo_side=256, sketch_side=1000),  # > 0.10·256 (25.6)
        ("a", kp(20.0, Side.PHOTO)),  # a plain (category, keypoint): PSC6K's 256
    ]
    (row_a, overall) = sorted(model_vs_human(records), key=lambda r: r.category, reverse=True)
    assert row_a.pck == pytest.approx((1 / 3, 2 / 3))
    assert overall.n == 3
