"""The project store: one SQLite file per project, every edit durable when the call returns.

Storage
    A project is one `.sketchstudio` file: SQLite in WAL mode, schema version in
    `PRAGMA user_version` (see `sketchstudio.core.migrations`). Files from an older SketchStudio are
    migrated on open (after a backup copy `<file>.v<N>.bak`); files from a newer one are refused
    with a `ProjectError`, never "downgraded".

Durability
    Each mutating method is exactly one transaction and emits its `ChangeEvent` only after the
    commit, so a listener never sees an edit that could still be lost. We run with
    `synchronous=FULL`: in WAL mode that fsyncs the log on every commit, so an edit survives a
    power cut as soon as the method returns. `NORMAL` would be durable against a crash of the
    application but may lose the last edits on power loss, which is not what "durable when made"
    means for hours of annotation. A commit costs one fsync of a small WAL append (see the core
    benchmark for the measured latency), well below what a user can notice.

Where images are found (moving a project)
    Image paths are stored as the importer saw them, relative where possible and always with
    forward slashes. `images_root` (e.g. a Sketchy root) is stored *relative to the project's
    folder* when it lies inside it, otherwise absolute. `resolve()` tries, in order:
    an absolute stored path as is; `images_root / path`; `root / path` (the project's folder).
    So a project folder that carries its images moves freely, and a project that points at a
    Sketchy copy elsewhere keeps working when moved as long as that copy stays put (or the user
    sets a new root with `set_images_root`).

Failures
    A write that fails (another program holds the write lock, the disk is full, the file or its
    folder is read-only) raises a one-line `ProjectError` and changes nothing: the transaction is
    rolled back and no event is emitted. `busy_timeout` bounds how long a write waits for another
    writer (the GUI uses a short one, so its thread never freezes on a lock). A project that is
    corrupt or hand-edited beyond the schema (a missing table, an unknown status, a field that is
    not JSON) raises `ProjectError` naming the file rather than an SQLite or decoding traceback.
    `transaction()` groups several edits into one all-or-nothing transaction (an undo command,
    an import with its images root).

Read-only
    `open(path, read_only=True)` (what `info` and `export` use) never writes, not even the WAL
    switch or a migration, so it works on read-only media and never changes the file.

Threads
    The store belongs to one thread (the GUI's). The connection is opened with
    `check_same_thread=False` only so that closing it from a shutdown hook or a test fixture on
    another thread works; writes are serialised by a lock, but reads are not isolated from a write
    in progress on another thread. Workers therefore get value snapshots (frozen dataclasses),
    never the store.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from sketchstudio.core.errors import ProjectError, check_name
from sketchstudio.core.events import ChangeEvent, ChangeKind, EventEmitter
from sketchstudio.core.migrations import APPLICATION_ID, SCHEMA_VERSION, migrate, schema_version
from sketchstudio.core.model import (
    PSC6K_KEYPOINTS,
    Keypoint,
    KeypointSource,
    KeypointStatus,
    Pair,
    PairSpec,
    PairStatus,
    ProjectStats,
    Side,
    Sketch,
    Stroke,
    Suggestion,
)

__all__ = ["PROJECT_SUFFIX", "PairSpec", "ProjectStats", "ProjectStore"]

PROJECT_SUFFIX = ".sketchstudio"
UNFINISHED = (PairStatus.TODO, PairStatus.IN_PROGRESS)
"""Statuses `next_pair_id(..., unfinished_only=True)` stops at."""

_PAIR_COLUMNS = ("id, photo, sketch, category, name, split, flip, status, created, modified, extra")
DEFAULT_BUSY_TIMEOUT = 5.0
"""Seconds a write waits for another writer before "the project is busy" (headless commands)."""
MAX_SKETCH_SIDE = 8192
"""Largest sketch canvas side: a canvas is rendered in memory (×4 when supersampled)."""
MAX_COORDINATE = 1e6
"""Keypoint coordinates beyond ±this (pixels) are refused: no image is that large, and float32
(what the models compute in) must hold every stored value."""
_TABLES = {
    "meta": {"key", "value"},
    "pairs": {"id", "photo", "sketch", "category", "name", "split", "flip", "status", "sketch_width",
              "sketch_height", "created", "modified", "extra", "background"},
    "keypoints": {"pair_id", "idx", "photo_x", "photo_y", "sketch_x", "sketch_y", "photo_visible",
                  "sketch_visible", "status", "source", "author", "created", "modified", "suggestion"},
    "strokes": {"id", "pair_id", "width", "color", "eraser", "points"},
}
_KP_COLUMNS = ("idx, photo_x, photo_y, sketch_x, sketch_y, photo_visible, sketch_visible, status, source, "
               "author, created, modified, suggestion")


class ProjectStore:
    """A SketchStudio project; see the module docstring for durability and path rules."""

    def __init__(self, path: Path, conn: sqlite3.Connection, *, read_only: bool = False) -> None:
        """Use `create`, `open` or `open_or_create`."""
        self.path = path
        self.root = path.parent
        self.read_only = read_only
        self.events = EventEmitter()
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.RLock()
        self._batch_depth = 0
        self._pending: list[ChangeEvent] = []
        try:
            self._meta = {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta").fetchall()}
        except sqlite3.Error as exc:
            raise _project_error(exc, path) from exc
        try:
            if int(self._meta.get("keypoints_per_pair", PSC6K_KEYPOINTS)) < 1:
                raise ValueError
        except ValueError:
            raise ProjectError("the project file is corrupt (keypoints_per_pair is "
                               f"{self._meta.get('keypoints_per_pair')!r})", path=path) from None

    # --- opening and closing -----------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, images_root: str | os.PathLike[str] | None = None,
               keypoints_per_pair: int = PSC6K_KEYPOINTS, name: str | None = None,
               busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> ProjectStore:
        """Create a new, empty project file; ProjectError if it exists or cannot be written."""
        target = Path(path).absolute()
        if target.exists() or _sidecar(target, "-wal").exists():
            raise ProjectError("a file with this name already exists", path=target)
        if not target.parent.is_dir():
            raise ProjectError("the folder does not exist", path=target.parent)
        if not os.access(target.parent, os.W_OK):
            raise ProjectError("the folder is read-only; choose a writable location", path=target)
        if keypoints_per_pair < 1:
            raise ValueError(f"keypoints_per_pair must be positive, got {keypoints_per_pair}")
        try:
            conn = _connect(target, create=True, busy_timeout=busy_timeout)
            try:
                _use_wal(conn)
                migrate(conn)
                now = time.time()
                with _transaction(conn):
                    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
                        ("name", name if name is not None else _text(target.stem)),
                        ("keypoints_per_pair", str(int(keypoints_per_pair))),
                        ("created", repr(now)),
                        ("images_root", ""),
                    ])
            except BaseException:
                conn.close()
                raise
        except sqlite3.Error as exc:
            _remove_database(target)
            raise _project_error(exc, target) from exc
        except BaseException:
            _remove_database(target)
            raise
        store = cls(target, conn)
        if images_root is not None:
            store.set_images_root(images_root)
        return store

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False,
             busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> ProjectStore:
        """Open an existing project, migrating an older schema; ProjectError if it is missing,
        not a project, from a newer SketchStudio or corrupt. With `read_only` nothing is ever
        written (no WAL switch, no migration), so read-only media work. A file that is not a
        SketchStudio project is refused before anything could change it."""
        target = Path(path).absolute()
        if not target.is_file():
            raise ProjectError("no such project file", path=target)
        try:
            with target.open("rb") as handle:
                header = handle.read(16)
        except OSError as exc:
            raise ProjectError(f"cannot read the file ({exc.strerror or exc})", path=target) from exc
        if header != b"SQLite format 3\x00":
            raise ProjectError("not a SketchStudio project (not an SQLite file)", path=target)
        try:
            conn = _connect(target, create=False, read_only=read_only, busy_timeout=busy_timeout)
        except sqlite3.Error as exc:
            raise _project_error(exc, target) from exc
        try:
            _check_and_migrate(conn, target, read_only=read_only)
            return cls(target, conn, read_only=read_only)
        except sqlite3.Error as exc:
            conn.close()
            raise _project_error(exc, target) from exc
        except BaseException:
            conn.close()
            raise

    @classmethod
    def open_or_create(cls, path: str | os.PathLike[str], **kw: Any) -> ProjectStore:
        """Open the project if the file exists, else create it with `kw` (see `create`)."""
        return cls.open(path) if Path(path).exists() else cls.create(path, **kw)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL into the main file). Idempotent."""
        with self._lock:
            if self._conn is None:
                return
            if not self.read_only:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
            self._conn = None

    @property
    def closed(self) -> bool:
        return self._conn is None

    def __enter__(self) -> ProjectStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ProjectStore({str(self.path)!r})"

    # --- project metadata --------------------------------------------------------------------

    def set_busy_timeout(self, seconds: float) -> None:
        """How long a write waits for another writer before raising "the project is busy"."""
        with self._lock:
            self._read().execute(f"PRAGMA busy_timeout = {max(0, int(seconds * 1000))}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Make every edit inside the block one transaction: all committed, or (on any
        exception) none, with no event emitted. Events are emitted after the commit. Nests."""
        with self._lock:
            outer = self._batch_depth == 0
            if not outer:
                self._batch_depth += 1
                try:
                    yield
                finally:
                    self._batch_depth -= 1
                return
            conn = self._read()
            meta = dict(self._meta)
            self._batch_depth = 1
            try:
                try:
                    with _transaction(conn):
                        yield
                except sqlite3.Error as exc:
                    raise _project_error(exc, self.path) from exc
            except BaseException:
                self._pending.clear()
                self._meta = meta
                raise
            finally:
                self._batch_depth = 0
            pending, self._pending = self._pending, []
        for event in pending:
            self.events.emit(event)

    def check_integrity(self) -> None:
        """ProjectError if SQLite finds damaged pages or the rows break what the store relies on
        (unknown statuses, fields that are not JSON); `import` runs this before adding pairs."""
        conn = self._read()
        problems = [r[0] for r in conn.execute("PRAGMA quick_check(1)").fetchall()]
        if problems and problems[0] != "ok":
            raise ProjectError(f"the project file is corrupt ({_one_line(problems[0])})", path=self.path)
        statuses = tuple(s.value for s in PairStatus)
        marks = ",".join("?" * len(statuses))
        row = conn.execute(f"SELECT id, status FROM pairs WHERE status NOT IN ({marks}) LIMIT 1",
                           statuses).fetchone()
        if row is not None:
            raise ProjectError(f"the project file is corrupt (pair {row[0]} has the unknown status "
                               f"{_one_line(repr(row[1]))})", path=self.path)
        for pair_id, extra in conn.execute("SELECT id, extra FROM pairs"):
            _json_field(extra, self.path, f"pair {pair_id}", "extra")
        kp_status = tuple(s.value for s in KeypointStatus)
        kp_source = tuple(s.value for s in KeypointSource)
        marks_status, marks_source = ",".join("?" * len(kp_status)), ",".join("?" * len(kp_source))
        row = conn.execute(f"SELECT pair_id, idx FROM keypoints WHERE status NOT IN ({marks_status}) "
                           f"OR source NOT IN ({marks_source}) LIMIT 1", (*kp_status, *kp_source)).fetchone()
        if row is not None:
            raise ProjectError(f"the project file is corrupt (keypoint {row[1] + 1} of pair {row[0]} has an "
                               "unknown status or source)", path=self.path)
        for row in conn.execute(f"SELECT pair_id, {_KP_COLUMNS} FROM keypoints WHERE suggestion IS NOT NULL"):
            _keypoint_from_row(row[1:], self.path, row[0])

    @property
    def name(self) -> str:
        return self._meta.get("name", self.path.stem)

    @property
    def keypoints_per_pair(self) -> int:
        return int(self._meta.get("keypoints_per_pair", PSC6K_KEYPOINTS))

    @property
    def images_root(self) -> Path | None:
        stored = self._meta.get("images_root", "")
        if not stored:
            return None
        root = Path(stored)
        return root if root.is_absolute() else self.root / root

    def set_images_root(self, path: str | os.PathLike[str] | None) -> None:
        """Set (or with None clear) the folder relative image paths resolve from first."""
        value = ""
        if path is not None:
            check_name(path)
            absolute = Path(os.path.abspath(path))
            try:
                value = absolute.relative_to(self.root).as_posix() or "."
            except ValueError:
                value = str(absolute)
        self._set_meta({"images_root": value})
        self._emit(ChangeEvent(ChangeKind.PROJECT_RELOADED))

    def set_name(self, name: str) -> None:
        self._set_meta({"name": name})
        self._emit(ChangeEvent(ChangeKind.PROJECT_RELOADED))

    def protected_paths(self) -> list[Path]:
        """The files an export must never replace: the project and its SQLite side files."""
        return [self.path, *(_sidecar(self.path, s) for s in ("-wal", "-shm", "-journal"))]

    def resolve(self, stored_path: str) -> Path:
        """The absolute path of a stored image path: absolute as is, else the first existing of
        `images_root / p` and `root / p`; if neither exists, `images_root / p` (or `root / p`
        without an images root) so error messages name the most likely place."""
        p = Path(stored_path)
        if p.is_absolute():
            return p
        candidates = [base / p for base in (self.images_root, self.root) if base is not None]
        for candidate in candidates:
            if candidate.exists():
                return candidate
        return candidates[0]

    def relative_path(self, path: str | os.PathLike[str]) -> str:
        """What to store for an image: relative to `images_root` or `root` when inside one of
        them (forward slashes), else the absolute path."""
        absolute = Path(os.path.abspath(path))
        for base in (self.images_root, self.root):
            if base is None:
                continue
            with contextlib.suppress(ValueError):
                return absolute.relative_to(os.path.abspath(base)).as_posix()
        return str(absolute)

    # --- pairs -------------------------------------------------------------------------------

    def add_pair(self, photo: str, sketch: str | None = None, *, category: str = "", name: str = "",
                 split: str = "", flip: bool = False, status: PairStatus = PairStatus.TODO) -> Pair:
        spec = PairSpec(photo=photo, sketch=sketch, category=category, name=name, split=split,
                        flip=flip, status=PairStatus(status))
        with self._write() as conn:
            pair_id = self._insert_pair(conn, spec, time.time())
        self._emit(ChangeEvent(ChangeKind.PAIR_ADDED, pair_id=pair_id))
        return self.pair(pair_id)

    def add_pairs(self, specs: Iterable[PairSpec]) -> list[int]:
        """Add many pairs (with their keypoints and strokes) in one transaction; for importers.

        All or nothing: an invalid spec raises before anything is committed. Emits one
        PROJECT_RELOADED event.
        """
        specs = list(specs)
        for spec in specs:
            self._check_spec(spec)
        now = time.time()
        with self._write() as conn:
            ids = [self._insert_pair(conn, spec, now) for spec in specs]
        if ids:
            self._emit(ChangeEvent(ChangeKind.PROJECT_RELOADED))
        return ids

    def pair(self, pair_id: int) -> Pair:
        """The pair with this id; KeyError if there is none."""
        row = self._read().execute(f"SELECT {_PAIR_COLUMNS} FROM pairs WHERE id = ?", (pair_id,)).fetchone()
        if row is None:
            raise KeyError(pair_id)
        return self._pair_from_row(row)

    def pairs(self, *, category: str | None = None, status: PairStatus | None = None,
              search: str | None = None) -> list[Pair]:
        """Pairs ordered by id; `search` matches a substring of photo, sketch, name or category."""
        where, args = [], []
        if category is not None:
            where.append("category = ?")
            args.append(category)
        if status is not None:
            where.append("status = ?")
            args.append(PairStatus(status).value)
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in
                                           ("photo", "sketch", "name", "category")) + ")")
            args.extend([pattern] * 4)
        sql = f"SELECT {_PAIR_COLUMNS} FROM pairs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._read().execute(sql + " ORDER BY id", args).fetchall()
        return [self._pair_from_row(row) for row in rows]

    def pair_ids(self) -> list[int]:
        return [r[0] for r in self._read().execute("SELECT id FROM pairs ORDER BY id")]

    def categories(self) -> list[str]:
        """Distinct categories, sorted; the empty category is left out."""
        rows = self._read().execute(
            "SELECT DISTINCT category FROM pairs WHERE category != '' ORDER BY category")
        return [r[0] for r in rows]

    def set_pair_status(self, pair_id: int, status: PairStatus) -> Pair:
        return self._update_pair(pair_id, status=PairStatus(status).value)

    def set_pair_sketch(self, pair_id: int, sketch: str | None) -> Pair:
        """Set the raster sketch (base layer) path of a pair."""
        return self._update_pair(pair_id, sketch=sketch)

    def update_pair(self, pair_id: int, *, category: str | None = None, name: str | None = None,
                    split: str | None = None, photo: str | None = None) -> Pair:
        """Change descriptive fields of a pair (None leaves a field as it is)."""
        changes = {k: v for k, v in (("category", category), ("name", name), ("split", split),
                                     ("photo", photo)) if v is not None}
        return self._update_pair(pair_id, **changes)

    def remove_pair(self, pair_id: int) -> None:
        """Remove a pair with its keypoints and strokes; KeyError if unknown."""
        with self._write() as conn:
            if conn.execute("DELETE FROM pairs WHERE id = ?", (pair_id,)).rowcount == 0:
                raise KeyError(pair_id)
        self._emit(ChangeEvent(ChangeKind.PAIR_REMOVED, pair_id=pair_id))

    def next_pair_id(self, pair_id: int, *, unfinished_only: bool = False) -> int | None:
        """The pair after `pair_id` in id order, or None at the end.

        With `unfinished_only` (auto-advance) only TODO / IN_PROGRESS pairs count and the search
        wraps around to the start, so the user is led to remaining work wherever it is.
        """
        conn = self._read()
        if not unfinished_only:
            row = conn.execute("SELECT MIN(id) FROM pairs WHERE id > ?", (pair_id,)).fetchone()
            return row[0]
        statuses = tuple(s.value for s in UNFINISHED)
        marks = ",".join("?" * len(statuses))
        row = conn.execute(f"SELECT MIN(id) FROM pairs WHERE id > ? AND status IN ({marks})",
                           (pair_id, *statuses)).fetchone()
        if row[0] is None:
            row = conn.execute(f"SELECT MIN(id) FROM pairs WHERE id < ? AND status IN ({marks})",
                               (pair_id, *statuses)).fetchone()
        return row[0]

    def prev_pair_id(self, pair_id: int) -> int | None:
        return self._read().execute("SELECT MAX(id) FROM pairs WHERE id < ?", (pair_id,)).fetchone()[0]

    # --- keypoints ---------------------------------------------------------------------------

    def keypoints(self, pair_id: int) -> list[Keypoint]:
        """The pair's keypoints sorted by index (only those that exist)."""
        conn = self._read()
        rows = conn.execute(f"SELECT {_KP_COLUMNS} FROM keypoints WHERE pair_id = ? ORDER BY idx",
                            (pair_id,)).fetchall()
        if not rows:
            self._require_pair(conn, pair_id)
        return [_keypoint_from_row(row, self.path, pair_id) for row in rows]

    def keypoint(self, pair_id: int, index: int) -> Keypoint | None:
        conn = self._read()
        row = conn.execute(f"SELECT {_KP_COLUMNS} FROM keypoints WHERE pair_id = ? AND idx = ?",
                           (pair_id, index)).fetchone()
        if row is None:
            self._require_pair(conn, pair_id)
            return None
        return _keypoint_from_row(row, self.path, pair_id)

    def set_keypoint(self, pair_id: int, keypoint: Keypoint, *, author: str | None = None) -> Keypoint:
        """Insert or replace the keypoint with `keypoint.index`; returns the stored value.

        `created` keeps the time of the first placement, `modified` becomes now; `author`, when
        given, overrides `keypoint.author`.
        """
        self._check_keypoint(keypoint)
        now = time.time()
        with self._write() as conn:
            self._require_pair(conn, pair_id)
            row = conn.execute("SELECT created FROM keypoints WHERE pair_id = ? AND idx = ?",
                               (pair_id, keypoint.index)).fetchone()
            created = row[0] if row is not None else now
            stored = Keypoint(
                index=keypoint.index, photo=keypoint.photo, sketch=keypoint.sketch,
                photo_visible=keypoint.photo_visible, sketch_visible=keypoint.sketch_visible,
                status=keypoint.status, source=keypoint.source,
                author=keypoint.author if author is None else author,
                created=created, modified=now, suggestion=keypoint.suggestion)
            _upsert_keypoint(conn, pair_id, stored)
            conn.execute("UPDATE pairs SET modified = ? WHERE id = ?", (now, pair_id))
        self._emit(ChangeEvent(ChangeKind.KEYPOINT_CHANGED, pair_id=pair_id, index=keypoint.index))
        return stored

    def remove_keypoint(self, pair_id: int, index: int) -> None:
        """Remove a keypoint; removing one that does not exist is a no-op (no event)."""
        with self._write() as conn:
            self._require_pair(conn, pair_id)
            removed = conn.execute("DELETE FROM keypoints WHERE pair_id = ? AND idx = ?",
                                   (pair_id, index)).rowcount
            if removed:
                conn.execute("UPDATE pairs SET modified = ? WHERE id = ?", (time.time(), pair_id))
        if removed:
            self._emit(ChangeEvent(ChangeKind.KEYPOINT_REMOVED, pair_id=pair_id, index=index))

    def set_keypoints(self, pair_id: int, keypoints: Sequence[Keypoint]) -> None:
        """Replace all keypoints of a pair (imports); timestamps of 0 become now."""
        indices = [kp.index for kp in keypoints]
        for kp in keypoints:
            self._check_keypoint(kp)
        if len(set(indices)) != len(indices):
            raise ValueError(f"duplicate keypoint indices {sorted(indices)}")
        now = time.time()
        with self._write() as conn:
            self._require_pair(conn, pair_id)
            conn.execute("DELETE FROM keypoints WHERE pair_id = ?", (pair_id,))
            for kp in keypoints:
                _upsert_keypoint(conn, pair_id, _stamped(kp, now))
            conn.execute("UPDATE pairs SET modified = ? WHERE id = ?", (now, pair_id))
        self._emit(ChangeEvent(ChangeKind.PAIR_CHANGED, pair_id=pair_id))

    # --- vector sketch -----------------------------------------------------------------------

    def sketch(self, pair_id: int) -> Sketch:
        """The pair's sketch: canvas size, strokes in id order, raster base layer (pair.sketch)."""
        conn = self._read()
        head = conn.execute("SELECT sketch_width, sketch_height, sketch, background FROM pairs WHERE id = ?",
                            (pair_id,)).fetchone()
        if head is None:
            raise KeyError(pair_id)
        rows = conn.execute("SELECT id, width, color, eraser, points FROM strokes WHERE pair_id = ? "
                            "ORDER BY id", (pair_id,)).fetchall()
        try:
            strokes = tuple(_stroke_from_row(r) for r in rows)
        except (TypeError, ValueError):
            raise ProjectError(f"the project file is corrupt (pair {pair_id}: a stroke's samples are "
                               "damaged)", path=self.path) from None
        return Sketch(width=head[0], height=head[1], strokes=strokes, base_image=head[2], background=head[3])

    def stroke_count(self, pair_id: int) -> int:
        """How many strokes the pair's sketch has (a COUNT, no stroke decoding: the status bar
        asks after every edit)."""
        row = self._read().execute("SELECT COUNT(*) FROM strokes WHERE pair_id = ?", (pair_id,)).fetchone()
        return int(row[0])

    def add_stroke(self, pair_id: int, stroke: Stroke) -> Stroke:
        """Append a stroke; returns it with its new id."""
        with self._write() as conn:
            self._require_pair(conn, pair_id)
            stroke_id = _insert_stroke(conn, pair_id, stroke, with_id=False)
            self._touch(conn, pair_id)
        self._emit(ChangeEvent(ChangeKind.STROKE_ADDED, pair_id=pair_id, stroke_id=stroke_id))
        return stroke.with_id(stroke_id)

    def remove_stroke(self, pair_id: int, stroke_id: int) -> Stroke:
        """Remove a stroke and return it (with its id) so undo can `restore_stroke` it."""
        with self._write() as conn:
            row = conn.execute("SELECT id, width, color, eraser, points FROM strokes "
                               "WHERE id = ? AND pair_id = ?", (stroke_id, pair_id)).fetchone()
            if row is None:
                raise KeyError((pair_id, stroke_id))
            conn.execute("DELETE FROM strokes WHERE id = ?", (stroke_id,))
            self._touch(conn, pair_id)
        self._emit(ChangeEvent(ChangeKind.STROKE_REMOVED, pair_id=pair_id, stroke_id=stroke_id))
        return _stroke_from_row(row)

    def restore_stroke(self, pair_id: int, stroke: Stroke) -> Stroke:
        """Re-insert a removed stroke under its old id (undo), so it keeps its place in the
        drawing order; ValueError if it has no id or the id is taken."""
        if stroke.id is None:
            raise ValueError("restore_stroke needs a stroke with an id (use add_stroke)")
        with self._write() as conn:
            self._require_pair(conn, pair_id)
            if conn.execute("SELECT 1 FROM strokes WHERE id = ?", (stroke.id,)).fetchone():
                raise ValueError(f"stroke id {stroke.id} is in use")
            _insert_stroke(conn, pair_id, stroke, with_id=True)
            self._touch(conn, pair_id)
        self._emit(ChangeEvent(ChangeKind.STROKE_ADDED, pair_id=pair_id, stroke_id=stroke.id))
        return stroke

    def clear_strokes(self, pair_id: int) -> list[Stroke]:
        """Remove every stroke of the pair; returns them (for undo)."""
        with self._write() as conn:
            self._require_pair(conn, pair_id)
            rows = conn.execute("SELECT id, width, color, eraser, points FROM strokes WHERE pair_id = ? "
                                "ORDER BY id", (pair_id,)).fetchall()
            conn.execute("DELETE FROM strokes WHERE pair_id = ?", (pair_id,))
            self._touch(conn, pair_id)
        self._emit(ChangeEvent(ChangeKind.SKETCH_CHANGED, pair_id=pair_id))
        return [_stroke_from_row(r) for r in rows]

    def set_sketch_size(self, pair_id: int, width: int, height: int) -> None:
        _check_sketch_size(width, height)
        with self._write() as conn:
            self._require_pair(conn, pair_id)
            conn.execute("UPDATE pairs SET sketch_width = ?, sketch_height = ?, modified = ? WHERE id = ?",
                         (int(width), int(height), time.time(), pair_id))
        self._emit(ChangeEvent(ChangeKind.SKETCH_CHANGED, pair_id=pair_id))

    # --- summaries ---------------------------------------------------------------------------

    def stats(self) -> ProjectStats:
        conn = self._read()
        n = self.keypoints_per_pair
        pairs = conn.execute("SELECT COUNT(*) FROM pairs").fetchone()[0]
        keypoints = conn.execute("SELECT COUNT(*) FROM keypoints").fetchone()[0]
        strokes = conn.execute("SELECT COUNT(*) FROM strokes").fetchone()[0]
        annotated = conn.execute("SELECT COUNT(DISTINCT pair_id) FROM keypoints").fetchone()[0]
        complete = conn.execute(
            "SELECT COUNT(*) FROM (SELECT pair_id FROM keypoints WHERE status = ? "
            "AND (photo_x IS NOT NULL OR photo_visible = 0) AND (sketch_x IS NOT NULL OR sketch_visible = 0) "
            "GROUP BY pair_id HAVING COUNT(*) >= ?)", (KeypointStatus.CONFIRMED.value, n)).fetchone()[0]
        categories = dict(conn.execute(
            "SELECT category, COUNT(*) FROM pairs GROUP BY category ORDER BY category"))
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM pairs GROUP BY status ORDER BY status"))
        return ProjectStats(pairs=pairs, annotated_pairs=annotated, complete_pairs=complete,
                            keypoints=keypoints, strokes=strokes, categories=categories, statuses=statuses)

    def pair_keys(self) -> set[tuple[str, str | None]]:
        """(photo, sketch) of every pair: the importers' duplicate check."""
        return set(self._read().execute("SELECT photo, sketch FROM pairs").fetchall())

    # --- internals ---------------------------------------------------------------------------

    def _read(self) -> _Reader:
        if self._conn is None:
            raise ProjectError("the project is closed", path=self.path)
        return _Reader(self._conn, self.path)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction, committed (and fsynced) on exit; storage errors become a
        one-line ProjectError, programming errors pass through after the rollback. Inside
        `transaction()` it joins the open transaction."""
        with self._lock:
            if self.read_only:
                raise ProjectError("the project is open read-only", path=self.path)
            if self._conn is None:
                raise ProjectError("the project is closed", path=self.path)
            conn = self._conn
            if self._batch_depth:
                try:
                    yield conn
                except sqlite3.Error as exc:
                    raise _project_error(exc, self.path) from exc
                return
            try:
                with _transaction(conn):
                    yield conn
            except sqlite3.Error as exc:
                raise _project_error(exc, self.path) from exc

    def _emit(self, event: ChangeEvent) -> None:
        if self._batch_depth:
            self._pending.append(event)
        else:
            self.events.emit(event)

    def _set_meta(self, values: dict[str, str]) -> None:
        with self._write() as conn:
            conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", values.items())
        self._meta.update(values)

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.keypoints_per_pair:
            raise ValueError(f"keypoint index {index} is outside 0..{self.keypoints_per_pair - 1}")

    def _check_keypoint(self, kp: Keypoint) -> None:
        self._check_index(kp.index)
        for side, point in (("photo", kp.photo), ("sketch", kp.sketch)):
            if point is not None and not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in point):
                raise ValueError(f"keypoint {kp.index + 1}: {side} point {point} is not a coordinate "
                                 f"(finite, within ±{MAX_COORDINATE:g} px)")

    def _check_spec(self, spec: PairSpec) -> None:
        indices = [kp.index for kp in spec.keypoints]
        for kp in spec.keypoints:
            self._check_keypoint(kp)
        if len(set(indices)) != len(indices):
            raise ValueError(f"duplicate keypoint indices in pair {spec.photo!r}")
        _check_sketch_size(*spec.sketch_size)
        for value in (spec.photo, spec.sketch, spec.category, spec.name, spec.split):
            if value is not None:
                check_name(value)

    def _insert_pair(self, conn: sqlite3.Connection, spec: PairSpec, now: float) -> int:
        created = spec.created or now
        cursor = conn.execute(
            "INSERT INTO pairs (photo, sketch, category, name, split, flip, status, sketch_width, "
            "sketch_height, created, modified, extra, background) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (spec.photo, spec.sketch, spec.category, spec.name, spec.split, int(spec.flip),
             PairStatus(spec.status).value, int(spec.sketch_size[0]), int(spec.sketch_size[1]),
             created, spec.modified or created, json.dumps(dict(spec.extra), sort_keys=True),
             spec.background))
        pair_id = int(cursor.lastrowid or 0)
        if spec.keypoints:
            conn.executemany(f"INSERT INTO keypoints (pair_id, {_KP_COLUMNS}) VALUES "
                             f"(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             [(pair_id, *_keypoint_row(_stamped(kp, now))) for kp in spec.keypoints])
        for stroke in spec.strokes:
            _insert_stroke(conn, pair_id, stroke, with_id=False)
        return pair_id

    def _update_pair(self, pair_id: int, **changes: Any) -> Pair:
        columns = ", ".join(f"{k} = ?" for k in changes)
        with self._write() as conn:
            updated = conn.execute(f"UPDATE pairs SET {columns}, modified = ? WHERE id = ?",
                                   (*changes.values(), time.time(), pair_id)).rowcount
            if updated == 0:
                raise KeyError(pair_id)
        self._emit(ChangeEvent(ChangeKind.PAIR_CHANGED, pair_id=pair_id))
        return self.pair(pair_id)

    @staticmethod
    def _require_pair(conn: sqlite3.Connection, pair_id: int) -> None:
        if conn.execute("SELECT 1 FROM pairs WHERE id = ?", (pair_id,)).fetchone() is None:
            raise KeyError(pair_id)

    @staticmethod
    def _touch(conn: sqlite3.Connection, pair_id: int) -> None:
        conn.execute("UPDATE pairs SET modified = ? WHERE id = ?", (time.time(), pair_id))

    def _pair_from_row(self, row: tuple[Any, ...]) -> Pair:
        extra = _json_field(row[10], self.path, f"pair {row[0]}", "extra") if row[10] != "{}" else {}
        if not isinstance(extra, dict):
            raise ProjectError(f"the project file is corrupt (pair {row[0]}: extra is not an object)",
                               path=self.path)
        try:
            status = PairStatus(row[7])
        except ValueError:
            raise ProjectError(f"the project file is corrupt (pair {row[0]} has the unknown status "
                               f"{_one_line(repr(row[7]))})", path=self.path) from None
        return Pair(id=row[0], photo=row[1], sketch=row[2], category=row[3], name=row[4],
                    status=status, n_keypoints=self.keypoints_per_pair, split=row[5],
                    flip=bool(row[6]), created=row[8], modified=row[9], extra=extra)


# --- connection helpers ------------------------------------------------------------------------

def _connect(path: Path, *, create: bool, read_only: bool = False,
             busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> sqlite3.Connection:
    """A connection in autocommit mode; nothing is written here (see `_use_wal`)."""
    mode = "rwc" if create else ("ro" if read_only else "rw")
    query = f"mode={mode}"
    if read_only and (not _sidecar(path, "-wal").exists() or not os.access(path.parent, os.W_OK)):
        # No -wal file: no SketchStudio has the project open (an open one keeps its WAL), so read
        # it as immutable; SQLite then creates no -wal/-shm beside it, which also makes read-only
        # media work (where the -shm a WAL reader needs cannot be created).
        query += "&immutable=1"
    conn = sqlite3.connect(f"{path.as_uri()}?{query}", uri=True, isolation_level=None,
                           check_same_thread=False, timeout=busy_timeout)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        if read_only:
            conn.execute("PRAGMA query_only = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
        raise sqlite3.OperationalError("cannot switch to WAL mode (read-only location?)")
    conn.execute("PRAGMA synchronous = FULL")


def _check_and_migrate(conn: sqlite3.Connection, path: Path, *, read_only: bool = False) -> None:
    # Identify the file before anything could write to it: another program's database must
    # leave here exactly as it came (no WAL switch, no migration, no backup).
    version = schema_version(conn)
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id != APPLICATION_ID:
        raise ProjectError("not a SketchStudio project (an SQLite file of another program)", path=path)
    if version > SCHEMA_VERSION:
        raise ProjectError(f"written by a newer SketchStudio (schema {version}; this version reads up "
                           f"to {SCHEMA_VERSION}); update SketchStudio to open it", path=path)
    if version < SCHEMA_VERSION and read_only:
        raise ProjectError(f"written by an older SketchStudio (schema {version}); open it once where it "
                           "can be written so it is upgraded", path=path)
    if not read_only:
        _use_wal(conn)
    if version == SCHEMA_VERSION:
        _check_tables(conn, path)
    if version < SCHEMA_VERSION:
        backup = path.with_name(f"{path.name}.v{version}.bak")
        if not backup.exists():
            target = sqlite3.connect(backup)
            try:
                conn.backup(target)
            finally:
                target.close()
        migrate(conn)
        _check_tables(conn, path)


def _check_tables(conn: sqlite3.Connection, path: Path) -> None:
    """ProjectError if a table or column the store uses is missing (a hand-edited file)."""
    for table, columns in _TABLES.items():
        found = {row[1] for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}
        if not found:
            raise ProjectError(f"the project file is corrupt (the table {table!r} is missing)", path=path)
        missing = columns - found
        if missing:
            raise ProjectError(f"the project file is corrupt (table {table!r} lacks "
                               f"{', '.join(sorted(missing))})", path=path)


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        # also after a failed COMMIT (disk full, busy), which can leave the transaction open
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


class _Rows(list):  # type: ignore[type-arg]
    """Fetched rows with the cursor methods the store uses."""

    def fetchone(self) -> Any:
        return self[0] if self else None

    def fetchall(self) -> list[Any]:
        return list(self)


class _Reader:
    """The connection for reads: every query is fetched at once, so a damaged page or a
    dropped table becomes a one-line ProjectError rather than an SQLite traceback."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path

    def execute(self, sql: str, args: Sequence[Any] = ()) -> _Rows:
        try:
            return _Rows(self._conn.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise _project_error(exc, self._path) from exc


def _one_line(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_field(value: Any, path: Path, what: str, field: str) -> Any:
    if not value:
        return {}
    try:
        return json.loads(value)
    except (TypeError, ValueError, RecursionError):
        raise ProjectError(f"the project file is corrupt ({what}: {field} is not JSON)", path=path) from None


def _project_error(exc: sqlite3.Error, path: Path) -> ProjectError:
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return ProjectError("cannot write the project here (read-only location or no permission)", path=path)
    if "locked" in text or "busy" in text:
        return ProjectError("the project is busy (open in another SketchStudio?)", path=path)
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return ProjectError("the project file is corrupt", path=path)
    if "no such table" in text or "no such column" in text:
        return ProjectError(f"the project file is corrupt ({_one_line(str(exc))})", path=path)
    if "disk" in text or "full" in text:
        return ProjectError("cannot write the project: the disk is full" if "full" in text
                            else f"cannot write the project ({_one_line(str(exc))})", path=path)
    return ProjectError(f"database error: {_one_line(str(exc)) if str(exc) else type(exc).__name__}",
                        path=path)


def _check_sketch_size(width: int, height: int) -> None:
    if not (1 <= width <= MAX_SKETCH_SIDE and 1 <= height <= MAX_SKETCH_SIDE):
        raise ValueError(f"sketch size must be 1..{MAX_SKETCH_SIDE} pixels a side, got {width}x{height}")


def _text(value: str) -> str:
    """`value` storable as UTF-8 (bytes of a file name that are not UTF-8 become U+FFFD)."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _remove_database(path: Path) -> None:
    for p in (path, _sidecar(path, "-wal"), _sidecar(path, "-shm"), _sidecar(path, "-journal")):
        with contextlib.suppress(OSError):
            p.unlink()


# --- row conversion ----------------------------------------------------------------------------

def _stamped(kp: Keypoint, now: float) -> Keypoint:
    if kp.created and kp.modified:
        return kp
    created = kp.created or now
    return Keypoint(index=kp.index, photo=kp.photo, sketch=kp.sketch, photo_visible=kp.photo_visible,
                    sketch_visible=kp.sketch_visible, status=kp.status, source=kp.source, author=kp.author,
                    created=created, modified=kp.modified or created, suggestion=kp.suggestion)


def _keypoint_row(kp: Keypoint) -> tuple[Any, ...]:
    photo = kp.photo or (None, None)
    sketch = kp.sketch or (None, None)
    suggestion = None
    if kp.suggestion is not None:
        s = kp.suggestion
        suggestion = json.dumps({"model_id": s.model_id, "side": Side(s.side).value, "x": s.x, "y": s.y,
                                 "confidence": s.confidence})
    return (kp.index, photo[0], photo[1], sketch[0], sketch[1], int(kp.photo_visible), int(kp.sketch_visible),
            KeypointStatus(kp.status).value, KeypointSource(kp.source).value, kp.author, kp.created,
            kp.modified, suggestion)


def _upsert_keypoint(conn: sqlite3.Connection, pair_id: int, kp: Keypoint) -> None:
    conn.execute(f"INSERT OR REPLACE INTO keypoints (pair_id, {_KP_COLUMNS}) VALUES "
                 f"(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (pair_id, *_keypoint_row(kp)))


def _keypoint_from_row(row: tuple[Any, ...], path: Path, pair_id: int) -> Keypoint:
    try:
        return _keypoint_from_row_unchecked(row)
    except (KeyError, TypeError, ValueError, RecursionError):
        raise ProjectError(f"the project file is corrupt (keypoint {row[0]} of pair {pair_id}: unknown "
                           "status, source or a suggestion that is not JSON)", path=path) from None


def _keypoint_from_row_unchecked(row: tuple[Any, ...]) -> Keypoint:
    suggestion = None
    if row[12]:
        s = json.loads(row[12])
        suggestion = Suggestion(model_id=s["model_id"], side=Side(s["side"]), x=s["x"], y=s["y"],
                                confidence=s.get("confidence"))
    return Keypoint(index=row[0],
                    photo=None if row[1] is None else (row[1], row[2]),
                    sketch=None if row[3] is None else (row[3], row[4]),
                    photo_visible=bool(row[5]), sketch_visible=bool(row[6]),
                    status=KeypointStatus(row[7]), source=KeypointSource(row[8]), author=row[9],
                    created=row[10], modified=row[11], suggestion=suggestion)


def _pack_points(points: Sequence[Sequence[float]]) -> bytes:
    """Samples as little-endian float64 (x, y, pressure, t): exact and 4× smaller than JSON."""
    if not points:
        return b""
    return np.asarray(points, dtype="<f8").reshape(-1, 4).tobytes()


def _insert_stroke(conn: sqlite3.Connection, pair_id: int, stroke: Stroke, *, with_id: bool) -> int:
    values = (pair_id, float(stroke.width), stroke.color, int(stroke.eraser), _pack_points(stroke.points))
    if with_id:
        conn.execute("INSERT INTO strokes (id, pair_id, width, color, eraser, points) VALUES (?,?,?,?,?,?)",
                     (stroke.id, *values))
        return int(stroke.id)  # type: ignore[arg-type]
    cursor = conn.execute("INSERT INTO strokes (pair_id, width, color, eraser, points) VALUES (?,?,?,?,?)",
                          values)
    return int(cursor.lastrowid or 0)


def _stroke_from_row(row: tuple[Any, ...]) -> Stroke:
    samples = np.frombuffer(row[4], dtype="<f8").reshape(-1, 4).tolist() if row[4] else []
    return Stroke(points=tuple(tuple(s) for s in samples), width=row[1], color=row[2],
                  eraser=bool(row[3]), id=row[0])

