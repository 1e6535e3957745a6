"""Training throughput on the CPU: our warp trainer's steps against a straightforward loop.

The reference loop is what one writes first: read and decode each pair from disk every step,
augment image by image, and call the estimator once per flow. Ours keeps decoded pairs in memory
at the input size, augments the batch at once and runs every flow of a step (cross-modal both
ways, synthetic, keypoint both ways) through the estimator as one batch. Both compute the same
losses on the same model; the numbers are samples per second for each stage, measured in the
same run, and the ratio ours / reference.

Run: .venv/bin/pytest tests/benchmarks/test_bench_training.py -m benchmark -s
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from sketchstudio.training.augment import ColourAugment, normalise
from sketchstudio.training.distributed import DistContext
from sketchstudio.training.runner import RunOptions, step_generator, step_rng
from sketchstudio.training.warp_data import PairSet, csv_sources
from sketchstudio.training.warp_losses import (
    cycle_consistency_loss,
    keypoint_loss,
    masked_mse,
    weighted_similarity_loss,
)
from sketchstudio.training.warp_trainer import WarpTask, WarpTrainConfig, build_model
from sketchstudio.training.warps import random_grids
from sketchstudio.warp.model import PHOTO, SKETCH

pytestmark = pytest.mark.benchmark

STEPS = 6
BATCH = 8
MODEL = {"input_size": 128, "width": 16}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    from sketchstudio.training.synth_dataset import write_synthetic_dataset

    torch.set_num_threads(2)
    root = tmp_path_factory.mktemp("bench_synth")
    write_synthetic_dataset(root, 64, seed=0, test_fraction=0.0, size=256, workers=2)
    return root, csv_sources(root, "train_pairs_ps.csv")


def _task(stage: str, sources: list) -> WarpTask:
    cfg = WarpTrainConfig(run=RunOptions(batch_size=BATCH, steps=1000, device="cpu"), stage=stage,
                          preset="tiny", model=MODEL, moco_k=512, syn_loss_weight=1.0, perceptual=False,
                          optim="adam", lr=1e-3)
    torch.manual_seed(0)
    model, prov = build_model(cfg)
    return WarpTask(cfg, DistContext(), PairSet(sources, model.config.input_size), None, model, prov)


def _timed(fn, steps: int = STEPS) -> float:
    fn(0)  # warm-up
    t0 = time.perf_counter()
    for s in range(1, steps + 1):
        fn(s)
    return steps * BATCH / (time.perf_counter() - t0)


def _reference_batch(sources: list, idx: np.ndarray, size: int, gen: torch.Generator) -> dict:
    """Decode from disk, resize, augment one image at a time."""
    colour = ColourAugment()
    out: dict[str, list] = {"photo": [], "sketch": [], "kps_photo": [], "kps_sketch": []}
    for i in idx:
        src = sources[int(i)]
        photo, sketch = src.load()
        for key, img in (("photo", photo), ("sketch", sketch)):
            arr = np.asarray(img.convert("RGB").resize((size, size), Image.Resampling.BILINEAR))
            if src.flip:
                arr = arr[:, ::-1]
            t = torch.from_numpy(arr.copy()).permute(2, 0, 1).float()[None] / 255
            out[key].append(normalise(colour(t, gen)))
        scale = size / 256
        for key, kps in (("kps_photo", src.photo_kps), ("kps_sketch", src.sketch_kps)):
            p = (torch.as_tensor(kps, dtype=torch.float32) + 0.5) * scale - 0.5
            if src.flip:
                p[:, 0] = size - 1 - p[:, 0]
            out[key].append(p[None])
    return {k: torch.cat(v) for k, v in out.items()}


def _reference_estimator_step(task: WarpTask, sources: list, step: int) -> None:
    cfg, warp, size = task.cfg, task.model, task.size
    rng, gen = step_rng(0, 0, step), step_generator(0, 0, step)
    b = _reference_batch(sources, rng.integers(0, len(sources), BATCH), size, gen)
    src, dst, ks, kd = b["photo"], b["sketch"], b["kps_photo"], b["kps_sketch"]
    grids = torch.from_numpy(random_grids(rng, 2 * BATCH, size, cfg.strength))  # full-resolution spline
    warp.encoder.eval()
    warp.stn.train()
    dst_aug = F.grid_sample(dst, grids[BATCH:], padding_mode="border", align_corners=True)
    src_aug = F.grid_sample(src, grids[:BATCH], padding_mode="border", align_corners=True)
    with torch.no_grad():
        f_src, f_dst_aug = warp.encode(src, PHOTO), warp.encode(dst_aug, SKETCH)
        f_src_aug, f_dst = warp.encode(src_aug, PHOTO), warp.encode(dst, SKETCH)
    fwd, bwd = warp.estimate(f_src, f_dst_aug), warp.estimate(f_dst_aug, f_src)
    syn = warp.estimate(f_src, f_src_aug)
    s2d, d2s = warp.estimate(f_dst, f_src), warp.estimate(f_src, f_dst)
    fs = warp.config.flow_size
    w_src = [F.grid_sample(m, fwd, align_corners=True) for m in f_src]
    w_dst = [F.grid_sample(m, bwd, align_corners=True) for m in f_dst_aug]
    gt = F.interpolate(grids[:BATCH].permute(0, 3, 1, 2), (fs, fs), mode="bilinear",
                       align_corners=True).permute(0, 2, 3, 1)
    loss = (cfg.sim_loss_weight * (weighted_similarity_loss(w_src, f_dst_aug, fs, cfg.corr_t)
                                   + weighted_similarity_loss(w_dst, f_src, fs, cfg.corr_t))
            + cfg.con_loss_weight * (cycle_consistency_loss(fwd, bwd) + cycle_consistency_loss(bwd, fwd))
            + cfg.syn_loss_weight * masked_mse(syn, gt)
            + cfg.kp_loss_weight * keypoint_loss(s2d, d2s, ks, kd, torch.ones(BATCH, 8, dtype=torch.bool),
                                                 size))
    opt = task.optimizers["estimator"]
    loss.backward()
    opt.step()
    opt.zero_grad()


def _reference_encoder_step(task: WarpTask, sources: list, step: int) -> None:
    moco = task.moco
    assert moco is not None
    rng, gen = step_rng(0, 0, step), step_generator(0, 0, step)
    b = _reference_batch(sources, rng.integers(0, len(sources), BATCH), task.size, gen)
    grids = torch.from_numpy(random_grids(rng, 2 * BATCH, task.size, task.cfg.strength))
    q = F.grid_sample(b["photo"], grids[:BATCH], padding_mode="border", align_corners=True)
    k = F.grid_sample(b["sketch"], grids[BATCH:], padding_mode="border", align_corners=True)
    task.model.encoder.train()
    loss, _ = moco(q, k, PHOTO, SKETCH)
    opt = task.optimizers["encoder"]
    loss.backward()
    opt.step()
    opt.zero_grad()


@pytest.mark.parametrize("stage", ["estimator", "encoder"])
def test_training_throughput_against_a_straightforward_loop(data, stage: str) -> None:
    _, sources = data
    ours_task = _task(stage, sources)
    ref_task = _task(stage, sources)
    ours = _timed(ours_task.train_step)
    ref_fn = _reference_estimator_step if stage == "estimator" else _reference_encoder_step
    reference = _timed(lambda s: ref_fn(ref_task, sources, s))
    ratio = ours / reference
    print(f"\n[bench] warp {stage} stage, tiny preset at 128 px, batch {BATCH}, CPU "
          f"{torch.get_num_threads()} threads: ours {ours:.2f} samples/s, reference {reference:.2f} "
          f"samples/s, ratio {ratio:.2f}x")
    assert ours > 0 and reference > 0
    assert ratio > 0.8  # never slower than the naive loop beyond noise
