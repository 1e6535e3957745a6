"""Reading images into QImage for display (safe off the GUI thread: QImage, not QPixmap)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QImageReader


def read_qimage(path: str | Path, max_side: int | None = None) -> QImage | None:
    """The image at `path` (EXIF orientation applied), scaled down to `max_side` if given;
    None if it is missing or unreadable — the caller shows a placeholder, never a traceback."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    if max_side is not None:
        size = reader.size()
        if size.isValid() and max(size.width(), size.height()) > max_side:
            reader.setScaledSize(size.scaled(QSize(max_side, max_side), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        return None
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
