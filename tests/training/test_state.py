"""Optimizer state survives the trip through safetensors + JSON exactly."""

from __future__ import annotations

import pytest
import torch

from sketchstudio.training.state import (
    TrainingState,
    flatten_optimizer,
    latest_checkpoint,
    load_training_state,
    mark_latest,
    save_training_state,
    unflatten_optimizer,
)


def _stepped(opt_cls: type, **kw: float) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    opt = opt_cls(model.parameters(), **kw)
    for _ in range(3):
        model(torch.randn(5, 4)).pow(2).mean().backward()
        opt.step()
        opt.zero_grad()
    return model, opt


@pytest.mark.parametrize("opt_cls, kw", [(torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
                                         (torch.optim.Adam, {"lr": 1e-3})])
def test_optimizer_state_round_trip_is_exact(tmp_path, opt_cls, kw) -> None:
    model, opt = _stepped(opt_cls, **kw)
    (tmp_path / "step_0000003.safetensors").write_bytes(b"model")
    save_training_state(tmp_path, TrainingState(3, {"main": opt.state_dict()}, {"x": {"q": torch.ones(2)}},
                                                {"note": 1}))
    mark_latest(tmp_path, 3, tmp_path / "step_0000003.safetensors")
    step, model_file = latest_checkpoint(tmp_path)
    state = load_training_state(model_file)
    assert step == state.step == 3 and state.info == {"note": 1}
    assert torch.equal(state.extra["x"]["q"], torch.ones(2))
    fresh = opt_cls(model.parameters(), **kw)
    fresh.load_state_dict(state.optimizers["main"])
    a, b = opt.state_dict(), fresh.state_dict()
    assert a["param_groups"] == b["param_groups"]
    for i, per_param in a["state"].items():
        for key, value in per_param.items():
            other = b["state"][i][key]
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(other)), key


def test_flatten_keeps_tensors_out_of_json() -> None:
    _, opt = _stepped(torch.optim.SGD, lr=0.1, momentum=0.9)
    tensors, scalars = flatten_optimizer("o", opt.state_dict())
    assert tensors and all(k.startswith("o.") is False and k.startswith("optim.o.") for k in tensors)
    restored = unflatten_optimizer("o", tensors, scalars)
    assert set(restored["state"]) == set(opt.state_dict()["state"])


def test_resume_without_a_checkpoint_is_a_user_error(tmp_path) -> None:
    from sketchstudio.core.errors import UserError

    with pytest.raises(UserError, match="no checkpoint"):
        latest_checkpoint(tmp_path)
