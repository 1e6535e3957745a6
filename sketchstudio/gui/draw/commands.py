"""Undoable sketch edits: each command changes the store and nothing else.

One finished stroke is one command; one stroke-eraser drag is one command however many strokes
it removed; clearing is one command. Every `redo`/`undo` goes through `ProjectStore`, so the
edit is durable when it returns and the canvas repaints from the store's change events. Undo
of an edit on another pair first makes that pair current, so the user sees what changed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QUndoCommand, QUndoStack

from sketchstudio.core.errors import UserError
from sketchstudio.core.model import PairStatus, Stroke
from sketchstudio.gui.context import WorkspaceContext

log = logging.getLogger(__name__)


class StoreCommand(QUndoCommand):
    """Base of commands that edit the store.

    An exception raised inside `redo` would be swallowed by Qt and leave a command on the stack
    that never happened, so subclasses implement `do`/`undo_do`, and a failure is recorded in
    `self.error`, reported through `context.errors`, and (on the first redo inside
    `QUndoStack.push`) marks the command obsolete so Qt drops it.
    """

    def __init__(self, context: WorkspaceContext, text: str) -> None:
        super().__init__(text)
        self.context = context
        self.error: Exception | None = None
        self._done_once = False

    def redo(self) -> None:
        self.error = None
        try:
            self.do()
        except (UserError, KeyError, ValueError, OSError) as exc:
            self._fail(exc, "redo")
            if not self._done_once:
                self.setObsolete(True)
        self._done_once = True

    def undo(self) -> None:
        self.error = None
        try:
            self.undo_do()
        except (UserError, KeyError, ValueError, OSError) as exc:
            self._fail(exc, "undo")

    def _fail(self, exc: Exception, what: str) -> None:
        self.error = exc
        log.warning("%s of %r failed: %s", what, self.text(), exc)
        self.context.errors.emit(f"Could not {what} “{self.text()}”: {exc}")

    def do(self) -> None:
        raise NotImplementedError

    def undo_do(self) -> None:
        raise NotImplementedError


def push(stack: QUndoStack, command: StoreCommand) -> bool:
    """Push `command`; True if its first redo succeeded (otherwise Qt has dropped it)."""
    stack.push(command)
    return command.error is None


class _SketchCommand(StoreCommand):
    def __init__(self, context: WorkspaceContext, pair_id: int, text: str) -> None:
        super().__init__(context, text)
        self.pair_id = pair_id

    def _show_pair(self) -> None:
        if self.context.pair_id != self.pair_id:
            self.context.set_pair(self.pair_id)


class AddStrokeCommand(_SketchCommand):
    """Add one stroke; undo removes it; redo restores it with the same id."""

    def __init__(self, context: WorkspaceContext, pair_id: int, stroke: Stroke) -> None:
        super().__init__(context, pair_id, "Erase pixels" if stroke.eraser else "Draw stroke")
        self.stroke = stroke
        self.stored: Stroke | None = None

    def do(self) -> None:
        self._show_pair()
        if self.stored is None:
            self.stored = self.context.store.add_stroke(self.pair_id, self.stroke)
        else:
            self.context.store.restore_stroke(self.pair_id, self.stored)

    def undo_do(self) -> None:
        self._show_pair()
        assert self.stored is not None and self.stored.id is not None
        self.context.store.remove_stroke(self.pair_id, self.stored.id)


class RemoveStrokesCommand(_SketchCommand):
    """Remove whole strokes (the stroke eraser); undo puts them back with their ids."""

    def __init__(self, context: WorkspaceContext, pair_id: int, stroke_ids: list[int]) -> None:
        n = len(stroke_ids)
        super().__init__(context, pair_id, f"Erase {n} stroke{'s' if n != 1 else ''}")
        self.stroke_ids = list(stroke_ids)
        self.removed: list[Stroke] = []

    def do(self) -> None:
        self._show_pair()
        self.removed = [self.context.store.remove_stroke(self.pair_id, sid) for sid in self.stroke_ids]

    def undo_do(self) -> None:
        self._show_pair()
        for stroke in sorted(self.removed, key=lambda s: s.id or 0):
            self.context.store.restore_stroke(self.pair_id, stroke)


class ClearStrokesCommand(_SketchCommand):
    """Remove every stroke of the pair's sketch (the raster base layer stays)."""

    def __init__(self, context: WorkspaceContext, pair_id: int) -> None:
        super().__init__(context, pair_id, "Clear sketch")
        self.removed: list[Stroke] = []

    def do(self) -> None:
        self._show_pair()
        self.removed = self.context.store.clear_strokes(self.pair_id)

    def undo_do(self) -> None:
        self._show_pair()
        for stroke in sorted(self.removed, key=lambda s: s.id or 0):
            self.context.store.restore_stroke(self.pair_id, stroke)


class NewSketchCommand(StoreCommand):
    """"New sketch for this photo": draw on this pair if it has no sketch yet, otherwise add a
    pair with the same photo and no sketch (Sketchy has several sketches per photo) and go there."""

    def __init__(self, context: WorkspaceContext, pair_id: int) -> None:
        super().__init__(context, "New sketch")
        self.source_id = pair_id
        self.created: int | None = None
        self.old_status: PairStatus | None = None

    def do(self) -> None:
        store = self.context.store
        pair = store.pair(self.source_id)
        if store.sketch(self.source_id).is_empty:
            self.old_status = pair.status
            if pair.status is PairStatus.TODO:
                store.set_pair_status(pair.id, PairStatus.IN_PROGRESS)
            self.context.set_pair(pair.id)
            return
        name = f"{pair.name or Path(pair.photo).stem} (new sketch)"
        new = store.add_pair(pair.photo, None, category=pair.category, name=name, split=pair.split,
                             flip=pair.flip, status=PairStatus.IN_PROGRESS)
        self.created = new.id
        self.context.set_pair(new.id)

    def undo_do(self) -> None:
        store = self.context.store
        if self.created is not None:
            created, self.created = self.created, None
            self.context.set_pair(self.source_id)
            store.remove_pair(created)
        elif self.old_status is not None:
            store.set_pair_status(self.source_id, self.old_status)
            self.context.set_pair(self.source_id)
