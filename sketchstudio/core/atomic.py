"""Atomic file writes: the target holds either the old content or the new, never half.

Write to a temporary file in the target's directory, flush and fsync it, then `os.replace` it
over the target and fsync the directory. An exception (or a kill) before the rename leaves the
old file untouched and removes the temporary file where it can; the temporary files a killed
export left behind (`.<name>.<random>.tmp`, not touched for `STALE_TMP_S`) are removed by the next
write into that folder. A write that fails (disk full, read-only) is one `UserError`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from sketchstudio.core.errors import UserError

STALE_TMP_S = 600.0
"""A temporary file of ours not modified for this long belongs to a killed write."""
_TMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


def refuse_output(path: str | os.PathLike[str], protected: Iterable[str | os.PathLike[str]]) -> None:
    """UserError if writing `path` would replace one of `protected` (the project being exported,
    its -wal/-shm, an input file): the same file by inode, or the same absolute path."""
    target = Path(os.path.abspath(path))
    for other in protected:
        candidate = Path(os.path.abspath(other))
        same = candidate == target
        if not same and target.exists() and candidate.exists():
            with contextlib.suppress(OSError):
                same = os.path.samefile(target, candidate)
        if same:
            raise UserError("refusing to overwrite an input of this command (the project, its "
                            "-wal/-shm file or a source file); choose another output", path=target)


def remove_stale_temporaries(directory: Path, *, older_than: float = STALE_TMP_S) -> int:
    """Remove our temporary files in `directory` that nothing has written for `older_than`
    seconds; returns how many. Errors are ignored (cleaning up is best effort)."""
    removed = 0
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if not _TMP_NAME.match(entry.name):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > older_than:
                    os.unlink(entry.path)
                    removed += 1
    return removed


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8",
                 newline: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; on success it replaces `path` atomically."""
    if "r" in mode or "a" in mode or "+" in mode:
        raise ValueError("atomic_write only supports 'w' and 'wb' modes")
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UserError("the folder does not exist", path=directory)
    binary = "b" in mode
    remove_stale_temporaries(directory)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except PermissionError as exc:
        raise UserError("cannot write here (permission denied)", path=target) from exc
    except OSError as exc:
        raise UserError(f"cannot write here ({exc.strerror or exc})", path=target) from exc
    tmp = Path(tmp_name)
    try:
        if binary:
            handle: IO[Any] = os.fdopen(fd, mode)
        else:
            handle = os.fdopen(fd, mode, encoding=encoding, newline=newline)
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            with contextlib.suppress(OSError):
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, UserError):
            reason = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else \
                (exc.strerror or str(exc))
            raise UserError(f"cannot write the file ({reason}); nothing was changed", path=target) from exc
        raise
    _fsync_dir(directory)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_write(path, "wb", encoding=None) as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_write(path, "w") as handle:
        handle.write(text)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
