"""The Render view: the sketch, a style image, and a live preview rendered in the background.

The sketch-to-image model runs on its own `ModelWorker` (never on the GUI thread). While the
user draws, re-renders are scheduled with an adaptive debounce: an unchanged sketch/style is
skipped, at most one job is in flight (a newer input waits and is sent when it returns), and
the pause asked for grows with the last render's duration, so a slow model renders after the
user pauses instead of falling behind.

Each request names its checkpoint and device, so switching models in the preferences needs no
worker restart: the worker loads the new model on its next job. With no sketch-to-image model
installed at all the view says so (and how to get one) instead of failing on every stroke.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QIODevice, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sketchstudio.core.atomic import atomic_write_bytes
from sketchstudio.core.errors import UserError
from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.gui import theme
from sketchstudio.gui.annotate.view import Banner, qimage_to_rgb, rgb_to_qimage
from sketchstudio.gui.context import WorkspaceContext
from sketchstudio.gui.draw.layer import flatten_sketch
from sketchstudio.gui.qimages import read_qimage
from sketchstudio.gui.views import WorkspaceView
from sketchstudio.gui.workers import CURRENT, Debouncer, ModelWorker
from sketchstudio.inference.models_registry import ModelInfo, resolve_model

MIN_DELAY_MS, MAX_DELAY_MS = 60, 1500
BOX_MARGIN, CAPTION_H = 12, 24
NO_MODEL_TEXT = ("No sketch-to-image model is installed.\n\nTrain one with “sketchstudio-train s2i”, or "
                 "convert the official checkpoint with “sketchstudio-train convert”, then choose it in "
                 "Edit → Preferences. Drawing and annotating work without it.")


@dataclass(frozen=True, slots=True)
class RenderRequest:
    sketch: np.ndarray = field(compare=False)
    sketch_key: str
    style_path: str
    size: int = 256
    checkpoint: Path | None = None  # None: the shipped default
    device: str = "auto"


@dataclass(frozen=True, slots=True, eq=False)
class RenderResult:
    sketch_key: str
    style_path: str
    image: np.ndarray
    seconds: float


class RenderJobs:
    """Worker-thread side: one `RenderService` for the (checkpoint, device) the newest request
    names, loaded on first use and replaced when they change (style vectors are cached there)."""

    def __init__(self) -> None:
        self._service = None
        self._loaded: tuple[Path | None, str] | None = None

    def __call__(self, request: RenderRequest, token) -> RenderResult:
        from PIL import Image

        from sketchstudio.inference.render_service import RenderService

        start = time.perf_counter()
        wanted = (request.checkpoint, request.device)
        if self._service is None or self._loaded != wanted:
            self._service = None
            service = RenderService(request.checkpoint, request.device)
            service.load()
            self._service, self._loaded = service, wanted
        token.raise_if_cancelled()
        style = Image.open(request.style_path).convert("RGB")
        out = self._service.render(Image.fromarray(request.sketch), style, request.size,
                                   style_key=request.style_path, cancelled=lambda: token.cancelled)
        return RenderResult(request.sketch_key, request.style_path, np.asarray(out.convert("RGB")),
                            time.perf_counter() - start)


class ImageBox(QWidget):
    """An image fitted in the widget, or a placeholder line."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = caption
        self.image: QImage | None = None
        self.placeholder = ""
        self.setMinimumSize(160, 160)

    def set_image(self, image: QImage | None, placeholder: str = "") -> None:
        self.image, self.placeholder = image, placeholder
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#26272b"))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        cell = self.cell()
        if self.image is None:
            painter.setPen(QColor(theme.MUTED))
            painter.drawText(cell.adjusted(12, 12, -12, -12),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
        else:
            painter.fillRect(cell, QColor("#1e1f23"))
            w, h = self.image.width(), self.image.height()
            s = min(cell.width() / w, cell.height() / h)
            target = QRectF(cell.center().x() - w * s / 2, cell.center().y() - h * s / 2, w * s, h * s)
            painter.drawImage(target, self.image)
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(QRectF(cell.left(), cell.top() - 24, cell.width(), 20),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, self.caption)
        painter.end()

    def cell(self) -> QRectF:
        """The square the image is fitted in: the largest that fits under the caption, centred,
        so the three boxes of the view (equal widths) show equal squares whatever the images."""
        side = max(1.0, min(self.width() - 2 * BOX_MARGIN, self.height() - 2 * BOX_MARGIN - CAPTION_H))
        return QRectF((self.width() - side) / 2, (self.height() - side + CAPTION_H) / 2, side, side)


class RenderView(WorkspaceView):
    view_id = "render"
    title = "Render"
    icon_name = "render"

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.store = context.store
        self.model: ModelInfo | None = None
        self.model_name = ""
        self.device = "auto"
        self.worker = ModelWorker(RenderJobs(), name="render", lanes=(CURRENT,))
        self.worker.resultReady.connect(self._on_result)
        self.worker.failed.connect(self._on_failed)
        self.worker.busyChanged.connect(lambda _busy: self._busy_changed())
        self._debounce = Debouncer(self._submit, MIN_DELAY_MS, self)
        self._sketch: np.ndarray | None = None
        self._sketch_key = ""
        self._sent: tuple[str, str] | None = None
        self._rendered: tuple[str, str] | None = None
        self._dirty = False
        self.result: QImage | None = None
        self.pair_id: int | None = None

        self.banner = Banner(self)
        bar = QFrame(self)
        bar.setObjectName("RenderBar")
        bar.setStyleSheet(f"QFrame#RenderBar {{ background: {theme.PANEL};"
                          f" border-bottom: 1px solid {theme.BORDER}; }}")
        self.style_combo = QComboBox(bar)
        self.style_combo.setMinimumContentsLength(22)
        self.style_combo.activated.connect(self._style_activated)
        self.status = QLabel(bar)
        self.status.setObjectName("Muted")
        self.save_button = QPushButton("Save render…", bar)
        self.save_button.setObjectName("Primary")
        self.save_button.clicked.connect(self.save_dialog)
        row = QHBoxLayout(bar)
        row.setContentsMargins(14, 8, 14, 8)
        row.addWidget(QLabel("Style", bar))
        row.addWidget(self.style_combo)
        row.addStretch(1)
        row.addWidget(self.status)
        row.addWidget(self.save_button)
        self.sketch_box = ImageBox("Sketch", self)
        self.style_box = ImageBox("Style", self)
        self.output_box = ImageBox("Render (live)", self)
        images = QHBoxLayout()
        images.setContentsMargins(8, 8, 8, 8)
        images.setSpacing(8)
        for box in (self.sketch_box, self.style_box, self.output_box):
            images.addWidget(box, 1)  # equal widths: equal squares (see ImageBox.cell)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(bar)
        layout.addLayout(images, 1)
        self._disconnects.append(self.store.events.connect(self._on_store_event))
        settings = context.settings
        self.set_model(resolve_model(settings.s2i_model or None, "s2i"), settings.device or "auto")
        self.set_pair(context.pair_id)

    # --- the view interface ------------------------------------------------------------------

    def set_pair(self, pair_id: int | None) -> None:
        self.pair_id = pair_id
        self._fill_styles()
        self._refresh_sketch()
        self._style_chosen()
        if self.model is None:
            self._show_no_model()

    def activate(self) -> None:
        super().activate()
        self._schedule()

    def status_text(self) -> str:
        return f"Render · model: {self.model_name}"

    def settings_changed(self) -> None:
        settings = self.context.settings
        model = resolve_model(settings.s2i_model or None, "s2i")
        device = settings.device or "auto"
        if (model.id if model else None, device) != (self.model.id if self.model else None, self.device):
            self.set_model(model, device)

    def is_busy(self) -> bool:
        return self._debounce.pending or self._sent is not None or self.worker.busy

    def set_model(self, model: ModelInfo | None, device: str = "auto") -> None:
        """Render with `model` (None: no sketch-to-image model is installed) on `device`."""
        self.model, self.device = model, device or "auto"
        self.model_name = model.name if model is not None else "none installed"
        self._rendered = self._sent = None  # the same input renders again with the new model
        self.banner.hide()
        if model is None:
            self._debounce.cancel()
            self.worker.cancel()
            self.result = None
            self.status.setText("No model")
            self._show_no_model()
        else:
            self.status.setText("")
            if self.result is None and self._sketch is not None:
                self.output_box.set_image(None, "")
            self._schedule()
        self.save_button.setEnabled(self.result is not None)
        self.status_changed.emit()
        self._busy_changed()

    def _show_no_model(self) -> None:
        self.output_box.set_image(None, NO_MODEL_TEXT)

    def shutdown(self) -> None:
        self._debounce.cancel()
        self.worker.stop()
        super().shutdown()

    # --- inputs --------------------------------------------------------------------------------

    def style_path(self) -> str | None:
        return self.style_combo.currentData()

    def _fill_styles(self) -> None:
        self.style_combo.clear()
        if self.pair_id is not None:
            pair = self.store.pair(self.pair_id)
            self.style_combo.addItem("This pair's photo", str(self.store.resolve(pair.photo)))
            for other in self.store.pairs():
                if other.id != self.pair_id:
                    label = f"Photo of {other.name or other.id}"
                    if other.category:
                        label += f" ({other.category})"
                    self.style_combo.addItem(label, str(self.store.resolve(other.photo)))
        self.style_combo.addItem("Choose a file…", None)

    def _style_activated(self, index: int) -> None:
        """The user picked an entry; "Choose a file…" asks for one."""
        if self.style_combo.itemData(index) is None:
            path, _ = QFileDialog.getOpenFileName(self, "Style image", "",
                                                  "Images (*.png *.jpg *.jpeg *.bmp)")
            if path:
                self.style_combo.insertItem(index, Path(path).name, path)
            self.style_combo.setCurrentIndex(index if path else 0)
        self._style_chosen()

    def _style_chosen(self) -> None:
        path = self.style_path()
        self.style_box.set_image(read_qimage(path) if path else None, "No style image")
        self._schedule()

    def _refresh_sketch(self) -> None:
        if self.pair_id is None:
            self._sketch, self._sketch_key = None, ""
            self.sketch_box.set_image(None, "No pair selected")
            self.output_box.set_image(None, "")
            return
        sketch = self.store.sketch(self.pair_id)
        base = read_qimage(self.store.resolve(sketch.base_image)) if sketch.base_image else None
        if base is None and not sketch.strokes:
            self._sketch, self._sketch_key = None, ""
            self.sketch_box.set_image(None, "No sketch yet — draw one in the Draw view")
            self.output_box.set_image(None, "The render appears here once there is a sketch.")
            return
        image = flatten_sketch(sketch, base)
        self._sketch = qimage_to_rgb(image)
        self._sketch_key = hashlib.sha1(self._sketch.tobytes()).hexdigest()[:16]
        self.sketch_box.set_image(image)

    def _on_store_event(self, event: ChangeEvent) -> None:
        if event.pair_id != self.pair_id and event.kind is not ChangeKind.PROJECT_RELOADED:
            return
        if event.kind in (ChangeKind.STROKE_ADDED, ChangeKind.STROKE_REMOVED, ChangeKind.SKETCH_CHANGED,
                          ChangeKind.PAIR_CHANGED):
            self._refresh_sketch()
            self._schedule()

    # --- adaptive debounce ---------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._sketch is None or not self.style_path() or not self.is_active or self.model is None:
            return
        if (self._sketch_key, self.style_path()) in (self._rendered, self._sent):
            return  # unchanged input: nothing to do
        self._debounce.poke()
        self._busy_changed()

    def _submit(self) -> None:
        if self._sketch is None or not self.style_path() or self.model is None:
            self._busy_changed()
            return
        if self.worker.busy:
            self._dirty = True  # one job in flight; the newest input is sent when it returns
            return
        self._dirty = False
        self._sent = (self._sketch_key, self.style_path())
        self.status.setText("Rendering…")
        if self.result is None:
            self.output_box.set_image(None, "Rendering the first preview…")
        self.worker.submit(RenderRequest(self._sketch, self._sketch_key, self.style_path(),
                                         checkpoint=self.model.path, device=self.device))

    def _on_result(self, request_id: int, lane: str, result: RenderResult) -> None:
        self._rendered = (result.sketch_key, result.style_path)
        self._sent = None
        self.result = rgb_to_qimage(result.image)
        self.output_box.set_image(self.result)
        # wait for a pause about as long as a render takes (bounded), so a slow model never queues
        self._debounce.set_delay(min(MAX_DELAY_MS, max(MIN_DELAY_MS, int(1.5 * result.seconds * 1000))))
        self.status.setText(f"Rendered in {result.seconds * 1000:.0f} ms · model: {self.model_name}")
        self.save_button.setEnabled(True)
        if self._dirty:
            self._schedule()
        self._busy_changed()

    def _on_failed(self, request_id: int, lane: str, message: str) -> None:
        self._sent = None
        self.status.setText("Render failed")
        self.banner.show_message(f"⚠  The sketch-to-image model could not render: {message}")
        if self.result is None:
            self.output_box.set_image(None, "No preview: the model failed (see the message above).")
        self._busy_changed()

    # --- saving --------------------------------------------------------------------------------

    def save_dialog(self) -> None:
        if self.result is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save render", "render.png", "PNG image (*.png)")
        if path:
            try:
                self.save(path)
            except UserError as exc:
                self.banner.show_message(str(exc))

    def save(self, path: str | Path) -> None:
        """Write the current render as PNG, atomically."""
        if self.result is None:
            raise UserError("nothing rendered yet", path=path)
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        self.result.save(buffer, "PNG")
        atomic_write_bytes(path, bytes(buffer.data()))
