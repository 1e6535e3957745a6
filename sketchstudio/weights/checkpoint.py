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
import math
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
MAX_HEADER_BYTES = 100_000_000
MAX_INPUT_SIZE = 4096


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
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unsupported object"
        raise CheckpointError(
            "refused: the file needs arbitrary Python objects to load, which could run code "
            f"({first[:160]})", path=path) from exc
    except (zipfile.BadZipFile, EOFError, RuntimeError, ValueError, OSError, KeyError, IndexError,
            TypeError, AttributeError, OverflowError, MemoryError, UnicodeError) as exc:
        raise CheckpointError(f"not a readable torch checkpoint ({_first_line(exc)})", path=path) from exc
    except Exception as exc:  # e.g. a SafetensorError when torch hands a damaged .safetensors on
        raise CheckpointError(f"not a readable checkpoint ({_first_line(exc)})", path=path) from exc
    _check_keys(obj, path)
    return obj


def _check_keys(obj: Any, path: Path) -> None:
    """The checkpoint's top-level keys and every state dict in it (a mapping of tensors) must be
    strings; an optimizer's integer parameter ids are left alone."""
    if not isinstance(obj, Mapping):
        return
    for mapping in (obj, *(v for v in obj.values() if isinstance(v, Mapping) and v
                           and all(isinstance(t, torch.Tensor) for t in v.values()))):
        for key in mapping:
            if not isinstance(key, str):
                raise CheckpointError(f"not a valid checkpoint (key {key!r:.40} is not a string)", path=path)


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
    meta = read_safetensors_metadata(path)  # header checks first: never read a bogus file whole
    try:
        data = path.read_bytes()
        tensors = load(data)
    except (SafetensorError, OSError, ValueError, TypeError, OverflowError, MemoryError) as exc:
        raise CheckpointError(f"not a valid safetensors file ({_first_line(exc)})", path=path) from exc
    check_tensors(tensors, path)
    return tensors, meta


def check_tensors(state: Mapping[str, Any], path: str | os.PathLike[str] | None = None) -> None:
    """CheckpointError for weights no model should run: NaN or infinite values, or dtypes that are
    neither floating point nor the integer counters batch norm keeps."""
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{key!r:.60} is not a tensor", path=path)
        if value.is_floating_point():
            if value.dtype not in (torch.float32, torch.float16, torch.bfloat16, torch.float64):
                raise CheckpointError(f"{key} has the unsupported dtype {value.dtype}", path=path)
            if value.numel() and not bool(torch.isfinite(value).all()):
                raise CheckpointError(f"{key} holds NaN or infinite values", path=path)
        elif value.dtype not in (torch.int64, torch.int32, torch.long):
            raise CheckpointError(f"{key} has the unsupported dtype {value.dtype}", path=path)


def read_safetensors_metadata(path: str | os.PathLike[str], data: bytes | None = None) -> dict[str, Any]:
    """The metadata object alone, reading only the header (cheap for model pickers). Any damage
    (empty, truncated, an absurd header length, metadata of the wrong types) is one
    CheckpointError naming the file, never another exception: the GUI lists such a file as
    unusable with this reason."""
    path = Path(path)
    try:
        if data is None:
            with open(path, "rb") as handle:
                head = handle.read(8)
                n = _header_length(head, path, os.fstat(handle.fileno()).st_size)
                header_bytes = handle.read(n)
        else:
            n = _header_length(data[:8], path, len(data))
            header_bytes = data[8:8 + n]
        header = json.loads(header_bytes.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CheckpointError(f"not a safetensors file ({_first_line(exc)})", path=path) from exc
    if not isinstance(header, dict):
        raise CheckpointError("not a safetensors file (the header is not a JSON object)", path=path)
    extra = header.get("__metadata__") or {}
    if not isinstance(extra, dict):
        raise CheckpointError("corrupt safetensors header (__metadata__ is not an object)", path=path)
    raw = extra.get(METADATA_KEY)
    if raw is None:
        raise CheckpointError("safetensors file without SketchStudio metadata "
                              "(convert foreign checkpoints with `sketchstudio-train convert`)", path=path)
    if not isinstance(raw, str):
        raise CheckpointError("corrupt SketchStudio metadata in the header (not a string)", path=path)
    try:
        meta = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise CheckpointError("corrupt SketchStudio metadata in the header", path=path) from exc
    if not isinstance(meta, dict):
        raise CheckpointError("corrupt SketchStudio metadata in the header", path=path)
    problem = _metadata_problem(meta)
    if problem is not None:
        raise CheckpointError(f"corrupt SketchStudio metadata: {problem}", path=path)
    if meta.get("format", 0) > FORMAT_VERSION:
        raise CheckpointError(f"written by a newer SketchStudio (format {meta.get('format')}); "
                              "please upgrade", path=path)
    return meta


def _header_length(head: bytes, path: Path, size: int) -> int:
    if len(head) < 8:
        raise CheckpointError("file too short to be safetensors", path=path)
    n = int.from_bytes(head, "little")
    if n > MAX_HEADER_BYTES or n > size - 8:
        raise CheckpointError("not a safetensors file (implausible header size; truncated?)", path=path)
    return n


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _metadata_problem(meta: dict[str, Any]) -> str | None:
    """What is wrong with the types of the fields every loader reads, or None."""
    fmt = meta.get("format", 0)
    if not isinstance(fmt, int) or isinstance(fmt, bool):
        return f"format must be an integer, got {fmt!r:.40}"
    for name in ("kind", "arch"):
        if name in meta and meta[name] is not None and not isinstance(meta[name], str):
            return f"{name} must be a string, got {meta[name]!r:.40}"
    if "config" in meta and meta["config"] is not None and not isinstance(meta["config"], dict):
        return f"config must be an object, got {type(meta['config']).__name__}"
    size = meta.get("input_size")
    if size is not None:
        sides = size if isinstance(size, list) else [size]
        if not 1 <= len(sides) <= 2 or not all(isinstance(v, int) and not isinstance(v, bool)
                                                  and 1 <= v <= MAX_INPUT_SIZE for v in sides):
            return f"input_size must be 1..{MAX_INPUT_SIZE} pixels, got {size!r:.40}"
    norm = meta.get("normalisation")
    if norm is not None:
        if not isinstance(norm, dict):
            return "normalisation must be an object with mean and std"
        for name in ("mean", "std"):
            values = norm.get(name)
            if values is None:
                continue
            if not isinstance(values, list) or not 1 <= len(values) <= 4 \
                    or not all(_is_number(v) for v in values):
                return f"normalisation.{name} must be 1 to 4 numbers, got {values!r:.40}"
            if name == "std" and any(v <= 0 for v in values):
                return "normalisation.std must be positive"
    return None


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
    check_tensors(state_dict, path)
    wrong = [f"{k} ({state_dict[k].dtype}, expected {expected[k].dtype})" for k in expected
             if state_dict[k].is_floating_point() != expected[k].is_floating_point()]
    if wrong:
        raise CheckpointError(f"weights of the wrong dtype: {_preview(wrong)}", path=path)
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
