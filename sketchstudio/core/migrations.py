"""Schema of a project file and the migrations that bring an older file up to date.

The schema version lives in `PRAGMA user_version`; `PRAGMA application_id` marks the file as a
SketchStudio project so a random SQLite database is refused rather than "migrated". Migration
`n` takes a file from version `n - 1` to `n`. `migrate` runs all pending steps and the version
bump in one transaction (SQLite DDL is transactional), so a failed migration leaves the file as
it was. Never edit a released step: add a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

APPLICATION_ID = 0x534B5354
"""'SKST' in ASCII; written into the SQLite header of every project file."""

Migration = Callable[[sqlite3.Connection], None]


def _v1_initial(conn: sqlite3.Connection) -> None:
    """Pairs, keypoints (one row per numbered correspondence) and vector strokes."""
    statements = [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        """CREATE TABLE pairs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            photo TEXT NOT NULL,
            sketch TEXT,
            category TEXT NOT NULL DEFAULT '',
            name TEXT NOT NULL DEFAULT '',
            split TEXT NOT NULL DEFAULT '',
            flip INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'todo',
            sketch_width INTEGER NOT NULL DEFAULT 256,
            sketch_height INTEGER NOT NULL DEFAULT 256,
            created REAL NOT NULL,
            modified REAL NOT NULL)""",
        "CREATE INDEX pairs_category ON pairs (category)",
        """CREATE TABLE keypoints (
            pair_id INTEGER NOT NULL REFERENCES pairs (id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            photo_x REAL, photo_y REAL, sketch_x REAL, sketch_y REAL,
            photo_visible INTEGER NOT NULL DEFAULT 1,
            sketch_visible INTEGER NOT NULL DEFAULT 1,
            status TEXT NOT NULL,
            source TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL,
            modified REAL NOT NULL,
            suggestion TEXT,
            PRIMARY KEY (pair_id, idx)) WITHOUT ROWID""",
        # AUTOINCREMENT: a removed stroke's id is never handed out again, so undo can restore a
        # stroke under its old id while the redo stack still refers to newer ones.
        """CREATE TABLE strokes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            pair_id INTEGER NOT NULL REFERENCES pairs (id) ON DELETE CASCADE,
            width REAL NOT NULL,
            color TEXT NOT NULL,
            eraser INTEGER NOT NULL,
            points BLOB NOT NULL)""",
        "CREATE INDEX strokes_pair ON strokes (pair_id, id)",
    ]
    for sql in statements:
        conn.execute(sql)


def _v2_pair_extra(conn: sqlite3.Connection) -> None:
    """Free-form per-pair fields (e.g. PSC6K's class index) so CSV round trips are exact, the
    sketch background colour, and an index for the importers' duplicate check."""
    conn.execute("ALTER TABLE pairs ADD COLUMN extra TEXT NOT NULL DEFAULT '{}'")
    conn.execute("ALTER TABLE pairs ADD COLUMN background TEXT NOT NULL DEFAULT '#ffffff'")
    conn.execute("CREATE INDEX pairs_paths ON pairs (photo, sketch)")


MIGRATIONS: tuple[Migration, ...] = (_v1_initial, _v2_pair_extra)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, *, target: int = SCHEMA_VERSION) -> int:
    """Bring the database to `target` in one transaction; returns the version it started at.

    The connection must be in autocommit mode (`isolation_level=None`): the transaction is
    managed here explicitly.
    """
    start = schema_version(conn)
    if start >= target:
        return start
    conn.execute("BEGIN IMMEDIATE")
    try:
        for step in MIGRATIONS[start:target]:
            step(conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {int(target)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return start
