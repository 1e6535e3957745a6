#!/usr/bin/env sh
# Rebuild the bundled demo project resources/demo/ (12 pairs, images, demo.sketchstudio).
# Deterministic: fixed seeds and timestamps. Run from the repository root:
#     sh training/build_demo.sh
set -eu
PYTHON="${PYTHON:-.venv/bin/python}"
"$PYTHON" -m sketchstudio.training.demo_project resources/demo
"$PYTHON" -m sketchstudio.cli.main info resources/demo/demo.sketchstudio
