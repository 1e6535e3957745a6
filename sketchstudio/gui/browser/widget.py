"""The pair browser panel: search, status and category filters, the list, a progress line."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.core.model import PairStatus
from sketchstudio.gui.browser.delegate import PairDelegate
from sketchstudio.gui.browser.model import STATUS_LABELS, PairFilterProxy, PairIdRole, PairListModel
from sketchstudio.gui.browser.thumbnails import ThumbnailCache
from sketchstudio.gui.commands import SetPairStatusCommand, push
from sketchstudio.gui.context import WorkspaceContext
from sketchstudio.gui.icons import icon

ALL = "All"


class PairBrowser(QWidget):
    """A view of the project's pairs; selecting a row makes that pair current in the context."""

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PairBrowser")
        self.context = context
        self.model = PairListModel(context.store, self)
        self.proxy = PairFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.thumbnails = ThumbnailCache(parent=self)
        self.thumbnails.ready.connect(self._on_thumbnail)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search name, file, category…")
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox(self)
        self.status_filter.addItem(f"{ALL} statuses", None)
        for status, label in STATUS_LABELS.items():
            self.status_filter.addItem(label, status)
        self.category_filter = QComboBox(self)
        self._fill_categories()
        self.list = QListView(self)
        self.list.setObjectName("PairList")
        self.list.setModel(self.proxy)
        self.list.setItemDelegate(PairDelegate(self.thumbnails, context.store.resolve, self.list,
                                               sketch_snapshot=context.store.sketch))
        self.list.setUniformItemSizes(True)
        self.list.setMouseTracking(True)
        self.list.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.summary = QLabel(self)
        self.summary.setObjectName("Muted")

        filters = QHBoxLayout()
        filters.setSpacing(6)
        filters.addWidget(self.status_filter, 1)
        filters.addWidget(self.category_filter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.summary)

        self._search_timer = QTimer(self, singleShot=True, interval=150, timeout=self._apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.status_filter.currentIndexChanged.connect(self._apply_filters)
        self.category_filter.currentIndexChanged.connect(self._apply_filters)
        self.list.selectionModel().currentChanged.connect(self._on_current_changed)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self._disconnects = [context.pair_changed.connect(self.select_pair),
                             context.store.events.connect(self._on_store_event)]
        self._update_summary()
        self.select_pair(context.pair_id)

    # -- selection ---------------------------------------------------------------------------
    def select_pair(self, pair_id: int | None) -> None:
        """Show `pair_id` as the current row (does not re-emit to the context)."""
        if pair_id is None:
            self.list.selectionModel().clearCurrentIndex()
            return
        row = self.model.row_of(pair_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row))
        if not index.isValid():
            return
        if self.list.currentIndex() != index:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
            self.list.selectionModel().setCurrentIndex(index, flags)
        self.list.scrollTo(index)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            pair_id = current.data(PairIdRole)
            if pair_id != self.context.pair_id:
                self.context.set_pair(pair_id)

    # -- filters -----------------------------------------------------------------------------
    def _apply_search(self) -> None:
        self.proxy.set_filter(search=self.search.text())
        self._after_filter()

    def _apply_filters(self) -> None:
        self.proxy.set_filter(status=self.status_filter.currentData(),
                              category=self.category_filter.currentData())
        self._after_filter()

    def _after_filter(self) -> None:
        self.select_pair(self.context.pair_id)
        self._update_summary()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _fill_categories(self) -> None:
        current = self.category_filter.currentData()
        self.category_filter.blockSignals(True)
        self.category_filter.clear()
        self.category_filter.addItem(f"{ALL} categories", None)
        for category in self.context.store.categories():
            self.category_filter.addItem(category, category)
        if current is not None:
            index = self.category_filter.findData(current)
            self.category_filter.setCurrentIndex(max(0, index))
        self.category_filter.blockSignals(False)

    def _update_summary(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        done = sum(1 for r in range(total) if self.model.pair_at(r).status is PairStatus.DONE)
        prefix = f"{shown:,} of {total:,} pairs" if shown != total else f"{total:,} pairs"
        self.summary.setText(f"{prefix} · {done:,} done")

    def _on_store_event(self, event: ChangeEvent) -> None:
        if event.kind in (ChangeKind.PROJECT_RELOADED, ChangeKind.PAIR_ADDED, ChangeKind.PAIR_REMOVED):
            self._fill_categories()
            self.select_pair(self.context.pair_id)
        if event.kind in (ChangeKind.PROJECT_RELOADED, ChangeKind.PAIR_ADDED, ChangeKind.PAIR_REMOVED,
                          ChangeKind.PAIR_CHANGED):
            self._update_summary()

    def _on_thumbnail(self, _key: str) -> None:
        self.list.viewport().update()

    def _context_menu(self, pos) -> None:
        index = self.list.indexAt(pos)
        if not index.isValid():
            return
        pair_id = index.data(PairIdRole)
        menu = QMenu(self)
        for status, label in STATUS_LABELS.items():
            action = menu.addAction(f"Mark {label}")
            action.triggered.connect(lambda _=False, s=status: push(
                self.context.undo_stack, SetPairStatusCommand(self.context, pair_id, s)))
        menu.exec(self.list.viewport().mapToGlobal(pos))

    def shutdown(self) -> None:
        self._search_timer.stop()
        for disconnect in self._disconnects:
            disconnect()
        self.model.shutdown()
        self.thumbnails.shutdown()
