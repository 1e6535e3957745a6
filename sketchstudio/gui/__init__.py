"""The Qt desktop application: a thin layer of views over `sketchstudio.core`.

Only this package imports PySide6 (an import-linter contract checks it); it adapts the document
core and the inference services and owns no data of its own.
"""
