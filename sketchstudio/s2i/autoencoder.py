"""The autoencoder of the self-supervised sketch-to-image model: style encoder, content encoder,
decoder (official `StyleEncoder`, `ContentEncoder`, `Decoder`).

Sizes are relative to the working resolution `im_size` (a multiple of 64, at least 128): both
encoders halve it six times, so their three feature levels sit at im_size/16, /32 and /64, and
the decoder starts from a learned base map of im_size/64 squared. At im_size 512 this is exactly
the official network (stage names such as `sf_256` refer to that resolution); at 256 the same code
is a cheaper model with the same layout.

Tensors: sketches [B, 1, S, S] and style images [B, 3, S, S] in [-1, 1]; a sketch has white
paper at +1 and black ink at -1 (the official training data's polarity); the decoder's output is
RGB in [-1, 1].

One upstream quirk is kept on purpose: the official encoders apply an in-place LeakyReLU to the
32- and 16-level features when computing the next level, so the feature maps (content) and the
style vectors they return are those *after* that activation. We compute it explicitly.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from sketchstudio.s2i.layers import DMI, AdaptivePool, ResBlockE, ResBlockG, Squeeze, Unsqueeze, up_block_ae

StyleVectors = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
"""(fine, medium, coarse): from the im_size/16, /32 and /64 feature levels, nfc*2, *4, *8 wide."""

ContentFeatures = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _stem(in_ch: int, nfc: int) -> tuple[nn.Sequential, nn.Sequential, nn.Sequential]:
    return (
        nn.Sequential(nn.Conv2d(in_ch, nfc // 4, 4, 2, 1, bias=False), nn.LeakyReLU(0.2)),
        nn.Sequential(nn.Conv2d(nfc // 4, nfc // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(nfc // 2),
                      nn.LeakyReLU(0.1)),
        nn.Sequential(nn.Conv2d(nfc // 2, nfc, 4, 2, 1, bias=False), nn.BatchNorm2d(nfc), nn.LeakyReLU(0.1)),
    )


def _pyramid(nfc: int) -> tuple[nn.Sequential, nn.Sequential, nn.Sequential]:
    def down(ch: int) -> nn.Conv2d:
        return nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False)

    return (
        nn.Sequential(down(nfc), ResBlockE(nfc * 2)),
        nn.Sequential(nn.LeakyReLU(0.1), down(nfc * 2), ResBlockE(nfc * 4)),
        nn.Sequential(nn.LeakyReLU(0.1), down(nfc * 4), ResBlockE(nfc * 8)),
    )


def _pyramid_features(x: torch.Tensor, stages: tuple[nn.Module, ...]) -> ContentFeatures:
    """Run stem + pyramid; return the three levels as upstream sees them (see module docstring)."""
    for stage in stages[:3]:
        x = stage(x)
    f32 = stages[3](x)
    f16 = stages[4](f32)
    f8 = stages[5](f16)
    return F.leaky_relu(f32, 0.1), F.leaky_relu(f16, 0.1), f8


class StyleEncoder(nn.Module):
    """RGB reference -> three style vectors; optional training-only image-classification head."""

    def __init__(self, nfc: int = 64, nbr_cls: int = 0) -> None:
        super().__init__()
        self.nfc = nfc
        self.nbr_cls = nbr_cls
        self.sf_256, self.sf_128, self.sf_64 = _stem(3, nfc)
        self.sf_32, self.sf_16, self.sf_8 = _pyramid(nfc)
        self.sfv_32 = self._vector_head(nfc * 2)
        self.sfv_16 = self._vector_head(nfc * 4)
        self.sfv_8 = self._vector_head(nfc * 8)
        self.final_cls: nn.Sequential | None = None
        if nbr_cls > 0:
            self.reset_cls()

    @staticmethod
    def _vector_head(ch: int) -> nn.Sequential:
        return nn.Sequential(AdaptivePool(4), nn.Conv2d(ch, ch, 4, 1, 0, bias=False), Squeeze())

    def reset_cls(self) -> None:
        """(Re)initialise the classification head used by the self-supervised training stage."""
        if self.nbr_cls <= 0:
            raise ValueError("reset_cls needs nbr_cls > 0")
        if self.final_cls is None:
            self.final_cls = nn.Sequential(nn.LeakyReLU(0.1), nn.Linear(self.nfc * 8, self.nbr_cls))
        linear = self.final_cls[1]
        bound = 1.0 / math.sqrt(linear.weight.size(1))
        with torch.no_grad():
            linear.weight.uniform_(-bound, bound)
            linear.bias.uniform_(-0.1 * bound, 0.1 * bound)

    def forward(self, image: torch.Tensor) -> StyleVectors:
        stages = (self.sf_256, self.sf_128, self.sf_64, self.sf_32, self.sf_16, self.sf_8)
        f32, f16, f8 = _pyramid_features(image, stages)
        return self.sfv_32(f32), self.sfv_16(f16), self.sfv_8(f8)

    def classify(self, style: StyleVectors) -> torch.Tensor:
        """Class logits from the coarse style vector (training only)."""
        if self.final_cls is None:
            raise RuntimeError("this style encoder has no classification head (nbr_cls=0)")
        return self.final_cls(style[2])


class ContentEncoder(nn.Module):
    """1-channel sketch -> feature maps at im_size/16, /32, /64 (nfc*2, *4, *8 channels)."""

    def __init__(self, nfc: int = 64) -> None:
        super().__init__()
        self.cf_256, self.cf_128, self.cf_64 = _stem(1, nfc)
        self.cf_32, self.cf_16, self.cf_8 = _pyramid(nfc)

    def forward(self, sketch: torch.Tensor) -> ContentFeatures:
        stages = (self.cf_256, self.cf_128, self.cf_64, self.cf_32, self.cf_16, self.cf_8)
        return _pyramid_features(sketch, stages)


class Decoder(nn.Module):
    """Content features + style vectors -> RGB, modulating channels by style at four scales."""

    def __init__(self, nfc: int = 64, im_size: int = 512) -> None:
        super().__init__()
        base = im_size // 64
        self.base_feat = nn.Parameter(torch.randn(1, nfc * 8, base, base))
        self.dmi_8 = DMI(nfc * 8)
        self.dmi_16 = DMI(nfc * 4)
        self.feat_8_1 = nn.Sequential(ResBlockG(nfc * 16), nn.LeakyReLU(0.1),
                                      nn.Conv2d(nfc * 16, nfc * 8, 3, 1, 1, bias=False),
                                      nn.InstanceNorm2d(nfc * 8))
        self.feat_8_2 = nn.Sequential(nn.LeakyReLU(0.1), ResBlockG(nfc * 8))
        self.feat_16 = nn.Sequential(nn.LeakyReLU(0.1), nn.Upsample(scale_factor=2, mode="nearest"),
                                     nn.Conv2d(nfc * 8, nfc * 4, 3, 1, 1, bias=False), ResBlockG(nfc * 4))
        self.feat_32 = nn.Sequential(nn.LeakyReLU(0.1), nn.Upsample(scale_factor=2, mode="nearest"),
                                     nn.Conv2d(nfc * 8, nfc * 2, 3, 1, 1, bias=False), ResBlockG(nfc * 2))
        self.feat_64 = nn.Sequential(nn.LeakyReLU(0.1), up_block_ae(nfc * 4, nfc))
        self.feat_128 = up_block_ae(nfc, nfc // 2)
        self.feat_256 = up_block_ae(nfc // 2, nfc // 4)
        self.feat_512 = up_block_ae(nfc // 4, nfc // 8)
        self.to_rgb = nn.Sequential(nn.Conv2d(nfc // 8, 3, 3, 1, 1, bias=False), nn.Tanh())
        self.style_8 = nn.Sequential(nn.Linear(nfc * 8, nfc * 8), nn.ReLU(), nn.Linear(nfc * 8, nfc * 8),
                                     nn.BatchNorm1d(nfc * 8), Unsqueeze())
        self.style_64 = self._gate(nfc * 8, nfc)
        self.style_128 = self._gate(nfc * 4, nfc // 2)
        self.style_256 = self._gate(nfc * 2, nfc // 4)

    @staticmethod
    def _gate(ch_in: int, ch_out: int) -> nn.Sequential:
        return nn.Sequential(nn.Linear(ch_in, ch_out), nn.ReLU(), nn.Linear(ch_out, ch_out), nn.Sigmoid(),
                             Unsqueeze())

    def forward(self, content: ContentFeatures, style: StyleVectors) -> torch.Tensor:
        c32, c16, c8 = content
        s_fine, s_medium, s_coarse = style
        base = self.base_feat.repeat(c8.shape[0], 1, 1, 1)
        feat = self.feat_8_1(torch.cat([c8, base], dim=1))
        feat = self.dmi_8(feat, c8)
        feat = self.feat_8_2(feat * self.style_8(s_coarse))
        feat = self.dmi_16(self.feat_16(feat), c16)
        feat = self.feat_32(torch.cat([feat, c16], dim=1))
        feat = self.feat_64(torch.cat([feat, c32], dim=1)) * self.style_64(s_coarse)
        feat = self.feat_128(feat) * self.style_128(s_medium)
        feat = self.feat_256(feat) * self.style_256(s_fine)
        return self.to_rgb(self.feat_512(feat))
