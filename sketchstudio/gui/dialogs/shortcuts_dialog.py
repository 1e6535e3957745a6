"""The keyboard cheat sheet (`?`), which is also where shortcuts are changed.

Select an action, press the new keys in the editor below, and it applies at once (to every
QAction with that id) and is saved in the settings; "Reset" restores the default.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sketchstudio.gui.shortcuts import FIXED_HINTS, ActionRegistry

NATIVE = QKeySequence.SequenceFormat.NativeText


class ShortcutsDialog(QDialog):
    def __init__(self, registry: ActionRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.registry = registry
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Action", "Shortcut"])
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(12)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.editor = QKeySequenceEdit(self)
        self.editor.setMaximumSequenceLength(1)
        self.editor.setEnabled(False)
        self.editor.editingFinished.connect(self._apply)
        self.reset = QPushButton("Reset to default", self)
        self.reset.setEnabled(False)
        self.reset.clicked.connect(self._reset)
        self.clear = QPushButton("Remove", self)
        self.clear.setEnabled(False)
        self.clear.clicked.connect(self._clear)
        self.note = QLabel("Select an action to change its shortcut.", self)
        self.note.setObjectName("Muted")
        for button in (self.reset, self.clear):
            button.setAutoDefault(False)  # Enter in the key editor must not reset the shortcut
        edit_row = QHBoxLayout()
        edit_row.addWidget(QLabel("New shortcut:"))
        edit_row.addWidget(self.editor, 1)
        edit_row.addWidget(self.clear)
        edit_row.addWidget(self.reset)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addLayout(edit_row)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.resize(560, 640)
        self.tree.currentItemChanged.connect(self._selected)
        self.populate()

    def populate(self) -> None:
        self.tree.clear()
        conflicts = {aid for ids in self.registry.conflicts().values() for aid in ids}
        groups: dict[str, QTreeWidgetItem] = {}
        for spec in self.registry.specs():
            group = groups.get(spec.group)
            if group is None:
                group = groups[spec.group] = self._group(spec.group)
            keys = ", ".join(k.toString(NATIVE) for k in self.registry.keys(spec.id))
            item = QTreeWidgetItem(group, [spec.text.replace("&", "").rstrip("…"), keys])
            item.setData(0, Qt.ItemDataRole.UserRole, spec.id)
            if spec.id in conflicts:
                item.setForeground(1, QColor("#e5534b"))
                item.setToolTip(1, "This shortcut is also used by another action")
        fixed = self._group("Mouse and fixed keys")
        for _group, text, keys in FIXED_HINTS:
            QTreeWidgetItem(fixed, [text, keys]).setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.tree.expandAll()

    def _group(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self.tree, [title.upper(), ""])
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        item.setForeground(0, QColor("#9aa1ad"))
        return item

    def _current_id(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def _selected(self, *_args: object) -> None:
        action_id = self._current_id()
        enabled = action_id is not None
        for widget in (self.editor, self.reset, self.clear):
            widget.setEnabled(enabled)
        if action_id is not None:
            keys = self.registry.keys(action_id)
            self.editor.setKeySequence(keys[0] if keys else QKeySequence())
            self.note.setText(f"Default: {', '.join(self.registry.spec(action_id).keys) or 'none'}")

    def set_shortcut(self, action_id: str, keys: list[str]) -> None:
        self.registry.set_keys(action_id, keys)
        self.populate()
        self._select(action_id)

    def _apply(self) -> None:
        action_id = self._current_id()
        sequence = self.editor.keySequence()
        if action_id is not None and not sequence.isEmpty():
            self.set_shortcut(action_id, [sequence.toString(QKeySequence.SequenceFormat.PortableText)])

    def _reset(self) -> None:
        action_id = self._current_id()
        if action_id is not None:
            self.set_shortcut(action_id, list(self.registry.spec(action_id).keys))

    def _clear(self) -> None:
        action_id = self._current_id()
        if action_id is not None:
            self.set_shortcut(action_id, [])

    def _select(self, action_id: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount()):
                if group.child(j).data(0, Qt.ItemDataRole.UserRole) == action_id:
                    self.tree.setCurrentItem(group.child(j))
                    return
