"""Import and export dialogs run off the GUI thread; the cheat sheet edits shortcuts."""

from __future__ import annotations

import json

from PIL import Image
from PySide6.QtGui import QKeySequence

from sketchstudio.core.model import Stroke
from sketchstudio.gui.dialogs.export_dialog import FORMATS, ExportDialog
from sketchstudio.gui.dialogs.import_dialog import ImportDialog
from sketchstudio.gui.dialogs.shortcuts_dialog import ShortcutsDialog


def test_folder_import_runs_in_the_background_and_refreshes_the_browser(qtbot, window, tmp_path) -> None:
    folder = tmp_path / "new_photos" / "birds"
    folder.mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (64, 48), (i * 60, 100, 200)).save(folder / f"bird{i}.jpg")
    dialog = ImportDialog(window.context, window)
    qtbot.addWidget(dialog)
    dialog.source.setCurrentIndex(2)
    dialog.folder.set_text(str(folder))
    with qtbot.waitSignal(dialog.task_finished, timeout=10000):
        dialog.start()
        assert not dialog.import_button.isEnabled()  # busy while the thread works
    assert "Added 3 photos" in dialog.footer.message.text()
    assert window.browser.model.rowCount() == 8
    assert "birds" in [window.browser.category_filter.itemData(i)
                       for i in range(window.browser.category_filter.count())]
    dialog.close()


def test_bad_import_reports_one_line_and_changes_nothing(qtbot, window, tmp_path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{ nope")
    dialog = ImportDialog(window.context, window)
    qtbot.addWidget(dialog)
    dialog.source.setCurrentIndex(1)
    dialog.json.set_text(str(bad))
    with qtbot.waitSignal(dialog.task_finished, timeout=10000):
        dialog.start()
    message = dialog.footer.message.text()
    assert "broken.json" in message and "\n" not in message
    assert window.browser.model.rowCount() == 5
    dialog.close()


def test_export_json_and_sketch_pngs_with_progress(qtbot, window, tmp_path) -> None:
    store = window.context.store
    store.add_stroke(1, Stroke(points=((10, 10, 1, 0), (200, 200, 1, 0.1)), width=4))
    dialog = ExportDialog(window.context, window)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(0)
    out = tmp_path / "export.json"
    dialog.target.set_text(str(out))
    with qtbot.waitSignal(dialog.task_finished, timeout=10000):
        dialog.start()
    data = json.loads(out.read_text())
    assert len(data["pairs"]) == 5
    assert "strokes" in json.dumps(data)
    dialog.format.setCurrentIndex([f[0] for f in FORMATS].index("png"))
    folder = tmp_path / "pngs"
    dialog.target.set_text(str(folder))
    dialog.size.setValue(128)
    progress: list[tuple[int, int]] = []
    show = dialog.footer.update_progress
    dialog.footer.update_progress = lambda done, total, text: (progress.append((done, total)),
                                                                show(done, total, text))
    with qtbot.waitSignal(dialog.task_finished, timeout=10000):
        dialog.start()
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["00001-pair_0.png", "00002-pair_1.png"]  # pair 1 strokes, pair 2 raster sketch
    assert Image.open(folder / files[0]).size == (128, 128)
    assert progress and progress[-1] == (5, 5)
    dialog.close()


def test_cheat_sheet_changes_a_shortcut_and_saves_it(qtbot, window) -> None:
    dialog = ShortcutsDialog(window.actions_, window)
    qtbot.addWidget(dialog)
    dialog.set_shortcut("draw.pen", ["P"])
    assert window.views["draw"].named_actions["draw.pen"].shortcut() == QKeySequence("P")
    assert window.settings.shortcuts["draw.pen"] == ["P"]
    groups = [dialog.tree.topLevelItem(i).text(0) for i in range(dialog.tree.topLevelItemCount())]
    assert "DRAW" in groups and "MOUSE AND FIXED KEYS" in groups
    dialog.close()
