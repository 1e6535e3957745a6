"""Import a folder of photos as pairs without sketches (the GUI's "Import a folder of photos").

Each image file becomes a pair whose sketch the user will draw. The category is the name of the
folder that holds the photo, so a Sketchy-like `<class>/<name>.jpg` tree imported recursively
gets its classes. Every file is decoded (and must lie inside the folder, links included) before
the project is touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sketchstudio.core.errors import FormatError, UserError, check_name
from sketchstudio.core.images import check_image
from sketchstudio.core.model import PairSpec
from sketchstudio.core.store import ProjectStore

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})


@dataclass(frozen=True, slots=True)
class FolderImportReport:
    found: int
    added: int
    skipped_existing: int


def find_photos(folder: str | os.PathLike[str], *, recursive: bool = False) -> list[Path]:
    """Image files (by suffix) in `folder`, sorted by path; hidden files are ignored."""
    root = Path(folder)
    if not root.is_dir():
        raise UserError("no such folder", path=root)
    candidates = root.rglob("*") if recursive else root.iterdir()
    return sorted(p for p in candidates
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))


def import_photo_folder(store: ProjectStore, folder: str | os.PathLike[str], *, recursive: bool = False,
                        category: str | None = None, split: str = "") -> FolderImportReport:
    """Add one pair (photo only) per image in `folder`, in one transaction.

    `category` overrides the folder-name category. Raises UserError if the folder has no images,
    FormatError naming the file if one of them is not a readable image.
    """
    photos = find_photos(folder, recursive=recursive)
    if not photos:
        raise UserError("no image files (.jpg, .png, ...) in this folder", path=folder)
    real_root = Path(folder).resolve()
    for photo in photos:
        check_name(photo)
        if not photo.resolve().is_relative_to(real_root):
            raise FormatError("links to a file outside the imported folder", path=photo)
        check_image(photo)
    existing = store.pair_keys()
    specs = []
    for photo in photos:
        stored = store.relative_path(photo)
        if (stored, None) in existing:
            continue
        existing.add((stored, None))
        specs.append(PairSpec(photo=stored, sketch=None, category=category or photo.parent.name,
                              name=photo.stem, split=split))
    store.add_pairs(specs)
    return FolderImportReport(found=len(photos), added=len(specs), skipped_existing=len(photos) - len(specs))
