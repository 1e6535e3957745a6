"""Helpers for the warp tests: tiny models and official-layout checkpoints built from the
key manifests shipped in tests/warp/data (see its README)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import torch

from sketchstudio.warp.estimator import identity_grid
from sketchstudio.warp.model import PSCWarpModel, create_warp_model

REFERENCE_DIR = Path(__file__).resolve().parent / "data"


def perturb_estimator(model: PSCWarpModel, head_std: float = 0.002, seed: int = 0) -> PSCWarpModel:
    """Random estimator weights of a sensible scale, so flows depend on the images (an untrained
    estimator returns the identity)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name in model.stn.block_names:
            block = getattr(model.stn, name)
            convs = [m for m in block if isinstance(m, torch.nn.Conv2d)]
            for conv in convs:
                fan_in = conv.weight[0].numel()
                std = head_std / fan_in ** 0.5 if conv is convs[-1] else (2.0 / fan_in) ** 0.5
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * std)
    return model.eval()


def tiny_model(arch: str = "resnet18", seed: int = 0, **cfg) -> PSCWarpModel:
    torch.manual_seed(seed)
    return perturb_estimator(create_warp_model(arch, preset="tiny", **cfg), seed=seed)


def reference_listing(arch: str) -> dict:
    path = REFERENCE_DIR / f"psc_{arch}_state_dict.json.gz"
    return json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))


def official_state_from_listing(arch: str, *, seed: int = 0, separate_norms: bool = False
                                ) -> dict[str, torch.Tensor]:
    """Every key of the official model with its shape and random values, aliases sharing one
    tensor as in the released files, keys prefixed with `module.` (DDP)."""
    listing = reference_listing(arch)
    gen = torch.Generator().manual_seed(seed)
    state: dict[str, torch.Tensor] = {}
    for entry in listing["entries"]:
        key, shape, alias = entry["key"], entry["shape"], entry["alias_of"]
        if separate_norms and ".norms.1." in key:  # as if trained with truly separate norms
            alias = key.removeprefix("framework.") if key.startswith("framework.") else None
        if alias is not None:
            state[key] = state[alias]
            continue
        if entry["dtype"] == "int64":
            state[key] = torch.randint(0, 100, shape, generator=gen, dtype=torch.int64)
        elif key == "stn.base_map":
            state[key] = identity_grid(shape[1])
        elif not entry["used_in_inference"]:
            state[key] = torch.zeros(shape)
        elif key.endswith("running_var"):
            state[key] = torch.rand(shape, generator=gen) + 0.5
        else:
            state[key] = torch.randn(shape, generator=gen) * 0.02
    return {"module." + k: v for k, v in state.items()}


def official_checkpoint(path: Path, arch: str = "resnet18", **kwargs) -> Path:
    torch.save({"epoch": 1500, "arch": arch, "state_dict": official_state_from_listing(arch, **kwargs),
                "optimizer": {"state": {}, "param_groups": [{"lr": 0.003, "params": [0, 1]}]}}, path)
    return path


def deform(points: np.ndarray, seed: int) -> np.ndarray:
    """A smooth synthetic photo→sketch deformation: affine plus a gentle wave (pixels)."""
    rng = np.random.default_rng(seed)
    angle, scale = rng.uniform(-0.15, 0.15), rng.uniform(0.85, 1.15)
    shift = rng.uniform(-20, 20, size=2)
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    centre = np.array([127.5, 127.5])
    p = points - centre
    out = np.column_stack([c * p[:, 0] - s * p[:, 1], s * p[:, 0] + c * p[:, 1]]) + centre + shift
    amp = rng.uniform(3, 8)
    out[:, 0] += amp * np.sin(points[:, 1] / 40.0)
    out[:, 1] += amp * np.cos(points[:, 0] / 50.0)
    return out
