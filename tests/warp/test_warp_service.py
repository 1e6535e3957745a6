"""The Qt-free service the GUI worker calls: steps, cancellation, fallback, anchors, lazy torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from sketchstudio.core.model import Side
from sketchstudio.inference.warp_service import (
    STEP_ENCODE_PHOTO,
    STEP_ENCODE_SKETCH,
    STEP_ESTIMATE,
    STEP_LOAD,
    WarpService,
)

PHOTO = np.full((64, 64, 3), 200, np.uint8)
SKETCH = np.full((64, 64), 255, np.uint8)


def run_steps(gen):
    steps = []
    try:
        while True:
            steps.append(next(gen))
    except StopIteration as done:
        return steps, done.value


def test_steps_then_flows(tiny_checkpoint: Path) -> None:
    service = WarpService(tiny_checkpoint, device="cpu", fallback_to_identity=False)
    assert not service.loaded
    steps, flows = run_steps(service.flow_steps(PHOTO, SKETCH, photo_key="p"))
    assert steps == [STEP_LOAD, STEP_ENCODE_PHOTO, STEP_ENCODE_SKETCH, STEP_ESTIMATE]
    assert flows.photo_to_sketch.shape == (64, 64, 2) and flows.model_id == "tiny.safetensors"
    steps, _ = run_steps(service.flow_steps(PHOTO, SKETCH, photo_key="p"))
    assert steps[0] == STEP_ENCODE_PHOTO  # loaded once


def test_cancel_between_steps_returns_none(tiny_checkpoint: Path) -> None:
    service = WarpService(tiny_checkpoint, device="cpu")
    seen: list[str] = []
    result = service.compute_flows(PHOTO, SKETCH, cancelled=lambda: STEP_ENCODE_PHOTO in seen,
                                   progress=seen.append)
    assert result is None and seen == [STEP_LOAD, STEP_ENCODE_PHOTO]
    assert service.compute_flows(PHOTO, SKETCH) is not None


def test_falls_back_to_identity_without_a_model(no_shipped_models: Path) -> None:
    service = WarpService(None)
    flows = service.compute_flows(PHOTO, SKETCH)
    assert service.model_id == "identity" and "no default warp model shipped" in service.warning
    refined = service.with_anchors(flows, [((10.0, 10.0), (14.0, 12.0))])
    out, _ = refined.transfer([[10.0, 10.0]], Side.PHOTO)
    np.testing.assert_allclose(out, [[14.0, 12.0]], atol=1e-3)
    assert service.with_anchors(flows, []) is flows


def test_importing_the_service_does_not_import_torch() -> None:
    code = ("import sys, sketchstudio.inference.warp_service, sketchstudio.warp.flows, "
            "sketchstudio.warp.refine; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
