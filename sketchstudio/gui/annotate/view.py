"""The Annotate view: photo and sketch side by side, numbered keypoints, model suggestions.

The view adapts three things and owns none of the state:

* `AnnotationController` (Qt-free) — the work-flow rules; its edits are pushed here as
  `KeypointCommand`s on the shared undo stack, which write through the store at once;
* `WarpSuggester` — the warp model on its own worker thread; its flows are cached per pair, so
  the controller answers a click from numpy without waiting, and refined through confirmed
  anchors (debounced) as the user works;
* two `ImagePane`s — mouse → image pixels, markers and the warp overlay.

When the model fails to load or run, a banner says so and the controller falls back to
identity + anchors suggestions: annotating by hand always works.
"""

from __future__ import annotations

import getpass
import hashlib
import logging

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QImage, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.core.model import Side
from sketchstudio.gui import theme
from sketchstudio.gui.annotate.commands import KeypointCommand
from sketchstudio.gui.annotate.image_pane import ImagePane
from sketchstudio.gui.annotate.keypoint_strip import KeypointStrip
from sketchstudio.gui.annotate.suggester import WarpSuggester
from sketchstudio.gui.annotate.warp_jobs import FlowRequest, FlowResult, ImageInput, ModelReady, image_key
from sketchstudio.gui.context import WorkspaceContext
from sketchstudio.gui.draw.commands import push
from sketchstudio.gui.draw.layer import flatten_sketch
from sketchstudio.gui.mode_bar import ElidedLabel
from sketchstudio.gui.qimages import read_qimage
from sketchstudio.gui.views import WorkspaceView
from sketchstudio.gui.workers import Debouncer
from sketchstudio.inference.annotation import (
    IDENTITY_MODEL_ID,
    AnnotationController,
    FlowPairTransfer,
    KeypointEdit,
)
from sketchstudio.inference.models_registry import IDENTITY, ModelInfo, resolve_model

log = logging.getLogger(__name__)

REFINE_DEBOUNCE_MS = 120
ADVANCE_DELAY_MS = 450


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """An H×W×3 uint8 copy of `image` (for worker snapshots)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = rgb.width(), rgb.height()
    arr = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=rgb.bytesPerLine() * h)
    arr = arr.reshape(h, rgb.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()
    arr.setflags(write=False)
    return arr


def rgb_to_qimage(arr: np.ndarray) -> QImage:
    arr = np.ascontiguousarray(arr[..., :3], dtype=np.uint8)
    h, w = arr.shape[:2]
    return QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class Banner(QFrame):
    """A dismissible message strip at the top of the view (model failures)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        self.setStyleSheet("QFrame#Banner { background: #4a2f1d; border-bottom: 1px solid #8a5a2b; }"
                           "QFrame#Banner QLabel { color: #f7d9b5; }")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()


class AnnotateView(WorkspaceView):
    view_id = "annotate"
    title = "Annotate"
    icon_name = "annotate"

    suggestionShown = Signal()  # a (new) suggestion is on screen; benchmarks time clicks with it

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None, *,
                 suggester: WarpSuggester | None = None) -> None:
        super().__init__(context, parent)
        self.store = context.store
        self.controller = AnnotationController(context.store, apply=self._push_edit, author=_user())
        self.suggester = suggester or WarpSuggester(parent=self)
        self.suggester.flowsReady.connect(self._on_flows)
        self.suggester.modelReady.connect(self._on_model_ready)
        self.suggester.failed.connect(self._on_model_failed)
        self.suggester.busyChanged.connect(self._on_busy)
        self._photo_input: ImageInput | None = None
        self._sketch_input: ImageInput | None = None
        self._refine = Debouncer(self._request_current, REFINE_DEBOUNCE_MS, self)
        self._advance_timer = QTimer(self)
        self._advance_timer.setSingleShot(True)
        self._advance_timer.setInterval(ADVANCE_DELAY_MS)
        self._advance_timer.timeout.connect(self._advance_pair)
        self._last_suggestion = None
        self._hover_side = Side.SKETCH
        self._sketch_stale = False
        self._shown_sketch: str | None = None
        self._model_choice: tuple[str, str] | None = None
        self._switching = False  # set_pair in progress: no synchronous repaint

        self._build_ui()
        self._actions = self._build_actions()
        self._disconnects.append(self.controller.changed.connect(self._on_controller_changed))
        self._disconnects.append(self.controller.pair_completed.connect(self._on_pair_completed))
        self._disconnects.append(context.store.events.connect(self._on_store_event))
        self._load_model_from_settings()
        self.set_pair(context.pair_id)

    # --- layout ------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        c = self.controller
        self.banner = Banner(self)

        header = QFrame(self)
        header.setObjectName("AnnotateHeader")
        header.setStyleSheet(f"QFrame#AnnotateHeader {{ background: {theme.PANEL};"
                             f" border-bottom: 1px solid {theme.BORDER}; }}")
        self.pair_label = ElidedLabel(header)  # long names shrink instead of widening the window
        self.pair_label.setObjectName("PairTitle")
        self.strip = KeypointStrip(c, header)
        self.strip.selectRequested.connect(c.select)
        self.progress_label = QLabel(header)
        self.progress_label.setObjectName("PairTitle")
        self.hint_label = QLabel(header)  # wraps: a long hint is never cut off at 1280 px
        self.hint_label.setObjectName("Muted")
        self.hint_label.setWordWrap(True)
        self.hint_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.model_label = ElidedLabel(header)
        self.model_label.setObjectName("Muted")
        self.model_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.accept_button = QPushButton("Accept  ⏎", header)
        self.accept_button.setObjectName("Primary")
        self.accept_button.setToolTip("Accept the suggested counterpart (Enter)")
        self.accept_button.clicked.connect(c.accept)
        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(self.pair_label)
        top.addWidget(self.strip)
        top.addWidget(self.progress_label)
        # the model line takes only the room left over (and elides there): it never squeezes the
        # pair title
        self.model_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        top.addWidget(self.model_label, 1)
        top.addWidget(self.accept_button)
        header_layout = QVBoxLayout(header)
        header_layout.setContentsMargins(14, 8, 14, 8)
        header_layout.setSpacing(4)
        header_layout.addLayout(top)
        header_layout.addWidget(self.hint_label)

        self.photo_pane = ImagePane(c, Side.PHOTO, self)
        self.sketch_pane = ImagePane(c, Side.SKETCH, self)
        for pane in (self.photo_pane, self.sketch_pane):
            pane.hovered.connect(self._set_hover_side)
            pane.viewChanged.connect(lambda z, x, y, p=pane: self._sync_view(p, z, x, y))
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.photo_pane)
        self.splitter.addWidget(self.sketch_pane)
        self.splitter.setHandleWidth(3)
        self.splitter.setChildrenCollapsible(False)

        footer = QFrame(self)
        footer.setObjectName("AnnotateFooter")
        footer.setStyleSheet(f"QFrame#AnnotateFooter {{ background: {theme.PANEL};"
                             f" border-top: 1px solid {theme.BORDER}; }}")
        self.sync_check = QCheckBox("Sync views", footer)
        self.sync_check.setToolTip("Zoom and pan both images together")
        self.sync_check.setChecked(True)
        self.overlay_label = QLabel("Overlay", footer)
        self.overlay_label.setToolTip("Warp overlay: the other image, warped through the model's flows (O)")
        self.overlay_slider = QSlider(Qt.Orientation.Horizontal, footer)
        self.overlay_slider.setRange(0, 100)
        self.overlay_slider.setMinimumWidth(60)
        self.overlay_slider.setMaximumWidth(160)
        self.overlay_slider.setToolTip("Blend the other image, warped through the model's flows (O)")
        self.overlay_slider.valueChanged.connect(self._set_overlay_opacity)
        self.hide_photo_button = QPushButton("Not on photo", footer)
        self.hide_photo_button.setToolTip("The selected keypoint is not visible on the photo "
                                          "(V with the mouse over the photo)")
        self.hide_photo_button.clicked.connect(lambda: self.controller.toggle_visible(Side.PHOTO))
        self.hide_sketch_button = QPushButton("Not on sketch", footer)
        self.hide_sketch_button.setToolTip("The selected keypoint is not visible on the sketch "
                                           "(V with the mouse over the sketch)")
        self.hide_sketch_button.clicked.connect(lambda: self.controller.toggle_visible(Side.SKETCH))
        self.delete_button = QPushButton("Delete", footer)
        self.delete_button.clicked.connect(self.controller.delete_selected)
        self.panel_button = QPushButton("Model vs. human", footer)
        self.panel_button.setToolTip("How far you moved each model's suggestions, as PCK per category")
        self.panel_button.setCheckable(True)
        self.panel_button.toggled.connect(self._toggle_panel)
        bottom = QHBoxLayout(footer)
        bottom.setContentsMargins(14, 6, 14, 6)
        bottom.setSpacing(10)
        bottom.addWidget(self.sync_check)
        bottom.addSpacing(4)
        bottom.addWidget(self.overlay_label)
        bottom.addWidget(self.overlay_slider, 1)
        bottom.addStretch(1)
        bottom.addWidget(self.hide_photo_button)
        bottom.addWidget(self.hide_sketch_button)
        bottom.addWidget(self.delete_button)
        bottom.addWidget(self.panel_button)

        from sketchstudio.gui.models_panel import ModelVsHumanPanel

        self.panel = ModelVsHumanPanel(self.store, self)
        self.panel.hide()
        middle = QHBoxLayout()
        middle.setContentsMargins(0, 0, 0, 0)
        middle.setSpacing(0)
        middle.addWidget(self.splitter, 1)
        middle.addWidget(self.panel)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(header)
        layout.addLayout(middle, 1)
        layout.addWidget(footer)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def _build_actions(self) -> list[QAction]:
        """The view's keys, declared in `shortcuts.ACTION_SPECS` (configurable, in the cheat
        sheet) and working while this view has focus (so "F" or "1" can mean something else in
        the Draw view)."""
        c = self.controller
        slots = {
            "annotate.accept": c.accept,
            "annotate.delete": c.delete_selected,
            "annotate.toggle_visible": lambda: c.toggle_visible(self._hover_side),
            "annotate.next_keypoint": lambda: self._step_keypoint(1),
            "annotate.prev_keypoint": lambda: self._step_keypoint(-1),
            "annotate.overlay": self._toggle_overlay,
            "annotate.fit": self._fit,
        }
        for i in range(min(9, c.n_keypoints)):
            slots[f"annotate.select_{i + 1}"] = lambda k=i: self.controller.select(k)
        actions = []
        for action_id, slot in slots.items():
            action = self.context.actions.local_action(action_id, self, slot)
            self.addAction(action)
            actions.append(action)
        return actions[:7]  # the menu lists the commands, not the nine selection keys

    # --- the view interface ------------------------------------------------------------------

    def set_pair(self, pair_id: int | None) -> None:
        self._advance_timer.stop()
        self._refine.cancel()
        # nothing paints until the new pair's images, keypoints and header are all in place
        self._switching = True
        try:
            self.controller.set_pair(pair_id)
            self._photo_input = self._sketch_input = None
            self._load_images()
        finally:
            self._switching = False
        if pair_id is not None:
            self._use_cached_flows()
            self._request_current()
            self._prefetch_next()
        self._on_controller_changed()

    def activate(self) -> None:
        super().activate()
        self.setFocus()
        if self.context.pair_id != (self.controller.pair.id if self.controller.pair else None):
            self.set_pair(self.context.pair_id)
        elif self._sketch_stale and self.controller.pair is not None:
            self._reload_sketch()

    def view_actions(self) -> list[QAction]:
        return list(self._actions)

    def status_text(self) -> str:
        c = self.controller
        if c.pair is None:
            return "No pair"
        return f"Keypoints {c.completed()}/{c.n_keypoints} · {self._model_text()}"

    def is_busy(self) -> bool:
        return self.suggester.worker.busy or self._refine.pending

    def shutdown(self) -> None:
        self._refine.cancel()
        self._advance_timer.stop()
        self.panel.shutdown()
        self.suggester.shutdown()
        self.controller.close()
        super().shutdown()

    # --- model -------------------------------------------------------------------------------

    def _load_model_from_settings(self) -> None:
        settings = self.context.settings
        model = resolve_model(settings.warp_model or None, "warp") or IDENTITY
        device = settings.device or "auto"
        if (model.id, device) != self._model_choice:
            self.set_model(model, device)

    def settings_changed(self) -> None:
        self._load_model_from_settings()

    def set_model(self, model: ModelInfo, device: str = "auto") -> None:
        """Switch the suggesting model (the preferences and the Retrain dialog call this)."""
        self._model_choice = (model.id, device)
        self.banner.hide()
        self.suggester.set_model(model, device)
        if self.controller.pair is not None:
            self.controller.set_transfer(self.controller.pair.id, None)
        self._request_current()
        self._update_header()

    def _on_busy(self, _busy: bool) -> None:
        self._update_header()
        self.status_changed.emit()  # the status bar repeats the model line
        self._busy_changed()

    def _on_model_ready(self, ready: ModelReady) -> None:
        self._update_header()

    def _on_model_failed(self, message: str) -> None:
        self.banner.show_message(f"⚠  {message}. Suggestions fall back to relative position and your "
                                 "confirmed keypoints; annotating by hand works as usual.")
        self._update_header()

    def _model_text(self) -> str:
        s = self.suggester
        if s.model_error:
            return "no model (failed to load)"
        name = s.model.name if s.model.id != IDENTITY.id else "identity + anchors"
        return f"model: {name}" + (" · computing…" if s.worker.busy else "")

    # --- images and worker requests ------------------------------------------------------------

    def _load_images(self) -> None:
        pair = self.controller.pair
        if pair is None:
            self.photo_pane.set_image(None, "No pair selected")
            self.sketch_pane.set_image(None, "")
            self.photo_pane.caption = self.sketch_pane.caption = ""
            return
        photo_path = self.store.resolve(pair.photo)
        photo = read_qimage(photo_path)
        self.photo_pane.set_image(photo, f"Cannot read the photo\n{photo_path}")
        self.photo_pane.caption = "Photo"
        if photo is not None:
            self._photo_input = ImageInput(image_key(photo_path), path=str(photo_path))
        self._sketch_stale = False
        self._shown_sketch = pair.sketch
        sketch_image, self._sketch_input = self._sketch_snapshot(pair.id)
        self.sketch_pane.set_image(sketch_image, "No sketch yet — draw one in the Draw view")
        self.sketch_pane.caption = "Sketch"
        self.controller.set_image_sizes(self.photo_pane.image_size(), self.sketch_pane.image_size())
        for pane in (self.photo_pane, self.sketch_pane):
            pane.set_overlay(None)
            pane.fit()

    def _sketch_snapshot(self, pair_id: int) -> tuple[QImage | None, ImageInput | None]:
        """The sketch as shown (base raster + strokes) and as the model gets it."""
        sketch = self.store.sketch(pair_id)
        if sketch.base_image and not sketch.strokes:
            path = self.store.resolve(sketch.base_image)
            image = read_qimage(path)
            if image is None:
                return None, None
            flat = QImage(image.size(), QImage.Format.Format_RGB32)
            flat.fill(QColor(sketch.background))
            painter = QPainter(flat)
            painter.drawImage(0, 0, image)
            painter.end()
            return flat, ImageInput(image_key(path), path=str(path))
        if not sketch.strokes:
            return None, None
        base = read_qimage(self.store.resolve(sketch.base_image)) if sketch.base_image else None
        image = flatten_sketch(sketch, base)
        digest = hashlib.sha1(repr((sketch.base_image, [s.id for s in sketch.strokes],
                                    sketch.width, sketch.height)).encode()).hexdigest()[:16]
        return image, ImageInput(f"strokes:{pair_id}:{digest}", pixels=qimage_to_rgb(image))

    def _flow_request(self, pair_id: int, anchors) -> FlowRequest | None:
        if pair_id == (self.controller.pair.id if self.controller.pair else None):
            photo, sketch = self._photo_input, self._sketch_input
        else:
            pair = self.store.pair(pair_id)
            path = self.store.resolve(pair.photo)
            photo = ImageInput(image_key(path), path=str(path))
            sk = self.store.sketch(pair_id)
            if sk.strokes or not sk.base_image:
                return None  # drawn sketches are snapshotted when the pair is shown
            spath = self.store.resolve(sk.base_image)
            sketch = ImageInput(image_key(spath), path=str(spath))
        if photo is None or sketch is None:
            return None
        return FlowRequest(pair_id, photo, sketch, tuple(anchors))

    def _request_current(self) -> None:
        c = self.controller
        if c.pair is None:
            return
        request = self._flow_request(c.pair.id, c.anchors())
        if request is not None:
            self.suggester.request(request)

    def _prefetch_next(self) -> None:
        c = self.controller
        if c.pair is None:
            return
        nxt = c.next_unfinished_pair()
        if nxt is None or nxt == c.pair.id:
            return
        anchors = [(kp.photo, kp.sketch) for kp in self.store.keypoints(nxt)
                   if kp.is_complete and kp.photo is not None and kp.sketch is not None
                   and kp.photo_visible and kp.sketch_visible]
        request = self._flow_request(nxt, anchors)
        if request is not None:
            self.suggester.request(request, prefetch=True)

    def _use_cached_flows(self) -> None:
        c = self.controller
        cached = self.suggester.cached(c.pair.id) if c.pair else None
        if cached is not None:
            self._apply_flows(cached)

    def _on_flows(self, result: FlowResult) -> None:
        if self.controller.pair is not None and result.pair_id == self.controller.pair.id:
            self._apply_flows(result)

    def _apply_flows(self, result: FlowResult) -> None:
        self.controller.set_transfer(result.pair_id, FlowPairTransfer(result.flows), result.anchors)
        self.sketch_pane.set_overlay(rgb_to_qimage(result.photo_on_sketch)
                                     if result.photo_on_sketch is not None else None)
        self.photo_pane.set_overlay(rgb_to_qimage(result.sketch_on_photo)
                                    if result.sketch_on_photo is not None else None)

    # --- reacting ------------------------------------------------------------------------------

    def _push_edit(self, edit: KeypointEdit) -> None:
        push(self.context.undo_stack, KeypointCommand(self.context, edit, author=self.controller.author))

    def _on_controller_changed(self) -> None:
        c = self.controller
        if c.pair is not None and c.transfer is not None and not c.transfer_is_current:
            self._refine.poke()  # a new anchor: ask for refined flows once the user pauses
        self.photo_pane.update()
        self.sketch_pane.update()
        self.strip.update()
        self._update_header()
        s = c.suggestion
        if s is not None and s != self._last_suggestion and not self._switching:
            # paint now, before the edit's durable write returns: the suggestion is on screen at once
            (self.sketch_pane if s.side is Side.SKETCH else self.photo_pane).repaint()
            self.suggestionShown.emit()
        self._last_suggestion = s

    def _on_store_event(self, event: ChangeEvent) -> None:
        c = self.controller
        if c.pair is None or event.pair_id != c.pair.id:
            return
        sketch_edit = (ChangeKind.STROKE_ADDED, ChangeKind.STROKE_REMOVED, ChangeKind.SKETCH_CHANGED)
        if event.kind in sketch_edit or (event.kind is ChangeKind.PAIR_CHANGED
                                         and c.pair.sketch != self._shown_sketch):
            if self.is_active:
                self._reload_sketch()
            else:
                self._sketch_stale = True  # redrawn in the Draw view: re-read when shown again

    def _reload_sketch(self) -> None:
        c = self.controller
        self._sketch_stale = False
        self._shown_sketch = c.pair.sketch if c.pair else None
        image, self._sketch_input = self._sketch_snapshot(c.pair.id)
        self.sketch_pane.set_image(image, "No sketch yet — draw one in the Draw view")
        self._refine.poke()

    def _update_header(self) -> None:
        c = self.controller
        pair = c.pair
        if pair is None:
            self.pair_label.setText("No pair")
            self.progress_label.setText("")
            self.hint_label.setText("Open a project and pick a pair in the browser.")
        else:
            title = " · ".join(t for t in (pair.category, pair.name or f"pair {pair.id}") if t)
            self.pair_label.setText(title)
            done = c.completed()
            colour = theme.STATUS_COLOURS["done"] if done >= c.n_keypoints else theme.TEXT
            self.progress_label.setText(f"<span style='color:{colour}'>{done}/{c.n_keypoints}</span>")
            hint = self._hint()
            self.hint_label.setText(hint)
            self.hint_label.setToolTip(hint)
        self.model_label.setText(self._model_text())
        self.accept_button.setEnabled(c.suggestion is not None)

    def _hint(self) -> str:
        c = self.controller
        if c.is_complete:
            if self._advance_timer.isActive():
                return "All keypoints placed — moving on to the next unfinished pair."
            return f"All {c.n_keypoints} keypoints placed."
        k = c.selected
        if k is None:
            return ""
        selected = c.keypoints.get(k)
        if selected is not None and selected.is_complete:
            # a click on empty image places the next free keypoint (the controller's rule): say so
            free = c.next_free_index()
            then = (f"a click elsewhere places keypoint {free + 1}." if free is not None else
                    "every keypoint has a point: pick an open one with Tab or 1–8 to finish it.")
            return f"Keypoint {k + 1} is placed — drag to adjust, Delete removes it; {then}"
        s = c.suggestion
        if s is not None:
            who = "the model" if s.model_id != IDENTITY_MODEL_ID else "identity + anchors"
            conf = f" ({s.confidence:.0%} consistent)" if s.confidence is not None else ""
            return (f"Keypoint {k + 1}: suggestion on the {s.side.value} from {who}{conf} — Enter or click "
                    "it to accept, click elsewhere to place it yourself, drag to adjust, V: not visible.")
        return (f"Keypoint {k + 1}: click on the photo or the sketch to place it "
                "(V marks it not visible on the side under the mouse).")

    # --- small actions -----------------------------------------------------------------------

    def _set_hover_side(self, side: Side) -> None:
        self._hover_side = side

    def _step_keypoint(self, step: int) -> None:
        c = self.controller
        n = c.n_keypoints
        c.select(((c.selected if c.selected is not None else -step) + step) % n)

    def _toggle_overlay(self) -> None:
        self.overlay_slider.setValue(0 if self.overlay_slider.value() else 50)

    def _set_overlay_opacity(self, value: int) -> None:
        for pane in (self.photo_pane, self.sketch_pane):
            pane.set_overlay_opacity(value / 100)

    def _fit(self) -> None:
        self.photo_pane.fit()
        self.sketch_pane.fit()

    def _sync_view(self, source: ImagePane, zoom: float, cx: float, cy: float) -> None:
        if not self.sync_check.isChecked():
            return
        other = self.sketch_pane if source is self.photo_pane else self.photo_pane
        other.set_view(zoom, cx, cy, notify=False)

    def _toggle_panel(self, shown: bool) -> None:
        self.panel.setVisible(shown)
        if shown:
            self.panel.refresh()

    def _on_pair_completed(self, *_args: object) -> None:
        """The user just placed the last keypoint: move on shortly, if there is somewhere to go."""
        c = self.controller
        nxt = c.next_unfinished_pair() if c.pair is not None else None
        if nxt is not None and nxt != c.pair.id:
            self._advance_timer.start()
        self._update_header()

    def _advance_pair(self) -> None:
        c = self.controller
        if c.pair is None or not c.is_complete:
            return
        nxt = c.next_unfinished_pair()
        if nxt is not None and nxt != c.pair.id:
            self.context.set_pair(nxt)
