"""The application shell: welcome page, pair browser, keyboard navigation, views, closing."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from sketchstudio.core.model import PairSpec, PairStatus
from sketchstudio.core.store import ProjectStore
from sketchstudio.gui.app import application
from sketchstudio.gui.main_window import MainWindow


def test_welcome_page_without_a_project_lists_recent_projects(qtbot, project_path) -> None:
    application()
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.pages.currentWidget() is win.welcome
    assert not win.actions_.action("project.export").isEnabled()
    win.load_project(project_path)
    assert win.context is not None and win.context.pair_id == 1
    win.close_project()
    assert win.pages.currentWidget() is win.welcome
    assert win.welcome.recent_list.count() == 1
    assert win.settings.recent_projects == [str(project_path.resolve())]
    win.close()


def test_keyboard_navigation_through_pairs(qtbot, window) -> None:
    context, browser = window.context, window.browser
    browser.list.setFocus()
    qtbot.keyClick(browser.list, Qt.Key.Key_Down)
    assert context.pair_id == 2
    qtbot.keyClick(browser.list, Qt.Key.Key_End)
    assert context.pair_id == 5
    qtbot.keyClick(browser.list, Qt.Key.Key_Home)
    assert context.pair_id == 1
    window.activateWindow()
    qtbot.waitActive(window)
    window.views["draw"].canvas.setFocus()
    qtbot.keyClick(window.views["draw"].canvas, Qt.Key.Key_PageDown)
    assert context.pair_id == 2
    assert browser.list.currentIndex().row() == 1  # the browser follows the context
    qtbot.keyClick(window.views["draw"].canvas, Qt.Key.Key_PageUp)
    assert context.pair_id == 1


def test_mode_switch_by_shortcut_and_view_interface(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitActive(window)
    for key, view_id in ((Qt.Key.Key_2, "annotate"), (Qt.Key.Key_3, "render"), (Qt.Key.Key_1, "draw")):
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
        assert window.current_view_id == view_id
        assert window.view_stack.currentWidget() is window.views[view_id]
        assert window.views[view_id].is_active
        assert sum(v.is_active for v in window.views.values()) == 1
    # Draw's actions are only live while Draw is shown
    assert window.views["draw"].named_actions["draw.bigger"].isEnabled()
    window.set_view("render")
    assert not window.views["draw"].named_actions["draw.bigger"].isEnabled()


def test_status_marks_are_undoable_and_shown(qtbot, window) -> None:
    window.actions_.action("pair.status.flagged").trigger()
    store = window.context.store
    assert store.pair(1).status is PairStatus.FLAGGED
    assert window.mode_bar.chip.text() == "Flagged"
    window.actions_.action("edit.undo").trigger()
    assert store.pair(1).status is PairStatus.TODO


def test_browser_filters_and_search(qtbot, window) -> None:
    browser = window.browser
    browser.status_filter.setCurrentIndex(browser.status_filter.findData(PairStatus.DONE))
    assert browser.proxy.rowCount() == 1
    browser.status_filter.setCurrentIndex(0)
    browser.category_filter.setCurrentIndex(browser.category_filter.findData("dog"))
    assert browser.proxy.rowCount() == 2  # pairs 1 and 4 of 0..4 cycle cat, dog, cup
    browser.category_filter.setCurrentIndex(0)
    qtbot.keyClicks(browser.search, "pair 3")
    qtbot.waitUntil(lambda: browser.proxy.rowCount() == 1, timeout=2000)
    assert "1 of 5 pairs" in browser.summary.text()
    window.context.store.set_pair_status(4, PairStatus.DONE)  # an outside edit updates one row
    assert browser.model.pair_at(3).status is PairStatus.DONE


def test_close_stops_every_thread(qtbot, project_path) -> None:
    application()
    win = MainWindow()
    qtbot.addWidget(win)
    win.load_project(project_path)
    win.show()
    loader = win.browser.thumbnails._loader
    assert loader.isRunning()
    win.close()
    assert not loader.isRunning()
    assert win.context is None


def test_a_large_project_opens_fast_and_loads_only_visible_thumbnails(qtbot, make_project) -> None:
    path = make_project(n=1)
    with ProjectStore.open(path) as store:
        store.add_pairs([PairSpec(photo="photos/p0.png", name=f"bulk {i}", category=f"c{i % 125}")
                         for i in range(6249)])
    application()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1200, 800)
    started = time.perf_counter()
    win.load_project(path)
    win.show()
    qtbot.waitExposed(win)
    QApplication.processEvents()
    elapsed = time.perf_counter() - started
    assert win.browser.model.rowCount() == 6250
    assert elapsed < 5.0
    # only the rows on screen asked for thumbnails (all share one photo here, so count requests)
    assert len(win.browser.thumbnails._requested) + len(win.browser.thumbnails._cache) <= 2
    win.browser.list.scrollToBottom()
    win.context.set_pair(6250)
    assert win.browser.list.currentIndex().row() == 6249
    win.close()


def test_vector_sketches_get_thumbnails_rendered_off_the_gui_thread(qtbot, window) -> None:
    from sketchstudio.core.model import Stroke

    store, thumbs = window.context.store, window.browser.thumbnails
    store.add_stroke(3, Stroke(points=((20, 20, 1, 0), (230, 230, 1, 0.1)), width=8))
    pair = store.pair(3)
    key = f"sketch:3:{pair.modified}"
    qtbot.waitUntil(lambda: thumbs._cache.get(key) is not None, timeout=5000)
    image = thumbs._cache[key].toImage()
    assert image.width() == thumbs.size
    centre = image.pixelColor(image.width() // 2, image.height() // 2)
    assert centre.lightness() < 128  # the diagonal stroke is drawn
