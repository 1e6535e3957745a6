"""Reading and writing warp checkpoints: our safetensors format, or an official `.pth.tar`.

`load_warp_model(path)` accepts either (told apart by the file's first bytes, not its name) and
returns the model in eval mode with the metadata that drives preprocessing. `None` means the
shipped default model.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from sketchstudio import __version__
from sketchstudio.warp.config import IMAGENET_MEAN, IMAGENET_STD, ConfigError, WarpConfig
from sketchstudio.warp.model import PSCWarpModel
from sketchstudio.weights.checkpoint import (
    CheckpointError,
    git_sha,
    load_safetensors,
    load_strict,
    load_torch_file,
    save_safetensors,
)

KIND = "warp"


def is_safetensors(path: Path) -> bool:
    """safetensors files start with an 8-byte header length and a JSON object."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(9)
    except OSError:
        return False
    return len(head) == 9 and head[8:9] == b"{"


def load_warp_model(checkpoint: str | Path | None, *, arch: str | None = None
                    ) -> tuple[PSCWarpModel, dict[str, Any]]:
    """(model on the CPU in eval mode, metadata) from our format or an official checkpoint."""
    from sketchstudio.warp import zoo

    path = zoo.default_checkpoint() if checkpoint is None else Path(checkpoint)
    if not path.is_file():
        raise CheckpointError("no such checkpoint file", path=path)
    if is_safetensors(path):
        return _load_ours(path, arch)
    from sketchstudio.warp.convert import load_official, looks_like_official

    obj = load_torch_file(path)
    if not looks_like_official(obj):
        raise CheckpointError("not a warp checkpoint (neither SketchStudio safetensors nor an official "
                              "PSCNet .pth.tar holding 'encoder_q.*' and 'stn.*')", path=path)
    return load_official(obj, path, arch=arch)


def _load_ours(path: Path, arch: str | None) -> tuple[PSCWarpModel, dict[str, Any]]:
    state, meta = load_safetensors(path)
    kind = meta.get("kind")
    if kind != KIND:
        raise CheckpointError(f"this is a '{kind}' checkpoint, not a warp model", path=path)
    if arch and meta.get("arch") and meta["arch"] != arch:
        raise CheckpointError(f"the checkpoint is '{meta['arch']}' but arch '{arch}' was asked for",
                              path=path)
    config_data = dict(meta.get("config") or {})
    config_data.setdefault("arch", meta.get("arch") or arch or "resnet18")
    try:
        config = WarpConfig.from_dict(config_data)
    except ConfigError as exc:
        raise CheckpointError(f"bad model config in the metadata: {exc.detail}", path=path) from exc
    model = PSCWarpModel(config).eval()
    load_strict(model, state, path=path)
    return model, meta


def warp_metadata(config: WarpConfig, *, source: dict[str, Any] | None = None,
                  metrics: dict[str, Any] | None = None, provenance: dict[str, Any] | None = None,
                  mean: tuple[float, ...] = IMAGENET_MEAN, std: tuple[float, ...] = IMAGENET_STD
                  ) -> dict[str, Any]:
    """The metadata our warp checkpoints carry (see `sketchstudio.weights.checkpoint`)."""
    return {
        "kind": KIND,
        "arch": config.arch,
        "config": config.to_dict(),
        "input_size": [config.input_size, config.input_size],
        "normalisation": {"mean": list(mean), "std": list(std)},
        "source": source or {"format": "sketchstudio"},
        "metrics": metrics or {},
        "provenance": {
            "written_by": f"sketchstudio {__version__}",
            "git_sha": git_sha(),
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            **(provenance or {}),
        },
    }


def save_warp_model(path: str | Path, model: PSCWarpModel, **metadata: Any) -> None:
    """Write `model` atomically with `warp_metadata(model.config, **metadata)`."""
    save_safetensors(path, model.state_dict(), warp_metadata(model.config, **metadata))
