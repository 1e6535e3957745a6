"""Reading text inputs (CSV, JSON) with one-line errors instead of tracebacks."""

from __future__ import annotations

import os
from pathlib import Path

from sketchstudio.core.errors import FormatError


def read_text(path: str | os.PathLike[str], encoding: str = "utf-8") -> str:
    """The file's text; FormatError naming the file if it is missing, unreadable or not UTF-8."""
    p = Path(path)
    try:
        return p.read_text(encoding=encoding)
    except FileNotFoundError as exc:
        raise FormatError("file not found", path=p) from exc
    except IsADirectoryError as exc:
        raise FormatError("is a folder, not a file", path=p) from exc
    except UnicodeDecodeError as exc:
        raise FormatError(f"not a UTF-8 text file (byte {exc.start})", path=p) from exc
    except OSError as exc:
        raise FormatError(f"cannot read the file ({exc.strerror or exc})", path=p) from exc
