"""The Draw view: tool options bar over the sketch canvas."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSignalBlocker, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QDoubleSpinBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QSlider,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sketchstudio.core.errors import UserError
from sketchstudio.gui.context import WorkspaceContext
from sketchstudio.gui.draw.canvas import SketchCanvas
from sketchstudio.gui.draw.commands import ClearStrokesCommand, NewSketchCommand, push
from sketchstudio.gui.draw.tools import ToolKind
from sketchstudio.gui.views import WorkspaceView

BRUSH_STEP = 1.25


class DrawView(WorkspaceView):
    view_id = "draw"
    title = "Draw"
    icon_name = "draw"

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.canvas = SketchCanvas(context, self)
        self._build_actions()
        self.toolbar = self._build_toolbar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.canvas, 1)
        self.canvas.zoom_changed.connect(self._show_zoom)
        self.size_spin.lineEdit().setTextMargins(4, 0, 0, 0)
        self._disconnects.append(context.store.events.connect(lambda _e: self.status_changed.emit()))
        self.set_pair(context.pair_id)

    # -- WorkspaceView -------------------------------------------------------------------------
    def set_pair(self, pair_id: int | None) -> None:
        self.canvas.set_pair(pair_id)
        for action in self._pair_actions:
            action.setEnabled(pair_id is not None)

    def activate(self) -> None:
        super().activate()
        for action in self._actions:
            action.setEnabled(True)
        self.set_pair(self.canvas.pair_id)
        self.canvas.setFocus()

    def deactivate(self) -> None:
        super().deactivate()
        for action in self._actions:
            action.setEnabled(False)

    def view_actions(self) -> list[QAction]:
        return list(self._actions)

    def status_text(self) -> str:
        names = {ToolKind.PEN: "Pen", ToolKind.ERASER: "Pixel eraser",
                 ToolKind.STROKE_ERASER: "Stroke eraser"}
        n = self._stroke_count()
        return (f"{names[self.canvas.tool_kind]} {_px(self.canvas.brush_size)}px · {n} stroke{'s' * (n != 1)}"
                f" · {self.canvas.zoom * 100:.0f}%")

    def _stroke_count(self) -> int:
        """From the store, not the canvas layer (that one is refreshed lazily, at the next paint)."""
        if self.canvas.pair_id is None:
            return 0
        return self.context.store.stroke_count(self.canvas.pair_id)

    def shutdown(self) -> None:
        self.canvas.shutdown()
        super().shutdown()

    # -- actions -------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        reg = self.context.actions
        self.tool_group = QActionGroup(self)
        self.tool_actions: dict[ToolKind, QAction] = {}
        for kind, action_id in ((ToolKind.PEN, "draw.pen"), (ToolKind.ERASER, "draw.eraser"),
                                (ToolKind.STROKE_ERASER, "draw.stroke_eraser")):
            action = reg.action(action_id, checkable=True)
            action.triggered.connect(lambda _=False, k=kind: self.set_tool(k))
            self.tool_group.addAction(action)
            self.tool_actions[kind] = action
        self.tool_actions[ToolKind.PEN].setChecked(True)
        self.underlay_action = reg.action("draw.underlay", self._toggle_underlay, checkable=True)
        self.underlay_action.setChecked(True)
        bindings = {
            "draw.smaller": lambda: self.set_brush_size(self.canvas.brush_size / BRUSH_STEP),
            "draw.bigger": lambda: self.set_brush_size(self.canvas.brush_size * BRUSH_STEP),
            "draw.colour": self.choose_colour,
            "draw.clear": self.clear_sketch,
            "draw.new_sketch": self.new_sketch,
            "draw.export_png": self.export_png_dialog,
            "draw.export_svg": self.export_svg_dialog,
            "zoom.in": lambda: self.canvas.zoom_by(1.25),
            "zoom.out": lambda: self.canvas.zoom_by(1 / 1.25),
            "zoom.fit": self.canvas.fit_to_window,
            "zoom.actual": lambda: self.canvas.set_zoom(1.0),
        }
        plain = {action_id: reg.action(action_id) for action_id in bindings}
        for action_id, slot in bindings.items():
            plain[action_id].triggered.connect(slot)
        self.named_actions = {**plain, "draw.underlay": self.underlay_action,
                              **{a.objectName(): a for a in self.tool_actions.values()}}
        self._actions = [*self.tool_actions.values(), self.underlay_action, *plain.values()]
        self._pair_actions = [plain[i] for i in ("draw.clear", "draw.new_sketch", "draw.export_png",
                                                 "draw.export_svg")]
        for action in self._actions:
            self.addAction(action)

    def _build_toolbar(self) -> QToolBar:
        bar = QToolBar("Draw tools", self)
        bar.setObjectName("DrawToolbar")
        bar.setMovable(False)
        bar.setIconSize(bar.iconSize().scaled(20, 20, Qt.AspectRatioMode.KeepAspectRatio))
        for action in self.tool_actions.values():
            bar.addAction(action)
        bar.addSeparator()
        bar.addWidget(_caption("Size"))
        self.size_spin = QDoubleSpinBox(bar, decimals=1, minimum=0.5, maximum=200.0, singleStep=0.5,
                                        suffix=" px", value=self.canvas.brush_size)
        self.size_spin.setToolTip("Brush size in sketch pixels  ([ and ])")
        self.size_spin.setMinimumWidth(70)
        self.size_spin.valueChanged.connect(self.set_brush_size)
        bar.addWidget(self.size_spin)
        self.colour_button = QToolButton(bar)
        self.colour_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.colour_button.setToolTip("Brush colour  (C)")
        self.colour_button.clicked.connect(self.choose_colour)
        bar.addWidget(self.colour_button)
        self._show_colour()
        bar.addWidget(_caption("Smoothing"))
        self.smoothing_slider = _slider(bar, 0, 90, round(self.canvas.pen.smoothing * 100))
        self.smoothing_slider.setToolTip("Stabiliser: higher values smooth shaky lines")
        self.smoothing_slider.valueChanged.connect(self.set_smoothing)
        bar.addWidget(self.smoothing_slider)
        bar.addSeparator()
        bar.addAction(self.underlay_action)
        self.opacity_slider = _slider(bar, 0, 100, round(self.canvas.underlay_opacity * 100))
        self.opacity_slider.setToolTip("Photo underlay opacity (never part of the sketch)")
        self.opacity_slider.valueChanged.connect(self.set_underlay_opacity)
        bar.addWidget(self.opacity_slider)
        bar.addSeparator()
        bar.addAction(self.context.actions.action("edit.undo"))
        bar.addAction(self.context.actions.action("edit.redo"))
        bar.addAction(self.named_actions["draw.clear"])
        spacer = QWidget(bar)
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding,
                             spacer.sizePolicy().verticalPolicy().Preferred)
        bar.addWidget(spacer)
        bar.addAction(self.named_actions["draw.new_sketch"])
        bar.addSeparator()
        bar.addAction(self.named_actions["zoom.out"])
        self.zoom_label = QLabel("100%", bar)
        self.zoom_label.setObjectName("Muted")
        self.zoom_label.setMinimumWidth(44)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        bar.addWidget(self.zoom_label)
        bar.addAction(self.named_actions["zoom.in"])
        bar.addAction(self.named_actions["zoom.fit"])
        return bar

    # -- user commands -------------------------------------------------------------------------
    def set_tool(self, kind: ToolKind) -> None:
        self.canvas.set_tool(kind)
        self.tool_actions[kind].setChecked(True)
        self.status_changed.emit()
        with QSignalBlocker(self.size_spin):
            self.size_spin.setValue(self.canvas.brush_size)

    def set_brush_size(self, size: float) -> None:
        self.canvas.set_brush_size(size)
        brush = self.context.settings.brush
        if self.canvas.tool_kind is ToolKind.PEN:
            brush.size = self.canvas.brush_size
        else:
            brush.eraser_size = self.canvas.brush_size
        with QSignalBlocker(self.size_spin):
            self.size_spin.setValue(self.canvas.brush_size)
        self.status_changed.emit()

    def set_colour(self, colour: str) -> None:
        self.canvas.pen.color = QColor(colour).name()
        self.context.settings.brush.color = self.canvas.pen.color
        self._show_colour()

    def choose_colour(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.canvas.pen.color), self, "Brush colour")
        if chosen.isValid():
            self.set_colour(chosen.name())

    def set_smoothing(self, percent: int) -> None:
        self.canvas.pen.smoothing = percent / 100.0
        self.context.settings.brush.smoothing = percent / 100.0

    def set_underlay_opacity(self, percent: int) -> None:
        self.canvas.set_underlay_opacity(percent / 100.0)
        self.context.settings.underlay_opacity = percent / 100.0
        with QSignalBlocker(self.opacity_slider):
            self.opacity_slider.setValue(percent)

    def _toggle_underlay(self, visible: bool) -> None:
        self.canvas.set_underlay_visible(visible)
        self.opacity_slider.setEnabled(visible)

    def clear_sketch(self) -> None:
        if self.canvas.pair_id is not None and self.canvas.layer.strokes:
            push(self.context.undo_stack, ClearStrokesCommand(self.context, self.canvas.pair_id))

    def new_sketch(self) -> None:
        """Start a sketch for this pair's photo: this pair if it has none, else a new pair."""
        pair = self.context.pair()
        if pair is None:
            return
        push(self.context.undo_stack, NewSketchCommand(self.context, pair.id))
        self.canvas.setFocus()

    def export_png_dialog(self) -> None:
        self._export("PNG image (*.png)", ".png")

    def export_svg_dialog(self) -> None:
        self._export("SVG drawing (*.svg)", ".svg")

    def _export(self, file_filter: str, suffix: str) -> None:
        from sketchstudio.gui.draw import export

        pair = self.context.pair()
        if pair is None:
            return
        stem = (pair.name or f"pair-{pair.id}").replace("/", "_")
        start = self.context.settings.export_dir(self.context.store.path) / f"{stem}{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, "Export sketch", str(start), file_filter)
        if not path:
            return
        if not path.lower().endswith(suffix):
            path += suffix
        try:
            sketch = self.context.store.sketch(pair.id)
            if suffix == ".png":
                side, ok = QInputDialog.getInt(self, "PNG size", "Longest side in pixels (256 = Sketchy):",
                                               max(sketch.width, sketch.height), 16, 8192)
                if not ok:
                    return
                scale = side / max(sketch.width, sketch.height)
                size = (max(1, round(sketch.width * scale)), max(1, round(sketch.height * scale)))
                export.export_png(sketch, path, resolve=self.context.store.resolve, size=size)
            else:
                export.export_svg(sketch, path, resolve=self.context.store.resolve)
        except UserError as exc:
            QMessageBox.warning(self, "Export failed", str(exc))
            return
        self.context.settings.remember_export(path)
        self.context.notices.emit(f"Exported the sketch to {path}")

    # -- display -------------------------------------------------------------------------------
    def _show_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f}%")
        self.status_changed.emit()

    def _show_colour(self) -> None:
        pixmap = QPixmap(20, 20)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#d6dae1"), 1.5))
        painter.setBrush(QColor(self.canvas.pen.color))
        painter.drawEllipse(QRectF(2.5, 2.5, 15, 15))
        painter.end()
        self.colour_button.setIcon(QIcon(pixmap))


def _px(size: float) -> str:
    return f"{round(size, 1):g}"


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("Muted")
    label.setContentsMargins(6, 0, 2, 0)
    return label


def _slider(parent: QWidget, low: int, high: int, value: int) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal, parent)
    slider.setRange(low, high)
    slider.setValue(value)
    slider.setFixedWidth(90)
    # a click on a slider must not take the keyboard from the canvas (Space+drag pans there)
    slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return slider

