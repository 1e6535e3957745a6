"""Edit → Preferences…: which models suggest and render, on which device; link to the shortcuts.

Changes apply at once (like the shortcut editor): each one is written to `Settings` and
`applied()` is emitted, and the main window hands the new settings to the open views
(`WorkspaceView.settings_changed`). Brush size, colour and smoothing are not repeated here:
the Draw toolbar edits them and they are remembered from there.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sketchstudio.gui.models_panel import ModelPicker
from sketchstudio.gui.settings import Settings
from sketchstudio.inference.models_registry import available_devices, resolve_model


class PreferencesDialog(QDialog):
    applied = Signal()  # a setting changed and was saved

    def __init__(self, settings: Settings, parent: QWidget | None = None, *,
                 show_shortcuts: Callable[[], None] | None = None,
                 devices: tuple[str, ...] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings
        self.warp_picker = ModelPicker("warp", self, show_device=False)
        self.s2i_picker = ModelPicker("s2i", self, show_device=False)
        self.device = QComboBox(self)
        self.device.addItems(list(devices if devices is not None else available_devices()))
        self.device.setToolTip("auto picks CUDA, then Apple MPS, then the CPU")
        self.no_s2i = QLabel("No sketch-to-image model is installed (train one with “sketchstudio-train s2i” "
                             "or convert the official checkpoint with “sketchstudio-train convert”).", self)
        self.no_s2i.setObjectName("Muted")
        self.no_s2i.setWordWrap(True)
        self._select_current()

        form = QFormLayout()
        form.addRow("Suggestions (warp)", self.warp_picker)
        form.addRow("Rendering (sketch-to-image)", self.s2i_picker)
        form.addRow("", self.no_s2i)
        form.addRow("Device", self.device)
        note = QLabel("Models are found in the shipped zoo, in converted official checkpoints and in your "
                      "training runs (Model → Retrain Warp Model…). Brush size, colour and smoothing are "
                      "remembered from the Draw toolbar.", self)
        note.setObjectName("Muted")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        if show_shortcuts is not None:
            shortcuts = QPushButton("Keyboard Shortcuts…", self)
            shortcuts.setAutoDefault(False)
            shortcuts.clicked.connect(show_shortcuts)
            buttons.addButton(shortcuts, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.resize(620, 260)

        self.warp_picker.models.activated.connect(lambda _i: self._changed())
        self.s2i_picker.models.activated.connect(lambda _i: self._changed())
        self.device.activated.connect(lambda _i: self._changed())

    def refresh(self) -> None:
        """Re-scan the models (a training run finished)."""
        self.warp_picker.refresh()
        self.s2i_picker.refresh()
        self._select_current()

    def _select_current(self) -> None:
        s = self.settings
        warp = resolve_model(s.warp_model or None, "warp")
        s2i = resolve_model(s.s2i_model or None, "s2i")
        self.warp_picker.select(warp.id if warp else None)
        self.s2i_picker.select(s2i.id if s2i else None)
        index = self.device.findText(s.device or "auto")
        self.device.setCurrentIndex(max(index, 0))
        has_s2i = self.s2i_picker.models.count() > 0
        self.s2i_picker.setEnabled(has_s2i)
        self.no_s2i.setVisible(not has_s2i)

    def _changed(self) -> None:
        warp, s2i = self.warp_picker.current(), self.s2i_picker.current()
        self.settings.warp_model = warp.id if warp is not None else ""
        self.settings.s2i_model = s2i.id if s2i is not None else ""
        self.settings.device = self.device.currentText() or "auto"
        self.settings.save()
        self.applied.emit()
