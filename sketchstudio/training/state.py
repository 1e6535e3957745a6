"""Resumable training state next to each checkpoint, stored without pickle.

A checkpoint at step N in RUN_DIR is three files, written in this order:

* `step_000N.safetensors`: the model in our format (what the app loads), metadata with config,
  step, metrics and git SHA;
* `step_000N.state.safetensors`: every other tensor training needs: optimizer state (flattened
  as `optim.<name>.<param index>.<key>`), training-only modules (MoCo key encoder, queue,
  discriminator, ...) as `extra.<name>.<key>`, the GradScaler's scale, RNG states;
* `step_000N.state.json`: the optimizers' non-tensor parts (param groups, scalar state), step.

`latest.json` is then replaced atomically to point at the new step, so a run killed while
writing resumes from the previous complete checkpoint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from sketchstudio.core.atomic import atomic_write_bytes, atomic_write_text
from sketchstudio.core.errors import UserError
from sketchstudio.weights.checkpoint import CheckpointError

LATEST = "latest.json"
STEP_RE = re.compile(r"step_(\d+)\.safetensors$")


def checkpoint_name(step: int) -> str:
    return f"step_{step:07d}"


def flatten_optimizer(name: str, state: Mapping[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split `optimizer.state_dict()` into tensors (for safetensors) and JSON-able scalars."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {"param_groups": state["param_groups"], "state": {}}
    for index, per_param in state["state"].items():
        plain: dict[str, Any] = {}
        for key, value in per_param.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{name}.{index}.{key}"] = value
            else:
                plain[key] = value
        scalars["state"][str(index)] = plain
    return tensors, scalars


def unflatten_optimizer(name: str, tensors: Mapping[str, torch.Tensor], scalars: Mapping[str, Any]
                        ) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {int(i): dict(v) for i, v in scalars["state"].items()}
    prefix = f"optim.{name}."
    for key, value in tensors.items():
        if key.startswith(prefix):
            index, item = key[len(prefix):].split(".", 1)
            state.setdefault(int(index), {})[item] = value
    # JSON turned tuples (Adam's betas) into lists; optimizers expect them back as they were.
    groups = [{k: (tuple(v) if isinstance(v, list) and k != "params" else v) for k, v in g.items()}
              for g in scalars["param_groups"]]
    return {"state": state, "param_groups": groups}


@dataclass
class TrainingState:
    """Everything beyond the model file that a resumed run needs."""

    step: int
    optimizers: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> state_dict()
    extra: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)  # name -> tensors
    info: dict[str, Any] = field(default_factory=dict)  # JSON-able (scaler scale, best metric, ...)
    model_file: Path | None = None  # the checkpoint's model weights (set when loading)


def save_training_state(run_dir: Path, state: TrainingState) -> Path:
    """Write the `.state.*` companions of step `state.step` (call after the model file)."""
    from safetensors.torch import save

    base = run_dir / checkpoint_name(state.step)
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    for name, opt_state in state.optimizers.items():
        t, s = flatten_optimizer(name, opt_state)
        tensors.update(t)
        scalars[name] = s
    for name, module_tensors in state.extra.items():
        for key, value in module_tensors.items():
            tensors[f"extra.{name}.{key}"] = value
    blob = save({k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()})
    atomic_write_bytes(base.with_suffix(".state.safetensors"), blob)
    atomic_write_text(base.with_suffix(".state.json"),
                      json.dumps({"step": state.step, "optimizers": scalars, "info": state.info},
                                 indent=1, default=_plain))
    return base


def mark_latest(run_dir: Path, step: int, model_file: Path) -> None:
    atomic_write_text(run_dir / LATEST, json.dumps({"step": step, "model": model_file.name}) + "\n")


def latest_checkpoint(run_dir: Path) -> tuple[int, Path]:
    """(step, model file) of the newest complete checkpoint in `run_dir`; UserError if none."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError("run folder to resume from not found", path=run_dir)
    pointer = run_dir / LATEST
    if not pointer.is_file():
        raise UserError(f"no checkpoint to resume from (no {LATEST})", path=run_dir)
    try:
        data = json.loads(pointer.read_text(encoding="utf-8"))
        step, model = int(data["step"]), run_dir / str(data["model"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"unreadable ({exc})", path=pointer) from exc
    for path in (model, model.with_suffix(".state.safetensors"), model.with_suffix(".state.json")):
        if not path.is_file():
            raise CheckpointError("checkpoint file missing; cannot resume", path=path)
    return step, model


def load_training_state(model_file: Path, device: torch.device | str = "cpu") -> TrainingState:
    from safetensors import SafetensorError
    from safetensors.torch import load

    tensor_file = model_file.with_suffix(".state.safetensors")
    json_file = model_file.with_suffix(".state.json")
    try:
        tensors = load(tensor_file.read_bytes())
    except (OSError, SafetensorError) as exc:
        raise CheckpointError(f"unreadable training state ({exc})", path=tensor_file) from exc
    try:
        data = json.loads(json_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"unreadable training state ({exc})", path=json_file) from exc
    tensors = {k: v.to(device) for k, v in tensors.items()}
    optimizers = {name: unflatten_optimizer(name, tensors, scalars)
                  for name, scalars in data.get("optimizers", {}).items()}
    extra: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("extra."):
            name, item = key[len("extra."):].split(".", 1)
            extra.setdefault(name, {})[item] = value
    return TrainingState(int(data["step"]), optimizers, extra, dict(data.get("info") or {}), model_file)


def _plain(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.item() if obj.numel() == 1 else obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
