"""Undoable sketch edits: each command changes the store and nothing else.

One finished stroke is one command; one stroke-eraser drag is one command however many strokes
it removed; clearing is one command. Every `redo`/`undo` goes through `ProjectStore`, so the
edit is durable when it returns and the canvas repaints from the store's change events. Undo
of an edit on another pair first makes that pair current, so the user sees what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QUndoCommand, QUndoStack

from sketchstudio.core.errors import UserError
from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.core.model import PairStatus, Stroke
from sketchstudio.gui.context import EditFailure, WorkspaceContext

log = logging.getLogger(__name__)


GUI_BUSY_TIMEOUT_S = 0.25
"""How long a GUI edit waits for another writer before it fails with "the project is busy":
short, so the GUI thread never freezes on a lock (the message offers "Retry")."""


class StoreCommand(QUndoCommand):
    """Base of every command that edits the store: the GUI's one edit path (draw and annotate).

    Subclasses implement `do`/`undo_do`; each runs as one store transaction, so an edit lands
    whole or not at all. No exception ever leaves `redo`/`undo` (Qt would swallow it, or worse,
    with the command half-applied on the stack). A step that fails (the project is locked by
    another writer, read-only, or the disk is full):

    * on the first redo (inside `QUndoStack.push`) marks the command obsolete, so Qt drops it;
    * on a later undo/redo puts the stack's index back where the store is (right after the
      failing call returns), so the undo stack always matches the project;
    * makes the views re-read the store (`refresh_events`), so nothing unsaved stays on screen;
    * reports the failure through `context.errors` (status bar) and `context.edit_failed`
      (a message with "Retry").
    """

    def __init__(self, context: WorkspaceContext, text: str) -> None:
        super().__init__(text)
        self.context = context
        self.error: Exception | None = None
        self._done_once = False
        self._skip_redo = False
        self._skip_undo = False

    def redo(self) -> None:
        if self._skip_redo:  # the stack is catching up with the store: nothing to write
            self._skip_redo = False
            return
        first = not self._done_once
        self._done_once = True
        exc = self._run(self.do)
        if exc is None:
            return
        if first:
            self.setObsolete(True)
            again = self.copy()
            retry = None if again is None else (lambda: push(self.context.undo_stack, again))
            self._report(exc, "", retry)
        else:
            self._settle(undo=True)
            self._report(exc, "redo ", self.context.undo_stack.redo)

    def undo(self) -> None:
        if self._skip_undo:
            self._skip_undo = False
            return
        exc = self._run(self.undo_do)
        if exc is not None:
            self._settle(undo=False)
            self._report(exc, "undo ", self.context.undo_stack.undo)

    def do(self) -> None:
        raise NotImplementedError

    def undo_do(self) -> None:
        raise NotImplementedError

    def copy(self) -> StoreCommand | None:
        """A fresh command for the same edit ("Retry" after the first attempt failed)."""
        return None

    def refresh_events(self) -> list[ChangeEvent]:
        """What the views must re-read after a failure (the store did not change)."""
        pair_id = getattr(self, "pair_id", None)
        if pair_id is None:
            return [ChangeEvent(ChangeKind.PROJECT_RELOADED)]
        return [ChangeEvent(ChangeKind.PAIR_CHANGED, pair_id=pair_id)]

    # -- internals -------------------------------------------------------------------------------
    def _run(self, step: Callable[[], None]) -> Exception | None:
        self.error = None
        try:
            with self.context.store.transaction():
                step()
        except Exception as exc:  # nothing may cross the C++ frame of QUndoStack
            if not isinstance(exc, UserError | KeyError | ValueError | OSError):
                log.exception("%r failed", self.text())
            self.error = exc
            return exc
        return None

    def _report(self, exc: Exception, what: str, retry: Callable[[], None] | None) -> None:
        log.warning("%s%r failed: %s", what, self.text(), exc)
        for event in self.refresh_events():
            try:
                self.context.store.events.emit(event)
            except Exception:  # a listener failing must not hide the message
                log.exception("refresh after a failed edit")
        reason = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
        message = f"Could not {what}“{self.text()}”: {' '.join(reason.split())}"
        self.context.errors.emit(message)
        self.context.edit_failed.emit(EditFailure(message, retry))

    def _settle(self, *, undo: bool) -> None:
        """After a failed undo (redo) QUndoStack has moved its index anyway: move it back once
        the failing call has returned, without writing (the store already is in that state)."""
        stack = self.context.undo_stack

        def settle() -> None:
            index = stack.index()
            if undo and index > 0 and stack.command(index - 1) is self:
                self._skip_undo = True
                stack.undo()
            elif not undo and index < stack.count() and stack.command(index) is self:
                self._skip_redo = True
                stack.redo()

        QTimer.singleShot(0, settle)


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

    def refresh_events(self) -> list[ChangeEvent]:
        return [ChangeEvent(ChangeKind.SKETCH_CHANGED, pair_id=self.pair_id)]


class AddStrokeCommand(_SketchCommand):
    """Add one stroke; undo removes it; redo restores it with the same id."""

    def __init__(self, context: WorkspaceContext, pair_id: int, stroke: Stroke) -> None:
        super().__init__(context, pair_id, "Erase pixels" if stroke.eraser else "Draw stroke")
        self.stroke = stroke
        self.stored: Stroke | None = None

    def copy(self) -> AddStrokeCommand:
        return AddStrokeCommand(self.context, self.pair_id, self.stroke)

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

    def copy(self) -> RemoveStrokesCommand:
        return RemoveStrokesCommand(self.context, self.pair_id, self.stroke_ids)

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

    def copy(self) -> ClearStrokesCommand:
        return ClearStrokesCommand(self.context, self.pair_id)

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

    def copy(self) -> NewSketchCommand:
        return NewSketchCommand(self.context, self.source_id)

    def refresh_events(self) -> list[ChangeEvent]:
        return [ChangeEvent(ChangeKind.PROJECT_RELOADED)]

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
            self.context.set_pair(self.source_id)
            store.remove_pair(self.created)
            self.created = None  # only once removed: a failed undo must stay undoable
        elif self.old_status is not None:
            store.set_pair_status(self.source_id, self.old_status)
            self.context.set_pair(self.source_id)
