"""Small building blocks shared by the dialogs: a path field and a progress footer."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class PathField(QWidget):
    """A line edit with a Browse… button; `mode` is "open", "save" or "dir"."""

    def __init__(self, mode: str, caption: str, file_filter: str = "", placeholder: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode, self.caption, self.file_filter = mode, caption, file_filter
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setMinimumWidth(340)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self.browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)
        self.suggest: Callable[[], str] | None = None

    def text(self) -> str:
        return self.edit.text().strip()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def browse(self) -> None:
        start = self.text() or (self.suggest() if self.suggest else "")
        if self.mode == "dir":
            path = QFileDialog.getExistingDirectory(self, self.caption, start)
        elif self.mode == "save":
            path, _ = QFileDialog.getSaveFileName(self, self.caption, start, self.file_filter)
        else:
            path, _ = QFileDialog.getOpenFileName(self, self.caption, start, self.file_filter)
        if path:
            self.edit.setText(path)


class ProgressFooter(QWidget):
    """A progress bar (busy when the total is unknown) and a one-line message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setTextVisible(False)
        self.bar.hide()
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setObjectName("Muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)

    def busy(self, text: str) -> None:
        self.bar.show()
        self.bar.setRange(0, 0)
        self.message.setText(text)

    def update_progress(self, done: int, total: int, text: str) -> None:
        self.bar.show()
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
        if text:
            self.message.setText(text)

    def finish(self, text: str, *, error: bool = False) -> None:
        self.bar.hide()
        self.message.setText(text)
        self.message.setStyleSheet("color: #e5534b;" if error else "")
