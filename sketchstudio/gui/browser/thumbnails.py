"""Thumbnails read and scaled off the GUI thread, on demand, newest request first, cached.

The delegate asks for a thumbnail when it paints a row; only visible rows paint, so a project
of 6,250 pairs costs what the window shows. Requests go on a stack (the rows the user scrolled
to last are loaded first); images come back as QImage (safe to build off the GUI thread) and
become QPixmaps in an LRU cache on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtGui import QImage, QPixmap

from sketchstudio.core.model import Sketch
from sketchstudio.gui.qimages import read_qimage

log = logging.getLogger(__name__)

MAX_PENDING = 256


def _render_sketch(sketch: Sketch, side: int, resolve: Callable[[str], Path] | None = None) -> QImage:
    """The sketch as the export shows it (raster base layer, when `resolve` finds it, and
    strokes), via the core rasteriser."""
    from sketchstudio.core.images import load_image
    from sketchstudio.core.raster import render_sketch

    scale = side / max(sketch.width, sketch.height)
    size = (max(1, round(sketch.width * scale)), max(1, round(sketch.height * scale)))
    loader = None if resolve is None else (lambda stored: load_image(resolve(stored)))
    image = render_sketch(sketch, size, image_loader=loader, supersample=2).convert("RGBA")
    data = image.tobytes()
    return QImage(data, image.width, image.height, 4 * image.width, QImage.Format.Format_RGBA8888).copy()


class _Loader(QThread):
    loaded = Signal(str, QImage)  # key, image (a null image when unreadable)

    def __init__(self, size: int) -> None:
        super().__init__()
        self.setObjectName("thumbnail-loader")
        self.size = size
        self._pending: OrderedDict[str, Callable[[], QImage | None]] = OrderedDict()
        self._cond = threading.Condition()
        self._stopping = False

    def request(self, key: str, job: Callable[[], QImage | None]) -> None:
        with self._cond:
            self._pending.pop(key, None)
            self._pending[key] = job  # newest last: popped first
            while len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify()
        self.wait()

    def run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                key, job = self._pending.popitem(last=True)
            try:
                image = job()
            except Exception:  # an unreadable file or base layer: the row shows a placeholder
                log.debug("thumbnail %s failed", key, exc_info=True)
                image = None
            self.loaded.emit(key, image if image is not None else QImage())


class ThumbnailCache(QObject):
    """`get(path)` returns a cached pixmap or None (and queues a load); `ready` says when."""

    ready = Signal(str)  # the path's key

    def __init__(self, size: int = 96, capacity: int = 1500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.size = size
        self.capacity = capacity
        self._cache: OrderedDict[str, QPixmap | None] = OrderedDict()
        self._requested: set[str] = set()
        self._no_strokes: OrderedDict[str, None] = OrderedDict()  # sketch keys with nothing drawn
        self._loader = _Loader(size)
        self._loader.loaded.connect(self._on_loaded)
        self._loader.start()

    def get(self, path: Path) -> QPixmap | None:
        """The thumbnail of an image file."""
        size = self.size
        return self._get(str(path), lambda: read_qimage(path, max_side=size))

    def get_sketch(self, pair_id: int, modified: float, snapshot: Callable[[], Sketch],
                   resolve: Callable[[str], Path] | None = None) -> QPixmap | None:
        """The thumbnail of a pair's drawn sketch, re-rendered when the pair was modified.

        None while it loads, and for a sketch without strokes (`has_strokes` tells which): a
        raster-only sketch shows its file's thumbnail. With `resolve`, strokes drawn over a
        raster base layer (pen or pixel eraser) are rendered over it, so the row shows what was
        drawn, not the file as imported. `snapshot()` (the store read) runs here on the GUI
        thread, once per modification; the rendering runs on the loader thread.
        """
        key = f"sketch:{pair_id}:{modified}"
        if key in self._cache or key in self._requested:
            return self._get(key, lambda: None)
        if key in self._no_strokes:
            return None
        sketch = snapshot()
        if not sketch.strokes:
            self._no_strokes[key] = None
            while len(self._no_strokes) > self.capacity:
                self._no_strokes.popitem(last=False)
            return None
        side = self.size
        return self._get(key, lambda: _render_sketch(sketch, side, resolve))

    def has_strokes(self, pair_id: int, modified: float) -> bool:
        return f"sketch:{pair_id}:{modified}" not in self._no_strokes

    def _get(self, key: str, job: Callable[[], QImage | None]) -> QPixmap | None:
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if key not in self._requested:
            self._requested.add(key)
            self._loader.request(key, job)
        return None

    def is_missing(self, path: Path | str) -> bool:
        """True once a load found the file unreadable (the delegate then draws a placeholder)."""
        return str(path) in self._cache and self._cache[str(path)] is None

    def _on_loaded(self, key: str, image: QImage) -> None:
        self._requested.discard(key)
        self._cache[key] = None if image.isNull() else QPixmap.fromImage(image)
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        self.ready.emit(key)

    def wait_idle(self, timeout_s: float = 5.0) -> None:
        """Process loads until nothing is pending (screenshots and tests)."""
        import time

        from PySide6.QtCore import QCoreApplication

        deadline = time.monotonic() + timeout_s
        while self._requested and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            QThread.msleep(5)

    def shutdown(self) -> None:
        if self._loader.isRunning():
            self._loader.stop()
