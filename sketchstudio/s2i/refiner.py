"""The optional GAN refiner (official `RefineGenerator_art` and `RefineGenerator_face`).

It takes the autoencoder's 512x512 output and the style vectors, and produces a sharper image
at 512 or 1024 pixels. Both variants are tied to a 512-pixel input by their fixed style/noise
branches (they produce 16x16 and 32x32 maps), so a refiner needs an autoencoder with im_size 512.

Differences from upstream, all outside the weights: noise is deterministic in eval mode (see
`NoiseInjection`), and the face variant's random flips of its style map happen only in training
mode, so rendering is reproducible.
"""

from __future__ import annotations

import random

import torch
from torch import nn

from sketchstudio.s2i.autoencoder import StyleVectors
from sketchstudio.s2i.layers import (
    GLU,
    NoiseInjection,
    ResBlockG,
    Swish,
    Unsqueeze,
    down_block_gan,
    fixed_noise,
    sn,
    up_block_gan,
)

REFINER_INPUT_SIZE = 512


def _seed_noise_layers(module: nn.Module) -> None:
    """Give every noise layer its own seed so eval-mode noise differs between layers."""
    for index, layer in enumerate(m for m in module.modules() if isinstance(m, NoiseInjection)):
        layer.seed = 1000 + index


class RefineGeneratorArt(nn.Module):
    """U-Net-like refiner with style modulation and a noise branch (WikiArt configuration).

    `shoe=True` is upstream's small-data variant (`DATA_NAME == 'shoe'`): it carries three extra,
    unused parameters (`bs_0..2`), zeroes the style branch and skips the style gates.
    """

    def __init__(self, nfc: int = 64, im_size: int = 1024, shoe: bool = False) -> None:
        super().__init__()
        if im_size not in (512, 1024):
            raise ValueError(f"refiner output size must be 512 or 1024, not {im_size}")
        self.im_size = im_size
        self.shoe = shoe
        d16, d32, d64, d128, d256, d512 = nfc * 8, nfc * 8, nfc * 4, nfc * 2, nfc, nfc // 2
        self.from_noise_32 = nn.Sequential(
            Unsqueeze(), sn(nn.ConvTranspose2d(nfc * 8, nfc * 8, 4, 1, 0, bias=False)),
            nn.BatchNorm2d(nfc * 8), GLU(),
            up_block_gan(nfc * 4, nfc * 2), up_block_gan(nfc * 2, nfc * 2), up_block_gan(nfc * 2, nfc))
        self.from_style = nn.Sequential(
            Unsqueeze(), sn(nn.ConvTranspose2d(nfc * 14, nfc * 16, 4, 1, 0, bias=False)),
            nn.BatchNorm2d(nfc * 16), GLU(), up_block_gan(nfc * 8, nfc * 4))
        self.encode_256 = nn.Sequential(sn(nn.Conv2d(3, d256, 4, 2, 1, bias=False)), nn.LeakyReLU(0.2))
        self.encode_128 = down_block_gan(d256, d128)
        self.encode_64 = down_block_gan(d128, d64)
        self.encode_32 = down_block_gan(d64, d32)
        self.encode_16 = down_block_gan(d32, d16)
        self.residual_16 = nn.Sequential(ResBlockG(d16 + nfc * 4), Swish(), ResBlockG(d16 + nfc * 4), Swish())
        self.decode_32 = up_block_gan(d16 + nfc * 4, d32)
        self.decode_64 = up_block_gan(d32 + nfc, d64)
        self.decode_128 = up_block_gan(d64, d128)
        self.decode_256 = up_block_gan(d128, d256)
        self.decode_512 = up_block_gan(d256, d512)
        if im_size == 1024:
            self.decode_1024 = up_block_gan(d512, nfc // 4)
        self.style_64 = self._gate(nfc * 8, d64)
        self.style_128 = self._gate(nfc * 8, d128)
        self.style_256 = self._gate(nfc * 4, d256)
        self.style_512 = self._gate(nfc * 2, d512)
        last = nfc // 4 if im_size == 1024 else nfc // 2
        self.to_rgb = nn.Sequential(nn.Conv2d(last, 3, 3, 1, 1, bias=False), nn.Tanh())
        if shoe:
            self.bs_0 = nn.Parameter(torch.randn(1, nfc * 2))
            self.bs_1 = nn.Parameter(torch.randn(1, nfc * 4))
            self.bs_2 = nn.Parameter(torch.randn(1, nfc * 8))
        self._noise_input: dict = {}
        _seed_noise_layers(self)

    @staticmethod
    def _gate(ch_in: int, ch_out: int) -> nn.Sequential:
        return nn.Sequential(sn(nn.Linear(ch_in, ch_out)), nn.ReLU(), nn.Linear(ch_out, ch_out), nn.Sigmoid(),
                             Unsqueeze())

    def forward(self, image: torch.Tensor, style: StyleVectors) -> torch.Tensor:
        s_fine, s_medium, s_coarse = style
        s_16 = self.from_style(torch.cat(style, dim=1)).repeat(1, 1, 2, 2)  # tiled, as upstream
        if self.shoe:
            s_16 = torch.zeros_like(s_16)
        if self.training:
            seed_vector = torch.randn_like(s_coarse)
        else:
            seed_vector = fixed_noise(self._noise_input, (1, s_coarse.shape[1]), 7, s_coarse)
            seed_vector = seed_vector.expand(s_coarse.shape[0], -1)
        n_32 = self.from_noise_32(seed_vector)
        e_256 = self.encode_256(image)
        e_128 = self.encode_128(e_256)
        e_64 = self.encode_64(e_128)
        e_32 = self.encode_32(e_64)
        e_16 = self.residual_16(torch.cat([self.encode_16(e_32), s_16], dim=1))
        d_64 = self.decode_64(torch.cat([self.decode_32(e_16), n_32], dim=1))
        if not self.shoe:
            d_64 = d_64 * self.style_64(s_coarse)
        d_128 = self.decode_128(d_64 + e_64)
        if not self.shoe:
            d_128 = d_128 * self.style_128(s_coarse)
        d_256 = self.decode_256(d_128 + e_128)
        if not self.shoe:
            d_256 = d_256 * self.style_256(s_medium)
        d_512 = self.decode_512(d_256 + e_256)
        if not self.shoe:
            d_512 = d_512 * self.style_512(s_fine)
        if self.im_size == 1024:
            d_512 = self.decode_1024(d_512)
        return self.to_rgb(d_512)


class RefineGeneratorFace(nn.Module):
    """Lighter refiner with fixed channel widths (CelebA configuration)."""

    def __init__(self, nfc: int = 64, im_size: int = 1024) -> None:
        super().__init__()
        if im_size not in (512, 1024):
            raise ValueError(f"refiner output size must be 512 or 1024, not {im_size}")
        self.im_size = im_size
        e1, e2, e3, e4 = 16, 32, 64, 128
        self.encode_1 = down_block_gan(3, e1)
        self.encode_2 = down_block_gan(e1, e2)
        self.encode_3 = down_block_gan(e2, e3)
        self.encode_4 = down_block_gan(e3, e4)
        s1, s2, s3, s4 = 256, 128, 128, 64
        self.style = nn.Sequential(nn.Linear(nfc * 14, 512), nn.LeakyReLU(0.1))
        self.from_style_32 = nn.Sequential(
            sn(nn.ConvTranspose2d(512, s1, 4, 1, 0, bias=False)), nn.BatchNorm2d(s1), GLU(),
            up_block_gan(s1 // 2, s2), up_block_gan(s2, s3), up_block_gan(s3, s4))
        d1, d2, d3, d4, d5 = 256, 128, 64, 32, 16
        self.decode_64 = up_block_gan(e4 + s4, d1)
        self.decode_128 = up_block_gan(d1 + e3, d2)
        self.decode_256 = up_block_gan(d2 + e2, d3)
        self.decode_512 = up_block_gan(d3 + e1, d4)
        if im_size == 1024:
            self.decode_1024 = up_block_gan(d4, d5)
        widths = [d1, d2, d3, d4] + ([d5] if im_size == 1024 else [])
        self.style_blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(512, ch), nn.ReLU(), nn.Linear(ch, ch), nn.Sigmoid()) for ch in widths)
        last = d5 if im_size == 1024 else d4
        self.final = nn.Sequential(sn(nn.Conv2d(last, 3, 3, 1, 1, bias=False)), nn.Tanh())
        _seed_noise_layers(self)

    def forward(self, image: torch.Tensor, style: StyleVectors) -> torch.Tensor:
        e_256 = self.encode_1(image)
        e_128 = self.encode_2(e_256)
        e_64 = self.encode_3(e_128)
        e_32 = self.encode_4(e_64)
        code = self.style(torch.cat(style, dim=1))
        s_32 = self.from_style_32(code[:, :, None, None])
        if self.training:
            if random.randint(0, 1):
                s_32 = s_32.flip(2)
            if random.randint(0, 1):
                s_32 = s_32.flip(3)
        gates = [block(code)[:, :, None, None] for block in self.style_blocks]
        feat = self.decode_64(torch.cat([e_32, s_32], dim=1)) * gates[0]
        feat = self.decode_128(torch.cat([e_64, feat], dim=1)) * gates[1]
        feat = self.decode_256(torch.cat([e_128, feat], dim=1)) * gates[2]
        feat = self.decode_512(torch.cat([e_256, feat], dim=1)) * gates[3]
        if self.im_size == 1024:
            feat = self.decode_1024(feat) * gates[4]
        return self.final(feat)
