"""SketchStudio: draw sketches, annotate photo–sketch correspondences, render and retrain.

Importing the package is cheap on purpose: neither torch nor Qt is imported here, so the
command line, the document core and the tests that need neither start in milliseconds.
"""

__version__ = "0.1.0"
