"""`sketchstudio import / export / info` through `main([...])`: exit codes, one-line errors, no
half-written files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from sketchstudio.cli.main import main
from sketchstudio.core.io.psc6k_csv import read_psc6k_csv
from sketchstudio.core.store import ProjectStore

from .conftest import SketchyTree, write_kind


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sketchstudio: error: ")
    return lines[0]


def test_import_info_export(sketchy: SketchyTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = write_kind(tmp_path / "test_pairs_st.csv", "test_st", sketchy.rows)
    project = tmp_path / "p.sketchstudio"
    assert main(["import", str(project), "--psc6k", str(csv), "--images", str(sketchy.root)]) == 0
    assert f"imported {len(sketchy.rows)} pairs" in capsys.readouterr().out
    assert main(["info", str(project), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["pairs"], info["annotated_pairs"], info["keypoints"]) == (4, 4, 32)
    assert info["categories"] == {"airplane": 2, "cat": 2}
    assert main(["info", str(project)]) == 0
    assert "annotated pairs  4" in capsys.readouterr().out

    out = tmp_path / "again_st.csv"
    assert main(["export", str(project), "--format", "psc6k", "--kind", "test_st", "-o", str(out)]) == 0
    assert out.read_text() == csv.read_text()
    assert main(["export", str(project), "--format", "psc6k", "-o", str(tmp_path / "psc6k")]) == 0
    assert len(read_psc6k_csv(tmp_path / "psc6k" / "test_pairs_ps.csv")) == 4
    assert main(["export", str(project), "--format", "coco", "-o", str(tmp_path / "coco.json")]) == 0
    assert len(json.loads((tmp_path / "coco.json").read_text())["annotations"]) == 8

    assert main(["export", str(project), "--format", "json", "-o", str(tmp_path / "p.json")]) == 0
    copy = tmp_path / "copy.sketchstudio"
    assert main(["import", str(copy), "--json", str(tmp_path / "p.json")]) == 0
    with ProjectStore.open(copy) as store:
        assert store.stats().keypoints == 32 and store.images_root == sketchy.root


def test_folder_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photos = tmp_path / "photos"
    (photos / "birds").mkdir(parents=True)
    for name in ("a.jpg", "birds/b.png"):
        Image.new("RGB", (8, 8)).save(photos / name)
    (photos / "readme.txt").write_text("not a photo")
    project = tmp_path / "f.sketchstudio"
    assert main(["import", str(project), "--folder", str(photos), "--recursive"]) == 0
    assert main(["import", str(project), "--folder", str(photos), "--recursive"]) == 0
    assert "2 already in the project" in capsys.readouterr().out
    with ProjectStore.open(project) as store:
        assert [(p.photo, p.sketch, p.category) for p in store.pairs()] == [
            ("photos/a.jpg", None, "photos"),
            ("photos/birds/b.png", None, "birds"),
        ]


def test_failed_import_into_new_project_leaves_nothing(
    sketchy: SketchyTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = write_kind(tmp_path / "test_pairs_ps.csv", "test_ps", sketchy.rows)
    (sketchy.root / sketchy.rows[0].photo).unlink()
    project = tmp_path / "new.sketchstudio"
    assert main(["import", str(project), "--psc6k", str(csv), "--images", str(sketchy.root)]) == 2
    line = _error_line(capsys)
    assert str(csv) in line and "line 2, column photo" in line and "image file not found" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sketchy", "test_pairs_ps.csv"]


def test_failed_import_into_existing_project_changes_nothing(
    sketchy: SketchyTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p.sketchstudio"
    with ProjectStore.create(project) as store:
        store.add_pair("keep.jpg")
    bad = tmp_path / "bad.csv"
    bad.write_text("photo,sketch,class,XA,YA,XB,YB\na.jpg,b.png,1,1;2;3,1,1,1\n")
    assert main(["import", str(project), "--psc6k", str(bad), "--no-check-images"]) == 2
    assert "line 2, column XA" in _error_line(capsys)
    with ProjectStore.open(project) as store:
        assert [p.photo for p in store.pairs()] == ["keep.jpg"]


@pytest.mark.parametrize(
    "argv_tail",
    [
        ["info", "{missing}"],
        ["export", "{missing}", "--format", "json", "-o", "{tmp}/x.json"],
        ["export", "{bad}", "--format", "json", "-o", "{tmp}/x.json"],
        ["import", "{tmp}/n.sketchstudio", "--json", "{bad}"],
        ["import", "{tmp}/n.sketchstudio", "--folder", "{tmp}/empty"],
        ["import", "{tmp}/no/such/dir/n.sketchstudio", "--folder", "{tmp}/empty"],
    ],
)
def test_user_errors_are_one_line_exit_2(
    argv_tail: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.txt").write_text("garbage")
    names = {"missing": tmp_path / "missing.sketchstudio", "tmp": tmp_path, "bad": tmp_path / "bad.txt"}
    argv = [a.format(**names) for a in argv_tail]
    assert main(argv) == 2
    _error_line(capsys)
    assert not (tmp_path / "n.sketchstudio").exists() and not (tmp_path / "x.json").exists()


def test_export_failure_keeps_previous_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "p.sketchstudio"
    ProjectStore.create(project).close()
    out = tmp_path / "missing-dir" / "x.json"
    assert main(["export", str(project), "--format", "json", "-o", str(out)]) == 2
    assert "folder does not exist" in _error_line(capsys)
