"""Annotation edits on the shared undo stack: every command writes through the store.

`KeypointCommand` is a `StoreCommand` like every sketch edit: the keypoint and the pair status
it implies are written in one transaction, and a refused write (locked, read-only, disk full)
drops the command, makes the view re-read the keypoint from the store and shows the message
with "Retry" instead of leaving a point on screen that the project does not have.
"""

from __future__ import annotations

from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.gui.context import WorkspaceContext
from sketchstudio.gui.draw.commands import StoreCommand
from sketchstudio.inference.annotation import KeypointEdit, apply_edit


class KeypointCommand(StoreCommand):
    """Redo writes `edit.after`, undo writes `edit.before` (and the pair status with them).

    The store commits each write before returning and then emits its change event, so the view
    follows undo and redo exactly as it follows a click."""

    def __init__(self, context: WorkspaceContext, edit: KeypointEdit, author: str | None = None) -> None:
        super().__init__(context, edit.text)
        self.edit = edit
        self.author = author
        self.pair_id = edit.pair_id

    def do(self) -> None:
        apply_edit(self.context.store, self.edit, author=self.author)

    def undo_do(self) -> None:
        apply_edit(self.context.store, self.edit.inverse(), author=self.author)

    def copy(self) -> KeypointCommand:
        return KeypointCommand(self.context, self.edit, self.author)

    def refresh_events(self) -> list[ChangeEvent]:
        return [ChangeEvent(ChangeKind.KEYPOINT_CHANGED, pair_id=self.edit.pair_id, index=self.edit.index),
                ChangeEvent(ChangeKind.PAIR_CHANGED, pair_id=self.edit.pair_id)]
