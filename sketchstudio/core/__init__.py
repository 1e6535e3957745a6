"""The document core: sketches, pairs, keypoints, the project store, import and export.

Pure Python with numpy and Pillow. It never imports torch or Qt (an import-linter contract
checks this), so scripts, converters and the training code reuse it without a GUI.
"""
