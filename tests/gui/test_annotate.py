"""The Annotate view driven by real mouse clicks and keys; the store is the source of truth."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from sketchstudio.core.model import KeypointSource, KeypointStatus, PairStatus, Side
from sketchstudio.gui.annotate.view import AnnotateView
from sketchstudio.inference.annotation import IDENTITY_MODEL_ID
from sketchstudio.inference.models_registry import ModelInfo


@pytest.fixture
def view(qtbot, context):
    context.settings.warp_model = "identity"  # never depend on shipped weights
    sketched = next(p.id for p in context.store.pairs() if p.sketch)
    context.set_pair(sketched)
    v = AnnotateView(context)
    qtbot.addWidget(v)
    v.resize(1100, 620)
    v.show()
    qtbot.waitExposed(v)
    v.activate()
    yield v
    v.shutdown()


def _pos(pane, x: float, y: float):
    return pane.image_to_widget(x, y).toPoint()


def click(qtbot, pane, x: float, y: float) -> None:
    qtbot.mouseClick(pane, Qt.MouseButton.LeftButton, pos=_pos(pane, x, y))


def drag(qtbot, pane, start: tuple[float, float], end: tuple[float, float]) -> None:
    qtbot.mousePress(pane, Qt.MouseButton.LeftButton, pos=_pos(pane, *start))
    for t in (0.25, 0.5, 0.75, 1.0):
        p = pane.image_to_widget(start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)
        move = QMouseEvent(QEvent.Type.MouseMove, QPointF(p), pane.mapToGlobal(QPointF(p)),
                           Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(pane, move)
    qtbot.mouseRelease(pane, Qt.MouseButton.LeftButton, pos=_pos(pane, *end))


def near(a, b, tol: float = 1.0) -> bool:
    return a is not None and abs(a[0] - b[0]) <= tol and abs(a[1] - b[1]) <= tol


def test_place_accept_move_and_undo_with_the_mouse(qtbot, view, context) -> None:
    store, pid = context.store, view.controller.pair.id
    click(qtbot, view.photo_pane, 100, 120)
    kp = store.keypoint(pid, 0)
    assert near(kp.photo, (100, 120)) and kp.sketch is None and kp.status is KeypointStatus.PENDING
    s = view.controller.suggestion
    assert s is not None and s.side is Side.SKETCH, "the counterpart is suggested at once"

    # Enter accepts the suggestion
    qtbot.keyClick(view, Qt.Key.Key_Return)
    kp = store.keypoint(pid, 0)
    assert kp.status is KeypointStatus.CONFIRMED and kp.source is KeypointSource.SUGGESTION
    assert near(kp.sketch, (s.x, s.y), 0.01) and kp.suggestion.side is Side.SKETCH
    assert view.controller.selected == 1

    # start on the sketch, then click somewhere else on the photo: placed by hand
    click(qtbot, view.sketch_pane, 60, 200)
    suggestion = view.controller.suggestion
    assert suggestion.side is Side.PHOTO
    click(qtbot, view.photo_pane, suggestion.x + 30, suggestion.y)
    kp = store.keypoint(pid, 1)
    assert near(kp.sketch, (60, 200)) and near(kp.photo, (suggestion.x + 30, suggestion.y))
    assert kp.source is KeypointSource.HUMAN and kp.moved_px == pytest.approx(30, abs=1.5)

    # click on the suggestion accepts it
    click(qtbot, view.photo_pane, 200, 40)
    s = view.controller.suggestion
    click(qtbot, view.sketch_pane, s.x, s.y)
    assert store.keypoint(pid, 2).is_complete

    # drag keypoint 1 on the sketch: one store write at the end
    before = store.keypoint(pid, 0).sketch
    drag(qtbot, view.sketch_pane, before, (before[0] + 20, before[1] + 10))
    assert near(store.keypoint(pid, 0).sketch, (before[0] + 20, before[1] + 10))
    assert store.keypoint(pid, 0).moved_px == pytest.approx((20**2 + 10**2) ** 0.5, abs=1.5)

    # every edit is on the shared undo stack
    assert context.undo_stack.count() == 7
    context.undo_stack.undo()
    assert near(store.keypoint(pid, 0).sketch, before, 0.01)
    context.undo_stack.redo()
    assert near(store.keypoint(pid, 0).sketch, (before[0] + 20, before[1] + 10))
    while context.undo_stack.canUndo():
        context.undo_stack.undo()
    assert store.keypoints(pid) == [] and store.pair(pid).status is PairStatus.TODO


def test_delete_visibility_and_chip_selection(qtbot, view, context) -> None:
    store, pid = context.store, view.controller.pair.id
    click(qtbot, view.photo_pane, 50, 50)
    qtbot.mouseMove(view.sketch_pane, _pos(view.sketch_pane, 10, 10))
    view._set_hover_side(Side.SKETCH)
    qtbot.keyClick(view, Qt.Key.Key_V)
    kp = store.keypoint(pid, 0)
    assert kp.is_complete and not kp.sketch_visible
    qtbot.mouseClick(view.strip, Qt.MouseButton.LeftButton, pos=view.strip.chip_rect(0).center().toPoint())
    assert view.controller.selected == 0
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert store.keypoint(pid, 0) is None
    assert "0/8" in view.progress_label.text()


def test_completing_a_pair_advances_to_the_next_unfinished(qtbot, view, context) -> None:
    pid = view.controller.pair.id
    for k in range(8):
        click(qtbot, view.photo_pane, 20 + 25 * k, 30 + 20 * k)
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert context.store.pair(pid).status is PairStatus.DONE
    assert "moving on" in view.hint_label.text()  # said only because it really moves on
    qtbot.waitUntil(lambda: context.pair_id != pid, timeout=3000)
    assert context.pair_id == context.store.next_pair_id(pid, unfinished_only=True)
    assert view.controller.pair.id == context.pair_id


def _tiny_warp_checkpoint(path: Path) -> ModelInfo:
    from sketchstudio.warp.checkpoints import save_warp_model
    from sketchstudio.warp.config import PRESETS
    from sketchstudio.warp.model import create_warp_model

    save_warp_model(path, create_warp_model("resnet18", **PRESETS["tiny"]))
    return ModelInfo("trained:tiny/final.safetensors", "warp", "warp", "tiny", "trained", path=path)


def test_model_suggestion_arrives_through_the_worker(qtbot, view, context, tmp_path: Path) -> None:
    info = _tiny_warp_checkpoint(tmp_path / "tiny.safetensors")
    with qtbot.waitSignals([view.suggester.modelReady, view.suggester.flowsReady], timeout=20000,
                           order="strict"):
        view.set_model(info, "cpu")
    assert view.suggester.cached(view.controller.pair.id).flows.model_id == info.id
    assert view.controller.transfer is not None and view.controller.transfer.model_id == info.id
    click(qtbot, view.photo_pane, 128, 128)
    s = view.controller.suggestion
    assert s.model_id == info.id and 0.0 <= s.confidence <= 1.0
    assert view.sketch_pane.overlay is not None, "the warp overlay is computed by the worker"
    # accepting a keypoint asks for flows refined through the new anchor
    with qtbot.waitSignal(view.suggester.flowsReady, timeout=20000) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert len(blocker.args[0].anchors) == 1
    assert view.controller.transfer_is_current


def test_next_pair_is_prefetched(qtbot, context, tmp_path: Path) -> None:
    store = context.store
    sketched = next(p for p in store.pairs() if p.sketch)
    # a second pair with the same raster sketch after the first: the prefetch target
    other = store.add_pair(store.pairs()[0].photo, sketched.sketch, category="cat")
    for p in store.pairs():
        if p.id not in (sketched.id, other.id):
            store.set_pair_status(p.id, PairStatus.SKIPPED)
    context.settings.warp_model = "identity"
    context.set_pair(sketched.id)
    view = AnnotateView(context)
    qtbot.addWidget(view)
    try:
        qtbot.waitUntil(lambda: view.suggester.cached(other.id) is not None, timeout=5000)
        context.set_pair(other.id)
        assert view.controller.transfer is not None, "flows of a prefetched pair are there at once"
    finally:
        view.shutdown()


def test_a_broken_model_shows_a_banner_and_hand_annotation_still_works(qtbot, view, context,
                                                                         tmp_path: Path) -> None:
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    info = ModelInfo("converted:broken.safetensors", "warp", "warp", "broken", "converted", path=bad)
    with qtbot.waitSignal(view.suggester.failed, timeout=20000):
        view.set_model(info, "cpu")
    assert view.banner.isVisible() and "broken.safetensors" in view.banner.label.text()
    assert "failed" in view.model_label.text()
    click(qtbot, view.photo_pane, 80, 90)
    assert view.controller.suggestion.model_id == IDENTITY_MODEL_ID
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert context.store.keypoint(view.controller.pair.id, 0).is_complete


def test_opening_a_complete_pair_does_not_promise_to_move_on(qtbot, view, context) -> None:
    pid = view.controller.pair.id
    for k in range(8):
        click(qtbot, view.photo_pane, 20 + 25 * k, 30 + 20 * k)
        qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: context.pair_id != pid, timeout=3000)
    context.set_pair(pid)  # back to the finished pair: nothing moves now
    assert view.hint_label.text() == "All 8 keypoints placed."
    qtbot.wait(600)
    assert context.pair_id == pid


def test_annotate_keys_come_from_the_registry_and_can_be_changed(qtbot, view, context) -> None:
    from PySide6.QtGui import QKeySequence

    registry = context.actions
    ids = {a.objectName() for a in view.actions()}
    assert {"annotate.accept", "annotate.fit", "annotate.select_8"} <= ids
    assert {s.id for s in registry.specs() if s.group == "Annotate"} >= ids
    # F and 1 mean other things in the Draw view: not a conflict, the scopes differ
    assert registry.conflicts() == {}
    registry.set_keys("annotate.overlay", ["W"])
    overlay = next(a for a in view.actions() if a.objectName() == "annotate.overlay")
    assert overlay.shortcut() == QKeySequence("W")
    before = view.overlay_slider.value()
    qtbot.keyClick(view, Qt.Key.Key_W)
    assert view.overlay_slider.value() != before
    registry.set_keys("annotate.fit", ["V"])  # the same view: a real conflict
    assert registry.conflicts() == {"V": ["annotate.toggle_visible", "annotate.fit"]}


def test_the_annotate_view_fits_a_small_laptop_window(qtbot, view) -> None:
    assert view.minimumSizeHint().width() <= 800
