"""Undoable project edits that are not tied to one view."""

from __future__ import annotations

from sketchstudio.core.model import PairStatus
from sketchstudio.gui.browser.model import STATUS_LABELS
from sketchstudio.gui.context import WorkspaceContext
from sketchstudio.gui.draw.commands import StoreCommand, push

__all__ = ["SetPairStatusCommand", "push"]


class SetPairStatusCommand(StoreCommand):
    def __init__(self, context: WorkspaceContext, pair_id: int, status: PairStatus) -> None:
        super().__init__(context, f"Mark {STATUS_LABELS[status]}")
        self.pair_id = pair_id
        self.status = status
        self.old: PairStatus | None = None

    def copy(self) -> SetPairStatusCommand:
        return SetPairStatusCommand(self.context, self.pair_id, self.status)

    def do(self) -> None:
        self.old = self.context.store.pair(self.pair_id).status
        self.context.store.set_pair_status(self.pair_id, self.status)

    def undo_do(self) -> None:
        if self.old is not None:
            self.context.store.set_pair_status(self.pair_id, self.old)
