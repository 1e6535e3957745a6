"""Batched colour augmentation in plain torch, driven by an explicit generator.

The official recipe (kornia): ColorJitter(0.4, 0.4, 0.4, 0.1), RandomGrayscale(p=0.2),
RandomGaussianBlur((13, 13), σ ∈ (0.1, 2.0), p=0.5), then ImageNet normalisation. Each image
gets its own parameters; the hue shift rotates chroma in YIQ space (cheap and close to HSV
rotation for small angles). Images are float (B, 3, H, W) in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from sketchstudio.warp.config import IMAGENET_MEAN, IMAGENET_STD

_LUMA = torch.tensor([0.299, 0.587, 0.114])


@dataclass(frozen=True)
class ColourAugment:
    brightness: float = 0.4
    contrast: float = 0.4
    saturation: float = 0.4
    hue: float = 0.1
    grayscale_p: float = 0.2
    blur_p: float = 0.5
    blur_sigma: tuple[float, float] = (0.1, 2.0)

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        b = images.shape[0]
        dev = images.device

        def uniform(lo: float, hi: float) -> torch.Tensor:
            return (torch.rand(b, generator=generator, device=generator.device).to(dev) * (hi - lo) + lo
                    ).view(b, 1, 1, 1)

        luma_w = _LUMA.to(dev).view(1, 3, 1, 1)
        x = images * uniform(1 - self.brightness, 1 + self.brightness)
        mean = (x * luma_w).sum(1, keepdim=True).mean((2, 3), keepdim=True)
        x = (x - mean) * uniform(1 - self.contrast, 1 + self.contrast) + mean
        gray = (x * luma_w).sum(1, keepdim=True)
        x = (x - gray) * uniform(1 - self.saturation, 1 + self.saturation) + gray
        if self.hue > 0:
            x = _rotate_hue(x, uniform(-self.hue, self.hue) * 2 * math.pi)
        x = x.clamp(0, 1)
        to_gray = (uniform(0, 1) < self.grayscale_p).float()
        gray = (x * luma_w).sum(1, keepdim=True).expand_as(x)
        x = x * (1 - to_gray) + gray * to_gray
        if self.blur_p > 0:
            blur = (uniform(0, 1) < self.blur_p).float()
            sigma = uniform(*self.blur_sigma).view(b)
            x = x * (1 - blur) + gaussian_blur(x, sigma) * blur
        return x


def _rotate_hue(x: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    rgb2yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]],
                           device=x.device, dtype=x.dtype)
    yiq2rgb = torch.linalg.inv(rgb2yiq)
    yiq = torch.einsum("ij,bjhw->bihw", rgb2yiq, x)
    c, s = torch.cos(angle), torch.sin(angle)
    i, q = yiq[:, 1:2], yiq[:, 2:3]
    yiq = torch.cat([yiq[:, :1], i * c - q * s, i * s + q * c], dim=1)
    return torch.einsum("ij,bjhw->bihw", yiq2rgb, yiq)


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor, radius: int = 6) -> torch.Tensor:
    """Per-image separable Gaussian blur (kernel 2·radius+1 = 13, as the official recipe)."""
    b, c, h, w = x.shape
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-0.5 * (t.view(1, -1) / sigma.view(-1, 1).clamp_min(1e-3)) ** 2)
    k = k / k.sum(1, keepdim=True)  # (B, K)
    weight = k.repeat_interleave(c, dim=0)  # (B·C, K)
    y = x.reshape(1, b * c, h, w)
    y = F.pad(y, (radius, radius, radius, radius), mode="replicate")
    y = F.conv2d(y, weight.view(b * c, 1, 1, -1), groups=b * c)
    y = F.conv2d(y, weight.view(b * c, 1, -1, 1), groups=b * c)
    return y.view(b, c, h, w)


def normalise(images: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(IMAGENET_MEAN, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
    return (images - mean) / std
