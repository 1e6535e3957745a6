"""The workspace context: what every view of an open project shares.

One object per open project holds the document (`ProjectStore`), the current pair (with change
notifications), the user settings, the project's single undo stack and the action registry
(QActions by id with configurable shortcuts). It is not a widget and not a QObject, so a view, a
test or a tool can build one in a line; its only Qt parts are the `QUndoStack` and the QActions
(QtGui), because Qt's undo framework and actions are what the menus and shortcuts drive.

Views take the context in `__init__`, read the document through `context.store`, subscribe to
`context.store.events` and `context.pair_changed`, and write edits as `QUndoCommand`s pushed on
`context.undo_stack`. No view holds the truth.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtGui import QUndoStack

from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.core.model import Pair
from sketchstudio.gui.settings import Settings
from sketchstudio.gui.shortcuts import ActionRegistry

if TYPE_CHECKING:
    from sketchstudio.core.store import ProjectStore

log = logging.getLogger(__name__)
T = TypeVar("T")


class Callbacks(Generic[T]):
    """A minimal, Qt-free signal: listeners are called in order; one failing is logged only."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[T], None]] = []

    def connect(self, listener: Callable[[T], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self.disconnect(listener)

    def disconnect(self, listener: Callable[[T], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def emit(self, value: T) -> None:
        for listener in list(self._listeners):
            try:
                listener(value)
            except Exception:
                log.exception("listener %r failed", listener)


@dataclass(frozen=True)
class EditFailure:
    """An edit the store refused (locked, read-only, disk full): what to tell the user, and how to
    try the same edit again."""

    message: str
    retry: Callable[[], None] | None = None


class WorkspaceContext:
    """The open project, the current pair, the settings and the undo stack."""

    def __init__(self, store: ProjectStore, settings: Settings | None = None, *,
                 undo_stack: QUndoStack | None = None, actions: ActionRegistry | None = None) -> None:
        self.store = store
        self.settings = settings if settings is not None else Settings.load()
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack()
        # the main window passes its registry so shortcut edits reach every view's actions
        self.actions = actions if actions is not None else ActionRegistry(self.settings, None)
        self.pair_changed: Callbacks[int | None] = Callbacks()
        self.errors: Callbacks[str] = Callbacks()  # one-line messages for the status bar
        self.notices: Callbacks[str] = Callbacks()  # one-line confirmations ("Exported …")
        self.edit_failed: Callbacks[EditFailure] = Callbacks()  # a message with "Retry"
        self._pair_id: int | None = None
        self._disconnect = store.events.connect(self._on_store_event)

    # -- current pair ---------------------------------------------------------------------------
    @property
    def pair_id(self) -> int | None:
        return self._pair_id

    def pair(self) -> Pair | None:
        if self._pair_id is None:
            return None
        try:
            return self.store.pair(self._pair_id)
        except KeyError:
            return None

    def set_pair(self, pair_id: int | None) -> None:
        """Make `pair_id` current (None: no pair); listeners hear only real changes."""
        if pair_id is not None:
            self.store.pair(pair_id)  # KeyError for an unknown id: a caller bug, not user input
        if pair_id == self._pair_id:
            return
        self._pair_id = pair_id
        self.pair_changed.emit(pair_id)

    def next_pair(self, *, unfinished_only: bool = False) -> int | None:
        """Move to the next pair (the first one when none is current); returns the new id."""
        if self._pair_id is None:
            ids = self.store.pair_ids()
            target = ids[0] if ids else None
        else:
            target = self.store.next_pair_id(self._pair_id, unfinished_only=unfinished_only)
        if target is not None:
            self.set_pair(target)
        return target

    def prev_pair(self) -> int | None:
        if self._pair_id is None:
            return None
        target = self.store.prev_pair_id(self._pair_id)
        if target is not None:
            self.set_pair(target)
        return target

    def first_pair(self) -> None:
        ids = self.store.pair_ids()
        self.set_pair(ids[0] if ids else None)

    # -- lifetime -------------------------------------------------------------------------------
    def close(self) -> None:
        """Detach from the store (the caller closes the store it opened)."""
        self._disconnect()
        self.undo_stack.clear()

    def _on_store_event(self, event: ChangeEvent) -> None:
        if event.kind is ChangeKind.PAIR_REMOVED and event.pair_id == self._pair_id:
            self._pair_id = None
            self.pair_changed.emit(None)
        elif event.kind is ChangeKind.PROJECT_RELOADED and self._pair_id is not None:
            try:
                self.store.pair(self._pair_id)
            except KeyError:
                self._pair_id = None
                self.pair_changed.emit(None)
