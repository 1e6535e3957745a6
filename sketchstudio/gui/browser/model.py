"""`PairListModel`: the store's pairs as a Qt list model, kept current by store events.

It holds the list of `Pair` values (cheap even for 6,250 pairs) and updates single rows on
PAIR_CHANGED, so a status change never resets the view; bulk imports (PROJECT_RELOADED) reset.
`PairFilterProxy` filters by status, category and a search text without touching the store.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.core.model import Pair, PairStatus

PairRole = Qt.ItemDataRole.UserRole + 1
PairIdRole = Qt.ItemDataRole.UserRole + 2

STATUS_LABELS = {
    PairStatus.TODO: "To do",
    PairStatus.IN_PROGRESS: "In progress",
    PairStatus.DONE: "Done",
    PairStatus.SKIPPED: "Skipped",
    PairStatus.FLAGGED: "Flagged",
}

Index = QModelIndex | QPersistentModelIndex


def pair_title(pair: Pair) -> str:
    if pair.name:
        return pair.name
    stem = pair.photo.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem or f"Pair {pair.id}"


class PairListModel(QAbstractListModel):
    def __init__(self, store: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self._pairs: list[Pair] = store.pairs()
        self._rows = {p.id: i for i, p in enumerate(self._pairs)}
        self._disconnect = store.events.connect(self._on_event)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._pairs)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._pairs):
            return None
        pair = self._pairs[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return pair_title(pair)
        if role == PairRole:
            return pair
        if role == PairIdRole:
            return pair.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"#{pair.id} · {pair.photo}" + (f"\n{pair.sketch}" if pair.sketch else "")
        return None

    def row_of(self, pair_id: int) -> int | None:
        return self._rows.get(pair_id)

    def pair_at(self, row: int) -> Pair:
        return self._pairs[row]

    def reload(self) -> None:
        self.beginResetModel()
        self._pairs = self.store.pairs()
        self._rows = {p.id: i for i, p in enumerate(self._pairs)}
        self.endResetModel()

    def shutdown(self) -> None:
        self._disconnect()

    def _on_event(self, event: ChangeEvent) -> None:
        kind, pair_id = event.kind, event.pair_id
        if kind is ChangeKind.PROJECT_RELOADED:
            self.reload()
        elif kind is ChangeKind.PAIR_ADDED and pair_id is not None:
            if self._pairs and pair_id < self._pairs[-1].id:
                self.reload()
                return
            row = len(self._pairs)
            self.beginInsertRows(QModelIndex(), row, row)
            self._pairs.append(self.store.pair(pair_id))
            self._rows[pair_id] = row
            self.endInsertRows()
        elif kind is ChangeKind.PAIR_REMOVED and pair_id in self._rows:
            row = self._rows[pair_id]
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._pairs[row]
            self._rows = {p.id: i for i, p in enumerate(self._pairs)}
            self.endRemoveRows()
        elif pair_id in self._rows and kind in (ChangeKind.PAIR_CHANGED, ChangeKind.SKETCH_CHANGED,
                                                ChangeKind.STROKE_ADDED, ChangeKind.STROKE_REMOVED):
            row = self._rows[pair_id]
            try:
                self._pairs[row] = self.store.pair(pair_id)
            except KeyError:
                return
            index = self.index(row)
            self.dataChanged.emit(index, index)


class PairFilterProxy(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.status: PairStatus | None = None
        self.category: str | None = None
        self.search = ""

    def set_filter(self, *, status: PairStatus | str | None = "keep", category: str | None = "\0",
                   search: str | None = None) -> None:
        begin = getattr(self, "beginFilterChange", None)  # Qt >= 6.9; invalidateFilter is deprecated
        if begin is not None:
            begin()
        if status != "keep":
            self.status = None if status is None else PairStatus(status)  # combo data arrives as str
        if category != "\0":
            self.category = category
        if search is not None:
            self.search = search.strip().casefold()
        if begin is not None:
            self.endFilterChange()
        else:
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, PairListModel):
            return True
        pair = model.pair_at(source_row)
        if self.status is not None and pair.status is not self.status:
            return False
        if self.category is not None and pair.category != self.category:
            return False
        if self.search:
            fields = (pair.name, pair.photo, pair.sketch or "", pair.category, f"#{pair.id}")
            haystack = "\n".join(fields).casefold()
            return self.search in haystack
        return True
