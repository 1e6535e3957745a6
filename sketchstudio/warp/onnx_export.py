"""Export the warp model to ONNX and check that onnxruntime reproduces torch's flows.

The graph takes `photo` and `sketch` (N, 3, S, S), already normalised as in
`sketchstudio.warp.preprocess`, and returns `photo_to_sketch` and `sketch_to_photo`
(N, S, S, 2) in [-1, 1], the flows `PSCWarpModel.forward` returns (convert them with
`FlowPair.from_normalised`). The checkpoint's metadata is stored in the model's
`metadata_props` under `sketchstudio`. The file is written to a temporary name, checked, compared
with torch, and only then moved into place.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sketchstudio.core.errors import UserError
from sketchstudio.warp.checkpoints import load_warp_model
from sketchstudio.warp.model import PSCWarpModel
from sketchstudio.weights.checkpoint import METADATA_KEY

TOLERANCE = 1e-4
INPUT_NAMES = ("photo", "sketch")
OUTPUT_NAMES = ("photo_to_sketch", "sketch_to_photo")


class ExportError(UserError):
    """The exported graph is invalid or does not reproduce the torch model."""


def export_onnx(checkpoint: Path | None, output: Path, *, opset: int = 17, verify: bool = True
                ) -> dict[str, Any]:
    """Export the warp model in `checkpoint` (None = the shipped default) to `output`."""
    model, meta = load_warp_model(checkpoint)
    return export_model(model, Path(output), metadata=meta, opset=opset, verify=verify)


def export_model(model: PSCWarpModel, output: Path, *, metadata: dict[str, Any] | None = None,
                 opset: int = 17, verify: bool = True, seed: int = 0) -> dict[str, Any]:
    import onnx

    if opset < 16:
        raise ExportError(f"opset {opset} is too old: GridSample needs opset 16 or newer")
    model = model.eval().cpu()
    size = model.config.input_size
    generator = torch.Generator().manual_seed(seed)
    inputs = tuple(torch.randn(1, 3, size, size, generator=generator) for _ in INPUT_NAMES)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            # The tracer warns about shape checks that are constants for a fixed input size; the
            # TorchScript exporter is deprecated, but the dynamo one needs onnxscript.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", message="Constant folding")
            torch.onnx.export(model, inputs, str(tmp), input_names=list(INPUT_NAMES),
                              output_names=list(OUTPUT_NAMES), opset_version=opset, dynamo=False,
                              dynamic_axes={n: {0: "batch"} for n in INPUT_NAMES + OUTPUT_NAMES})
        graph = onnx.load(str(tmp))
        onnx.checker.check_model(graph)
        if metadata:
            entry = graph.metadata_props.add()
            entry.key, entry.value = METADATA_KEY, json.dumps(metadata, sort_keys=True, default=str)
            onnx.save(graph, str(tmp))
        report: dict[str, Any] = {"opset": opset, "inputs": {n: [1, 3, size, size] for n in INPUT_NAMES},
                                  "outputs": {n: [1, size, size, 2] for n in OUTPUT_NAMES},
                                  "checker": "passed", "bytes": tmp.stat().st_size}
        if verify:
            diff = max_abs_diff(model, tmp, inputs)
            report.update(max_abs_diff=diff, tolerance=TOLERANCE)
            if not diff < TOLERANCE:
                raise ExportError(f"onnxruntime's flows differ from torch's by {diff:.3g} "
                                  f"(tolerance {TOLERANCE:g}); nothing written", path=output)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    return report


def max_abs_diff(model: PSCWarpModel, onnx_path: Path, inputs: tuple[torch.Tensor, ...]) -> float:
    """Largest absolute difference between torch's and onnxruntime's outputs for `inputs`."""
    session = ort_session(onnx_path)
    with torch.inference_mode():
        expected = [t.numpy() for t in model(*inputs)]
    got = session.run(list(OUTPUT_NAMES), {n: t.numpy() for n, t in zip(INPUT_NAMES, inputs)})
    return float(max(np.abs(e - g).max() for e, g in zip(expected, got)))


def ort_session(onnx_path: Path, threads: int | None = None) -> Any:
    """An onnxruntime CPU session (raises a `UserError` when onnxruntime is not installed)."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ExportError("onnxruntime is not installed; install it or pass --no-verify") from exc
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
