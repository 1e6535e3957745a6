"""Packaging and layering: cheap imports, one import package in the wheel, import contracts."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "module",
    [
        "sketchstudio",
        "sketchstudio.core.store",
        "sketchstudio.core.io.psc6k",
        "sketchstudio.core.raster",
        "sketchstudio.cli.project_commands",
    ],
)
def test_import_pulls_in_neither_torch_nor_qt(module: str) -> None:
    code = (
        f"import sys, {module}; heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'PySide6', 'torchvision', 'onnx', 'onnxruntime')); print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_wheel_has_one_import_package_and_the_schema(tmp_path: Path) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [
            str(VENV_BIN / "pip"),
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=600,
        env=env,
    )
    (wheel,) = tmp_path.glob("sketchstudio-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"sketchstudio"}
    assert len([t for t in top if t.endswith(".dist-info")]) == 1
    assert "sketchstudio/_resources/schema/sketchstudio-project.schema.json" in names
    assert "sketchstudio/core/store.py" in names


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [str(VENV_BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
