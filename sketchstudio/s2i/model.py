"""The sketch-to-image generator: configuration, the autoencoder plus optional refiner, presets.

`create_s2i_model(cfg)` builds one from an `S2IConfig`, a preset name or a config dict (as stored
in checkpoint metadata). The small default model and the official 512/1024 configurations are the
same code with different `nfc`/`im_size`/refiner settings.

State-dict layout (ours): `style_encoder.*`, `content_encoder.*`, `decoder.*` (the official AE's
`s`, `c`, `d` dicts under these prefixes) and, with a refiner, `refiner.*` (the official `ig`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from sketchstudio.s2i.autoencoder import ContentEncoder, ContentFeatures, Decoder, StyleEncoder, StyleVectors
from sketchstudio.s2i.layers import settle_spectral_norm
from sketchstudio.s2i.refiner import REFINER_INPUT_SIZE, RefineGeneratorArt, RefineGeneratorFace

ARCH = "s2i-selfsup"


@dataclass(frozen=True)
class RefinerConfig:
    """The optional GAN refiner: `variant` art or face, `im_size` its output (512 or 1024)."""

    variant: Literal["art", "face"] = "art"
    im_size: int = 1024
    shoe: bool = False  # upstream's small-data variant of `art` (style branch off)


@dataclass(frozen=True)
class S2IConfig:
    """What it takes to rebuild a generator; stored in every checkpoint's metadata.

    nfc: base width (official 64). im_size: the autoencoder's working and output resolution
    (official 512; a multiple of 64, at least 128). nbr_cls: classes of the training-only
    classification head on the style encoder (0 = no head, as for inference).
    """

    nfc: int = 32
    im_size: int = 256
    nbr_cls: int = 0
    refiner: RefinerConfig | None = field(default=None)

    def __post_init__(self) -> None:
        if self.nfc < 8 or self.nfc % 8:
            raise ValueError(f"nfc must be a positive multiple of 8, not {self.nfc}")
        if self.im_size < 128 or self.im_size % 64:
            raise ValueError(f"im_size must be a multiple of 64 and at least 128, not {self.im_size}")
        if self.refiner is not None and self.im_size != REFINER_INPUT_SIZE:
            raise ValueError(f"a refiner needs the autoencoder at im_size {REFINER_INPUT_SIZE}")

    @property
    def output_size(self) -> int:
        return self.refiner.im_size if self.refiner else self.im_size

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> S2IConfig:
        known = {k: v for k, v in data.items() if k in {"nfc", "im_size", "nbr_cls", "refiner"}}
        refiner = known.get("refiner")
        if isinstance(refiner, Mapping):
            known["refiner"] = RefinerConfig(**dict(refiner))
        return cls(**known)


PRESETS: dict[str, S2IConfig] = {
    "tiny": S2IConfig(nfc=8, im_size=128),  # tests
    "small": S2IConfig(nfc=32, im_size=256),  # the shipped default
    "official-ae": S2IConfig(nfc=64, im_size=512),
    "official-art-512": S2IConfig(nfc=64, im_size=512, refiner=RefinerConfig("art", 512)),
    "official-art-1024": S2IConfig(nfc=64, im_size=512, refiner=RefinerConfig("art", 1024)),
    "official-face-512": S2IConfig(nfc=64, im_size=512, refiner=RefinerConfig("face", 512)),
    "official-face-1024": S2IConfig(nfc=64, im_size=512, refiner=RefinerConfig("face", 1024)),
}


def resolve_config(cfg: S2IConfig | str | Mapping[str, Any] | None = None, **overrides: Any) -> S2IConfig:
    if cfg is None:
        cfg = PRESETS["small"]
    elif isinstance(cfg, str):
        if cfg not in PRESETS:
            raise ValueError(f"unknown s2i preset {cfg!r} (choose from {', '.join(PRESETS)})")
        cfg = PRESETS[cfg]
    elif isinstance(cfg, Mapping):
        cfg = S2IConfig.from_dict(cfg)
    return replace(cfg, **overrides) if overrides else cfg


class S2IGenerator(nn.Module):
    """Sketch + style image -> RGB. Inputs and output in [-1, 1] (see `autoencoder`)."""

    def __init__(self, cfg: S2IConfig) -> None:
        super().__init__()
        self.config = cfg
        self.style_encoder = StyleEncoder(cfg.nfc, nbr_cls=cfg.nbr_cls)
        self.content_encoder = ContentEncoder(cfg.nfc)
        self.decoder = Decoder(cfg.nfc, cfg.im_size)
        self.refiner: nn.Module | None = None
        if cfg.refiner is not None:
            if cfg.refiner.variant == "art":
                self.refiner = RefineGeneratorArt(cfg.nfc, cfg.refiner.im_size, shoe=cfg.refiner.shoe)
            else:
                self.refiner = RefineGeneratorFace(cfg.nfc, cfg.refiner.im_size)
        settle_spectral_norm(self)

    def _fit(self, x: torch.Tensor) -> torch.Tensor:
        size = self.config.im_size
        if x.shape[-2:] == (size, size):
            return x
        return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)

    def encode_style(self, style_image: torch.Tensor) -> StyleVectors:
        """[B, 3, H, W] in [-1, 1] -> (fine, medium, coarse) style vectors."""
        return self.style_encoder(self._fit(style_image))

    def encode_content(self, sketch: torch.Tensor) -> ContentFeatures:
        """[B, 1, H, W] in [-1, 1] (ink -1, paper +1) -> content features."""
        return self.content_encoder(self._fit(sketch))

    def decode(self, content: ContentFeatures, style: StyleVectors, *, refine: bool = True) -> torch.Tensor:
        image = self.decoder(content, style)
        if refine and self.refiner is not None:
            image = self.refiner(image, style)
        return image

    def generate(self, sketch: torch.Tensor, style: StyleVectors, *, refine: bool = True) -> torch.Tensor:
        """Render from precomputed (possibly mixed or cached) style vectors."""
        return self.decode(self.encode_content(sketch), style, refine=refine)

    def forward(self, sketch: torch.Tensor, style_image: torch.Tensor) -> torch.Tensor:
        return self.generate(sketch, self.encode_style(style_image))


def create_s2i_model(cfg: S2IConfig | str | Mapping[str, Any] | None = None,
                     **overrides: Any) -> S2IGenerator:
    """Build a generator from a config, a preset name (`PRESETS`) or a metadata dict."""
    return S2IGenerator(resolve_config(cfg, **overrides))


def inference_state_dict(model: S2IGenerator) -> dict[str, torch.Tensor]:
    """The weights a renderer needs: the training-only classification head left out."""
    return {k: v for k, v in model.state_dict().items() if not k.startswith("style_encoder.final_cls.")}


def fold_spectral_norm(model: nn.Module) -> nn.Module:
    """Replace spectral-norm hooks by their fixed eval-mode weights (faster, simpler graphs).

    Only for inference copies: the folded model no longer has the official state-dict keys.
    """
    from torch.nn.utils import remove_spectral_norm
    from torch.nn.utils.spectral_norm import SpectralNorm

    was_training = model.training
    model.eval()
    for module in model.modules():
        hooks = [h for h in module._forward_pre_hooks.values() if isinstance(h, SpectralNorm)]
        for hook in hooks:
            remove_spectral_norm(module, hook.name)
    model.train(was_training)
    return model
