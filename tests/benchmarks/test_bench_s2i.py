"""Sketch-to-image render latency on the CPU: our default-size model against the official AE shape.

Reference path, measured in the same run: the official autoencoder's shape (nfc 64, inputs
resized to 512, 512 output) through the same renderer. Both are timed as a full render (style
encoder included) and as a re-render with a cached style (the GUI's case while the user draws).
Run: `pytest tests/benchmarks/test_bench_s2i.py -m benchmark -s`.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from sketchstudio.s2i.model import PRESETS, create_s2i_model
from sketchstudio.s2i.renderer import S2IRenderer

pytestmark = pytest.mark.benchmark

REPEATS = 7


def _inputs() -> tuple[Image.Image, Image.Image]:
    sketch = Image.new("L", (256, 256), 255)
    draw = ImageDraw.Draw(sketch)
    for i in range(10):
        draw.line((10 + 20 * i, 20, 240 - 15 * i, 230), fill=0, width=2)
    rng = np.random.default_rng(0)
    style = Image.fromarray(rng.integers(0, 256, (384, 384, 3), dtype=np.uint8))
    return sketch, style


def _median_ms(fn, repeats: int = REPEATS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _measure(renderer: S2IRenderer, size: int) -> dict[str, float]:
    sketch, style = _inputs()

    def full() -> None:
        renderer.clear_cache()
        renderer.render(sketch, style, size)

    def cached() -> None:
        renderer.render(sketch, style, size)

    return {"full": _median_ms(full), "cached": _median_ms(cached)}


def test_render_latency_against_the_official_ae_shape() -> None:
    torch.set_num_threads(2)
    torch.manual_seed(0)
    ours = S2IRenderer(create_s2i_model(PRESETS["small"]), device="cpu")
    reference = S2IRenderer(create_s2i_model(PRESETS["official-ae"]), device="cpu")
    rows = []
    for size in (256, 512):
        mine, ref = _measure(ours, size), _measure(reference, size)
        rows.append((size, mine, ref))
    print("\ns2i render latency, CPU, 2 threads, median of", REPEATS)
    print(f"{'output':>7} | {'ours full':>9} {'ours cached':>11} | {'ref full':>9} {'ref cached':>10} | "
          f"{'speed-up full':>13} {'cache saves (ours/ref)':>22}")
    for size, mine, ref in rows:
        print(f"{size:>6}² | {mine['full']:8.1f}ms {mine['cached']:10.1f}ms | {ref['full']:8.1f}ms "
              f"{ref['cached']:9.1f}ms | {ref['full'] / mine['full']:12.2f}x "
              f"{1 - mine['cached'] / mine['full']:10.0%} / {1 - ref['cached'] / ref['full']:.0%}")
    # Timings on a shared machine are too noisy to assert speed-ups; the cache must have been used.
    assert ours.cache_hits >= 2 * (REPEATS + 1) and reference.cache_hits >= 2 * (REPEATS + 1)
    assert all(v > 0 for _, mine, ref in rows for v in (*mine.values(), *ref.values()))
