"""The welcome page shown when no project is open: start actions and recent projects."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sketchstudio.gui.icons import icon


class WelcomePage(QWidget):
    open_recent = Signal(str)

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WelcomePage")
        logo = QLabel(self)
        logo.setPixmap(icon("app").pixmap(QSize(64, 64)))
        title = QLabel("SketchStudio", self)
        title.setObjectName("Title")
        subtitle = QLabel("Draw sketches, annotate photo–sketch correspondences, render and retrain.", self)
        subtitle.setObjectName("Subtitle")
        subtitle.setWordWrap(True)

        start, start_layout = self._card("START")
        for i, action in enumerate(actions):
            button = QPushButton(action.icon(), action.text().replace("&", ""), start)
            button.setIconSize(QSize(18, 18))
            button.setMinimumHeight(36)
            button.setStyleSheet("text-align: left; padding-left: 12px;")
            if i == 0:
                button.setObjectName("Primary")
            button.clicked.connect(action.trigger)
            start_layout.addWidget(button)
        start_layout.addStretch(1)

        recent, recent_layout = self._card("RECENT PROJECTS")
        self.recent_list = QListWidget(recent)
        self.recent_list.setObjectName("RecentList")
        self.recent_list.setStyleSheet("QListWidget { background: transparent; } "
                                       "QListWidget::item { padding: 8px 6px; border-radius: 5px; }")
        self.recent_list.itemActivated.connect(self._open_item)
        self.recent_list.itemClicked.connect(self._open_item)
        self.empty_label = QLabel("Projects you open appear here. Start with the demo project to "
                                  "try drawing, annotating and rendering.", recent)
        self.empty_label.setObjectName("Muted")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        recent_layout.addWidget(self.recent_list, 1)
        recent_layout.addWidget(self.empty_label, 1)

        cards = QHBoxLayout()
        cards.setSpacing(16)
        cards.addWidget(start, 2)
        cards.addWidget(recent, 3)
        header = QHBoxLayout()
        header.setSpacing(16)
        header.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.setSpacing(4)
        titles.addWidget(title)
        titles.addWidget(subtitle)
        header.addLayout(titles, 1)

        column = QVBoxLayout()
        column.setSpacing(24)
        column.addLayout(header)
        column.addLayout(cards, 1)
        hint = QLabel("Tip: press ? at any time for the keyboard shortcuts.", self)
        hint.setObjectName("Muted")
        column.addWidget(hint)
        content = QWidget(self)
        content.setLayout(column)
        content.setFixedWidth(820)
        content.setMaximumHeight(520)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(40, 40, 40, 40)
        outer.addWidget(content, 0, Qt.AlignmentFlag.AlignCenter)

    def _card(self, title: str) -> tuple[QFrame, QVBoxLayout]:
        """A titled card (the Start and Recent Projects panels)."""
        card = QFrame(self)
        card.setObjectName("Card")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(18, 16, 18, 18)
        layout.setSpacing(8)
        heading = QLabel(title, card)
        heading.setObjectName("SectionTitle")
        layout.addWidget(heading)
        return card, layout

    def _open_item(self, item: QListWidgetItem) -> None:
        self.open_recent.emit(item.data(Qt.ItemDataRole.UserRole))

    def set_recent(self, paths: list[Path]) -> None:
        self.recent_list.clear()
        for path in paths:
            item = QListWidgetItem(icon("open"), f"{path.stem}    —    {path.parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.recent_list.addItem(item)
        self.empty_label.setVisible(not paths)
        self.recent_list.setVisible(bool(paths))
