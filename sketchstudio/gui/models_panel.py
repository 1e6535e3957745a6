"""Model widgets: the model/device picker and the model-vs-human panel.

* `ModelPicker` — a combo box of the warp (or s2i) models `models_registry` finds (shipped
  default, converted official checkpoints, trained runs, the identity fallback) and a device
  combo; `refresh()` re-scans, e.g. after a training run finishes.
* `ModelVsHumanPanel` — PCK@0.05/0.10 of each model's recorded suggestions against the points
  the user accepted, per category, recomputed (debounced) as keypoints change.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.gui import theme
from sketchstudio.inference.annotation import PCK_ALPHAS, model_vs_human, project_records
from sketchstudio.inference.models_registry import (
    DEVICE_CHOICES,
    ModelInfo,
    available_devices,
    discover_models,
)

DEVICES = DEVICE_CHOICES


class ModelPicker(QWidget):
    """Pick a model of `family` and a device; emits `modelChosen(ModelInfo, device)`.

    `devices` defaults to "auto" plus what this machine has (`available_devices`);
    `show_device=False` hides the device combo where one picker serves several models.
    """

    modelChosen = Signal(object, str)

    def __init__(self, family: str = "warp", parent: QWidget | None = None, *,
                 devices: tuple[str, ...] | None = None, show_device: bool = True) -> None:
        super().__init__(parent)
        self.family = family
        self.models = QComboBox(self)
        self.models.setMinimumContentsLength(24)
        self.devices = QComboBox(self)
        self.devices.addItems(list(devices if devices is not None else available_devices()))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.models, 1)
        device_label = QLabel("Device", self)
        layout.addWidget(device_label)
        layout.addWidget(self.devices)
        device_label.setVisible(show_device)
        self.devices.setVisible(show_device)
        self.refresh()
        self.models.activated.connect(self._emit)
        self.devices.activated.connect(self._emit)

    def refresh(self, select_id: str | None = None) -> None:
        current = select_id or (self.current().id if self.current() else None)
        self.models.clear()
        for info in discover_models(self.family):
            self.models.addItem(info.label, info)
            self.models.setItemData(self.models.count() - 1, str(info.path or "built in"),
                                    Qt.ItemDataRole.ToolTipRole)
        self.select(current)

    def select(self, model_id: str | None, device: str | None = None) -> None:
        for i in range(self.models.count()):
            if self.models.itemData(i).id == model_id:
                self.models.setCurrentIndex(i)
                break
        if device is not None:
            index = self.devices.findText(device)
            self.devices.setCurrentIndex(index if index >= 0 else 0)  # unavailable here: auto

    def current(self) -> ModelInfo | None:
        return self.models.currentData()

    def device(self) -> str:
        return self.devices.currentText()

    def _emit(self) -> None:
        info = self.current()
        if info is not None:
            self.modelChosen.emit(info, self.device())


class ModelVsHumanPanel(QFrame):
    """How often each model's suggestion landed within PCK tolerance of the accepted point."""

    def __init__(self, store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setObjectName("ModelPanel")
        self.setStyleSheet(f"QFrame#ModelPanel {{ background: {theme.PANEL};"
                           f" border-left: 1px solid {theme.BORDER}; }}")
        self.setFixedWidth(340)
        title = QLabel("MODEL VS. HUMAN", self)
        title.setObjectName("SectionTitle")
        self.summary = QLabel(self)
        self.summary.setObjectName("Muted")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 5, self)
        # short headers (the tooltips say it in full) so every column fits the panel's width
        self.table.setHorizontalHeaderLabels(["Category", "n", *[f"@{a:.2f}".replace("0.", ".")
                                                                 for a in PCK_ALPHAS], "px"])
        tips = ["Category (bold: all categories)", "Accepted suggestions",
                *[f"PCK@{a:g}: share within {a:g}·max(width, height) of the accepted point"
                  for a in PCK_ALPHAS], "Mean distance you moved the suggestion, in pixels"]
        for col, tip in enumerate(tips):
            self.table.horizontalHeaderItem(col).setToolTip(tip)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, 5):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(title)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.refresh)
        self._disconnect = store.events.connect(self._on_event)
        self.rows = []

    def _on_event(self, event: ChangeEvent) -> None:
        if self.isVisible() and event.kind in (ChangeKind.KEYPOINT_CHANGED, ChangeKind.KEYPOINT_REMOVED,
                                               ChangeKind.PROJECT_RELOADED, ChangeKind.PAIR_REMOVED):
            self._timer.start()

    def refresh(self) -> None:
        self.rows = model_vs_human(project_records(self.store))
        self.table.setRowCount(0)
        if not self.rows:
            self.summary.setText("No accepted suggestions yet. Each keypoint you confirm records where "
                                 "the model suggested it and how far you moved it.")
            return
        models = sorted({r.model_id for r in self.rows})
        self.summary.setText("Error = distance you moved the suggestion; PCK counts suggestions within "
                             "α·max(width, height) of the image (α·256 px on PSC6K). Models: "
                             + ", ".join(models))
        for r in self.rows:
            row = self.table.rowCount()
            self.table.insertRow(row)
            label = r.category or "all"
            if len(models) > 1:
                label = f"{r.model_id} · {label}"
            values = [label, str(r.n), *[f"{p:.0%}" for p in r.pck], f"{r.mean_px:.1f}"]
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if not r.category:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, col, item)

    def shutdown(self) -> None:
        self._timer.stop()
        self._disconnect()
