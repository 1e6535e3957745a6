"""Converter for the official self-supervised sketch-to-image checkpoints.

Official layouts (read with `torch.load(weights_only=True)` by the caller):

* AE (`train_step_1_ae.py`): `{"s": StyleEncoder, "c": ContentEncoder, "d": Decoder, "opt_*": ...}`.
* GAN (`train_step_2_gan.py`): `{"ig": refiner, "id": discriminator, "ae": AE (keys
  `style_encoder.*`, `content_encoder.*`, `decoder.*`), "ig_ema": [refiner parameters, EMA],
  "opt_ig", "opt_id"}`; upstream evaluates with the EMA weights, so do we when present.

Our modules keep the official names, so the mapping is a prefix per sub-dict (`OFFICIAL_PREFIXES`);
DDP's `module.` is stripped; the training-only classification head (`final_cls.*`), optimiser
states and the discriminator are dropped. The result is loaded strictly into our model before it
is returned, so a truncated or foreign file never yields an output.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from sketchstudio.s2i.model import ARCH, RefinerConfig, S2IConfig, create_s2i_model, inference_state_dict
from sketchstudio.weights.checkpoint import CheckpointError, load_strict, strip_prefixes

OFFICIAL_PREFIXES: dict[str, str] = {"s": "style_encoder.", "c": "content_encoder.", "d": "decoder."}
GAN_REFINER_PREFIX = "refiner."
TRAINING_ONLY_PREFIXES = ("final_cls.",)
NORMALISATION = {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
SKETCH_POLARITY = "paper=+1,ink=-1"


def looks_like_official(obj: Any) -> bool:
    """True for an official AE (`s`, `c`, `d`) or GAN (`ig`, `ae`) checkpoint dict."""
    if not isinstance(obj, Mapping):
        return False
    return all(isinstance(obj.get(k), Mapping) for k in OFFICIAL_PREFIXES) or \
        all(isinstance(obj.get(k), Mapping) for k in ("ig", "ae"))


def convert_official(obj: Any, source: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Official checkpoint -> (our state dict, metadata). Raises `CheckpointError` /
    `KeyMismatchError` with one line naming the file and what does not fit."""
    if not looks_like_official(obj):
        raise CheckpointError("not an official sketch-to-image checkpoint (expected the keys "
                              "'s', 'c', 'd' of an AE or 'ig', 'ae' of a GAN)", path=source)
    ema = None
    if all(isinstance(obj.get(k), Mapping) for k in OFFICIAL_PREFIXES):
        state, fmt, refiner = _ae_state(obj, source), "official-ae", None
    else:
        state, fmt = _gan_state(obj, source), "official-gan"
        refiner = infer_refiner_config(state, source)
        ema = obj.get("ig_ema")
    cfg = infer_config(state, source, refiner=refiner)
    model = create_s2i_model(cfg)
    load_strict(model, state, path=source)
    if ema is not None:
        _load_ema(model.refiner, ema, source)
        fmt += " (EMA refiner weights)"
    kind = "s2i-gan" if refiner else "s2i-ae"
    return inference_state_dict(model), checkpoint_metadata(cfg, kind=kind, source={"file": source.name,
                                                                                       "format": fmt})


def checkpoint_metadata(cfg: S2IConfig, *, kind: str | None = None, source: Mapping[str, Any] | None = None,
                        metrics: Mapping[str, Any] | None = None,
                        provenance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The metadata every s2i checkpoint carries (it drives preprocessing)."""
    return {
        "kind": kind or ("s2i-gan" if cfg.refiner else "s2i-ae"),
        "arch": ARCH,
        "config": cfg.to_dict(),
        "input_size": cfg.im_size,
        "output_size": cfg.output_size,
        "normalisation": NORMALISATION,
        "sketch_polarity": SKETCH_POLARITY,
        "source": dict(source or {}),
        "metrics": dict(metrics or {}),
        "provenance": dict(provenance or {}),
    }


def _tensor_dict(obj: Any, name: str, source: Path) -> dict[str, torch.Tensor]:
    if not isinstance(obj, Mapping) or not obj:
        raise CheckpointError(f"'{name}' is not a non-empty state dict", path=source)
    bad = [str(k) for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckpointError(f"'{name}' holds non-tensor entries ({', '.join(bad[:3])})", path=source)
    return strip_prefixes(obj)


def _drop_training_only(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in state.items() if not k.startswith(TRAINING_ONLY_PREFIXES)}


def _ae_state(obj: Mapping[str, Any], source: Path) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = {}
    for key, prefix in OFFICIAL_PREFIXES.items():
        part = _tensor_dict(obj[key], key, source)
        if key == "s":
            part = _drop_training_only(part)
        state.update({prefix + name: value for name, value in part.items()})
    return state


def _gan_state(obj: Mapping[str, Any], source: Path) -> dict[str, torch.Tensor]:
    ae = _tensor_dict(obj["ae"], "ae", source)
    state = {k: v for k, v in ae.items() if not k.startswith("style_encoder.final_cls.")}
    refiner = _tensor_dict(obj["ig"], "ig", source)
    state.update({GAN_REFINER_PREFIX + k: v for k, v in refiner.items()})
    return state


def _load_ema(refiner: torch.nn.Module, ema: Any, source: Path) -> None:
    """Copy upstream's EMA parameter list (`list(net_ig.parameters())` order) into the refiner."""
    if not isinstance(ema, list | tuple) or not all(isinstance(t, torch.Tensor) for t in ema):
        raise CheckpointError("'ig_ema' is not a list of tensors", path=source)
    params = list(refiner.named_parameters())
    if len(params) != len(ema):
        raise CheckpointError(f"'ig_ema' has {len(ema)} tensors but the refiner has {len(params)} "
                              "parameters", path=source)
    for (name, param), value in zip(params, ema, strict=True):
        if tuple(param.shape) != tuple(value.shape):
            raise CheckpointError(f"'ig_ema' does not match 'ig' at parameter {name} "
                                  f"({tuple(value.shape)} vs {tuple(param.shape)})", path=source)
    with torch.no_grad():
        for (_, param), value in zip(params, ema, strict=True):
            param.copy_(value)


def infer_config(state: Mapping[str, torch.Tensor], source: Path, *,
                 refiner: RefinerConfig | None = None) -> S2IConfig:
    """Read nfc and im_size off the weights' shapes (our key names)."""
    try:
        nfc = int(state["style_encoder.sf_256.0.weight"].shape[0]) * 4
        base = state["decoder.base_feat"]
        im_size = int(base.shape[-1]) * 64
    except KeyError as exc:
        raise CheckpointError(f"missing the tensor {exc.args[0]!r}, so the model size cannot be told",
                              path=source) from exc
    except (IndexError, TypeError) as exc:
        raise CheckpointError("malformed tensor shapes in the style encoder or decoder", path=source) from exc
    try:
        return S2IConfig(nfc=nfc, im_size=im_size, refiner=refiner)
    except ValueError as exc:
        raise CheckpointError(f"unsupported model size ({exc})", path=source) from exc


def infer_refiner_config(state: Mapping[str, torch.Tensor], source: Path) -> RefinerConfig:
    keys = [k[len(GAN_REFINER_PREFIX):] for k in state if k.startswith(GAN_REFINER_PREFIX)]
    im_size = 1024 if any(k.startswith("decode_1024.") for k in keys) else 512
    if any(k.startswith("from_noise_32.") for k in keys):
        return RefinerConfig("art", im_size, shoe="bs_0" in keys)
    if any(k.startswith("from_style_32.") for k in keys):
        return RefinerConfig("face", im_size)
    raise CheckpointError("'ig' is neither the art nor the face refiner of the official code", path=source)


def to_official_ae(state: Mapping[str, torch.Tensor]) -> dict[str, dict[str, torch.Tensor]]:
    """Our AE state dict -> the official `{'s', 'c', 'd'}` layout (inverse of the AE mapping)."""
    out: dict[str, dict[str, torch.Tensor]] = {key: {} for key in OFFICIAL_PREFIXES}
    for name, value in state.items():
        for key, prefix in OFFICIAL_PREFIXES.items():
            if name.startswith(prefix):
                out[key][name[len(prefix):]] = value
                break
    return out
