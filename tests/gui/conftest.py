"""GUI test fixtures: a leaked-thread check, a small project with generated images, a window.

`fail_on_leaked_qthreads` is autouse: any QThread started (from Python) during a test and still
running at its end fails that test, so a view that forgets to stop its worker in `shutdown()`
is caught here, not as a hang at interpreter exit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PIL import Image, ImageDraw

from sketchstudio.core.model import PairStatus
from sketchstudio.core.store import ProjectStore
from sketchstudio.gui.testing import ThreadLeakWatcher


@pytest.fixture(autouse=True)
def fail_on_leaked_qthreads() -> Iterator[None]:
    watcher = ThreadLeakWatcher()
    watcher.start()
    try:
        yield
    finally:
        watcher.stop()
    leaked = watcher.leaked()
    if leaked:
        pytest.fail("test left threads running: " + ", ".join(leaked))


def _photo(path: Path, seed: int, size: tuple[int, int] = (256, 256)) -> None:
    image = Image.new("RGB", size, (40 + 30 * seed % 200, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40 + seed * 3, 50, 200, 210), fill=(230, 180 - seed * 10 % 150, 60))
    draw.rectangle((20, 180, 120 + seed * 5, 240), fill=(30, 140, 70))
    image.save(path)


def _raster_sketch(path: Path) -> None:
    image = Image.new("L", (256, 256), 255)
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 50, 200, 210), outline=0, width=3)
    draw.line((20, 240, 230, 240), fill=0, width=3)
    image.save(path)


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Build a project: `n` pairs with generated photos; pair 2 has a raster (Sketchy-style) sketch."""

    def make(n: int = 5, name: str = "project") -> Path:
        folder = tmp_path / name
        (folder / "photos").mkdir(parents=True)
        (folder / "sketches").mkdir()
        path = folder / f"{name}.sketchstudio"
        with ProjectStore.create(path, name=name) as store:
            categories = ["cat", "dog", "cup"]
            for i in range(n):
                _photo(folder / "photos" / f"p{i}.png", i)
                sketch = None
                if i == 1:
                    _raster_sketch(folder / "sketches" / "s1.png")
                    sketch = "sketches/s1.png"
                store.add_pair(f"photos/p{i}.png", sketch, category=categories[i % 3], name=f"pair {i}",
                               status=PairStatus.DONE if i == 2 else PairStatus.TODO)
        return path

    return make


@pytest.fixture
def project_path(make_project: Callable[..., Path]) -> Path:
    return make_project()


@pytest.fixture
def store(project_path: Path) -> Iterator[ProjectStore]:
    with ProjectStore.open(project_path) as s:
        yield s


@pytest.fixture
def context(store: ProjectStore, tmp_path: Path):
    from sketchstudio.gui.context import WorkspaceContext
    from sketchstudio.gui.settings import Settings

    settings = Settings.load(tmp_path / "settings.json")
    settings.brush.smoothing = 0.0
    ctx = WorkspaceContext(store, settings)
    ctx.first_pair()
    yield ctx
    ctx.close()


@pytest.fixture
def window(qtbot, project_path: Path):
    """The real main window on `project_path`, closed (threads stopped) at the end."""
    from sketchstudio.gui.app import application
    from sketchstudio.gui.main_window import MainWindow

    application()
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.load_project(project_path)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
