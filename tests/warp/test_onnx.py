"""ONNX export: the checker passes and onnxruntime reproduces torch's flows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from sketchstudio.training.cli import main as train_main
from sketchstudio.warp.model import PSCWarpModel
from sketchstudio.warp.onnx_export import ExportError, export_model, ort_session


def test_export_reproduces_torch_flows(tmp_path: Path, tiny: PSCWarpModel) -> None:
    out = tmp_path / "warp.onnx"
    report = export_model(tiny, out, metadata={"kind": "warp", "arch": "resnet18"})
    assert report["checker"] == "passed" and report["max_abs_diff"] < 1e-4
    graph = onnx.load(str(out))
    props = {p.key: p.value for p in graph.metadata_props}
    assert json.loads(props["sketchstudio"])["kind"] == "warp"
    # a batch of two new inputs, not the ones used during export
    photo, sketch = torch.randn(2, 3, 64, 64), torch.randn(2, 3, 64, 64)
    got = ort_session(out).run(None, {"photo": photo.numpy(), "sketch": sketch.numpy()})
    with torch.inference_mode():
        expected = tiny(photo, sketch)
    for e, g in zip(expected, got):
        assert g.shape == (2, 64, 64, 2)
        np.testing.assert_allclose(g, e.numpy(), atol=1e-4)
    assert np.abs(got[0] - got[1]).max() > 1e-3  # the two flows differ: a meaningful comparison


def test_export_cli(tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.onnx"
    assert train_main(["export-onnx", "--checkpoint", str(tiny_checkpoint), "-o", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["max_abs_diff"] < 1e-4 and out.is_file()


def test_old_opset_is_refused_and_nothing_is_written(tmp_path: Path, tiny: PSCWarpModel) -> None:
    out = tmp_path / "old.onnx"
    with pytest.raises(ExportError, match="opset 13"):
        export_model(tiny, out, opset=13)
    assert not out.exists() and not list(tmp_path.iterdir())
