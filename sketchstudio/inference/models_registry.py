"""Which models are available: shipped defaults, converted official checkpoints, trained runs.

Discovery reads only the JSON header of each `.safetensors` file (a few kilobytes), with its own
tiny header reader, so listing models in a picker imports neither torch nor the weights.

Where models come from:

* shipped: `resources.models_dir()` (the bundled zoo), any depth;
* converted: `resources.user_data_dir()/models` (where `sketchstudio-train convert` puts official
  checkpoints turned into our format), any depth;
* trained: `resources.user_data_dir()/runs/<run>/...` (what `sketchstudio-train ... -o RUN_DIR`
  writes, newest first): a finished run's final `model.safetensors` stands for its step
  checkpoints; an unfinished (or stopped) run lists its checkpoints.

A model's id is `<origin>:<path relative to its root>`; it stays the same across sessions and
machines, so settings can remember the user's choice.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sketchstudio.core import resources

METADATA_KEY = "sketchstudio"
IDENTITY_ID = "identity"
ORIGINS = ("shipped", "converted", "trained")
_MAX_HEADER = 50_000_000


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model a picker can offer."""

    id: str
    family: str  # "warp" or "s2i" (what the model is for)
    kind: str  # the checkpoint's `kind` ("warp", "s2i-ae", "s2i-gan", ...)
    name: str  # for people
    origin: str  # "shipped", "converted", "trained" or "builtin"
    path: Path | None = None
    arch: str = ""
    modified: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        where = {"shipped": "default", "converted": "official", "trained": "trained"}.get(self.origin, "")
        return f"{self.name} ({where})" if where else self.name


IDENTITY = ModelInfo(IDENTITY_ID, "warp", "identity", "No model (identity + anchors)", "builtin")
"""The always-available fallback: suggestions from relative position and confirmed anchors."""


def read_header_metadata(path: Path) -> dict[str, Any] | None:
    """The SketchStudio metadata of a safetensors file, or None if the file is not one of ours."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                return None
            n = int.from_bytes(head, "little")
            if n <= 0 or n > _MAX_HEADER:
                return None
            header = json.loads(handle.read(n).decode("utf-8"))
        raw = (header.get("__metadata__") or {}).get(METADATA_KEY)
        meta = json.loads(raw) if raw else None
    except (OSError, UnicodeDecodeError, ValueError, AttributeError, TypeError, RecursionError):
        return None  # a crafted or damaged header (e.g. metadata of the wrong type) is not a model
    return meta if isinstance(meta, dict) else None


def model_roots() -> dict[str, Path]:
    data = resources.user_data_dir()
    return {"shipped": resources.models_dir(), "converted": data / "models", "trained": data / "runs"}


def discover_models(family: str | None = None, *, roots: dict[str, Path] | None = None,
                    include_identity: bool = True) -> list[ModelInfo]:
    """Every readable model (of `family` if given): shipped first, then converted, then trained
    runs newest first. Unreadable or foreign files are skipped (converting them is explicit)."""
    roots = roots if roots is not None else model_roots()
    found: list[ModelInfo] = []
    for origin in ORIGINS:
        root = roots.get(origin)
        if root is None or not root.is_dir():
            continue
        infos = [info for info in _scan(root, origin) if family is None or info.family == family]
        if origin == "trained":
            infos.sort(key=lambda i: -i.modified)
        else:
            infos.sort(key=lambda i: i.id)
        found.extend(infos)
    if include_identity and family in (None, "warp"):
        found.append(IDENTITY)
    return found


def find_model(model_id: str, *, roots: dict[str, Path] | None = None) -> ModelInfo | None:
    if model_id == IDENTITY_ID:
        return IDENTITY
    for info in discover_models(roots=roots):
        if info.id == model_id:
            return info
    return None


def default_model(family: str, *, roots: dict[str, Path] | None = None) -> ModelInfo | None:
    """The shipped default if there is one, else the first available model of `family`."""
    models = discover_models(family, roots=roots, include_identity=False)
    for info in models:
        if info.origin == "shipped":
            return info
    if models:
        return models[0]
    return IDENTITY if family == "warp" else None


def resolve_model(model_id: str | None, family: str, *,
                  roots: dict[str, Path] | None = None) -> ModelInfo | None:
    """The model a setting names, falling back to the default when it is gone or unset."""
    if model_id:
        info = find_model(model_id, roots=roots)
        if info is not None and info.family == family:
            return info
    return default_model(family, roots=roots)


DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


@functools.cache
def available_devices() -> tuple[str, ...]:
    """"auto" plus the devices this machine can run models on (imports torch once, lazily)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency; be safe in a trimmed install
        return ("auto", "cpu")
    found = ["auto", "cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return tuple(found)


FINAL_MODEL = "model.safetensors"
_STEP_CHECKPOINT = re.compile(r"step_\d+\.safetensors$")


def _scan(root: Path, origin: str) -> Iterable[ModelInfo]:
    for path in root.rglob("*.safetensors"):
        if path.name.endswith(".state.safetensors"):
            continue  # optimizer state of a training checkpoint, never a model
        if (origin == "trained" and _STEP_CHECKPOINT.match(path.name)
                and (path.parent / FINAL_MODEL).is_file()):
            continue  # the run finished: its final model stands for its checkpoints
        meta = read_header_metadata(path)
        if meta is None:
            continue
        kind = meta.get("kind")
        if not kind or not isinstance(kind, str):
            continue
        family = kind.split("-", 1)[0]
        rel = path.relative_to(root).as_posix()
        try:
            modified = path.stat().st_mtime
        except OSError:
            continue
        yield ModelInfo(
            id=f"{origin}:{rel}",
            family=family,
            kind=kind,
            name=str(meta.get("name") or _name_from_path(path, root, origin)),
            origin=origin,
            path=path,
            arch=str(meta.get("arch") or ""),
            modified=modified,
            metrics=meta.get("metrics") if isinstance(meta.get("metrics"), dict) else {},
        )


def _name_from_path(path: Path, root: Path, origin: str) -> str:
    rel = path.relative_to(root)
    if origin == "trained" and len(rel.parts) > 1:
        return f"{rel.parts[0]} / {path.stem}"
    return path.stem
