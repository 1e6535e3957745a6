"""Fixtures for the warp tests (helpers live in `warp_testing.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from warp_testing import tiny_model

from sketchstudio.warp.checkpoints import save_warp_model
from sketchstudio.warp.model import PSCWarpModel


@pytest.fixture(autouse=True)
def _few_threads() -> None:
    torch.set_num_threads(2)


@pytest.fixture
def tiny() -> PSCWarpModel:
    return tiny_model()


@pytest.fixture
def tiny_checkpoint(tmp_path: Path, tiny: PSCWarpModel) -> Path:
    path = tmp_path / "tiny.safetensors"
    save_warp_model(path, tiny, metrics={"note": "test"})
    return path
