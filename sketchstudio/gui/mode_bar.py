"""The bar above the views: Draw / Annotate / Render switch and the current pair's title."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from sketchstudio.core.model import Pair
from sketchstudio.gui import theme
from sketchstudio.gui.browser.model import STATUS_LABELS, pair_title


class ElidedLabel(QLabel):
    """A label that shrinks by eliding its text instead of widening the window."""

    def minimumSizeHint(self) -> QSize:
        return QSize(40, super().minimumSizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.setFont(self.font())
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, int(self.alignment()), text)


class ModeBar(QFrame):
    def __init__(self, mode_actions: list[QAction], nav_actions: list[QAction],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ModeBar")
        self.group = QActionGroup(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(4)
        for action in mode_actions:
            action.setCheckable(True)
            self.group.addAction(action)
            button = QToolButton(self)
            button.setObjectName("ModeButton")
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setIconSize(QSize(18, 18))
            layout.addWidget(button)
        layout.addSpacing(16)
        self.title = ElidedLabel(self)
        self.title.setObjectName("PairTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.chip = QLabel(self)
        self.chip.setObjectName("Chip")
        self.detail = ElidedLabel(self)
        self.detail.setObjectName("Muted")
        layout.addStretch(1)
        layout.addWidget(self.title, 100)
        layout.addWidget(self.chip)
        layout.addWidget(self.detail)
        layout.addSpacing(8)
        for action in nav_actions:
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            layout.addWidget(button)
        self.show_pair(None)

    def show_pair(self, pair: Pair | None, position: tuple[int, int] | None = None) -> None:
        if pair is None:
            self.title.setText("No pair selected")
            self.chip.hide()
            self.detail.setText("")
            return
        self.title.setText(pair_title(pair))
        self.title.setToolTip(pair_title(pair))
        self.chip.setText(STATUS_LABELS[pair.status])
        self.chip.setStyleSheet(f"background: {theme.STATUS_COLOURS[pair.status.value]};")
        self.chip.show()
        parts = [pair.category] if pair.category else []
        if position is not None:
            parts.append(f"{position[0]:,} / {position[1]:,}")
        self.detail.setText("  ·  ".join(parts))
