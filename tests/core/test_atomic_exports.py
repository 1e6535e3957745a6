"""Every export is atomic: a failure or a crash mid-write leaves the previous file intact."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from sketchstudio.core.io.coco import export_coco
from sketchstudio.core.io.project_json import export_json
from sketchstudio.core.io.psc6k import export_psc6k, import_psc6k
from sketchstudio.core.store import ProjectStore

from .conftest import SketchyTree, write_kind

OLD = "old content, must survive\n"


def _json_boom(obj, handle, **kw) -> None:
    handle.write('{"partial": ')
    raise RuntimeError("disk on fire")


class _CsvBoom:
    def __init__(self, handle, **kw) -> None:
        self.handle, self.n = handle, 0

    def writerow(self, row) -> None:
        self.n += 1
        if self.n > 2:
            raise KeyboardInterrupt  # the user's ^C, or any BaseException, mid-export
        self.handle.write(",".join(map(str, row)) + "\n")


EXPORTS: dict[str, tuple[Callable[..., object], str, object]] = {
    "json": (export_json, "json.dump", _json_boom),
    "coco": (export_coco, "json.dump", _json_boom),
    "psc6k": (export_psc6k, "csv.writer", _CsvBoom),
}


@pytest.fixture
def filled(sketchy: SketchyTree, store: ProjectStore, tmp_path: Path) -> ProjectStore:
    import_psc6k(store, write_kind(tmp_path / "test_pairs_ps.csv", "test_ps", sketchy.rows), sketchy.root)
    return store


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_failure_mid_export_keeps_old_file_and_leaves_no_temp(
    name: str, filled: ProjectStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export, target, replacement = EXPORTS[name]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "export.csv"
    out.write_text(OLD)
    module, attr = target.split(".")
    monkeypatch.setattr({"json": json, "csv": csv}[module], attr, replacement)
    with pytest.raises((RuntimeError, KeyboardInterrupt)):
        export(filled, out)
    assert out.read_text() == OLD
    assert [p.name for p in out_dir.iterdir()] == ["export.csv"]


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_export_replaces_file_when_it_succeeds(name: str, filled: ProjectStore, tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    out.write_text(OLD)
    EXPORTS[name][0](filled, out)
    assert out.read_text() != OLD and out.read_text().strip()
    assert not list(tmp_path.glob(".export.csv.*"))


def test_killed_process_mid_export_keeps_old_file(filled: ProjectStore, tmp_path: Path) -> None:
    """A hard kill (no clean-up at all) during the write still leaves the old file whole."""
    out = tmp_path / "project.json"
    out.write_text(OLD)
    code = f"""
        import json, os
        from sketchstudio.core.io.project_json import export_json
        from sketchstudio.core.store import ProjectStore
        def dump(obj, handle, **kw):
            handle.write('{{"format": ')
            handle.flush()
            os._exit(9)
        json.dump = dump
        export_json(ProjectStore.open({str(filled.path)!r}), {str(out)!r})
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 9
    assert out.read_text() == OLD
