from __future__ import annotations

from pathlib import Path

import pytest
import torch


@pytest.fixture(autouse=True)
def _two_threads() -> None:
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small procedural data set in the Sketchy layout, shared by the training tests."""
    from sketchstudio.training.synth_dataset import write_synthetic_dataset

    root = tmp_path_factory.mktemp("synth")
    write_synthetic_dataset(root, 12, seed=0, test_fraction=0.25, size=64, workers=1)
    return root

