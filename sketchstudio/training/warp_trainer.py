"""PSCNet training (Lu et al., ICML 2023): the encoder stage, the estimator stage, or both.

Encoder stage: MoCo v2 with pair supervision. The query is a photo (or a sketch, alternating
steps) and the positive key is *its pair* in the other domain, through the momentum encoder;
both get colour jitter / grayscale / blur and an independent affine + TPS warp. Conditional BN
keeps photo and sketch statistics apart. The MoCo head pools block 4, which the inference model
does not keep: the training encoder has 4 stages and shares its first three with the warp model.

Estimator stage (encoder frozen, in eval mode): the destination image gets a random affine + TPS
warp; the estimator predicts both flows between the unwarped source and the warped destination
and learns from (1) the weighted feature-similarity loss (perceptual: the warped image is
re-encoded), (2) forward–backward consistency, (3) optionally the known synthetic flow between
the source and its own warped copy, and (4) our keypoint loss on annotated pairs (the unwarped
pair's flows must carry every confirmed keypoint across and back). `both` alternates an encoder
step and an estimator step on each batch, as the official trainer does.

Each step's module is wrapped in DistributedDataParallel under torchrun, so gradients are
all-reduced in one forward/backward per optimizer.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sketchstudio.core.errors import UserError
from sketchstudio.training import distributed
from sketchstudio.training.augment import ColourAugment, normalise
from sketchstudio.training.distributed import DistContext
from sketchstudio.training.runner import Autocast, RunOptions, lr_factor, step_generator, step_rng
from sketchstudio.training.state import TrainingState
from sketchstudio.training.warp_data import PairSet
from sketchstudio.training.warp_losses import (
    cycle_consistency_loss,
    flow_pixel_error,
    keypoint_loss,
    masked_mse,
    weighted_similarity_loss,
)
from sketchstudio.training.warps import WarpStrength, random_grids
from sketchstudio.warp.config import ARCHS
from sketchstudio.warp.encoder import CondResNet
from sketchstudio.warp.model import PHOTO, SKETCH, PSCWarpModel

STAGES = ("encoder", "estimator", "both")
GRID_LATTICE = 33
DEFAULT_LR = {"encoder": 0.03, "estimator": 0.003, "both": 0.003}
"""Official learning rates (SGD): 0.03 for the encoder, 0.003 for the estimator."""


@dataclass
class WarpTrainConfig:
    """Everything a warp run depends on; dumped as `config.json` in the run folder."""

    run: RunOptions = field(default_factory=RunOptions)
    stage: str = "estimator"
    arch: str = "resnet18"
    preset: str | None = "small"
    model: dict[str, Any] = field(default_factory=dict)
    """WarpConfig field overrides (after the preset)."""
    init: str | None = None
    """Start from this checkpoint (ours or an official .pth.tar); None: from scratch."""
    # data
    data: str | None = None
    csv: str = "train_pairs_ps.csv"
    project: str | None = None
    synthetic: int = 0
    synthetic_seed: int = 1
    synthetic_annotated: bool = True
    val_csv: str | None = None
    val_data: str | None = None
    val_synthetic: int = 0
    val_synthetic_seed: int = 2
    # optimisation
    optim: str = "sgd"
    lr: float | None = None
    momentum: float = 0.9
    weight_decay: float = 1e-4
    warmup_steps: int | None = None
    """None: 1/15 of the steps (the official 100 of 1,500 epochs)."""
    # MoCo
    moco_dim: int = 128
    moco_k: int = 8192
    moco_m: float = 0.999
    moco_t: float = 0.07
    # estimator losses
    corr_t: float = 0.001
    sim_loss_weight: float = 0.1
    con_loss_weight: float = 1.0
    syn_loss_weight: float = 0.0
    kp_loss_weight: float = 1.0
    perceptual: bool = True
    weighted: bool = True
    freeze_encoder: bool = True
    """Estimator stage: keep the encoder fixed (the paper). False lets the estimator's losses
    (the keypoint loss above all) train the encoder too (the official `--no-freeze` ablation)."""
    # augmentation
    colour_aug: bool = True
    warp_rotation_deg: float = 15.0
    warp_scale: tuple[float, float] = (0.85, 1.15)
    warp_shift: float = 0.1
    warp_tps: float = 0.08

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise UserError(f"unknown stage '{self.stage}' (choose from {', '.join(STAGES)})")
        if self.optim not in ("sgd", "adam", "adamw"):
            raise UserError(f"unknown optimizer '{self.optim}' (sgd, adam or adamw)")
        self.warp_scale = tuple(self.warp_scale)  # type: ignore[assignment]

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.stage]

    @property
    def strength(self) -> WarpStrength:
        return WarpStrength(rotation=math.radians(self.warp_rotation_deg), scale=self.warp_scale,
                            shift=self.warp_shift, tps=self.warp_tps)


# --- models ------------------------------------------------------------------------------------------


class MoCoPair(nn.Module):
    """MoCo v2 around a 4-stage conditional-BN ResNet whose first three stages are the warp
    model's encoder (shared modules, so training one trains the other)."""

    def __init__(self, warp: PSCWarpModel, dim: int, queue: int, momentum: float, temperature: float,
                 ctx: DistContext) -> None:
        super().__init__()
        cfg = warp.config
        block, layers = ARCHS[cfg.arch]
        self.encoder_q = CondResNet(block, layers, width=cfg.width, num_stages=4,
                                    shared_norms=cfg.shared_norms)
        for name in ("conv1", "bn1", "layer1", "layer2", "layer3"):
            setattr(self.encoder_q, name, getattr(warp.encoder, name))
        feat = self.encoder_q.out_channels[-1]
        self.fc_q = nn.Sequential(nn.Linear(feat, feat), nn.ReLU(), nn.Linear(feat, dim))
        self.encoder_k = copy.deepcopy(self.encoder_q)
        self.fc_k = copy.deepcopy(self.fc_q)
        for p in [*self.encoder_k.parameters(), *self.fc_k.parameters()]:
            p.requires_grad_(False)
        self.register_buffer("queue", F.normalize(torch.randn(dim, queue), dim=0))
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))
        self.momentum = momentum
        self.temperature = temperature
        self._ctx = ctx

    def embed(self, encoder: CondResNet, fc: nn.Module, images: Tensor, cond: int) -> Tensor:
        pooled = encoder(images, cond, stages=(4,))[0].float().mean((2, 3))
        return F.normalize(fc(pooled), dim=1)

    @torch.no_grad()
    def _momentum_update(self) -> None:
        for q, k in zip([*self.encoder_q.parameters(), *self.fc_q.parameters()],
                        [*self.encoder_k.parameters(), *self.fc_k.parameters()]):
            k.mul_(self.momentum).add_(q.detach(), alpha=1.0 - self.momentum)

    @torch.no_grad()
    def _enqueue(self, keys: Tensor) -> None:
        keys = distributed.gather_cat(keys, self._ctx)
        size = self.queue.shape[1]
        ptr = int(self.queue_ptr)
        idx = (torch.arange(keys.shape[0], device=keys.device) + ptr) % size
        self.queue[:, idx] = keys.T.to(self.queue.dtype)
        self.queue_ptr[0] = (ptr + keys.shape[0]) % size

    def forward(self, im_q: Tensor, im_k: Tensor, cond_q: int, cond_k: int) -> tuple[Tensor, Tensor]:
        """(InfoNCE loss, top-1 accuracy of picking the pair among the queue)."""
        q = self.embed(self.encoder_q, self.fc_q, im_q, cond_q)
        with torch.no_grad():
            self._momentum_update()
            k = self.embed(self.encoder_k, self.fc_k, im_k, cond_k)
        l_pos = (q * k).sum(1, keepdim=True)
        l_neg = q @ self.queue.clone().detach().to(q.dtype)
        logits = torch.cat([l_pos, l_neg], dim=1) / self.temperature
        labels = torch.zeros(len(q), dtype=torch.long, device=q.device)
        loss = F.cross_entropy(logits, labels)
        acc = (logits.argmax(1) == 0).float().mean()
        self._enqueue(k)
        return loss, acc.detach()


class EstimatorStep(nn.Module):
    """One estimator training step's forward: registers only the estimator, so DDP all-reduces
    its gradients; the (frozen) encoder is held outside the module tree."""

    def __init__(self, warp: PSCWarpModel, cfg: WarpTrainConfig) -> None:
        super().__init__()
        self.stn = warp.stn
        self._warp = [warp]  # not a submodule: DDP must not see the frozen encoder
        if not cfg.freeze_encoder:
            self.encoder = warp.encoder  # trained too: DDP must all-reduce its gradients
        self.cfg = cfg

    @property
    def warp(self) -> PSCWarpModel:
        return self._warp[0]

    def forward(self, src_raw: Tensor, dst_raw: Tensor, grid_src: Tensor, grid_dst: Tensor, cond_src: int,
                cond_dst: int, kps_src: Tensor, kps_dst: Tensor, kp_mask: Tensor) -> dict[str, Tensor]:
        cfg = self.cfg
        warp = self.warp
        size = src_raw.shape[-1]
        dst_aug = F.grid_sample(dst_raw, grid_dst, mode="bilinear", padding_mode="border", align_corners=True)
        use_syn = cfg.syn_loss_weight > 0
        use_kp = cfg.kp_loss_weight > 0 and bool(kp_mask.any())
        with torch.set_grad_enabled(not cfg.freeze_encoder):
            f_src = warp.encode(src_raw, cond_src)
            f_dst_aug = warp.encode(dst_aug, cond_dst)
            sources, targets = [f_src, f_dst_aug], [f_dst_aug, f_src]
            if use_syn:
                src_aug = F.grid_sample(src_raw, grid_src, mode="bilinear", padding_mode="border",
                                        align_corners=True)
                sources.append(f_src)
                targets.append(warp.encode(src_aug, cond_src))
            if use_kp:
                f_dst = warp.encode(dst_raw, cond_dst)
                sources += [f_dst, f_src]
                targets += [f_src, f_dst]
        # One estimator call for every flow of the step (one batch through its BN layers).
        n = src_raw.shape[0]
        flows = self.stn([torch.cat(maps) for maps in zip(*sources)],
                         [torch.cat(maps) for maps in zip(*targets)])
        flows = list(flows.split(n))
        fwd, bwd = flows[0], flows[1]  # fwd: dst_aug grid -> src; bwd: src grid -> dst_aug
        losses: dict[str, Tensor] = {}
        total = fwd.sum() * 0.0
        if cfg.sim_loss_weight > 0:
            if cfg.perceptual:
                up = warp.upsample
                warped_src = F.grid_sample(src_raw, up(fwd, size).to(src_raw.dtype), mode="bilinear",
                                           padding_mode="border", align_corners=True)
                warped_dst = F.grid_sample(dst_aug, up(bwd, size).to(dst_aug.dtype), mode="bilinear",
                                           padding_mode="border", align_corners=True)
                w_src = warp.encode(warped_src, cond_src)
                w_dst = warp.encode(warped_dst, cond_dst)
            else:
                w_src = [F.grid_sample(m, fwd.to(m.dtype), align_corners=True) for m in f_src]
                w_dst = [F.grid_sample(m, bwd.to(m.dtype), align_corners=True) for m in f_dst_aug]
            fs = warp.config.flow_size
            sim = (weighted_similarity_loss(w_src, f_dst_aug, fs, cfg.corr_t, cfg.weighted)
                   + weighted_similarity_loss(w_dst, f_src, fs, cfg.corr_t, cfg.weighted))
            losses["sim"] = sim
            total = total + cfg.sim_loss_weight * sim
        if cfg.con_loss_weight > 0:
            con = cycle_consistency_loss(fwd, bwd) + cycle_consistency_loss(bwd, fwd)
            losses["con"] = con
            total = total + cfg.con_loss_weight * con
        k = 2
        if use_syn:
            syn_pred = flows[k]
            k += 1
            gt = F.interpolate(grid_src.permute(0, 3, 1, 2), syn_pred.shape[1:3], mode="bilinear",
                               align_corners=True).permute(0, 2, 3, 1)
            syn = masked_mse(syn_pred, gt)
            losses["syn"] = syn
            losses["syn_epe_px"] = flow_pixel_error(syn_pred.detach(), gt, size)
            total = total + cfg.syn_loss_weight * syn
        if use_kp:
            src_to_dst, dst_to_src = flows[k], flows[k + 1]  # on src grid -> dst; on dst grid -> src
            kp = keypoint_loss(src_to_dst, dst_to_src, kps_src, kps_dst, kp_mask, size)
            losses["kp"] = kp
            total = total + cfg.kp_loss_weight * kp
        losses["loss"] = total
        return losses


# --- the task ------------------------------------------------------------------------------------------


def build_model(cfg: WarpTrainConfig) -> tuple[PSCWarpModel, dict[str, Any]]:
    """The warp model to train: from `cfg.init` (ours or official) or freshly initialised."""
    from sketchstudio.warp.checkpoints import load_warp_model
    from sketchstudio.warp.model import create_warp_model

    if cfg.init:
        model, meta = load_warp_model(cfg.init)
        if model.config.shared_norms:
            # Released weights tie the photo and sketch norms; training them apart needs two copies.
            from sketchstudio.warp.config import WarpConfig

            untied = PSCWarpModel(WarpConfig.from_dict({**model.config.to_dict(), "shared_norms": False}))
            state = model.state_dict()
            untied.load_state_dict({k: v.clone() for k, v in state.items()}, strict=True)
            model = untied
        return model, {"init": str(cfg.init), "init_source": meta.get("source")}
    overrides = dict(cfg.model)
    if cfg.preset:
        overrides["preset"] = cfg.preset
    return create_warp_model(cfg.arch, **overrides), {"init": None}


class WarpTask:
    """The `Task` (see `sketchstudio.training.runner`) of warp training."""

    def __init__(self, cfg: WarpTrainConfig, ctx: DistContext, train: PairSet, val: Any | None,
                 model: PSCWarpModel, provenance: dict[str, Any]) -> None:
        self.cfg = cfg
        self.ctx = ctx
        self.train_set = train
        self.val = val
        self.provenance = provenance
        self.device = ctx.device
        self.model = model.to(self.device)
        self.size = model.config.input_size
        self.samples_per_step = cfg.run.batch_size
        self.amp = Autocast(self.device, cfg.run.amp)
        self.colour = ColourAugment() if cfg.colour_aug else None
        self.train_encoder = cfg.stage in ("encoder", "both")
        self.train_estimator = cfg.stage in ("estimator", "both")
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.moco: MoCoPair | None = None
        self._enc_step: nn.Module | None = None
        self._est_step: nn.Module | None = None
        if self.train_encoder:
            self.moco = MoCoPair(self.model, cfg.moco_dim, cfg.moco_k, cfg.moco_m, cfg.moco_t, ctx)
            self.moco.to(self.device)
            params = [p for p in [*self.moco.encoder_q.parameters(), *self.moco.fc_q.parameters()]]
            self.optimizers["encoder"] = self._optimizer(params, DEFAULT_LR["encoder"] if cfg.stage == "both"
                                                         and cfg.lr is None else cfg.learning_rate)
            # A step uses one BN condition per image set, so the other condition's norms get no
            # gradient: DDP must be told to expect unused parameters.
            self._enc_step = self._wrap(self.moco, find_unused=True)
        elif cfg.freeze_encoder:
            for p in self.model.encoder.parameters():
                p.requires_grad_(False)
        if self.train_estimator:
            step_module = EstimatorStep(self.model, cfg).to(self.device)
            params = list(self.model.stn.parameters())
            if not cfg.freeze_encoder and not self.train_encoder:
                params += list(self.model.encoder.parameters())
            self.optimizers["estimator"] = self._optimizer(params, cfg.learning_rate)
            self._est_step = self._wrap(step_module, find_unused=not cfg.freeze_encoder)
        self.base_lrs = {name: [g["lr"] for g in opt.param_groups] for name, opt in self.optimizers.items()}
        self._baseline: dict[str, float] | None = None

    def _optimizer(self, params: list[nn.Parameter], lr: float) -> torch.optim.Optimizer:
        cfg = self.cfg
        if cfg.optim == "sgd":
            return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
        if cfg.optim == "adam":
            return torch.optim.Adam(params, lr=lr, weight_decay=cfg.weight_decay)
        return torch.optim.AdamW(params, lr=lr, weight_decay=cfg.weight_decay)

    def _wrap(self, module: nn.Module, find_unused: bool = False) -> nn.Module:
        if not self.ctx.distributed:
            return module
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids, find_unused_parameters=find_unused)

    # --- one step ---------------------------------------------------------------------------------------

    def _set_lr(self, step: int) -> None:
        warmup = self.cfg.warmup_steps if self.cfg.warmup_steps is not None else self.cfg.run.steps // 15
        factor = lr_factor(step, self.cfg.run.steps, warmup)
        for name, opt in self.optimizers.items():
            for group, base in zip(opt.param_groups, self.base_lrs[name]):
                group["lr"] = base * factor

    def _grids(self, rng: np.random.Generator, count: int) -> Tensor:
        """Random affine + TPS sampling grids at the input size. The spline is evaluated on a
        33×33 lattice and upsampled bilinearly (it is smooth at that scale), which makes grid
        generation ~15× cheaper at 128 px; the upsampled grid is both the warp and its known flow."""
        coarse = min(self.size, GRID_LATTICE)
        grids = torch.from_numpy(random_grids(rng, count, coarse, self.cfg.strength))
        if coarse != self.size:
            grids = F.interpolate(grids.permute(0, 3, 1, 2), (self.size, self.size), mode="bilinear",
                                  align_corners=True).permute(0, 2, 3, 1)
        return grids.contiguous().to(self.device)

    def _prepare(self, images: Tensor, gen: torch.Generator) -> Tensor:
        if self.colour is not None:
            images = self.colour(images, gen)
        return normalise(images)

    def train_step(self, step: int) -> dict[str, float]:
        cfg = self.cfg
        rng = step_rng(cfg.run.seed, self.ctx.rank, step)
        gen = step_generator(cfg.run.seed, self.ctx.rank, step)
        b = cfg.run.batch_size
        idx = rng.integers(0, len(self.train_set), b)
        batch = self.train_set.batch(idx, "cpu")
        photo_first = step % 2 == 0  # alternate which domain is the source, as the official trainer
        src, dst = ("photo", "sketch") if photo_first else ("sketch", "photo")
        c_src, c_dst = (PHOTO, SKETCH) if photo_first else (SKETCH, PHOTO)
        src_img = self._prepare(batch[src], gen).to(self.device)
        dst_img = self._prepare(batch[dst], gen).to(self.device)
        grids = self._grids(rng, 2 * b)
        self._set_lr(step)
        out: dict[str, float] = {}
        if self.train_encoder:
            assert self._enc_step is not None
            self.model.encoder.train()
            im_q = F.grid_sample(src_img, grids[:b], padding_mode="border", align_corners=True)
            im_k = F.grid_sample(dst_img, grids[b:], padding_mode="border", align_corners=True)
            with self.amp():
                loss, acc = self._enc_step(im_q, im_k, c_src, c_dst)
            self.amp.backward_step(loss, self.optimizers["encoder"])
            out["moco"] = float(loss.detach())
            out["moco_acc"] = float(acc)
            if self.train_estimator:
                grids = self._grids(rng, 2 * b)
        if self.train_estimator:
            assert self._est_step is not None
            self.model.encoder.train(not cfg.freeze_encoder)
            self.model.stn.train()
            frozen = [p for p in self.model.encoder.parameters() if p.requires_grad and cfg.freeze_encoder]
            for p in frozen:
                p.requires_grad_(False)
            try:
                with self.amp():
                    losses = self._est_step(src_img, dst_img, grids[:b], grids[b:], c_src, c_dst,
                                            batch[f"kps_{src}"].to(self.device),
                                            batch[f"kps_{dst}"].to(self.device),
                                            batch["kp_mask"].to(self.device))
                self.amp.backward_step(losses["loss"], self.optimizers["estimator"])
            finally:
                for p in frozen:
                    p.requires_grad_(True)
            out.update({k: float(v.detach()) for k, v in losses.items()})
        return out

    # --- evaluation ---------------------------------------------------------------------------------------

    def inference_copy(self) -> PSCWarpModel:
        model = copy.deepcopy(self.model).cpu().eval()
        for p in model.parameters():
            p.requires_grad_(False)
        return model

    def evaluate(self, step: int) -> dict[str, float]:
        if self.val is None:
            return {}
        from sketchstudio.warp.predictor import IdentityPredictor, WarpPredictor

        predictor = WarpPredictor(self.inference_copy(), device=str(self.device))
        metrics = evaluate_pck(predictor, self.val)
        if self._baseline is None:
            baseline = evaluate_pck(IdentityPredictor(), self.val)
            self._baseline = {f"identity_{k}": v for k, v in baseline.items()}
        metrics.update(self._baseline)
        if self.train_encoder and isinstance(self.val, PairSet):
            metrics["retrieval@1"] = retrieval_accuracy(self.moco, self.val, self.device)
        self.model.train()
        return metrics

    # --- files ---------------------------------------------------------------------------------------

    def save_model(self, path: Path, *, step: int, metrics: dict[str, float]) -> None:
        from sketchstudio.warp.checkpoints import warp_metadata
        from sketchstudio.weights.checkpoint import save_safetensors

        source = {"format": "sketchstudio", "trained_by": "sketchstudio-train warp"}
        meta = warp_metadata(self.model.config, metrics=metrics, source=source,
                             provenance={"step": step, "stage": self.cfg.stage, **self.provenance})
        meta["step"] = step
        save_safetensors(path, self.model.state_dict(), meta)

    def training_state(self, step: int) -> TrainingState:
        extra: dict[str, dict[str, Tensor]] = {}
        if self.moco is not None:
            extra["moco"] = {k: v for k, v in self.moco.state_dict().items()
                             if not k.startswith(("encoder_q.conv1", "encoder_q.bn1", "encoder_q.layer1",
                                                  "encoder_q.layer2", "encoder_q.layer3"))}
        extra["rng"] = {"torch": torch.get_rng_state()}
        info = {"scaler": self.amp.scaler.state_dict() if self.amp.enabled else None}
        return TrainingState(step, {n: o.state_dict() for n, o in self.optimizers.items()}, extra, info)

    def load_training_state(self, state: TrainingState) -> None:
        if state.model_file is not None:
            from sketchstudio.weights.checkpoint import load_safetensors, load_strict

            weights, _ = load_safetensors(state.model_file)
            load_strict(self.model, {k: v.to(self.device) for k, v in weights.items()}, path=state.model_file)
        for name, opt_state in state.optimizers.items():
            if name not in self.optimizers:
                raise UserError(f"the run's checkpoint has a '{name}' optimizer this stage does not use")
            self.optimizers[name].load_state_dict(opt_state)
        if self.moco is not None and "moco" in state.extra:
            missing = self.moco.load_state_dict(state.extra["moco"], strict=False)
            bad = [k for k in missing.missing_keys if not k.startswith("encoder_q.") or "layer4" in k]
            if bad or missing.unexpected_keys:
                raise UserError(f"MoCo state does not fit: missing {bad[:3]}, unexpected "
                                f"{missing.unexpected_keys[:3]}")
        if "rng" in state.extra:
            torch.set_rng_state(state.extra["rng"]["torch"].cpu())
        scaler = state.info.get("scaler")
        if scaler and self.amp.enabled:
            self.amp.scaler.load_state_dict(scaler)


# --- evaluation helpers -------------------------------------------------------------------------------------


@dataclass
class CsvValidation:
    """A PSC6K test CSV under a Sketchy root, scored with the warp package's evaluation code."""

    root: Path
    pairs: list[Any]


def evaluate_pck(predictor: Any, val: PairSet | CsvValidation, batch_size: int = 16) -> dict[str, float]:
    """PCK@0.05/0.10 under the official protocol (`sketchstudio.warp.evaluate`)."""
    from sketchstudio.warp.evaluate import EvalResult, evaluate, score_pair

    if isinstance(val, CsvValidation):
        return evaluate(predictor, val.pairs, val.root, batch_size=batch_size).summary()
    result = EvalResult()
    keep = np.flatnonzero(val.kp_mask.all(axis=1))
    for start in range(0, len(keep), batch_size):
        chunk = keep[start:start + batch_size]
        flows = predictor.predict_batch([val.photos[i] for i in chunk], [val.sketches[i] for i in chunk])
        for i, f in zip(chunk, flows):
            result.scores.append(score_pair(f, val.kps_photo[i].astype(np.float64),
                                            val.kps_sketch[i].astype(np.float64)))
    return result.summary()


@torch.no_grad()
def retrieval_accuracy(moco: MoCoPair | None, val: PairSet, device: torch.device) -> float:
    """Photo→sketch and sketch→photo top-1 retrieval with the MoCo embedding (the official
    `eval_knn`): how well the encoder has learnt that a photo and its sketch belong together."""
    if moco is None:
        return float("nan")
    was_training = moco.training
    moco.eval()
    n = min(len(val), 256)
    photos = normalise(torch.from_numpy(val.photos[:n]).permute(0, 3, 1, 2).float().div(255)).to(device)
    sketches = normalise(torch.from_numpy(val.sketches[:n]).permute(0, 3, 1, 2).float().div(255)).to(device)
    a = moco.embed(moco.encoder_q, moco.fc_q, photos, PHOTO)
    b = moco.embed(moco.encoder_q, moco.fc_q, sketches, SKETCH)
    sim = a @ b.T
    target = torch.arange(n, device=sim.device)
    acc = ((sim.argmax(1) == target).float().mean() + (sim.argmax(0) == target).float().mean()) / 2
    moco.train(was_training)
    return float(acc)
