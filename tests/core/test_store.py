"""ProjectStore: the contract other parts code against, durability, events, migrations, errors."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from sketchstudio.core import migrations
from sketchstudio.core.errors import ProjectError
from sketchstudio.core.events import ChangeEvent, ChangeKind
from sketchstudio.core.model import (
    Keypoint,
    KeypointSource,
    KeypointStatus,
    PairSpec,
    PairStatus,
    Side,
    Stroke,
    Suggestion,
)
from sketchstudio.core.store import ProjectStore

STROKE = Stroke(points=((1.0, 2.0, 0.5, 0.0), (3.25, 4.5, 1.0, 0.016)), width=3.0, color="#112233")


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# --- creating and opening -------------------------------------------------------------------------


def test_create_open_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "a.sketchstudio"
    with ProjectStore.create(path, name="Birds", keypoints_per_pair=5) as store:
        pair = store.add_pair("p.jpg", "s.png", category="bird", name="n", split="test", flip=True)
    with ProjectStore.open(path) as store:
        assert (store.name, store.keypoints_per_pair) == ("Birds", 5)
        assert store.pair(pair.id) == pair
        assert store.pair(pair.id).n_keypoints == 5
        assert store.root == tmp_path


def test_wal_and_schema_version(store: ProjectStore) -> None:
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == migrations.APPLICATION_ID
    finally:
        conn.close()
    assert store._read().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_create_refuses_existing_file(store: ProjectStore) -> None:
    with pytest.raises(ProjectError, match="already exists"):
        ProjectStore.create(store.path)


def test_open_or_create(tmp_path: Path) -> None:
    path = tmp_path / "x.sketchstudio"
    with ProjectStore.open_or_create(path, keypoints_per_pair=3) as store:
        store.add_pair("a.jpg")
    with ProjectStore.open_or_create(path, keypoints_per_pair=9) as store:
        assert store.keypoints_per_pair == 3 and len(store.pair_ids()) == 1


@pytest.mark.parametrize("content", [b"", b"hello, not a database\n", b"SQLite format 3\x00" + b"\xff" * 300])
def test_open_refuses_non_projects(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.sketchstudio"
    path.write_bytes(content)
    with pytest.raises(ProjectError) as info:
        ProjectStore.open(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert path.read_bytes() == content


def test_open_refuses_other_sqlite_files(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(ProjectError, match="not a SketchStudio project"):
        ProjectStore.open(path)


def test_open_missing(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="no such project file"):
        ProjectStore.open(tmp_path / "nope.sketchstudio")


def test_newer_schema_is_refused_and_left_alone(store: ProjectStore) -> None:
    store.add_pair("a.jpg")
    store.close()
    conn = sqlite3.connect(store.path)
    conn.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = store.path.read_bytes()
    with pytest.raises(ProjectError, match="newer SketchStudio"):
        ProjectStore.open(store.path)
    assert store.path.read_bytes() == before


def test_create_in_read_only_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:  # root ignores permissions; simulate what the OS would report
        folder.chmod(0o555)
    else:
        real_access = os.access
        monkeypatch.setattr(
            os, "access", lambda p, mode: False if Path(p) == folder else real_access(p, mode)
        )
    try:
        with pytest.raises(ProjectError) as info:
            ProjectStore.create(folder / "p.sketchstudio")
        assert "read-only" in str(info.value) and "\n" not in str(info.value)
        assert not (folder / "p.sketchstudio").exists()
    finally:
        folder.chmod(0o755)


def test_sqlite_read_only_error_becomes_project_error(
    store: ProjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What SQLite says when the disk turns read-only under an open project."""
    pair = store.add_pair("a.jpg")

    class ReadOnly:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def execute(self, sql: str, *args: object) -> object:
            if sql.startswith("INSERT OR REPLACE INTO keypoints"):
                raise sqlite3.OperationalError("attempt to write a readonly database")
            return self.conn.execute(sql, *args)

    monkeypatch.setattr(store, "_conn", ReadOnly(store._conn))
    events: list[ChangeEvent] = []
    store.events.connect(events.append)
    with pytest.raises(ProjectError, match="read-only"):
        store.set_keypoint(pair.id, Keypoint(0, photo=(1, 2)))
    assert events == []
    monkeypatch.undo()
    assert store.keypoints(pair.id) == []


def test_open_in_read_only_folder_is_one_line(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions")
    folder = tmp_path / "ro"
    folder.mkdir()
    ProjectStore.create(folder / "p.sketchstudio").close()
    folder.chmod(0o555)
    (folder / "p.sketchstudio").chmod(0o444)
    try:
        with pytest.raises(ProjectError) as info:
            ProjectStore.open(folder / "p.sketchstudio").close()
        assert "\n" not in str(info.value)
    finally:
        folder.chmod(0o755)


# --- durability and events ------------------------------------------------------------------------


def test_edit_is_visible_to_another_process_while_open(store: ProjectStore) -> None:
    pair = store.add_pair("a.jpg")
    store.set_keypoint(pair.id, Keypoint(2, photo=(1.25, 2.5), sketch=(3.0, 4.0)))
    out = _run(f"""
        from sketchstudio.core.store import ProjectStore
        s = ProjectStore.open({str(store.path)!r})
        print(s.keypoint({pair.id}, 2).photo)
    """)
    assert out == "(1.25, 2.5)"


def test_edit_survives_a_crash_without_close(tmp_path: Path) -> None:
    path = tmp_path / "c.sketchstudio"
    _run(f"""
        import os
        from sketchstudio.core.model import Keypoint
        from sketchstudio.core.store import ProjectStore
        s = ProjectStore.create({str(path)!r})
        p = s.add_pair("a.jpg")
        s.set_keypoint(p.id, Keypoint(0, photo=(7.0, 8.0)))
        os._exit(0)  # no close, no checkpoint
    """)
    with ProjectStore.open(path) as store:
        assert store.keypoint(store.pair_ids()[0], 0).photo == (7.0, 8.0)


def test_events_are_emitted_after_commit(store: ProjectStore) -> None:
    """A listener reading through another connection sees the edit that its event announces."""
    pair = store.add_pair("a.jpg")
    other = sqlite3.connect(store.path)
    seen = []

    def listener(event: ChangeEvent) -> None:
        row = other.execute(
            "SELECT photo_x FROM keypoints WHERE pair_id = ? AND idx = ?", (event.pair_id, event.index)
        ).fetchone()
        seen.append((event.kind, row))

    store.events.connect(listener)
    store.set_keypoint(pair.id, Keypoint(1, photo=(5.5, 6.0)))
    other.close()
    assert seen == [(ChangeKind.KEYPOINT_CHANGED, (5.5,))]


def test_event_kinds(store: ProjectStore) -> None:
    events: list[ChangeEvent] = []
    store.events.connect(events.append)
    pair = store.add_pair("a.jpg")
    store.set_keypoint(pair.id, Keypoint(0, photo=(1, 1)))
    store.remove_keypoint(pair.id, 0)
    stroke = store.add_stroke(pair.id, STROKE)
    store.remove_stroke(pair.id, stroke.id)
    store.set_sketch_size(pair.id, 100, 50)
    store.set_pair_status(pair.id, PairStatus.DONE)
    store.add_pairs([PairSpec("b.jpg")])
    store.remove_pair(pair.id)
    assert events == [
        ChangeEvent(ChangeKind.PAIR_ADDED, pair_id=pair.id),
        ChangeEvent(ChangeKind.KEYPOINT_CHANGED, pair_id=pair.id, index=0),
        ChangeEvent(ChangeKind.KEYPOINT_REMOVED, pair_id=pair.id, index=0),
        ChangeEvent(ChangeKind.STROKE_ADDED, pair_id=pair.id, stroke_id=stroke.id),
        ChangeEvent(ChangeKind.STROKE_REMOVED, pair_id=pair.id, stroke_id=stroke.id),
        ChangeEvent(ChangeKind.SKETCH_CHANGED, pair_id=pair.id),
        ChangeEvent(ChangeKind.PAIR_CHANGED, pair_id=pair.id),
        ChangeEvent(ChangeKind.PROJECT_RELOADED),
        ChangeEvent(ChangeKind.PAIR_REMOVED, pair_id=pair.id),
    ]


def test_failed_edit_changes_nothing_and_emits_nothing(store: ProjectStore) -> None:
    pair = store.add_pair("a.jpg")
    events: list[ChangeEvent] = []
    store.events.connect(events.append)
    with pytest.raises(KeyError):
        store.set_keypoint(pair.id + 1, Keypoint(0, photo=(1, 1)))
    with pytest.raises(ValueError):
        store.set_keypoint(pair.id, Keypoint(8, photo=(1, 1)))
    with pytest.raises(ValueError):
        store.add_pairs([PairSpec("b.jpg"), PairSpec("c.jpg", keypoints=(Keypoint(0), Keypoint(0)))])
    assert events == [] and store.pair_ids() == [pair.id]


# --- pairs ---------------------------------------------------------------------------------------


def test_pair_queries(store: ProjectStore) -> None:
    a = store.add_pair("cat/a.jpg", "cat/a-1.png", category="cat", name="50%_off")
    b = store.add_pair("dog/b.jpg", category="dog", status=PairStatus.DONE)
    c = store.add_pair("dog/c.jpg", category="dog")
    assert [p.id for p in store.pairs(category="dog")] == [b.id, c.id]
    assert [p.id for p in store.pairs(status=PairStatus.DONE)] == [b.id]
    assert [p.id for p in store.pairs(search="a-1")] == [a.id]
    assert [p.id for p in store.pairs(search="%_")] == [a.id]  # wildcards are literal
    assert store.categories() == ["cat", "dog"]
    assert store.pair_ids() == [a.id, b.id, c.id]
    with pytest.raises(KeyError):
        store.pair(999)


def test_navigation(store: ProjectStore) -> None:
    ids = [store.add_pair(f"{i}.jpg").id for i in range(4)]
    store.set_pair_status(ids[1], PairStatus.DONE)
    store.set_pair_status(ids[3], PairStatus.SKIPPED)
    assert store.next_pair_id(ids[0]) == ids[1]
    assert store.next_pair_id(ids[3]) is None
    assert store.prev_pair_id(ids[0]) is None and store.prev_pair_id(ids[2]) == ids[1]
    assert store.next_pair_id(ids[0], unfinished_only=True) == ids[2]
    assert store.next_pair_id(ids[2], unfinished_only=True) == ids[0]  # wraps to remaining work
    store.set_pair_status(ids[0], PairStatus.DONE)
    assert store.next_pair_id(ids[2], unfinished_only=True) is None


def test_remove_pair_cascades(store: ProjectStore) -> None:
    pair = store.add_pair("a.jpg")
    store.set_keypoint(pair.id, Keypoint(0, photo=(1, 1)))
    store.add_stroke(pair.id, STROKE)
    store.remove_pair(pair.id)
    counts = [
        store._read().execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("keypoints", "strokes")
    ]
    assert counts == [0, 0]
    with pytest.raises(KeyError):
        store.remove_pair(pair.id)


def test_add_pairs_bulk(store: ProjectStore) -> None:
    kp = Keypoint(3, photo=(1.5, 2.5), sketch=(3.5, 4.5), source=KeypointSource.IMPORTED)
    ids = store.add_pairs(
        [
            PairSpec("a.jpg", "a.png", category="c", keypoints=(kp,), extra=(("k", "v"),)),
            PairSpec("b.jpg", strokes=(STROKE,), sketch_size=(64, 32)),
        ]
    )
    assert len(ids) == 2
    stored = store.keypoint(ids[0], 3)
    assert stored.photo == (1.5, 2.5) and stored.source is KeypointSource.IMPORTED and stored.created > 0
    assert store.pair(ids[0]).extra == {"k": "v"}
    sketch = store.sketch(ids[1])
    assert (sketch.width, sketch.height) == (64, 32) and sketch.strokes[0].points == STROKE.points


def test_stats(store: ProjectStore) -> None:
    a = store.add_pair("a.jpg", category="cat")
    store.add_pair("b.jpg", category="dog")
    store.set_keypoints(a.id, [Keypoint(i, photo=(i, i), sketch=(i, i)) for i in range(8)])
    stats = store.stats()
    assert (stats.pairs, stats.annotated_pairs, stats.complete_pairs, stats.keypoints) == (2, 1, 1, 8)
    assert stats.categories == {"cat": 1, "dog": 1}
    store.set_keypoint(a.id, Keypoint(0, photo=(1, 1), status=KeypointStatus.PENDING))
    assert store.stats().complete_pairs == 0


# --- keypoints and strokes -----------------------------------------------------------------------


def test_keypoint_upsert_timestamps_and_author(store: ProjectStore) -> None:
    pair = store.add_pair("a.jpg")
    suggestion = Suggestion("pscnet-r18", Side.SKETCH, 10.5, 11.5, 0.75)
    first = store.set_keypoint(pair.id, Keypoint(0, photo=(1, 2), suggestion=suggestion), author="ann")
    assert first.author == "ann" and first.created == first.modified > 0
    second = store.set_keypoint(pair.id, Keypoint(0, photo=(1, 2), sketch=(9, 9), suggestion=suggestion))
    assert second.created == first.created and second.modified >= first.modified
    assert store.keypoint(pair.id, 0) == second and second.suggestion == suggestion
    assert store.keypoint(pair.id, 5) is None
    store.remove_keypoint(pair.id, 0)
    assert store.keypoints(pair.id) == []
    with pytest.raises(KeyError):
        store.keypoints(pair.id + 10)


def test_set_keypoints_replaces_all(store: ProjectStore) -> None:
    pair = store.add_pair("a.jpg")
    store.set_keypoint(pair.id, Keypoint(7, photo=(1, 1)))
    store.set_keypoints(
        pair.id, [Keypoint(1, sketch=(2, 2), sketch_visible=False), Keypoint(0, photo=(3, 3))]
    )
    kps = store.keypoints(pair.id)
    assert [k.index for k in kps] == [0, 1] and kps[1].sketch_visible is False


def test_strokes_undo_restore_keeps_order_and_ids(store: ProjectStore) -> None:
    pair = store.add_pair("a.jpg", "a.png")
    s1, s2, s3 = (store.add_stroke(pair.id, STROKE) for _ in range(3))
    removed = store.remove_stroke(pair.id, s3.id)
    assert removed == s3
    s4 = store.add_stroke(pair.id, Stroke(points=((0.0, 0.0, 1.0, 0.0),), eraser=True))
    assert s4.id > s3.id  # ids are never reused, so redo stacks stay valid
    store.restore_stroke(pair.id, removed)
    store.remove_stroke(pair.id, s1.id)
    store.restore_stroke(pair.id, s1)
    sketch = store.sketch(pair.id)
    assert [s.id for s in sketch.strokes] == [s1.id, s2.id, s3.id, s4.id]
    assert sketch.strokes[3].eraser and sketch.base_image == "a.png"
    with pytest.raises(ValueError):
        store.restore_stroke(pair.id, s1)
    cleared = store.clear_strokes(pair.id)
    assert [s.id for s in cleared] == [s1.id, s2.id, s3.id, s4.id] and store.sketch(pair.id).strokes == ()


def test_stroke_samples_are_exact(store: ProjectStore) -> None:
    pair = store.add_pair("a.jpg")
    points = tuple((0.1 * i, 1 / 3 + i, (i % 10) / 10, i / 120) for i in range(500))
    stroke = store.add_stroke(pair.id, Stroke(points=points, width=2.5))
    assert store.sketch(pair.id).strokes[0].points == points and stroke.points == points


# --- image paths ---------------------------------------------------------------------------------


def test_moved_project_finds_its_images(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    (folder / "sketchy" / "photo").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(folder / "sketchy" / "photo" / "a.jpg")
    Image.new("RGB", (4, 4)).save(folder / "local.jpg")
    with ProjectStore.create(folder / "p.sketchstudio", images_root=folder / "sketchy") as store:
        assert store._meta["images_root"] == "sketchy"  # stored relative to the project
        assert store.relative_path(folder / "sketchy" / "photo" / "a.jpg") == "photo/a.jpg"
        assert store.relative_path(folder / "local.jpg") == "local.jpg"
        outside = tmp_path / "elsewhere.jpg"
        assert store.relative_path(outside) == str(outside)
        store.add_pair("photo/a.jpg")
    moved = tmp_path / "moved"
    shutil.move(folder, moved)
    with ProjectStore.open(moved / "p.sketchstudio") as store:
        assert store.images_root == moved / "sketchy"
        assert store.resolve("photo/a.jpg") == moved / "sketchy" / "photo" / "a.jpg"
        assert store.resolve("local.jpg") == moved / "local.jpg"  # falls back to the project folder
        assert store.resolve("missing.jpg") == moved / "sketchy" / "missing.jpg"


# --- migrations ----------------------------------------------------------------------------------


def test_migrates_a_version_1_file(tmp_path: Path) -> None:
    path = tmp_path / "old.sketchstudio"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(conn, target=1)
    conn.execute("INSERT INTO meta VALUES ('name', 'old'), ('keypoints_per_pair', '8')")
    conn.execute(
        "INSERT INTO pairs (photo, sketch, category, created, modified) "
        "VALUES ('a.jpg', 'a.png', 'cat', 1, 2)"
    )
    conn.execute(
        "INSERT INTO keypoints (pair_id, idx, photo_x, photo_y, status, source, created, modified) "
        "VALUES (1, 0, 3.5, 4.5, 'confirmed', 'human', 1, 2)"
    )
    conn.close()
    with ProjectStore.open(path) as store:
        assert store.pair(1).photo == "a.jpg" and store.pair(1).extra == {}
        assert store.keypoint(1, 0).photo == (3.5, 4.5)
        assert store.sketch(1).background == "#ffffff"
        assert migrations.schema_version(store._read()) == migrations.SCHEMA_VERSION
    backup = tmp_path / "old.sketchstudio.v1.bak"
    check = sqlite3.connect(backup)
    assert check.execute("PRAGMA user_version").fetchone()[0] == 1
    check.close()


def test_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.sketchstudio"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(conn, target=1)

    def broken(c: sqlite3.Connection) -> None:
        c.execute("ALTER TABLE pairs ADD COLUMN extra TEXT")
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations, "MIGRATIONS", (migrations.MIGRATIONS[0], broken))
    with pytest.raises(RuntimeError):
        migrations.migrate(conn, target=2)
    assert migrations.schema_version(conn) == 1
    assert "extra" not in [r[1] for r in conn.execute("PRAGMA table_info(pairs)")]
    conn.close()
