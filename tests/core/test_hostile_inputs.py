"""Every hostile input a user can hand the CLI: exit code 2, exactly one line on stderr naming
the file and the problem, no traceback, and the project byte-identical to what it was.

Each case builds its input in a fresh folder (`Case.build`) and returns the command line, the
text the error line must name, and the project that must not change.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sketchstudio.cli.main import main
from sketchstudio.core import atomic
from sketchstudio.core.io.psc6k_csv import Psc6kRow, write_psc6k_csv
from sketchstudio.core.store import ProjectStore
from tests.core.conftest import make_sketchy_tree

NON_UTF8 = b"\xff\xfe-bad"


@dataclass
class Setup:
    argv: list[str]
    names: list[str]  # what the error line must contain (the file, the problem)
    project: Path | None = None  # must be byte-identical afterwards


def _project(tmp: Path, name: str = "p.sketchstudio", pairs: int = 2) -> Path:
    path = tmp / name
    with ProjectStore.create(path) as store:
        for i in range(pairs):
            store.add_pair(f"photos/{i}.jpg", None, category="c", name=f"pair {i}")
    return path


def _csv(tmp: Path, *, photo_xy=None, photo: str | None = None) -> tuple[Path, Path]:
    tree = make_sketchy_tree(tmp / "sketchy", per_class=1)
    rows = list(tree.rows)
    first = rows[0]
    xy = first.photo_xy.copy()
    if photo_xy is not None:
        xy[0] = photo_xy
    rows[0] = Psc6kRow(photo if photo is not None else first.photo, first.sketch, first.category, xy,
                       first.sketch_xy)
    out = tmp / "test_pairs_ps.csv"
    write_psc6k_csv(out, rows, "test_ps")
    return out, tree.root


def _import_csv(tmp: Path, **kw) -> Setup:
    project = _project(tmp)
    csv, root = _csv(tmp, **kw)
    return Setup(["import", str(project), "--psc6k", str(csv), "--images", str(root)],
                 ["test_pairs_ps.csv", "line 2"], project)


def _outside_image(tmp: Path, absolute: bool) -> Setup:
    """An image path that leaves the images root, to a file that exists (so only the path is wrong)."""
    outside = tmp / "outside" / "x.jpg"
    outside.parent.mkdir()
    Image.new("RGB", (256, 256)).save(outside)
    return _import_csv(tmp, photo=str(outside) if absolute else "../outside/x.jpg")


def _png_header(path: Path, width: int, height: int) -> None:
    """A PNG that claims a huge size: the header is valid, the pixels are absent."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10))
                     + chunk(b"IEND", b""))


def _folder_with(tmp: Path, make: Callable[[Path], str]) -> Setup:
    project = _project(tmp)
    folder = tmp / "photos"
    folder.mkdir()
    Image.new("RGB", (32, 32), (1, 2, 3)).save(folder / "good.jpg")
    name = make(folder)
    return Setup(["import", str(project), "--folder", str(folder)], [name], project)


def _truncated_jpeg(folder: Path) -> str:
    Image.new("RGB", (256, 256), (200, 10, 10)).save(folder / "cut.jpg", quality=95)
    data = (folder / "cut.jpg").read_bytes()
    (folder / "cut.jpg").write_bytes(data[: len(data) // 2])
    return "cut.jpg: corrupt or truncated image"


def _bomb(folder: Path) -> str:
    _png_header(folder / "bomb.png", 10000, 8000)  # 80 MP: more than ours, less than Pillow's warning
    return "bomb.png: image is"


def _non_utf8_name(folder: Path) -> str:
    Image.new("RGB", (8, 8)).save(folder / "tmp.png")
    os.rename(folder / "tmp.png", os.fsencode(folder) + b"/" + NON_UTF8 + b".png")
    return "not valid UTF-8"


def _json(tmp: Path, pairs: list[dict]) -> Setup:
    import json

    project = _project(tmp)
    doc = {"format": "sketchstudio-project", "version": 1, "keypoints_per_pair": 8, "pairs": pairs}
    path = tmp / "doc.json"
    path.write_text(json.dumps(doc))
    return Setup(["import", str(project), "--json", str(path), "--no-check-images"], ["doc.json", "pairs["],
                 project)


def _edited(tmp: Path, sql: str, command: str = "info") -> Setup:
    project = _project(tmp)
    conn = sqlite3.connect(project)
    conn.executescript(sql)
    conn.close()
    argv = {"info": ["info", str(project)],
            "export": ["export", str(project), "--format", "json", "-o", str(tmp / "out.json")],
            "import": ["import", str(project), "--folder", str(_photos(tmp))]}[command]
    return Setup(argv, ["p.sketchstudio", "corrupt"], project)


def _photos(tmp: Path) -> Path:
    folder = tmp / "new-photos"
    folder.mkdir(exist_ok=True)
    Image.new("RGB", (16, 16)).save(folder / "x.png")
    return folder


def _corrupt_pages(tmp: Path) -> Setup:
    project = tmp / "p.sketchstudio"
    with ProjectStore.create(project) as store:
        for i in range(400):
            store.add_pair(f"photos/{i:04d}-{'x' * 80}.jpg", None, category=f"c{i % 7}")
    data = bytearray(project.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    data[5 * page: 6 * page] = os.urandom(page)
    project.write_bytes(bytes(data))
    return Setup(["info", str(project)], ["p.sketchstudio", "corrupt"], project)


def _foreign_sqlite(tmp: Path) -> Setup:
    other = tmp / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    return Setup(["import", str(other), "--folder", str(_photos(tmp))], ["other.db", "another program"],
                 other)


def _export_onto(tmp: Path, suffix: str) -> Setup:
    project = _project(tmp)
    return Setup(["export", str(project), "--format", "coco", "-o", str(project) + suffix],
                 ["p.sketchstudio" + suffix, "refusing to overwrite"], project)


def _huge_coco(tmp: Path) -> Setup:
    project = _project(tmp)
    conn = sqlite3.connect(project)
    conn.execute("INSERT INTO keypoints (pair_id, idx, photo_x, photo_y, status, source, created, modified) "
                 "VALUES (1, 0, 1e308, 1e308, 'confirmed', 'human', 0, 0), "
                 "(1, 1, -1e308, -1e308, 'confirmed', 'human', 0, 0)")
    conn.commit()
    conn.close()
    return Setup(["export", str(project), "--format", "coco", "-o", str(tmp / "c.json")],
                 ["c.json", "JSON cannot represent"], project)


def _newline_path(tmp: Path) -> Setup:
    project = _project(tmp)
    return Setup(["import", str(project), "--folder", str(tmp / "two\nlines")], ["two\\nlines"], project)


CASES: dict[str, Callable[[Path], Setup]] = {
    "csv float32 overflow": lambda t: _import_csv(t, photo_xy=(1e300, 3.0)),
    "csv negative": lambda t: _import_csv(t, photo_xy=(-20.0, 3.0)),
    "csv off the image": lambda t: _import_csv(t, photo_xy=(300.0, 3.0)),
    "csv ../ path": lambda t: _outside_image(t, absolute=False),
    "csv absolute path": lambda t: _outside_image(t, absolute=True),
    "truncated jpeg": lambda t: _folder_with(t, _truncated_jpeg),
    "decompression bomb": lambda t: _folder_with(t, _bomb),
    "non-utf8 file in --folder": lambda t: _folder_with(t, _non_utf8_name),
    "json duplicate pair": lambda t: _json(t, [{"photo": "a.jpg"}, {"photo": "a.jpg"}]),
    "json ../ path": lambda t: _json(t, [{"photo": "../a.jpg"}]),
    "json huge coordinate": lambda t: _json(t, [{"photo": "a.jpg", "keypoints": [
        {"index": 0, "photo": [1e300, 1.0]}]}]),
    "json huge sketch": lambda t: _json(t, [{"photo": "a.jpg", "sketch_size": [100000, 100000]}]),
    "unknown status: info": lambda t: _edited(t, "UPDATE pairs SET status = 'weird' WHERE id = 1;"),
    "unknown status: import": lambda t: _edited(t, "UPDATE pairs SET status = 'weird' WHERE id = 1;",
                                                "import"),
    "dropped table: info": lambda t: _edited(t, "DROP TABLE strokes;"),
    "dropped table: export": lambda t: _edited(t, "DROP TABLE keypoints;", "export"),
    "non-JSON field: export": lambda t: _edited(t, "UPDATE pairs SET extra = '{nope' WHERE id = 2;",
                                                "export"),
    "corrupt pages": _corrupt_pages,
    "another program's SQLite": _foreign_sqlite,
    "export onto the project": lambda t: _export_onto(t, ""),
    "export onto the WAL": lambda t: _export_onto(t, "-wal"),
    "export onto the SHM": lambda t: _export_onto(t, "-shm"),
    "coco of huge coordinates": _huge_coco,
    "newline in a path": _newline_path,
}


def _assert_one_line(capsys: pytest.CaptureFixture[str], names: list[str]) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("sketchstudio: error: ")
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def _snapshot(path: Path | None) -> dict[str, bytes | None]:
    if path is None:
        return {}
    return {suffix: (Path(str(path) + suffix).read_bytes() if Path(str(path) + suffix).exists() else None)
            for suffix in ("", "-wal", "-shm")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2_and_changes_nothing(case: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    setup = CASES[case](tmp_path)
    capsys.readouterr()
    before = _snapshot(setup.project)
    assert main(setup.argv) == 2
    _assert_one_line(capsys, setup.names)
    assert _snapshot(setup.project) == before, "the project file changed"


def test_non_utf8_images_root_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path)
    csv, root = _csv(tmp_path)
    odd = os.fsencode(tmp_path) + b"/" + NON_UTF8
    os.rename(root, odd)
    before = _snapshot(project)
    assert main(["import", str(project), "--psc6k", str(csv), "--images", os.fsdecode(odd)]) == 2
    _assert_one_line(capsys, ["not valid UTF-8"])
    assert _snapshot(project) == before


def test_a_project_named_in_non_utf8_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = os.fsdecode(os.fsencode(tmp_path) + b"/" + NON_UTF8 + b".sketchstudio")
    assert main(["import", project, "--folder", str(_photos(tmp_path))]) == 0
    assert main(["info", project]) == 0
    out = capsys.readouterr().out
    assert "\\xff\\xfe-bad" in out


def test_full_disk_export_is_one_line_and_keeps_the_old_file(tmp_path: Path, capsys, monkeypatch) -> None:
    project = _project(tmp_path)
    out = tmp_path / "out.json"
    out.write_text("old")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", full)
    assert main(["export", str(project), "--format", "json", "-o", str(out)]) == 2
    _assert_one_line(capsys, ["out.json", "disk is full"])
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_read_only_media_can_be_read(tmp_path: Path, capsys, monkeypatch) -> None:
    """`info` and `export` never write: on a read-only folder (no -shm can be created) they work
    and leave the file as it was."""
    from sketchstudio.core import store as store_module

    media = tmp_path / "cdrom"
    media.mkdir()
    project = _project(media)
    before = _snapshot(project)
    real_access = os.access
    monkeypatch.setattr(store_module.os, "access",
                        lambda p, mode: False if Path(p) == media else real_access(p, mode))
    assert main(["info", str(project)]) == 0
    assert main(["export", str(project), "--format", "json", "-o", str(tmp_path / "x.json")]) == 0
    assert _snapshot(project) == before
    assert not Path(str(project) + "-wal").exists() and not Path(str(project) + "-shm").exists()


def test_failed_import_does_not_adopt_the_images_root(tmp_path: Path, capsys, monkeypatch) -> None:
    """One import, one transaction: the images root is not committed before the pairs fail."""
    project = _project(tmp_path)
    csv, root = _csv(tmp_path)
    before = _snapshot(project)

    def failing(self, specs):
        raise sqlite3.OperationalError("database or disk is full")

    real = ProjectStore.add_pairs

    def add_pairs(self, specs):
        with self._write():
            failing(self, specs)
        return real(self, specs)

    monkeypatch.setattr(ProjectStore, "add_pairs", add_pairs)
    assert main(["import", str(project), "--psc6k", str(csv), "--images", str(root)]) == 2
    _assert_one_line(capsys, ["p.sketchstudio", "disk is full"])
    assert _snapshot(project) == before
    with ProjectStore.open(project) as store:
        assert store.images_root is None


def test_killed_exports_leave_no_temporaries_behind(tmp_path: Path, capsys) -> None:
    project = _project(tmp_path)
    stale = tmp_path / ".out.json.a1b2c3d4.tmp"
    fresh = tmp_path / ".out.json.zz99yy88.tmp"
    stale.write_bytes(b"x" * 1000)
    fresh.write_bytes(b"y")
    old = time.time() - 2 * atomic.STALE_TMP_S
    os.utime(stale, (old, old))
    assert main(["export", str(project), "--format", "json", "-o", str(tmp_path / "out.json")]) == 0
    assert not stale.exists(), "a killed export's temporary file is removed by the next export"
    assert fresh.exists(), "one that may belong to a running export is kept"


def test_image_limits_are_explicit() -> None:
    from sketchstudio.core.images import MAX_IMAGE_PIXELS

    assert MAX_IMAGE_PIXELS < Image.MAX_IMAGE_PIXELS  # ours refuses before Pillow warns
    assert np.isfinite(MAX_IMAGE_PIXELS)
