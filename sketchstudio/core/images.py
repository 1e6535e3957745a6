"""Reading image files with one-line errors: missing, not an image, or corrupt.

Every image the application reads (photos, Sketchy sketch PNGs, base layers) goes through here,
so a bad file anywhere becomes a `FormatError` naming it instead of a Pillow traceback.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from sketchstudio.core.errors import FormatError

MAX_IMAGE_PIXELS = 64_000_000
"""Largest image SketchStudio opens (64 MP, e.g. 8000×8000): bounds the memory one decode takes.
Larger files are refused with one line (never Pillow's DecompressionBombWarning on stderr)."""

_PIL_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
               EOFError)


def load_image(path: str | os.PathLike[str], mode: str = "RGB") -> Image.Image:
    """Read an image fully and convert it to `mode`; FormatError if it is missing, not an image
    or corrupt (truncated data is caught here, not later when the pixels are first used)."""
    with _decoded(Path(path)) as img:
        transparent = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
        if transparent and mode in ("RGB", "L"):
            # Transparent pixels are paper: composite on white instead of showing black.
            rgba = img.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(background, rgba).convert(mode)
        return img.convert(mode)


def check_image(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(width, height) after decoding every pixel: what importers run, so a truncated JPEG or a
    corrupt PNG is refused at import rather than when it is first shown. FormatError if the file
    is missing, not an image, corrupt, or larger than `MAX_IMAGE_PIXELS`."""
    with _decoded(Path(path)) as img:
        return img.size


@contextmanager
def _decoded(p: Path) -> Iterator[Image.Image]:
    """The open image with every pixel decoded; any decoding problem (including the work done
    by the caller inside the block) becomes one FormatError naming the file."""
    _require_file(p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as img:
                _check_pixels(img, p)
                img.load()
                yield img
    except Image.DecompressionBombWarning as exc:
        raise FormatError("image is too large to open safely", path=p) from exc
    except _PIL_ERRORS as exc:
        raise FormatError(_describe(exc), path=p) from exc


def _check_pixels(img: Image.Image, p: Path) -> None:
    w, h = img.size
    if w < 1 or h < 1:
        raise FormatError(f"image has no pixels ({w}×{h})", path=p)
    if w * h > MAX_IMAGE_PIXELS:
        raise FormatError(f"image is {w}×{h} pixels, more than the {MAX_IMAGE_PIXELS // 1_000_000} MP "
                          "SketchStudio opens", path=p)


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(width, height) from the header only: the fast check importers run on thousands of
    files. FormatError if the file is missing or not an image."""
    p = Path(path)
    _require_file(p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as img:
                return img.size
    except Image.DecompressionBombWarning as exc:
        raise FormatError("image is too large to open safely", path=p) from exc
    except _PIL_ERRORS as exc:
        raise FormatError(_describe(exc), path=p) from exc


def _require_file(p: Path) -> None:
    if not p.exists():
        raise FormatError("image file not found", path=p)
    if not p.is_file():
        raise FormatError("not a file", path=p)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "not an image file (or an unsupported image format)"
    if isinstance(exc, PermissionError):
        return "cannot read the image (permission denied)"
    if isinstance(exc, Image.DecompressionBombError):
        return "image is too large to open safely"
    return "corrupt or truncated image"
