"""Self-supervised sketch-to-image training (Liu et al., AAAI 2021): the autoencoder stage and
the GAN (refiner) stage, on a folder of images with sketches synthesised on the fly or read from
folders (`sketchstudio.s2i.data.PhotoSketchDataset`).

Autoencoder stage, per step (the official `train_step_1_ae.py`):
1. self-supervision on an augmented view of each image (random crop + flip): the style vectors
   of the view must match the original's and differ from other images' (cosine), the content
   features of bolder / partly erased sketches must match the original sketch's more than other
   sketches' (margin 2), an optional image-classification head on the style encoder, and the
   view's style decoded with a (possibly degraded) sketch must rebuild the original image;
2. plain autoencoding: sketch + the image's own style → the image.
Reconstruction is MSE + L1; the official LPIPS term needs pretrained VGG weights we do not ship.

GAN stage (the official `train_step_2_gan.py` idea): the autoencoder is frozen; the refiner turns
its output into the final image and is trained against a spectral-norm patch discriminator
(hinge loss) plus an L1 reconstruction term. Adam 2e-4, betas (0.5, 0.999) throughout.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sketchstudio.core.errors import UserError
from sketchstudio.training.distributed import DistContext
from sketchstudio.training.runner import Autocast, RunOptions, step_rng
from sketchstudio.training.state import TrainingState

STAGES = ("ae", "gan")


@dataclass
class S2ITrainConfig:
    run: RunOptions = field(default_factory=RunOptions)
    stage: str = "ae"
    images: str = ""
    sketches: list[str] = field(default_factory=list)
    """Folders of pre-made sketches (`<stem>.png`); empty: synthesise on the fly (XDoG)."""
    preset: str = "small"
    model: dict[str, Any] = field(default_factory=dict)
    init: str | None = None
    """AE checkpoint to start from (required by the GAN stage)."""
    refiner: str = "face"
    refiner_size: int = 512
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    nbr_cls: int = 0
    """Classes of the style encoder's self-supervised classification head (0: off)."""
    val_images: int = 8
    """The first N images (sorted) are held out for the reconstruction metric."""
    l1_weight: float = 1.0
    adv_weight: float = 0.1

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise UserError(f"unknown stage '{self.stage}' (choose from {', '.join(STAGES)})")
        self.betas = tuple(self.betas)  # type: ignore[assignment]


def _sn(module: nn.Module) -> nn.Module:
    return nn.utils.spectral_norm(module)


class PatchDiscriminator(nn.Module):
    """A small spectral-norm patch discriminator (training only; never shipped)."""

    def __init__(self, nfc: int = 32, depth: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = [_sn(nn.Conv2d(3, nfc, 4, 2, 1)), nn.LeakyReLU(0.2)]
        ch = nfc
        for _ in range(depth - 1):
            layers += [_sn(nn.Conv2d(ch, min(ch * 2, 512), 4, 2, 1)), nn.LeakyReLU(0.2)]
            ch = min(ch * 2, 512)
        layers.append(_sn(nn.Conv2d(ch, 1, 3, 1, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def bold(sketch: Tensor) -> Tensor:
    """Thicker lines: ink (-1) spreads by one pixel (a min filter in the model's polarity)."""
    return -F.max_pool2d(-sketch, 3, 1, 1)


def erase(sketch: Tensor, rng: np.random.Generator) -> Tensor:
    """Paper (+1) over a random block of each sketch, like a sketcher's omissions."""
    out = sketch.clone()
    s = sketch.shape[-1]
    for i in range(sketch.shape[0]):
        h, w = (rng.integers(s // 6, s // 3, 2)).tolist()
        y, x = rng.integers(0, s - h), rng.integers(0, s - w)
        out[i, :, y:y + h, x:x + w] = 1.0
    return out


def random_view(images: Tensor, rng: np.random.Generator) -> Tensor:
    """Random crop (60-100 % of the side, resized back) and horizontal flip per image."""
    s = images.shape[-1]
    views = []
    for img in images:
        c = int(s * rng.uniform(0.6, 1.0))
        y, x = rng.integers(0, s - c + 1, 2).tolist()
        v = F.interpolate(img[None, :, y:y + c, x:x + c], (s, s), mode="bilinear", align_corners=False)
        views.append(v.flip(-1) if rng.random() < 0.5 else v)
    return torch.cat(views)


def _perm(n: int, rng: np.random.Generator) -> Tensor:
    """A permutation with no fixed point (every item paired with another one)."""
    return torch.from_numpy((np.arange(n) + rng.integers(1, max(n, 2))) % n)


def _margin_loss(a: tuple[Tensor, ...], b: tuple[Tensor, ...], rng: np.random.Generator) -> Tensor:
    loss = a[0].sum() * 0.0
    for x, y in zip(a, b):
        perm = _perm(x.shape[0], rng).to(x.device)
        loss = loss + F.relu(2 + F.mse_loss(x, y.detach()) - F.mse_loss(x[perm], y.detach()))
    return loss


def reconstruction_loss(fake: Tensor, real: Tensor, l1_weight: float = 1.0) -> Tensor:
    if real.shape[-2:] != fake.shape[-2:]:
        real = F.interpolate(real, fake.shape[-2:], mode="bilinear", align_corners=False)
    return F.mse_loss(fake, real) + l1_weight * F.l1_loss(fake, real)


class AEStep(nn.Module):
    """The autoencoder stage's whole loss in one forward (so DDP all-reduces it in one backward):
    self-supervised consistency on an augmented view plus plain reconstruction."""

    def __init__(self, model: nn.Module, l1_weight: float) -> None:
        super().__init__()
        self.model = model
        self.l1_weight = l1_weight

    def forward(self, photo: Tensor, sketch: Tensor, idx: Tensor, rng: np.random.Generator
                ) -> dict[str, Tensor]:
        m = self.model
        view = random_view(photo, rng)
        s_view, s_org = m.encode_style(view), m.encode_style(photo)
        c_org = m.encode_content(sketch)
        c_vars = [m.encode_content(v) for v in (bold(sketch), erase(sketch, rng), erase(bold(sketch), rng))]
        pick = int(rng.integers(0, 4))
        content = c_org if pick == 0 else c_vars[pick - 1]
        rec_view = reconstruction_loss(m.decode(content, s_view, refine=False), photo, self.l1_weight)
        perm = _perm(photo.shape[0], rng).to(photo.device)
        style = sum(-F.cosine_similarity(a, b.detach()).mean()
                    + F.cosine_similarity(a, b[perm].detach()).mean() for a, b in zip(s_view, s_org))
        content_loss = sum(_margin_loss(c, c_org, rng) for c in c_vars)
        rec = reconstruction_loss(m.decode(c_org, s_org, refine=False), photo, self.l1_weight)
        out = {"rec": rec, "rec_view": rec_view, "style": style, "content": content_loss}
        total = rec + rec_view + style + content_loss
        if m.style_encoder.final_cls is not None:
            target = (idx % m.config.nbr_cls).to(photo.device)
            cls = F.cross_entropy(m.style_encoder.classify(s_view), target) + \
                F.cross_entropy(m.style_encoder.classify(s_org), target)
            out["cls"] = cls
            total = total + cls
        out["loss"] = total
        return out


class S2ITask:
    """The `Task` of sketch-to-image training."""

    def __init__(self, cfg: S2ITrainConfig, ctx: DistContext, dataset: Any, val: list[int], train: list[int],
                 model: nn.Module, provenance: dict[str, Any]) -> None:
        self.cfg = cfg
        self.ctx = ctx
        self.dataset = dataset
        self.val_idx = val
        self.train_idx = train
        self.provenance = provenance
        self.device = ctx.device
        self.model = model.to(self.device)
        self.amp = Autocast(self.device, cfg.run.amp)
        self.samples_per_step = cfg.run.batch_size
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.disc: nn.Module | None = None
        if cfg.stage == "ae":
            params = [p for n, p in self.model.named_parameters() if not n.startswith("refiner.")]
            self.optimizers["ae"] = torch.optim.Adam(params, lr=cfg.lr, betas=cfg.betas)
            self._step_module = self._wrap(AEStep(self.model, cfg.l1_weight))
        else:
            if self.model.refiner is None:
                raise UserError("the GAN stage needs a model with a refiner")
            for n, p in self.model.named_parameters():
                p.requires_grad_(n.startswith("refiner."))
            self.disc = PatchDiscriminator(max(self.model.config.nfc, 16)).to(self.device)
            self.optimizers["g"] = torch.optim.Adam(self.model.refiner.parameters(), lr=cfg.lr,
                                                    betas=cfg.betas)
            self.optimizers["d"] = torch.optim.Adam(self.disc.parameters(), lr=cfg.lr, betas=cfg.betas)
            self._step_module = self._wrap(self.model.refiner)
            self._disc_module = self._wrap(self.disc)

    def _wrap(self, module: nn.Module) -> nn.Module:
        if not self.ctx.distributed:
            return module
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids, find_unused_parameters=True)

    def _batch(self, indices: list[int]) -> tuple[Tensor, Tensor]:
        items = [self.dataset[i] for i in indices]
        photo = torch.stack([x["photo"] for x in items]).to(self.device)
        sketch = torch.stack([x["sketch"] for x in items]).to(self.device)
        return photo, sketch

    # --- steps ------------------------------------------------------------------------------------

    def train_step(self, step: int) -> dict[str, float]:
        rng = step_rng(self.cfg.run.seed, self.ctx.rank, step)
        idx = [self.train_idx[i] for i in rng.integers(0, len(self.train_idx), self.cfg.run.batch_size)]
        photo, sketch = self._batch(idx)
        if self.cfg.stage == "ae":
            return self._ae_step(photo, sketch, idx, rng)
        return self._gan_step(photo, sketch)

    def _rec(self, fake: Tensor, real: Tensor) -> Tensor:
        return reconstruction_loss(fake, real, self.cfg.l1_weight)

    def _ae_step(self, photo: Tensor, sketch: Tensor, idx: list[int], rng: np.random.Generator
                 ) -> dict[str, float]:
        self.model.train()
        with self.amp():
            losses = self._step_module(photo, sketch, torch.tensor(idx), rng)
        self.amp.backward_step(losses["loss"], self.optimizers["ae"])
        return {k: float(v.detach()) for k, v in losses.items() if k != "loss"}

    def _gan_step(self, photo: Tensor, sketch: Tensor) -> dict[str, float]:
        m = self.model
        assert self.disc is not None
        m.eval()
        m.refiner.train()
        with torch.no_grad(), self.amp():
            style = m.encode_style(photo)
            coarse = m.decode(m.encode_content(sketch), style, refine=False)
        size = self.model.config.output_size
        real = F.interpolate(photo, (size, size), mode="bilinear", align_corners=False)
        with self.amp():
            fake = self._step_module(coarse, style)
            # Real and fake in one discriminator call: one forward per backward keeps DDP simple.
            d_real, d_fake = self._disc_module(torch.cat([real, fake.detach()])).chunk(2)
            d_loss = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        self.optimizers["d"].zero_grad(set_to_none=True)  # drop what the generator step left there
        self.amp.backward_step(d_loss, self.optimizers["d"])
        with self.amp():
            g_adv = -self._disc_module(fake).mean()
            g_rec = self._rec(fake, real)
            g_loss = self.cfg.adv_weight * g_adv + g_rec
        self.optimizers["d"].zero_grad(set_to_none=True)
        self.amp.backward_step(g_loss, self.optimizers["g"])
        return {"d": float(d_loss.detach()), "g_adv": float(g_adv.detach()), "rec": float(g_rec.detach())}

    # --- evaluation and files ------------------------------------------------------------------------

    @torch.no_grad()
    def evaluate(self, step: int) -> dict[str, float]:
        if not self.val_idx:
            return {}
        was = self.model.training
        self.model.eval()
        photo, sketch = self._batch(self.val_idx)
        fake = self.model(sketch, photo)
        real = F.interpolate(photo, fake.shape[-2:], mode="bilinear", align_corners=False)
        mse = F.mse_loss(fake.float(), real.float()).item()
        self.model.train(was)
        return {"rec_l1": F.l1_loss(fake.float(), real.float()).item(), "rec_mse": mse,
                "psnr": float(10 * np.log10(4.0 / max(mse, 1e-12)))}

    def save_model(self, path: Path, *, step: int, metrics: dict[str, float]) -> None:
        from sketchstudio.s2i.convert import checkpoint_metadata
        from sketchstudio.s2i.model import S2IConfig, inference_state_dict
        from sketchstudio.weights.checkpoint import git_sha, save_safetensors

        cfg = self.model.config
        cfg = S2IConfig(nfc=cfg.nfc, im_size=cfg.im_size, nbr_cls=0, refiner=cfg.refiner)
        source = {"format": "sketchstudio", "trained_by": "sketchstudio-train s2i"}
        meta = checkpoint_metadata(cfg, source=source,
                                   metrics=metrics, provenance={"git_sha": git_sha(), "step": step,
                                                                "stage": self.cfg.stage, **self.provenance})
        meta["step"] = step
        save_safetensors(path, inference_state_dict(self.model), meta)

    def training_state(self, step: int) -> TrainingState:
        extra: dict[str, dict[str, Tensor]] = {"rng": {"torch": torch.get_rng_state()}}
        head = self.model.style_encoder.final_cls
        if head is not None:
            extra["cls_head"] = dict(head.state_dict())
        if self.disc is not None:
            extra["disc"] = dict(self.disc.state_dict())
        info = {"scaler": self.amp.scaler.state_dict() if self.amp.enabled else None}
        return TrainingState(step, {n: o.state_dict() for n, o in self.optimizers.items()}, extra, info)

    def load_training_state(self, state: TrainingState) -> None:
        from sketchstudio.weights.checkpoint import load_safetensors

        if state.model_file is not None:
            weights, _ = load_safetensors(state.model_file)
            missing = self.model.load_state_dict(weights, strict=False)
            bad = [k for k in missing.missing_keys if not k.startswith("style_encoder.final_cls.")]
            if bad or missing.unexpected_keys:
                raise UserError(f"checkpoint does not fit the run's model: missing {bad[:3]}, "
                                f"unexpected {missing.unexpected_keys[:3]}", path=state.model_file)
        if "cls_head" in state.extra and self.model.style_encoder.final_cls is not None:
            self.model.style_encoder.final_cls.load_state_dict(state.extra["cls_head"])
        if "disc" in state.extra and self.disc is not None:
            self.disc.load_state_dict(state.extra["disc"])
        for name, opt_state in state.optimizers.items():
            self.optimizers[name].load_state_dict(opt_state)
        if "rng" in state.extra:
            torch.set_rng_state(state.extra["rng"]["torch"].cpu())


def build_model(cfg: S2ITrainConfig, n_train: int) -> tuple[nn.Module, dict[str, Any]]:
    from sketchstudio.s2i.model import RefinerConfig, create_s2i_model, resolve_config

    overrides = dict(cfg.model)
    base = resolve_config(cfg.preset, **overrides)
    nbr_cls = min(cfg.nbr_cls, n_train) if cfg.nbr_cls else 0
    if cfg.stage == "gan":
        if not cfg.init:
            raise UserError("the GAN stage starts from a trained autoencoder: pass --init AE.safetensors")
        from sketchstudio.s2i.zoo import load_generator

        ae, _ = load_generator(cfg.init)
        ae_cfg = ae.config
        model_cfg = dataclasses.replace(ae_cfg, refiner=RefinerConfig(cfg.refiner, cfg.refiner_size))
        try:
            model = create_s2i_model(model_cfg)
        except ValueError as exc:
            raise UserError(f"cannot add a refiner to this autoencoder: {exc}", path=cfg.init) from exc
        missing = model.load_state_dict(ae.state_dict(), strict=False)
        if missing.unexpected_keys or any(not k.startswith("refiner.") for k in missing.missing_keys):
            raise UserError("the --init autoencoder does not fit", path=cfg.init)
        return model, {"init": str(cfg.init)}
    try:
        model = create_s2i_model(base, nbr_cls=nbr_cls)
    except ValueError as exc:
        raise UserError(f"bad s2i model config: {exc}") from exc
    if nbr_cls:
        model.style_encoder.reset_cls()
    if cfg.init:
        from sketchstudio.s2i.zoo import load_generator

        ae, _ = load_generator(cfg.init)
        missing = model.load_state_dict(ae.state_dict(), strict=False)
        if missing.unexpected_keys or any("final_cls" not in k for k in missing.missing_keys):
            raise UserError("the --init checkpoint does not fit the model config", path=cfg.init)
    return model, {"init": cfg.init}
