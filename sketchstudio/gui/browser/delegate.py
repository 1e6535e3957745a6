"""Paints one pair row: photo and sketch thumbnails, title, category, id and a status chip."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from sketchstudio.core.model import Pair, Sketch
from sketchstudio.gui import theme
from sketchstudio.gui.browser.model import STATUS_LABELS, PairRole, pair_title
from sketchstudio.gui.browser.thumbnails import ThumbnailCache

ROW_HEIGHT = 60
THUMB = 46


class PairDelegate(QStyledItemDelegate):
    def __init__(self, thumbnails: ThumbnailCache, resolve: Callable[[str], Path],
                 parent: QObject | None = None,
                 sketch_snapshot: Callable[[int], Sketch] | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.resolve = resolve
        self.sketch_snapshot = sketch_snapshot  # pair id -> Sketch: thumbnails of vector-only sketches

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(240, ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        pair: Pair | None = index.data(PairRole)
        if pair is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected:
            painter.fillRect(rect, QColor("#2d4a7a"))
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), QColor(theme.ACCENT))
        elif hovered:
            painter.fillRect(rect, QColor(theme.PANEL))
        painter.setPen(QColor(theme.BORDER))
        painter.drawLine(rect.left() + 8, rect.bottom(), rect.right() - 8, rect.bottom())

        x = rect.left() + 10
        y = rect.top() + (rect.height() - THUMB) // 2
        self._thumb(painter, QRect(x, y, THUMB, THUMB), pair.photo)
        x += THUMB + 4
        self._thumb(painter, QRect(x, y, THUMB, THUMB), pair.sketch, sketch=True, pair=pair)
        x += THUMB + 10

        right = rect.right() - 10
        title_font = QFont(option.font)
        title_font.setBold(True)
        fm = QFontMetrics(title_font)
        painter.setFont(title_font)
        painter.setPen(QColor(theme.TEXT))
        top = rect.top() + (rect.height() - 2 * fm.height() - 6) // 2
        painter.drawText(QRect(x, top, right - x, fm.height()), Qt.AlignmentFlag.AlignLeft,
                         fm.elidedText(pair_title(pair), Qt.TextElideMode.ElideRight, right - x))

        chip_text = STATUS_LABELS[pair.status]
        chip_font = QFont(option.font)
        chip_font.setPointSizeF(max(7.5, option.font.pointSizeF() - 1.5))
        chip_font.setBold(True)
        fm_chip = QFontMetrics(chip_font)
        chip_w = fm_chip.horizontalAdvance(chip_text) + 14
        line2 = top + fm.height() + 6
        chip = QRectF(right - chip_w, line2, chip_w, fm_chip.height() + 4)
        painter.setFont(option.font)
        painter.setPen(QColor(theme.MUTED))
        fm2 = QFontMetrics(option.font)
        sub = " · ".join(part for part in (pair.category, f"#{pair.id}") if part)
        sub_w = int(chip.left()) - x - 6
        painter.drawText(QRect(x, line2, sub_w, fm2.height() + 2), Qt.AlignmentFlag.AlignLeft,
                         fm2.elidedText(sub, Qt.TextElideMode.ElideRight, sub_w))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.STATUS_COLOURS[pair.status.value]))
        painter.drawRoundedRect(chip, chip.height() / 2, chip.height() / 2)
        painter.setFont(chip_font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, chip_text)
        painter.restore()

    def _thumb(self, painter: QPainter, box: QRect, stored: str | None, *, sketch: bool = False,
               pair: Pair | None = None) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#ffffff") if sketch else QColor(theme.RAISED))
        painter.drawRoundedRect(box, 5, 5)
        if sketch and pair is not None and self.sketch_snapshot is not None:
            # drawn strokes (over a raster base layer too): the rendered sketch, not the file
            pixmap = self.thumbnails.get_sketch(pair.id, pair.modified, lambda: self.sketch_snapshot(pair.id),
                                                self.resolve if stored is not None else None)
            if pixmap is not None:
                self._draw_pixmap(painter, box, pixmap)
                return
            if stored is not None and self.thumbnails.has_strokes(pair.id, pair.modified):
                return  # rendering; the file's thumbnail would show the sketch as it was
        if stored is None:
            painter.setPen(QPen(QColor("#b9bec7"), 1.2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(box.adjusted(6, 6, -6, -6), 4, 4)
            return
        path = self.resolve(stored)
        pixmap = self.thumbnails.get(path)
        if pixmap is None:
            if self.thumbnails.is_missing(path):
                painter.setPen(QColor(theme.STATUS_COLOURS["flagged"]))
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "?")
            return
        self._draw_pixmap(painter, box, pixmap)

    @staticmethod
    def _draw_pixmap(painter: QPainter, box: QRect, pixmap) -> None:
        scaled = pixmap.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(box.x() + (box.width() - scaled.width()) // 2,
                       box.y() + (box.height() - scaled.height()) // 2, scaled.width(), scaled.height())
        painter.drawPixmap(target, pixmap)
