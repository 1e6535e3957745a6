"""Converter for the official PSCNet checkpoints (`psc_resnet18.pth.tar`, `psc_resnet101.pth.tar`).

The official file is `{"epoch", "arch", "state_dict", "optimizer"}`; `state_dict` keys carry
DDP's `module.` prefix and hold the whole training model. The mapping onto our inference model:

| official key | ours |
|---|---|
| `encoder_q.<name>` (conv1, bn1, layer1–3) | `encoder.<name>` |
| `stn.<name>` | `stn.<name>` |
| `framework.encoder_q.*` | alias of `encoder_q.*` (checked identical when both exist, dropped) |
| `encoder_q.layer4.*` | not used for correspondence (dropped) |
| `encoder_k.*`, `framework.encoder_k.*` | momentum encoder, training only (dropped) |
| `framework.fc_q/fc_k.*`, `framework.queue(_ptr)`, `pos_map` | training only (dropped) |

Anything else is an unexpected key. The weights are loaded strictly into our model before the
converter returns, so a wrong or truncated file fails with the missing/unexpected keys named.
The released files' `norms.0`/`norms.1` are one shared module; when every such pair is
identical the model is rebuilt with `shared_norms=True`, otherwise with separate norms.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from sketchstudio import __version__
from sketchstudio.warp.config import ARCHS, IMAGENET_MEAN, IMAGENET_STD, WarpConfig
from sketchstudio.warp.model import PSCWarpModel
from sketchstudio.weights.checkpoint import CheckpointError, git_sha, load_strict, strip_prefixes

SOURCE_FORMAT = "pscnet-official"

RENAMES = (("encoder_q.", "encoder."), ("stn.", "stn."))
ALIAS_PREFIX = "framework.encoder_q."
TRAINING_ONLY_PREFIXES = ("encoder_k.", "framework.encoder_k.", "framework.fc_q.", "framework.fc_k.")
TRAINING_ONLY_KEYS = ("framework.queue", "framework.queue_ptr", "pos_map")
UNUSED_PREFIXES = ("encoder_q.layer4.", "encoder_q.fc.")

PUBLISHED_PCK = {
    "resnet18": {"pck@0.05": 0.5638, "pck@0.10": 0.8322},
    "resnet101": {"pck@0.05": 0.5800, "pck@0.10": 0.8493},
}
"""PSC6K test PCK reported by Lu et al. (ICML 2023) for the released checkpoints."""


def looks_like_official(obj: Any) -> bool:
    """An official PSCNet checkpoint dict, or its bare state dict."""
    state = obj.get("state_dict", obj) if isinstance(obj, Mapping) else None
    if not isinstance(state, Mapping):
        return False
    keys = [k for k in state if isinstance(k, str)]
    return any(k.removeprefix("module.").startswith("stn.net_") for k in keys) and \
        any("encoder_q." in k for k in keys)


def convert_official(obj: Any, source: Path, *, arch: str | None = None
                     ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(our state dict, metadata) for an official checkpoint; strict-loads before returning."""
    model, meta = load_official(obj, source, arch=arch)
    return dict(model.state_dict()), meta


def load_official(obj: Any, source: Path, *, arch: str | None = None) -> tuple[PSCWarpModel, dict[str, Any]]:
    """Our model (eval mode, CPU) holding an official checkpoint's weights, and its metadata."""
    source = Path(source)
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"not a PSCNet checkpoint (a {type(obj).__name__}, expected a dict)",
                              path=source)
    raw = obj.get("state_dict", obj)
    if not isinstance(raw, Mapping) or not all(isinstance(v, torch.Tensor) for v in raw.values()):
        raise CheckpointError("not a PSCNet checkpoint ('state_dict' is not a mapping of tensors)",
                              path=source)
    state = strip_prefixes(raw)
    file_arch = obj.get("arch") if "state_dict" in obj else None
    chosen = _choose_arch(file_arch, arch, state, source)
    mapped = map_official_keys(state, source)
    config = WarpConfig(arch=chosen, corr_layers=_corr_layers(mapped, source),
                        shared_norms=_norms_are_shared(mapped))
    model = PSCWarpModel(config).eval()
    load_strict(model, mapped, path=source)
    return model, official_metadata(config, source, obj)


def map_official_keys(state: Mapping[str, torch.Tensor], source: Path | None = None
                      ) -> dict[str, torch.Tensor]:
    """Official keys (without `module.`) to ours; unknown keys pass through to be reported."""
    out: dict[str, torch.Tensor] = {}
    aliases: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key in TRAINING_ONLY_KEYS or key.startswith(TRAINING_ONLY_PREFIXES + UNUSED_PREFIXES):
            continue
        if key.startswith(ALIAS_PREFIX):
            aliases["encoder_q." + key[len(ALIAS_PREFIX):]] = value
            continue
        out[_rename(key)] = value
    for key, value in aliases.items():
        ours = _rename(key)
        if ours in out and not _same_tensor(out[ours], value):
            raise CheckpointError(f"'framework.{key}' differs from '{key}' (they should be one tensor)",
                                  path=source)
    return out


def official_metadata(config: WarpConfig, source: Path, obj: Mapping[str, Any]) -> dict[str, Any]:
    size = config.input_size
    published = PUBLISHED_PCK.get(config.arch)
    epoch = obj.get("epoch")
    return {
        "kind": "warp",
        "arch": config.arch,
        "config": config.to_dict(),
        "input_size": [size, size],
        "normalisation": {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
        "source": {
            "format": SOURCE_FORMAT,
            "file": source.name,
            "sha256": _sha256(source),
            "epoch": int(epoch) if isinstance(epoch, int | torch.Tensor) else None,
            "code": "github.com/cogtoolslab/photo-sketch-correspondence",
        },
        "metrics": ({"psc6k_published": {**published, "source": "Lu et al., ICML 2023"}}
                    if published else {}),
        "provenance": {
            "converted_by": f"sketchstudio {__version__}",
            "git_sha": git_sha(),
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        },
    }


def infer_arch(state: Mapping[str, torch.Tensor]) -> str | None:
    """The ResNet depth from the blocks present (`encoder_q.layerN.M.`), None if unclear."""
    blocks: dict[int, set[int]] = {}
    bottleneck = False
    for key in state:
        parts = key.split(".")
        if len(parts) > 3 and parts[0] == "encoder_q" and parts[1].startswith("layer"):
            blocks.setdefault(int(parts[1][5:]), set()).add(int(parts[2]))
            bottleneck = bottleneck or parts[3] == "conv3"
    counts = tuple(len(blocks.get(i, ())) for i in (1, 2, 3, 4))
    kind = "bottleneck" if bottleneck else "basic"
    for name, (block, layers) in ARCHS.items():
        if block == kind and layers == counts:
            return name
    return None


def _choose_arch(file_arch: Any, asked: str | None, state: Mapping[str, torch.Tensor], source: Path) -> str:
    if file_arch is not None and not isinstance(file_arch, str):
        raise CheckpointError(f"'arch' is a {type(file_arch).__name__}, expected a name", path=source)
    if file_arch and asked and file_arch != asked:
        raise CheckpointError(f"the checkpoint is '{file_arch}' but arch '{asked}' was asked for",
                              path=source)
    chosen = file_arch or asked or infer_arch(state)
    if chosen is None:
        raise CheckpointError("cannot tell the architecture: no 'arch' entry and unrecognised blocks "
                              "(pass --arch)", path=source)
    if chosen not in ARCHS:
        raise CheckpointError(f"unsupported arch '{chosen}' (supported: {', '.join(ARCHS)})", path=source)
    return chosen


def _corr_layers(state: Mapping[str, torch.Tensor], source: Path) -> tuple[int, ...]:
    """The official model correlates blocks [2, 3] by default, or [3] alone (`--layer 3`); the
    estimator's input width (16·16 per block) tells which."""
    weight = state.get("stn.net_4x.0.weight")
    if weight is None or weight.ndim != 4:
        return (2, 3)  # let the strict load report the missing key
    n_maps, rest = divmod(int(weight.shape[1]), 16 * 16)
    if rest or n_maps not in (1, 2):
        raise CheckpointError(f"unexpected estimator input width {weight.shape[1]} "
                              "(expected 256 or 512 correlation channels)", path=source)
    return (3,) if n_maps == 1 else (2, 3)


def _norms_are_shared(state: Mapping[str, torch.Tensor]) -> bool:
    pairs = [(v, state.get(k.replace(".norms.0.", ".norms.1.")))
             for k, v in state.items() if ".norms.0." in k]
    return bool(pairs) and all(other is not None and _same_tensor(v, other) for v, other in pairs)


def _same_tensor(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.data_ptr() == b.data_ptr() and a.stride() == b.stride():
        return True
    return bool(torch.equal(a, b))


def _rename(key: str) -> str:
    for old, new in RENAMES:
        if key.startswith(old):
            return new + key[len(old):]
    return key


def _sha256(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None
