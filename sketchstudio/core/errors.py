"""User-facing errors: one line that names the file and what is wrong with it."""

from __future__ import annotations

from os import PathLike


class UserError(Exception):
    """An error caused by the user's input, reported as one line and exit code 2.

    Every bad-input path (corrupt image, malformed CSV or JSON, wrong checkpoint, read-only
    location) raises a subclass of this, never a bare exception, so the CLI and the GUI can show
    `str(error)` without a traceback.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str | PathLike[str] | None = None,
                 where: str | None = None) -> None:
        self.path = None if path is None else printable(str(path))
        self.where = where
        self.detail = message
        parts = []
        if self.path is not None:
            parts.append(self.path)
        if where:
            parts.append(where)
        prefix = ": ".join(parts)
        super().__init__(printable(f"{prefix}: {message}" if prefix else message))


def printable(text: str) -> str:
    """`text` as one printable line: line breaks become `\\n`, and bytes of a file name that are
    not valid UTF-8 (surrogate escapes) become `\\xNN`, so printing it never fails."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def check_name(path: str | PathLike[str]) -> None:
    """FormatError if a path cannot be stored as text (a file name that is not valid UTF-8)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise FormatError("the file name is not valid UTF-8; rename it", path=path) from None


class FormatError(UserError):
    """A file's content does not follow its format (CSV columns, JSON schema, image data)."""


class ProjectError(UserError):
    """A project file cannot be opened or written (newer schema, read-only, not a project)."""
