"""Finding, loading and saving sketch-to-image generators.

`load_generator` accepts our `.safetensors` (metadata carries the config) and, for convenience,
official `.pth` files, which it converts in memory exactly as `sketchstudio-train convert` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sketchstudio.core import resources
from sketchstudio.core.errors import UserError
from sketchstudio.s2i.convert import checkpoint_metadata, convert_official, looks_like_official
from sketchstudio.s2i.model import S2IConfig, S2IGenerator, create_s2i_model, inference_state_dict
from sketchstudio.weights.checkpoint import (
    CheckpointError,
    git_sha,
    load_safetensors,
    load_strict,
    load_torch_file,
    save_safetensors,
)

DEFAULT_CHECKPOINT_NAME = "s2i_default.safetensors"


def default_checkpoint() -> Path:
    """The shipped default generator; a `UserError` while none is shipped."""
    path = resources.models_dir() / DEFAULT_CHECKPOINT_NAME
    if not path.is_file():
        raise UserError(f"no default sketch-to-image model shipped at {path}; "
                        "pass --checkpoint (train one with `sketchstudio-train s2i` or convert an "
                        "official one with `sketchstudio-train convert`)")
    return path


def load_generator(checkpoint: str | Path | None = None) -> tuple[S2IGenerator, dict[str, Any]]:
    """(model in eval mode on the CPU, metadata). `None` means the shipped default."""
    path = default_checkpoint() if checkpoint is None else Path(checkpoint)
    if not path.is_file():
        raise CheckpointError("no such checkpoint file", path=path)
    if path.suffix == ".safetensors":
        state, meta = load_safetensors(path)
    else:
        obj = load_torch_file(path)
        if not looks_like_official(obj):
            raise CheckpointError("not a sketch-to-image checkpoint (expected our .safetensors or an "
                                  "official AE/GAN .pth)", path=path)
        state, meta = convert_official(obj, source=path)
    if not str(meta.get("kind", "")).startswith("s2i"):
        raise CheckpointError(f"holds a '{meta.get('kind', '?')}' model, not a sketch-to-image generator",
                              path=path)
    try:
        cfg = S2IConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"metadata has no usable model config ({exc})", path=path) from exc
    model = create_s2i_model(cfg)
    load_strict(model, state, path=path)
    return model.eval(), meta


def save_generator(path: str | Path, model: S2IGenerator, *, metrics: Mapping[str, Any] | None = None,
                   source: Mapping[str, Any] | None = None,
                   provenance: Mapping[str, Any] | None = None) -> None:
    """Write a generator for inference (classification head dropped) with full metadata."""
    cfg = model.config
    if cfg.nbr_cls:
        cfg = S2IConfig(nfc=cfg.nfc, im_size=cfg.im_size, nbr_cls=0, refiner=cfg.refiner)
    prov = {"git_sha": git_sha(), **dict(provenance or {})}
    meta = checkpoint_metadata(cfg, source=source, metrics=metrics, provenance=prov)
    save_safetensors(path, inference_state_dict(model), meta)
