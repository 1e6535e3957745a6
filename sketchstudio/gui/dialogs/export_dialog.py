"""Export the open project: JSON (with strokes), PSC6K CSV, COCO keypoints, sketches as PNG/SVG.

Runs on a background thread with its own read connection; every file is written atomically by
the core writers (or `gui.draw.export`), so a failed export never leaves a half-written file.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sketchstudio.gui.context import WorkspaceContext
from sketchstudio.gui.dialogs.common import PathField, ProgressFooter
from sketchstudio.gui.tasks import BackgroundTask, Report

FORMATS = (
    ("json", "SketchStudio JSON (pairs, keypoints, strokes)", "save", "JSON files (*.json)", ".json"),
    ("psc6k", "PSC6K CSV (test_pairs_ps)", "save", "CSV files (*.csv)", ".csv"),
    ("psc6k_folder", "PSC6K benchmark folder (all CSVs)", "dir", "", ""),
    ("coco", "COCO keypoints JSON", "save", "JSON files (*.json)", ".json"),
    ("png", "Sketches as PNG images (folder)", "dir", "", ""),
    ("svg", "Sketches as SVG drawings (folder)", "dir", "", ""),
)


def sketch_file_name(pair_id: int, name: str, suffix: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")
    return f"{pair_id:05d}{'-' + safe if safe else ''}{suffix}"


def run_export(project: Path, fmt: str, out: Path, size: int, report: Report) -> str:
    """Export the project file at `project` (own connection); returns a summary line."""
    from sketchstudio.core.store import ProjectStore

    with ProjectStore.open(project) as store:
        if fmt == "json":
            from sketchstudio.core.io.project_json import export_json

            report(0, 0, "Writing JSON…")
            return f"Wrote {export_json(store, out):,} pairs to {out}."
        if fmt == "psc6k":
            from sketchstudio.core.io.psc6k import export_psc6k

            result = export_psc6k(store, out)
            return (f"Wrote {result.rows:,} rows ({result.pairs:,} pairs, {result.skipped:,} left out) "
                    f"to {out}.")
        if fmt == "psc6k_folder":
            from sketchstudio.core.io.psc6k import export_psc6k_folder

            results = export_psc6k_folder(store, out)
            return "Wrote " + ", ".join(f"{r.path.name} ({r.rows:,} rows)" for r in results) + "."
        if fmt == "coco":
            from sketchstudio.core.io.coco import export_coco

            return f"Wrote {export_coco(store, out):,} annotations to {out}."
        return _export_sketches(store, fmt, out, size, report)


def _export_sketches(store, fmt: str, out: Path, size: int, report: Report) -> str:
    from sketchstudio.gui.draw.export import export_png, export_svg

    out.mkdir(parents=True, exist_ok=True)
    pairs = store.pairs()
    written = 0
    for i, pair in enumerate(pairs):
        sketch = store.sketch(pair.id)
        if not sketch.is_empty:
            target = out / sketch_file_name(pair.id, pair.name, f".{fmt}")
            if fmt == "png":
                export_png(sketch, target, resolve=store.resolve, size=size)
            else:
                export_svg(sketch, target, resolve=store.resolve)
            written += 1
        if i % 8 == 0 or i == len(pairs) - 1:
            report(i + 1, len(pairs), f"{i + 1:,} / {len(pairs):,} pairs")
    return f"Wrote {written:,} sketches to {out} ({len(pairs) - written:,} pairs have no sketch)."


class ExportDialog(QDialog):
    task_finished = Signal(bool)  # True on success

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.context = context
        self.task: BackgroundTask | None = None
        self.format = QComboBox(self)
        for key, label, *_ in FORMATS:
            self.format.addItem(label, key)
        self.target = PathField("save", "Export to")
        self.size = QSpinBox(self, minimum=16, maximum=4096, value=256, suffix=" px")
        self.size.setToolTip("PNG size (256×256 is Sketchy's)")
        self.footer = ProgressFooter(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Destination", self.target)
        form.addRow("PNG size", self.size)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.footer)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(580)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._format_changed()

    def _format_changed(self) -> None:
        key, _label, mode, file_filter, suffix = FORMATS[self.format.currentIndex()]
        self.target.mode, self.target.file_filter = mode, file_filter
        stem = self.context.store.path.with_suffix("")
        default = {"psc6k": stem.parent / "test_pairs_ps.csv", "coco": stem.parent / f"{stem.name}-coco.json",
                   "psc6k_folder": stem.parent / "psc6k", "png": stem.parent / f"{stem.name}-sketches",
                   "svg": stem.parent / f"{stem.name}-sketches"}.get(key, stem.with_suffix(suffix))
        self.target.set_text(str(default))
        self.size.setEnabled(key == "png")

    def start(self) -> None:
        fmt = self.format.currentData()
        out = Path(self.target.text())
        if not self.target.text():
            self.footer.finish("Choose where to export first.", error=True)
            return
        project, size = self.context.store.path, self.size.value()
        self.task = BackgroundTask(lambda report: run_export(project, fmt, out, size, report), self)
        self.task.progress.connect(self.footer.update_progress)
        self.task.succeeded.connect(lambda text: self._finished(text))
        self.task.failed.connect(lambda text: self._finished(text, error=True))
        self.export_button.setEnabled(False)
        self.footer.busy("Exporting…")
        self.task.start()

    def _finished(self, text: str, *, error: bool = False) -> None:
        self.footer.finish(text, error=error)
        self.export_button.setEnabled(True)
        self.task_finished.emit(not error)

    def done(self, result: int) -> None:
        if self.task is not None and self.task.is_running():
            self.task.wait()
        super().done(result)
