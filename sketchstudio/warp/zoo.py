"""The shipped default warp model (`models/warp_default.safetensors`)."""

from __future__ import annotations

from pathlib import Path

from sketchstudio.core import resources
from sketchstudio.core.errors import UserError

DEFAULT_FILENAME = "warp_default.safetensors"


def default_checkpoint() -> Path:
    """Path of the bundled default model; a `UserError` when this build ships none."""
    path = resources.models_dir() / DEFAULT_FILENAME
    if not path.is_file():
        raise UserError(f"no default warp model shipped at {path} "
                        "(pass --checkpoint, or convert an official one with `sketchstudio-train convert`)")
    return path
