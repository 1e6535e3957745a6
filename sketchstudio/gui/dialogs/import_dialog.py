"""Import pairs into the open project: PSC6K CSV + Sketchy, SketchStudio JSON, a photo folder.

The import runs on a background thread with its own connection to the project file; the
window stays responsive and the GUI's store announces PROJECT_RELOADED when it is done.
Core importers validate everything before they write, so a failure leaves the project as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.gui.context import WorkspaceContext
from sketchstudio.gui.dialogs.common import PathField, ProgressFooter
from sketchstudio.gui.tasks import BackgroundTask, Report

SOURCES = (("psc6k", "PSC6K CSV + Sketchy images"), ("json", "SketchStudio JSON"),
           ("folder", "Folder of photos"))


def run_import(project: Path, source: str, options: dict[str, Any], report: Report) -> str:
    """Import into the project file at `project` (own connection); returns a summary line."""
    from sketchstudio.core.store import ProjectStore

    report(0, 0, "Reading and checking the input…")
    with ProjectStore.open(project) as store:
        if source == "psc6k":
            from sketchstudio.core.io.psc6k import import_psc6k

            result = import_psc6k(store, options["csv"], options.get("images") or None)
            return (f"Added {result.added:,} pairs from {result.rows:,} rows "
                    f"({result.skipped_existing:,} already in the project).")
        if source == "json":
            from sketchstudio.core.io.project_json import import_json

            result = import_json(store, options["json"])
            return f"Added {result.added:,} pairs ({result.skipped_existing:,} already in the project)."
        from sketchstudio.core.io.photo_folder import import_photo_folder

        result = import_photo_folder(store, options["folder"], recursive=options.get("recursive", False),
                                     category=options.get("category") or None)
        return (f"Added {result.added:,} photos of {result.found:,} found "
                f"({result.skipped_existing:,} already in the project).")


class ImportDialog(QDialog):
    task_finished = Signal(bool)  # True on success

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import pairs")
        self.context = context
        self.task: BackgroundTask | None = None
        self.source = QComboBox(self)
        for key, label in SOURCES:
            self.source.addItem(label, key)
        self.pages = QStackedWidget(self)
        self.csv = PathField("open", "PSC6K CSV", "CSV files (*.csv)", "test_pairs_ps.csv")
        self.images = PathField("dir", "Sketchy root", placeholder="folder the CSV paths are relative to")
        self.json = PathField("open", "SketchStudio JSON", "JSON files (*.json)")
        self.folder = PathField("dir", "Folder of photos")
        self.recursive = QCheckBox("Include sub-folders")
        self.category = QLineEdit()
        self.category.setPlaceholderText("default: each photo's folder name")
        for rows in ((("CSV file", self.csv), ("Images root", self.images)),
                     (("JSON file", self.json),),
                     (("Folder", self.folder), ("", self.recursive), ("Category", self.category))):
            page = QWidget()
            form = QFormLayout(page)
            form.setContentsMargins(0, 8, 0, 0)
            for label, field in rows:
                form.addRow(label, field)
            self.pages.addWidget(page)
        self.source.currentIndexChanged.connect(self.pages.setCurrentIndex)
        self.footer = ProgressFooter(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("Source", self.source)
        layout.addLayout(form)
        layout.addWidget(self.pages)
        layout.addWidget(self.footer)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    def options(self) -> tuple[str, dict[str, Any]]:
        source = self.source.currentData()
        return source, {"csv": self.csv.text(), "images": self.images.text(), "json": self.json.text(),
                        "folder": self.folder.text(), "recursive": self.recursive.isChecked(),
                        "category": self.category.text().strip()}

    def start(self) -> None:
        source, options = self.options()
        needed = {"psc6k": "csv", "json": "json", "folder": "folder"}[source]
        if not options[needed]:
            self.footer.finish("Choose the file or folder to import first.", error=True)
            return
        project = self.context.store.path
        self.task = BackgroundTask(lambda report: run_import(project, source, options, report), self)
        self.task.progress.connect(self.footer.update_progress)
        self.task.succeeded.connect(self._done)
        self.task.failed.connect(lambda message: self._finished(message, error=True))
        self.import_button.setEnabled(False)
        self.footer.busy("Importing…")
        self.task.start()

    def _done(self, summary: str) -> None:
        # the import wrote through its own connection: tell this window's views to re-read
        self.context.store.events.emit(ChangeEvent(ChangeKind.PROJECT_RELOADED))
        self._finished(summary)

    def _finished(self, text: str, *, error: bool = False) -> None:
        self.footer.finish(text, error=error)
        self.import_button.setEnabled(True)
        self.task_finished.emit(not error)

    def done(self, result: int) -> None:
        if self.task is not None and self.task.is_running():
            self.footer.busy("Finishing the import before closing…")
            self.task.wait()
        super().done(result)
