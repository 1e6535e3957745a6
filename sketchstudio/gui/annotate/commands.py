"""Annotation edits on the shared undo stack: every command writes through the store."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from sketchstudio.inference.annotation import KeypointEdit, apply_edit


class KeypointCommand(QUndoCommand):
    """Redo writes `edit.after`, undo writes `edit.before` (and the pair status with them).

    The store commits each write before returning and then emits its change event, so the view
    follows undo and redo exactly as it follows a click."""

    def __init__(self, store, edit: KeypointEdit, author: str | None = None) -> None:
        super().__init__(edit.text)
        self.store = store
        self.edit = edit
        self.author = author

    def redo(self) -> None:
        apply_edit(self.store, self.edit, author=self.author)

    def undo(self) -> None:
        apply_edit(self.store, self.edit.inverse(), author=self.author)
