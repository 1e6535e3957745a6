"""ONNX export of the sketch-to-image generator, with an onnxruntime parity check.

The graph takes and returns [0, 1] images at the model's resolution, so a consumer needs no
knowledge of our internal conventions: `sketch` [B, 1, S, S] (paper 1, ink 0), `style`
[B, 3, S, S] RGB -> `image` [B, 3, S_out, S_out] RGB; the batch axis is dynamic. Spectral norms are
folded and the refiner's eval-mode noise is a constant, so the graph is deterministic. The file is
written next to the target and moved into place only after the checker (and, if asked, the
parity check) passed.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sketchstudio.core.errors import UserError
from sketchstudio.s2i.model import S2IGenerator, fold_spectral_norm
from sketchstudio.s2i.zoo import load_generator

PARITY_TOLERANCE = 1e-3


class _UnitRangeGenerator(nn.Module):
    """[0, 1] in, [0, 1] out around a generator that works in [-1, 1]."""

    def __init__(self, model: S2IGenerator) -> None:
        super().__init__()
        self.model = model

    def forward(self, sketch: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        image = self.model(sketch * 2 - 1, style * 2 - 1)
        return (image + 1) * 0.5


def export_onnx(checkpoint: Path | None, output: Path, *, opset: int = 17,
                verify: bool = True) -> dict[str, Any]:
    """Export; returns a report (`max_abs_diff` when verified). `None` = the shipped default."""
    model, meta = load_generator(checkpoint)
    return export_model(model, output, opset=opset, verify=verify, metadata=meta)


def export_model(model: S2IGenerator, output: Path, *, opset: int = 17, verify: bool = True,
                 metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    import onnx

    output = Path(output)
    if not output.parent.is_dir():
        raise UserError("the output folder does not exist", path=output.parent)
    cfg = model.config
    wrapper = _UnitRangeGenerator(fold_spectral_norm(model.eval()))
    size = cfg.im_size
    generator = torch.Generator().manual_seed(0)
    sketch = (torch.rand(2, 1, size, size, generator=generator) > 0.1).float()
    style = torch.rand(2, 3, size, size, generator=generator)
    fd, tmp_name = tempfile.mkstemp(prefix=output.name + ".", suffix=".tmp", dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The TorchScript exporter (no onnxscript dependency) warns about its own deprecation
            # and about shape-dependent Python branches, which are constant for a fixed model size.
            warnings.simplefilter("ignore")
            expected = wrapper(sketch, style)
            torch.onnx.export(
                wrapper, (sketch, style), str(tmp), input_names=["sketch", "style"], output_names=["image"],
                dynamic_axes={"sketch": {0: "batch"}, "style": {0: "batch"}, "image": {0: "batch"}},
                opset_version=opset, dynamo=False)
        onnx.checker.check_model(str(tmp))
        report: dict[str, Any] = {
            "opset": opset,
            "config": cfg.to_dict(),
            "inputs": {"sketch": [None, 1, size, size], "style": [None, 3, size, size]},
            "outputs": {"image": [None, 3, cfg.output_size, cfg.output_size]},
            "range": "[0, 1]; sketch paper 1, ink 0",
            "source_kind": (metadata or {}).get("kind"),
        }
        if verify:
            diff = _parity(tmp, sketch, style, expected)
            report["max_abs_diff"] = diff
            if not diff < PARITY_TOLERANCE:
                raise UserError(f"ONNX parity check failed: max abs diff {diff:.2e} >= {PARITY_TOLERANCE}",
                                path=output)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    return report


def _parity(path: Path, sketch: torch.Tensor, style: torch.Tensor, expected: torch.Tensor) -> float:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(["image"], {"sketch": sketch.numpy(), "style": style.numpy()})
    return float((torch.from_numpy(got) - expected).abs().max())
