"""Checkpoint I/O: safetensors weights with JSON metadata, and safe reading of foreign files.

Our format is one `.safetensors` file. Its header's `__metadata__` holds a single key,
`sketchstudio`, whose value is a JSON object: `format` (version), `kind` (`warp`, `s2i-ae`,
`s2i-gan`, ...), `arch`, `config` (what it takes to rebuild the model), `input_size`,
`normalisation` (`mean`, `std`), `source`, `metrics` and `provenance`. The metadata travels with
the weights and drives preprocessing.

Foreign `.pth`/`.pth.tar` files are read with `torch.load(weights_only=True)` only: a file that
needs arbitrary unpickling is refused, never executed.
"""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sketchstudio.core.atomic import atomic_write_bytes
from sketchstudio.core.errors import UserError

FORMAT_VERSION = 1
METADATA_KEY = "sketchstudio"
STRIPPED_PREFIXES = ("module.", "_orig_mod.")


class CheckpointError(UserError):
    """A checkpoint file is unreadable, unsafe, or does not fit the model."""


class KeyMismatchError(CheckpointError):
    """The state dict's keys or shapes do not match the model's exactly."""

    def __init__(self, path: str | os.PathLike[str] | None, missing: Iterable[str],
                 unexpected: Iterable[str], mismatched: Iterable[str] = ()) -> None:
        self.missing = sorted(missing)
        self.unexpected = sorted(unexpected)
        self.mismatched = sorted(mismatched)
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} missing key(s): {_preview(self.missing)}")
        if self.unexpected:
            parts.append(f"{len(self.unexpected)} unexpected key(s): {_preview(self.unexpected)}")
        if self.mismatched:
            parts.append(f"{len(self.mismatched)} shape mismatch(es): {_preview(self.mismatched)}")
        super().__init__("weights do not fit the model; " + "; ".join(parts), path=path)


def _preview(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", … (+{len(names) - limit} more)" if len(names) > limit else "")


def strip_prefixes(state_dict: Mapping[str, Any], prefixes: Iterable[str] = STRIPPED_PREFIXES
                   ) -> dict[str, Any]:
    """Remove wrapper prefixes (DDP's `module.`, torch.compile's `_orig_mod.`) from every key."""
    prefixes = tuple(prefixes)
    out: dict[str, Any] = {}
    for key, value in state_dict.items():
        changed = True
        while changed:
            changed = False
            for prefix in prefixes:
                if key.startswith(prefix):
                    key = key[len(prefix):]
                    changed = True
        out[key] = value
    return out


def load_torch_file(path: str | os.PathLike[str]) -> Any:
    """Read a `.pth`/`.pth.tar`/`.pt` file with `weights_only=True`; errors become one line."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError("no such checkpoint file", path=path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unsupported object"
        raise CheckpointError(
            "refused: the file needs arbitrary Python objects to load, which could run code "
            f"({first[:160]})", path=path) from exc
    except (zipfile.BadZipFile, EOFError, RuntimeError, ValueError, OSError, KeyError, IndexError) as exc:
        raise CheckpointError(f"not a readable torch checkpoint ({_first_line(exc)})", path=path) from exc


def save_safetensors(path: str | os.PathLike[str], state_dict: Mapping[str, torch.Tensor],
                     metadata: Mapping[str, Any]) -> None:
    """Write weights and metadata atomically. Aliased tensors are stored once per key (cloned)."""
    from safetensors.torch import save

    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
    meta = {"format": FORMAT_VERSION, **dict(metadata)}
    blob = save(tensors, metadata={METADATA_KEY: json.dumps(meta, sort_keys=True)})
    atomic_write_bytes(path, blob)


def load_safetensors(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read our format: (state_dict, metadata)."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    path = Path(path)
    if not path.is_file():
        raise CheckpointError("no such checkpoint file", path=path)
    data = path.read_bytes()
    try:
        tensors = load(data)
        meta = read_safetensors_metadata(path, data)
    except SafetensorError as exc:
        raise CheckpointError(f"not a valid safetensors file ({_first_line(exc)})", path=path) from exc
    return tensors, meta


def read_safetensors_metadata(path: str | os.PathLike[str], data: bytes | None = None) -> dict[str, Any]:
    """The metadata object alone, reading only the header (cheap for model pickers)."""
    path = Path(path)
    try:
        if data is None:
            with open(path, "rb") as handle:
                head = handle.read(8)
                if len(head) < 8:
                    raise CheckpointError("file too short to be safetensors", path=path)
                n = int.from_bytes(head, "little")
                if n > 100_000_000:
                    raise CheckpointError("not a safetensors file (implausible header size)", path=path)
                header_bytes = handle.read(n)
        else:
            if len(data) < 8:
                raise CheckpointError("file too short to be safetensors", path=path)
            n = int.from_bytes(data[:8], "little")
            header_bytes = data[8:8 + n]
        header = json.loads(header_bytes.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"not a safetensors file ({_first_line(exc)})", path=path) from exc
    raw = (header.get("__metadata__") or {}).get(METADATA_KEY)
    if raw is None:
        raise CheckpointError("safetensors file without SketchStudio metadata "
                              "(convert foreign checkpoints with `sketchstudio-train convert`)", path=path)
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CheckpointError("corrupt SketchStudio metadata in the header", path=path) from exc
    if not isinstance(meta, dict):
        raise CheckpointError("corrupt SketchStudio metadata in the header", path=path)
    if int(meta.get("format", 0)) > FORMAT_VERSION:
        raise CheckpointError(f"written by a newer SketchStudio (format {meta.get('format')}); "
                              "please upgrade", path=path)
    return meta


def load_strict(module: nn.Module, state_dict: Mapping[str, torch.Tensor],
                path: str | os.PathLike[str] | None = None) -> None:
    """Load with exact key and shape matching, raising `KeyMismatchError` listing the differences."""
    expected = module.state_dict()
    missing = set(expected) - set(state_dict)
    unexpected = set(state_dict) - set(expected)
    mismatched = [
        f"{k} {tuple(state_dict[k].shape)} vs {tuple(expected[k].shape)}"
        for k in set(expected) & set(state_dict)
        if tuple(state_dict[k].shape) != tuple(expected[k].shape)
    ]
    if missing or unexpected or mismatched:
        raise KeyMismatchError(path, missing, unexpected, mismatched)
    module.load_state_dict(dict(state_dict), strict=True)


def git_sha() -> str | None:
    """The checkout's commit, for provenance; None outside a git checkout."""
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and sha else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
