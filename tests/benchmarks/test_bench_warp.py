"""Warp model latency on the CPU, as ratios against a reference path measured in the same run.

Run: `.venv/bin/pytest tests/benchmarks/test_bench_warp.py -m benchmark -s` (threads: 2, or
`SKETCHSTUDIO_BENCH_THREADS`). Timings on a machine shared with other work are noisy; the
paths are interleaved so that the ratios stay fair.

* pair: ResNet-18 at 256×256. Ours = the GUI's case after a new stroke: the photo's encoding is
  cached, the sketch is encoded (blocks 1-3 only), both flows are estimated in one batch under
  `inference_mode` and converted to a `FlowPair`. Reference = the straightforward path (as the
  official eval): both images encoded with the full backbone including block 4, the two
  directions estimated separately under `no_grad`. Also ours without the cache.
* transfer: carrying 8 points across once the flows exist (target < 1 ms).
* onnxruntime vs torch for the same flows (both on 2 threads).
* anchors: mean error of suggestions on synthetic deformations with 0, 3 and 6 confirmed anchors.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from sketchstudio.core.model import Side
from sketchstudio.warp.encoder import CondResNet
from sketchstudio.warp.flows import FlowPair
from sketchstudio.warp.model import PHOTO, SKETCH, PSCWarpModel, create_warp_model
from sketchstudio.warp.predictor import WarpPredictor
from sketchstudio.warp.preprocess import prepare
from sketchstudio.warp.refine import refine_flow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "warp"))
from warp_testing import deform, perturb_estimator

pytestmark = pytest.mark.benchmark
THREADS = int(os.environ.get("SKETCHSTUDIO_BENCH_THREADS", "2"))


def median_ms(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def interleaved_ms(fns: dict[str, Callable[[], object]], rounds: int, warmup: int = 2) -> dict[str, float]:
    """Median of each function, alternating them so a busy machine affects all alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


@pytest.fixture(scope="module")
def resnet18() -> PSCWarpModel:
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    return perturb_estimator(create_warp_model("resnet18"))


def images() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, (256, 256, 3), dtype=np.uint8),
            rng.integers(0, 256, (256, 256), dtype=np.uint8))


def reference_path(model: PSCWarpModel) -> Callable[[np.ndarray, np.ndarray], FlowPair]:
    """The straightforward path: full backbone (with block 4), no cache, two estimator calls."""
    full = CondResNet("basic", (2, 2, 2, 2), num_stages=4, shared_norms=model.config.shared_norms).eval()
    missing = full.load_state_dict(model.encoder.state_dict(), strict=False).missing_keys
    assert all(k.startswith("layer4.") for k in missing)

    def run(photo: np.ndarray, sketch: np.ndarray) -> FlowPair:
        x_p = torch.from_numpy(prepare(photo, 256))[None]
        x_s = torch.from_numpy(prepare(sketch, 256))[None]
        with torch.no_grad():
            p_maps = full(x_p, PHOTO, stages=(2, 3, 4))[:2]
            s_maps = full(x_s, SKETCH, stages=(2, 3, 4))[:2]
            p2s = model.upsample(model.estimate(s_maps, p_maps))
            s2p = model.upsample(model.estimate(p_maps, s_maps))
        return FlowPair.from_normalised(p2s[0].numpy(), s2p[0].numpy(), (256, 256), (256, 256))

    return run


def test_pair_latency_against_the_reference(resnet18: PSCWarpModel) -> None:
    photo, sketch = images()
    predictor = WarpPredictor(resnet18, device="cpu")
    reference = reference_path(resnet18)
    photo_feats = predictor.encode(photo, Side.PHOTO, "photo")
    ours = predictor.flows(photo_feats, predictor.encode(sketch, Side.SKETCH))
    ref = reference(photo, sketch)
    # the same flows (batching the two directions changes float rounding only: < 1e-4 normalised)
    np.testing.assert_allclose(ours.photo_to_sketch, ref.photo_to_sketch, atol=0.0001 * 127.5)
    np.testing.assert_allclose(ours.sketch_to_photo, ref.sketch_to_photo, atol=0.0001 * 127.5)

    def cached() -> None:  # a new stroke: the photo comes from the cache
        predictor.flows(predictor.encode(photo, Side.PHOTO, "photo"), predictor.encode(sketch, Side.SKETCH))

    def uncached() -> None:
        predictor.flows(predictor.encode(photo, Side.PHOTO), predictor.encode(sketch, Side.SKETCH))

    ms = interleaved_ms({"reference": lambda: reference(photo, sketch), "ours (photo cached)": cached,
                         "ours (no cache)": uncached}, rounds=15)
    print(f"\n[warp pair, resnet18 256×256, {THREADS} threads, median of 15]")
    for name, value in ms.items():
        print(f"  {name:<22} {value:7.1f} ms   ×{ms['reference'] / value:.2f} vs reference")
    assert ms["ours (photo cached)"] < ms["reference"]


def test_point_transfer_latency(resnet18: PSCWarpModel) -> None:
    photo, sketch = images()
    flows = WarpPredictor(resnet18, device="cpu").predict(photo, sketch)
    points = np.random.default_rng(0).uniform(0, 255, size=(8, 2))
    ms = median_ms(lambda: flows.transfer(points, Side.PHOTO), repeats=500, warmup=20)
    one = median_ms(lambda: flows.transfer(points[:1], Side.PHOTO), repeats=500, warmup=20)
    print(f"\n[point transfer with confidence] 8 points {1000 * ms:.0f} µs, 1 point {1000 * one:.0f} µs")
    assert ms < 1.0


def test_onnxruntime_against_torch(resnet18: PSCWarpModel, tmp_path: Path) -> None:
    from sketchstudio.warp.onnx_export import export_model, ort_session

    path = tmp_path / "warp_r18.onnx"
    report = export_model(resnet18, path)
    session = ort_session(path, threads=THREADS)
    photo, sketch = (torch.from_numpy(prepare(img, 256))[None] for img in images())
    feeds = {"photo": photo.numpy(), "sketch": sketch.numpy()}

    def run_torch() -> None:
        with torch.inference_mode():
            resnet18(photo, sketch)

    ms = interleaved_ms({"torch": run_torch, "onnxruntime": lambda: session.run(None, feeds)}, rounds=10)
    print(f"\n[flows, both images + both directions, resnet18 256×256, {THREADS} threads, median of 10]"
          f"\n  torch {ms['torch']:.1f} ms, onnxruntime {ms['onnxruntime']:.1f} ms "
          f"(×{ms['torch'] / ms['onnxruntime']:.2f}); max abs diff {report['max_abs_diff']:.1e}")
    assert report["max_abs_diff"] < 1e-4


def test_anchor_refinement_on_synthetic_deformations() -> None:
    errors: dict[int, list[float]] = {0: [], 3: [], 6: []}
    for seed in range(40):
        rng = np.random.default_rng(1000 + seed)
        anchors = rng.uniform(30, 226, size=(6, 2))
        held_out = rng.uniform(20, 236, size=(100, 2))
        truth = deform(held_out, seed)
        flows = FlowPair.identity((256, 256), (256, 256))
        for k in errors:
            refined = refine_flow(flows, anchors[:k], deform(anchors[:k], seed)) if k else flows
            out, _ = refined.transfer(held_out, Side.PHOTO)
            errors[k].append(float(np.linalg.norm(out - truth, axis=1).mean()))
    means = {k: float(np.mean(v)) for k, v in errors.items()}
    print("\n[anchors, identity + refinement, 40 synthetic deformations] mean error: "
          + ", ".join(f"{k} anchors {v:.1f} px" for k, v in means.items()))
    assert means[6] < means[3] < means[0]
