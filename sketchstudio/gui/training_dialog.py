"""Annotate → Retrain Warp Model…: fine-tune the warp model on the open project's keypoints.

The dialog builds a `WarpTrainingOptions` (steps, batch size, device, the model to start from),
runs the trainer as a child process (`TrainingProcess`) and shows its JSON progress: a progress
bar, the losses, the ETA, and the rest of its output in an expandable log. The run folder goes
under the user's runs, where `models_registry` finds it, so when the `done` event arrives the
new model is already in every model picker after a `refresh()`; "Use this model" asks the main
window to switch the Annotate view to it.

The window stays usable while training (the dialog is not modal); closing it stops the run the
same way Cancel does, and the trainer leaves a resumable checkpoint behind.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sketchstudio.gui.context import WorkspaceContext
from sketchstudio.gui.models_panel import ModelPicker
from sketchstudio.gui.training_process import (
    CommandFactory,
    TrainingProcess,
    WarpTrainingOptions,
    new_run_dir,
    warp_training_command,
)
from sketchstudio.inference.models_registry import IDENTITY_ID, ModelInfo, discover_models, resolve_model

DEFAULT_STEPS = 1000
DEFAULT_BATCH = 8
LOG_LINES = 5000


def format_eta(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
        return "–"
    minutes, s = divmod(round(seconds), 60)
    h, m = divmod(minutes, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def format_losses(losses: Any) -> str:
    if not isinstance(losses, dict):
        return ""
    return "  ".join(f"{k} {v:.4g}" for k, v in losses.items() if isinstance(v, (int, float)))


class TrainingDialog(QDialog):
    """Run `sketchstudio-train warp` on the open project and follow it."""

    modelTrained = Signal(object)  # ModelInfo of the final checkpoint (or None if not found)
    useModelRequested = Signal(object, str)  # ModelInfo, device

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None, *,
                 command: CommandFactory = warp_training_command,
                 process: TrainingProcess | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Retrain the warp model")
        self.context = context
        self.command = command
        self.process = process or TrainingProcess(self)
        self.process.setParent(self)
        self.process.event.connect(self._on_event)
        self.process.logLine.connect(self.append_log)
        self.process.finished.connect(self._on_finished)
        self.run_dir: Path | None = None
        self.total = 0
        self.step = 0
        self.trained: ModelInfo | None = None
        self.final_checkpoint: Path | None = None
        self.last_error = ""
        self._close_when_stopped = False

        settings = context.settings
        self.picker = ModelPicker("warp", self)
        current = resolve_model(settings.warp_model or None, "warp")
        self.picker.select(current.id if current else None, settings.device or "auto")
        self.steps = QSpinBox(self)
        self.steps.setRange(1, 10_000_000)
        self.steps.setValue(DEFAULT_STEPS)
        self.steps.setSingleStep(100)
        self.batch = QSpinBox(self)
        self.batch.setRange(1, 4096)
        self.batch.setValue(DEFAULT_BATCH)
        project = QLabel(str(context.store.path), self)
        project.setObjectName("Muted")
        project.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Project", project)
        form.addRow("Start from", self.picker)
        form.addRow("Steps", self.steps)
        form.addRow("Batch size", self.batch)
        note = QLabel("Trains on the keypoints confirmed in this project. Choose “No model” to train "
                      "from scratch. The new model appears in the model pickers when it is done.", self)
        note.setObjectName("Muted")
        note.setWordWrap(True)

        self.bar = QProgressBar(self)
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setFormat("")  # "step / total" once a run starts
        self.status = QLabel("Ready.", self)
        self.status.setWordWrap(True)
        self.losses = QLabel(self)
        self.losses.setObjectName("Muted")
        self.eta = QLabel(self)
        self.eta.setObjectName("Muted")
        stats = QHBoxLayout()
        stats.addWidget(self.losses, 1)
        stats.addWidget(self.eta)

        self.log_toggle = QToolButton(self)
        self.log_toggle.setText("Log")
        self.log_toggle.setCheckable(True)
        self.log_toggle.setAutoRaise(True)
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setMinimumHeight(160)
        self.log.setVisible(False)
        self.log_toggle.toggled.connect(self._show_log)
        self._show_log(False)

        self.start_button = QPushButton("Start training", self)
        self.start_button.setObjectName("Primary")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel training", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button = QPushButton("Use this model", self)
        self.use_button.setVisible(False)
        self.use_button.clicked.connect(self._use_model)
        close = QPushButton("Close", self)
        close.clicked.connect(self.reject)
        for button in (self.start_button, self.cancel_button, self.use_button, close):
            button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.log_toggle)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addSpacing(6)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addLayout(stats)
        layout.addWidget(self.log, 1)
        layout.addLayout(buttons)
        self.setMinimumWidth(560)
        self.resize(620, 360)

    # --- running -------------------------------------------------------------------------------

    def options(self) -> WarpTrainingOptions:
        model = self.picker.current()
        init = model.path if model is not None and model.id != IDENTITY_ID else None
        return WarpTrainingOptions(project=Path(self.context.store.path), run_dir=new_run_dir("warp"),
                                   steps=self.steps.value(), batch_size=self.batch.value(),
                                   device=self.picker.device(), init=init)

    def is_running(self) -> bool:
        return self.process.is_running()

    def start(self) -> None:
        if self.is_running():
            return
        options = self.options()
        self.run_dir = options.run_dir
        self.total, self.step = options.steps or 0, 0
        self.trained = self.final_checkpoint = None
        self.last_error = ""
        self.bar.setRange(0, max(self.total, 1))
        self.bar.setValue(0)
        self.bar.setFormat("%v / %m")
        self.losses.setText("")
        self.eta.setText("")
        self.use_button.setVisible(False)
        self.status.setText("Starting the trainer (loading data and model)…")
        self._set_running(True)
        program, arguments = self.command(options)
        self.process.start(program, arguments)

    def cancel(self) -> None:
        """Stop the run; the trainer writes a resumable checkpoint first."""
        if self.is_running():
            self.status.setText("Stopping after the current step (saving a resumable checkpoint)…")
            self.cancel_button.setEnabled(False)
            self.process.stop()

    def shutdown(self, timeout_ms: int = 20_000) -> None:
        """Stop the run and wait for the child (the main window calls this when it closes)."""
        self.process.shutdown(timeout_ms)

    def append_log(self, line: str) -> None:
        self.log.appendPlainText(line)

    # --- trainer events ------------------------------------------------------------------------

    def _on_event(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "start":
            self._set_total(event.get("total"))
            resumed = event.get("resumed_from")
            where = event.get("run_dir") or self.run_dir
            self.status.setText(f"Training on {event.get('device', 'the device')} into {where}"
                                + (f" (resumed at step {resumed})" if resumed else "") + "…")
        elif kind == "progress":
            self._set_total(event.get("total"))
            step = event.get("step")
            if isinstance(step, int):
                self.step = step
                self.bar.setValue(min(step, self.bar.maximum()))
                self.status.setText(f"Step {step:,} of {self.total:,}")
            self.losses.setText(format_losses(event.get("losses")))
            self.eta.setText(f"ETA {format_eta(event.get('eta_s'))}")
        elif kind == "eval":
            metrics = event.get("metrics")
            if isinstance(metrics, dict) and metrics:
                self.append_log(f"eval @ {event.get('step')}: {format_losses(metrics)}")
        elif kind == "checkpoint":
            self.append_log(f"checkpoint @ {event.get('step')}: {event.get('path')}")
        elif kind == "done":
            checkpoint = event.get("checkpoint")
            self.final_checkpoint = Path(checkpoint) if isinstance(checkpoint, str) else None
            if isinstance(event.get("step"), int):
                self.bar.setValue(min(event["step"], self.bar.maximum()))
        elif kind == "error":
            self.last_error = str(event.get("message") or "the trainer reported an error")
            self.append_log(f"error: {self.last_error}")
        else:
            self.append_log(f"[{kind}] " + ", ".join(f"{k}={v}" for k, v in event.items() if k != "event"))

    def _on_finished(self, exit_code: int, crashed: bool) -> None:
        self._set_running(False)
        if self.final_checkpoint is not None and exit_code == 0:
            self.trained = self._find_model(self.final_checkpoint)
            self.picker.refresh()
            name = self.trained.label if self.trained else self.final_checkpoint.name
            self.status.setText(f"Done: {name} is ready ({self.final_checkpoint}).")
            self.eta.setText("")
            self.use_button.setVisible(self.trained is not None)
            self.modelTrained.emit(self.trained)
        elif self.process.stopping:
            self.status.setText("Training stopped. " + (self.last_error or "") +
                                (f" Resume with: sketchstudio-train warp --resume {self.run_dir}"
                                 if self.run_dir is not None else ""))
        else:
            reason = self.last_error or ("the trainer crashed" if crashed else f"exit code {exit_code}")
            self.status.setText(f"Training failed: {reason}. The log has the details.")
            self.log_toggle.setChecked(True)
        if self._close_when_stopped:
            self._close_when_stopped = False
            self.reject()

    # --- helpers -------------------------------------------------------------------------------

    def _set_total(self, total: Any) -> None:
        if isinstance(total, int) and total > 0:
            self.total = total
            self.bar.setRange(0, total)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for widget in (self.picker, self.steps, self.batch):
            widget.setEnabled(not running)

    def _show_log(self, shown: bool) -> None:
        self.log.setVisible(shown)
        self.log_toggle.setText("Hide log" if shown else "Show log")
        self.adjustSize()

    @staticmethod
    def _find_model(path: Path) -> ModelInfo | None:
        target = path.resolve()
        for info in discover_models("warp", include_identity=False):
            if info.path is not None and info.path.resolve() == target:
                return info
        return None

    def _use_model(self) -> None:
        if self.trained is not None:
            self.picker.select(self.trained.id)
            self.useModelRequested.emit(self.trained, self.picker.device())
            self.use_button.setVisible(False)
            self.status.setText(f"Annotate now suggests with {self.trained.label}.")

    def done(self, result: int) -> None:
        """Close, Esc and the window's ✕ all end here: a running trainer is stopped first."""
        if self.is_running():
            self._close_when_stopped = True
            self.cancel()
            return
        super().done(result)
