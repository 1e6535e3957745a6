"""The main window: menus, the pair browser dock, the mode bar and the stacked views.

It composes; it does not hold document state. Opening a project builds a `WorkspaceContext`
and one instance of each class in `VIEW_CLASSES`; closing it shuts every view down (threads
stopped) and closes the store. With no project open the welcome page shows.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QLayout,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from sketchstudio import __version__
from sketchstudio.core.errors import UserError
from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.core.model import PairStatus
from sketchstudio.gui.annotate.view import AnnotateView
from sketchstudio.gui.browser.widget import PairBrowser
from sketchstudio.gui.commands import SetPairStatusCommand, push
from sketchstudio.gui.context import EditFailure, WorkspaceContext
from sketchstudio.gui.draw.commands import GUI_BUSY_TIMEOUT_S
from sketchstudio.gui.draw.view import DrawView
from sketchstudio.gui.icons import icon
from sketchstudio.gui.mode_bar import ModeBar
from sketchstudio.gui.render.view import RenderView
from sketchstudio.gui.settings import Settings
from sketchstudio.gui.shortcuts import ActionRegistry
from sketchstudio.gui.views import WorkspaceView
from sketchstudio.gui.welcome import WelcomePage

log = logging.getLogger(__name__)

VIEW_CLASSES: list[type[WorkspaceView]] = [DrawView, AnnotateView, RenderView]
"""The workspace's views in mode-bar order; each gets the `view.<view_id>` action."""

PROJECT_FILTER = "SketchStudio projects (*.sketchstudio)"


class ViewStack(QStackedWidget):
    """A stack sized by its current page only, so one view's large minimum size does not force
    the window to that width while another view is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout().setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def sizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else Settings.load()
        self.setWindowTitle("SketchStudio")
        self.setWindowIcon(icon("app"))
        self.resize(1280, 800)
        self.actions_ = ActionRegistry(self.settings, self)
        self.store = None
        self.context: WorkspaceContext | None = None
        self.views: dict[str, WorkspaceView] = {}
        self.current_view_id = self.settings.last_view
        self.browser: PairBrowser | None = None
        self.training_dialog = None  # TrainingDialog while one is open for this project
        self.edit_failure_box: QMessageBox | None = None  # "Edit not saved" with Retry
        self._disconnects: list = []

        self._build_actions()
        self.welcome = WelcomePage([self.actions_.action(i) for i in
                                    ("project.demo", "project.open", "project.new", "project.import")], self)
        self.welcome.open_recent.connect(self.open_project)
        self.pages = ViewStack(self)
        self.pages.addWidget(self.welcome)
        self.setCentralWidget(self.pages)
        self.browser_dock = QDockWidget("Pairs", self)
        self.browser_dock.setObjectName("PairBrowserDock")
        self.browser_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                      | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.browser_dock.setMinimumWidth(260)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.browser_dock)
        self.browser_dock.hide()
        self._build_menus()
        self._build_status_bar()
        self._restore_geometry()
        self._show_welcome()

    # -- actions and menus ---------------------------------------------------------------------
    def _build_actions(self) -> None:
        a = self.actions_.action
        a("project.new", self.new_project_dialog)
        a("project.open", self.open_project_dialog)
        a("project.demo", self.open_demo)
        a("project.import", self.import_dialog)
        a("project.export", self.export_dialog)
        a("project.close", self.close_project)
        a("app.quit", self.close)
        a("edit.undo", self._undo)
        a("edit.redo", self._redo)
        a("edit.shortcuts", self.show_shortcuts)
        a("edit.preferences", self.show_preferences)
        a("annotate.retrain", self.show_retrain)
        for view_class in VIEW_CLASSES:
            a(f"view.{view_class.view_id}", lambda _=False, v=view_class.view_id: self.set_view(v))
        a("view.browser", self._toggle_browser)
        a("pair.next", lambda: self.context and self.context.next_pair())
        a("pair.prev", lambda: self.context and self.context.prev_pair())
        a("pair.next_unfinished", lambda: self.context and self.context.next_pair(unfinished_only=True))
        a("pair.search", lambda: self.browser and (self.browser_dock.show(), self.browser.focus_search()))
        for status in PairStatus:
            a(f"pair.status.{status.value}", lambda _=False, s=status: self.set_pair_status(s))
        for action_id in ("edit.shortcuts", "edit.preferences", "app.quit", "project.new", "project.open",
                          "project.import"):
            self.addAction(a(action_id))

    def _build_menus(self) -> None:
        a = self.actions_.action
        bar = self.menuBar()
        project = bar.addMenu("&Project")
        for action_id in ("project.new", "project.open", "project.demo"):
            project.addAction(a(action_id))
        self.recent_menu = project.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        project.addSeparator()
        project.addAction(a("project.import"))
        project.addAction(a("project.export"))
        project.addSeparator()
        project.addAction(a("project.close"))
        project.addAction(a("app.quit"))
        edit = bar.addMenu("&Edit")
        edit.addAction(a("edit.undo"))
        edit.addAction(a("edit.redo"))
        edit.addSeparator()
        edit.addAction(a("edit.preferences"))
        view = bar.addMenu("&View")
        for view_class in VIEW_CLASSES:
            view.addAction(a(f"view.{view_class.view_id}"))
        view.addSeparator()
        view.addAction(a("view.browser"))
        pair = bar.addMenu("P&air")
        for action_id in ("pair.prev", "pair.next", "pair.next_unfinished", "pair.search"):
            pair.addAction(a(action_id))
        pair.addSeparator()
        for status in PairStatus:
            pair.addAction(a(f"pair.status.{status.value}"))
        model = bar.addMenu("&Model")
        model.addAction(a("annotate.retrain"))
        model.addSeparator()
        model.addAction(a("edit.preferences"))
        self.view_menu = bar.addMenu("&Sketch")
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(a("edit.shortcuts"))
        about = QAction("&About SketchStudio", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)
        project_ids = ("project.export", "project.close", "view.browser", "annotate.retrain", "pair.next",
                       "pair.prev",
                       "pair.next_unfinished", "pair.search", *(f"view.{v.view_id}" for v in VIEW_CLASSES),
                       *(f"pair.status.{s.value}" for s in PairStatus))
        self._project_actions = [a(i) for i in project_ids]

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.view_status = QLabel(self)
        self.project_status = QLabel(self)
        status.addPermanentWidget(self.view_status)
        status.addPermanentWidget(self.project_status)

    # -- project lifetime ----------------------------------------------------------------------
    def load_project(self, path: str | Path, *, create: bool = False) -> None:
        """Open (or create) a project; raises `UserError` (the caller decides how to show it)."""
        from sketchstudio.core.store import ProjectStore

        store = ProjectStore.create(path) if create else ProjectStore.open(path)
        try:
            store.check_integrity()  # a corrupt file is refused here with its reason, not mid-edit
            store.set_busy_timeout(GUI_BUSY_TIMEOUT_S)  # the GUI thread never waits long on a lock
        except BaseException:
            store.close()
            raise
        self.close_project()
        self.store = store
        self.context = WorkspaceContext(store, self.settings, actions=self.actions_)
        try:
            self._build_workspace()
        except BaseException:
            self.close_project()  # stop the threads the half-built workspace started, then report
            raise
        self.settings.add_recent(store.path)
        self.settings.save()
        self.setWindowTitle(f"{store.name or store.path.stem} — SketchStudio")
        self.context.first_pair()
        self._show_status(f"Opened {store.path}")

    def open_project(self, path: str | Path) -> bool:
        try:
            self.load_project(path)
        except UserError as exc:
            QMessageBox.warning(self, "Cannot open project", str(exc))
            return False
        return True

    def open_project_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", self._last_dir(), PROJECT_FILTER)
        if path:
            self.open_project(path)

    def new_project_dialog(self) -> None:
        suggestion = str(Path(self._last_dir()) / "project.sketchstudio")
        path, _ = QFileDialog.getSaveFileName(self, "New project", suggestion, PROJECT_FILTER)
        if not path:
            return
        if not path.endswith(".sketchstudio"):
            path += ".sketchstudio"
        try:
            self.load_project(path, create=True)
        except UserError as exc:
            QMessageBox.warning(self, "Cannot create project", str(exc))
            return
        if QMessageBox.question(self, "New project", "Import pairs into the new project now?") == \
                QMessageBox.StandardButton.Yes:
            self.import_dialog()

    def open_demo(self) -> None:
        from sketchstudio.core.demo import ensure_demo_project

        try:
            self.load_project(ensure_demo_project())
        except UserError as exc:
            QMessageBox.warning(self, "Cannot open the demo project", str(exc))

    def close_project(self) -> None:
        if self.context is None:
            return
        if self.training_dialog is not None:
            self.training_dialog.shutdown()  # the trainer saves a resumable checkpoint
            self.training_dialog.close()
            self.training_dialog.deleteLater()
            self.training_dialog = None
        for view in self.views.values():
            view.shutdown()
        if self.browser is not None:
            self.browser.shutdown()
        for disconnect in self._disconnects:
            disconnect()
        self._disconnects.clear()
        self.context.close()
        store = self.context.store
        self.context = None
        self.store = None
        self.views.clear()
        self.view_menu.clear()
        if self.browser is not None:
            self.browser_dock.setWidget(None)
            self.browser.deleteLater()
            self.browser = None
        workspace = self.pages.widget(1)
        if workspace is not None:
            self.pages.removeWidget(workspace)
            workspace.deleteLater()
        store.close()
        self.setWindowTitle("SketchStudio")
        self._show_welcome()

    def _build_workspace(self) -> None:
        assert self.context is not None
        context = self.context
        self.browser = PairBrowser(context, self.browser_dock)
        self.browser_dock.setWidget(self.browser)
        self.browser_dock.show()
        if not self.settings.window_state:
            self.resizeDocks([self.browser_dock], [320], Qt.Orientation.Horizontal)
        a = self.actions_.action
        self.mode_bar = ModeBar([a(f"view.{v.view_id}") for v in VIEW_CLASSES],
                                [a("pair.prev"), a("pair.next")])
        self.view_stack = ViewStack()
        for view_class in VIEW_CLASSES:
            view = view_class(context, self.view_stack)
            view.deactivate()
            view.status_changed.connect(lambda v=view: v is self.current_view and self._refresh_view_status())
            self.views[view_class.view_id] = view
            self.view_stack.addWidget(view)
        workspace = QWidget()
        layout = QVBoxLayout(workspace)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.mode_bar)
        layout.addWidget(self.view_stack, 1)
        self.pages.addWidget(workspace)
        self.pages.setCurrentWidget(workspace)
        for action in self._project_actions:
            action.setEnabled(True)
        stack = context.undo_stack
        stack.canUndoChanged.connect(a("edit.undo").setEnabled)
        stack.canRedoChanged.connect(a("edit.redo").setEnabled)
        stack.indexChanged.connect(lambda _i: self._refresh_status())
        a("edit.undo").setEnabled(False)
        a("edit.redo").setEnabled(False)
        self._disconnects += [context.pair_changed.connect(self._on_pair_changed),
                              context.store.events.connect(self._on_store_event),
                              context.errors.connect(self._show_error),
                              context.edit_failed.connect(self._show_edit_failure)]
        self.set_view(self.current_view_id if self.current_view_id in self.views else "draw")

    def _show_welcome(self) -> None:
        self.welcome.set_recent(self.settings.existing_recent())
        self.pages.setCurrentWidget(self.welcome)
        self.browser_dock.hide()
        for action in self._project_actions:
            action.setEnabled(False)
        for action_id in ("edit.undo", "edit.redo"):
            self.actions_.action(action_id).setEnabled(False)
        self.view_status.setText("")
        self.project_status.setText("No project open")
        self.view_menu.menuAction().setVisible(False)

    # -- views ---------------------------------------------------------------------------------
    @property
    def current_view(self) -> WorkspaceView | None:
        return self.views.get(self.current_view_id)

    def set_view(self, view_id: str) -> None:
        if view_id not in self.views:
            return
        previous = self.views.get(self.current_view_id)
        if previous is not None and previous.is_active and self.current_view_id != view_id:
            previous.deactivate()
        self.current_view_id = view_id
        self.settings.last_view = view_id
        view = self.views[view_id]
        self.view_stack.setCurrentWidget(view)
        view.activate()
        self.actions_.action(f"view.{view_id}").setChecked(True)
        self.view_menu.clear()
        self.view_menu.setTitle(view.title)
        for action in view.view_actions():
            self.view_menu.addAction(action)
        self.view_menu.menuAction().setVisible(bool(view.view_actions()))
        self._refresh_status()

    def set_pair_status(self, status: PairStatus) -> None:
        if self.context is not None and self.context.pair_id is not None:
            if status is PairStatus.DONE:
                missing = self._unsettled_keypoints(self.context.pair_id)
                if missing:
                    self._show_error(f"Not marked done: {missing} — place every keypoint on both images "
                                     "or mark its side not visible (V)")
                    return
            push(self.context.undo_stack, SetPairStatusCommand(self.context, self.context.pair_id, status))

    def _unsettled_keypoints(self, pair_id: int) -> str:
        """'' when the pair can be done: all keypoints placed (or not visible) and confirmed."""
        store = self.context.store
        total = store.keypoints_per_pair
        settled = {k.index for k in store.keypoints(pair_id) if k.is_complete}
        open_ = [i + 1 for i in range(total) if i not in settled]
        if not open_:
            return ""
        return f"{total - len(open_)}/{total} keypoints settled, keypoint{'s' * (len(open_) > 1)} " \
               + ", ".join(map(str, open_)) + " still open"

    # -- events --------------------------------------------------------------------------------
    def _on_pair_changed(self, _pair_id: int | None) -> None:
        self._refresh_pair()
        self._refresh_status()

    def _on_store_event(self, event: ChangeEvent) -> None:
        if self.context is None:
            return
        if event.pair_id == self.context.pair_id or event.kind is ChangeKind.PROJECT_RELOADED:
            self._refresh_pair()
        if event.kind in (ChangeKind.PAIR_ADDED, ChangeKind.PAIR_REMOVED, ChangeKind.PAIR_CHANGED,
                          ChangeKind.PROJECT_RELOADED):
            self._refresh_status()
        if event.kind is ChangeKind.PROJECT_RELOADED and self.context.pair_id is None:
            self.context.first_pair()

    def _refresh_pair(self) -> None:
        if self.context is None:
            return
        pair = self.context.pair()
        position = None
        if pair is not None and self.browser is not None:
            row = self.browser.model.row_of(pair.id)
            position = (row + 1, self.browser.model.rowCount()) if row is not None else None
        self.mode_bar.show_pair(pair, position)

    def _refresh_view_status(self) -> None:
        view = self.current_view
        self.view_status.setText(view.status_text() if view is not None else "")

    def _refresh_status(self) -> None:
        if self.context is None:
            return
        self._refresh_view_status()
        stats = self.context.store.stats()
        done = stats.statuses.get(PairStatus.DONE.value, 0)
        self.project_status.setText(f"{self.context.store.path.name} · {stats.pairs:,} pairs · {done:,} done")

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    def _show_error(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def _show_edit_failure(self, failure: EditFailure) -> None:
        """A refused edit: a window-modal message that does not block the caller (it is shown
        from inside a mouse handler), with "Retry" when the edit can be tried again."""
        box = self.edit_failure_box
        if box is None:
            box = QMessageBox(QMessageBox.Icon.Warning, "Edit not saved", "", parent=self)
            box.setWindowModality(Qt.WindowModality.WindowModal)
            self.edit_failure_box = box
        for button in box.buttons():
            box.removeButton(button)
        box.setText(failure.message)
        box.setInformativeText("The project was not changed. Close the other SketchStudio, free disk "
                               "space or make the file writable, then retry.")
        if failure.retry is not None:
            retry_button = box.addButton("Retry", QMessageBox.ButtonRole.AcceptRole)
            retry = failure.retry
            retry_button.clicked.connect(lambda: QTimer.singleShot(0, retry))
        box.addButton(QMessageBox.StandardButton.Close)
        box.open()

    # -- commands ------------------------------------------------------------------------------
    def _undo(self) -> None:
        if self.context is not None:
            self.context.undo_stack.undo()

    def _redo(self) -> None:
        if self.context is not None:
            self.context.undo_stack.redo()

    def _toggle_browser(self) -> None:
        self.browser_dock.setVisible(not self.browser_dock.isVisible())

    def import_dialog(self) -> None:
        from sketchstudio.gui.dialogs.import_dialog import ImportDialog

        if self.context is None:
            QMessageBox.information(self, "Import",
                                    "Create or open a project first; imported pairs go into it.")
            return
        ImportDialog(self.context, self).exec()

    def export_dialog(self) -> None:
        from sketchstudio.gui.dialogs.export_dialog import ExportDialog

        if self.context is not None:
            ExportDialog(self.context, self).exec()

    def show_shortcuts(self) -> None:
        from sketchstudio.gui.dialogs.shortcuts_dialog import ShortcutsDialog

        ShortcutsDialog(self.actions_, self).exec()
        self.settings.save()

    def show_preferences(self) -> None:
        from sketchstudio.gui.dialogs.preferences_dialog import PreferencesDialog

        dialog = PreferencesDialog(self.settings, self, show_shortcuts=self.show_shortcuts)
        dialog.applied.connect(self.apply_settings)
        dialog.exec()
        self.settings.save()

    def apply_settings(self) -> None:
        """The preferences changed: every open view re-reads them (models, device)."""
        for view in self.views.values():
            view.settings_changed()
        self._refresh_view_status()

    def show_retrain(self) -> None:
        """Model → Retrain Warp Model…: one non-modal dialog per open project."""
        from sketchstudio.gui.training_dialog import TrainingDialog

        if self.context is None:
            return
        if self.training_dialog is None:
            self.training_dialog = TrainingDialog(self.context, self)
            self.training_dialog.modelTrained.connect(self._on_model_trained)
            self.training_dialog.useModelRequested.connect(self.use_warp_model)
        self.training_dialog.show()
        self.training_dialog.raise_()
        self.training_dialog.activateWindow()

    def use_warp_model(self, info, device: str) -> None:
        self.settings.warp_model = info.id
        self.settings.device = device or "auto"
        self.settings.save()
        self.apply_settings()
        self._show_status(f"Annotate suggests with {info.label} now")

    def _on_model_trained(self, info) -> None:
        if info is not None:
            self._show_status(f"Training finished: {info.label} (“Use this model” in the dialog switches "
                              "to it)")

    def _about(self) -> None:
        QMessageBox.about(self, "About SketchStudio",
                          f"<b>SketchStudio {__version__}</b><p>Draw sketches, annotate photo–sketch "
                          "correspondences, render images from sketches and retrain the models.</p>")

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.existing_recent()
        for path in recent:
            action = self.recent_menu.addAction(path.name)
            action.setToolTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_project(p))
        if not recent:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _last_dir(self) -> str:
        """The folder of the last project the user opened, never the demo's copy in the data dir."""
        from sketchstudio.core.demo import demo_copy_dir

        demo = demo_copy_dir().resolve()
        for path in self.settings.existing_recent():
            if not path.resolve().is_relative_to(demo):
                return str(path.parent)
        return str(Path.home())

    # -- geometry and closing ------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.settings.window_geometry.encode()))
        if self.settings.window_state:
            self.restoreState(QByteArray.fromBase64(self.settings.window_state.encode()))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        self.settings.window_state = bytes(self.saveState().toBase64().data()).decode()
        self.close_project()
        self.settings.save()
        super().closeEvent(event)


