"""The application's look: Fusion style, a dark palette and a small style sheet."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#4c8dff"
WINDOW = "#1b1d22"
PANEL = "#23262d"
BASE = "#181a1f"
RAISED = "#2c3038"
BORDER = "#353a44"
TEXT = "#e3e6eb"
MUTED = "#9aa1ad"

STATUS_COLOURS = {
    "todo": "#6b7280",
    "in_progress": "#e0a526",
    "done": "#38b26b",
    "skipped": "#7c8594",
    "flagged": "#e5534b",
}

STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: {WINDOW}; }}
QToolTip {{ color: {TEXT}; background: {RAISED}; border: 1px solid {BORDER}; padding: 4px; }}
QMenuBar {{ background: {WINDOW}; border-bottom: 1px solid {BORDER}; }}
QMenuBar::item {{ padding: 4px 10px; background: transparent; }}
QMenuBar::item:selected {{ background: {RAISED}; border-radius: 4px; }}
QMenu {{ background: {PANEL}; border: 1px solid {BORDER}; padding: 4px; }}
QMenu::item {{ padding: 5px 28px 5px 22px; border-radius: 4px; }}
QMenu::item:selected {{ background: {ACCENT}; color: white; }}
QMenu::separator {{ height: 1px; background: {BORDER}; margin: 4px 6px; }}
QToolBar {{ background: {PANEL}; border: none; border-bottom: 1px solid {BORDER}; spacing: 4px;
           padding: 4px 6px; }}
QToolBar::separator {{ width: 1px; background: {BORDER}; margin: 4px 6px; }}
QToolButton {{ border: 1px solid transparent; border-radius: 6px; padding: 4px; color: {TEXT}; }}
QToolButton:hover {{ background: {RAISED}; border-color: {BORDER}; }}
QToolButton:checked {{ background: #2d4a7a; border-color: {ACCENT}; }}
QToolButton#ModeButton {{ padding: 5px 14px; font-weight: 600; }}
QToolButton#ModeButton:checked {{ background: {ACCENT}; color: white; border-color: {ACCENT}; }}
QDockWidget {{ color: {MUTED}; }}
QDockWidget::title {{ background: {PANEL}; padding: 6px 8px; border-bottom: 1px solid {BORDER}; }}
QStatusBar {{ background: {PANEL}; color: {MUTED}; border-top: 1px solid {BORDER}; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 6px; }}
QLineEdit, QComboBox, QSpinBox, QDoubleSpinBox {{ background: {BASE}; border: 1px solid {BORDER};
    border-radius: 5px; padding: 4px 6px; color: {TEXT}; selection-background-color: {ACCENT}; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{ width: 0px; border: none; }}
QLineEdit:focus, QComboBox:focus, QSpinBox:focus {{ border-color: {ACCENT}; }}
QComboBox QAbstractItemView {{ background: {PANEL}; border: 1px solid {BORDER};
    selection-background-color: {ACCENT}; }}
QListView, QTableView, QTreeView {{ background: {BASE}; border: none; outline: 0; }}
QHeaderView::section {{ background: {PANEL}; color: {MUTED}; border: none; padding: 4px 8px; }}
QPushButton {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 6px; padding: 6px 14px;
    color: {TEXT}; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:default, QPushButton#Primary {{ background: {ACCENT}; border-color: {ACCENT}; color: white; }}
QPushButton:disabled {{ color: #666c77; }}
QPushButton#Primary:disabled {{ background: {RAISED}; border-color: {BORDER}; color: #666c77; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{ width: 14px; height: 14px; margin: -5px 0; border-radius: 7px;
    background: {TEXT}; }}
QProgressBar {{ background: {BASE}; border: 1px solid {BORDER}; border-radius: 5px; text-align: center;
    height: 16px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 4px; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 0; }}
QScrollBar::handle:vertical {{ background: {BORDER}; border-radius: 5px; min-height: 30px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; width: 0; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 0; }}
QScrollBar::handle:horizontal {{ background: {BORDER}; border-radius: 5px; min-width: 30px; }}
QLabel#Muted {{ color: {MUTED}; }}
QLabel#Title {{ font-size: 26px; font-weight: 700; color: {TEXT}; }}
QLabel#Subtitle {{ font-size: 14px; color: {MUTED}; }}
QLabel#SectionTitle {{ font-size: 12px; font-weight: 700; color: {MUTED}; letter-spacing: 1px; }}
QFrame#Card {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 10px; }}
QFrame#ModeBar {{ background: {WINDOW}; border-bottom: 1px solid {BORDER}; }}
QLabel#PairTitle {{ font-size: 14px; font-weight: 600; color: {TEXT}; }}
QLabel#Chip {{ border-radius: 9px; padding: 1px 8px; color: white; font-size: 11px; font-weight: 600; }}
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: WINDOW, QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE, QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.ToolTipBase: RAISED, QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT, QPalette.ColorRole.Button: RAISED,
        QPalette.ColorRole.ButtonText: TEXT, QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: ACCENT, QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: ACCENT, QPalette.ColorRole.PlaceholderText: MUTED,
        QPalette.ColorRole.Mid: BORDER, QPalette.ColorRole.Dark: BASE, QPalette.ColorRole.Light: RAISED,
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#666c77"))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
