"""Building blocks of the self-supervised sketch-to-image model (Liu et al., AAAI 2021).

Every block keeps the official module layout: the same attribute names and the same
`nn.Sequential` indices (parameter-free layers included), so a state dict written by the official
code loads 1:1. Spectral normalisation uses `torch.nn.utils.spectral_norm`, whose buffers
(`weight_orig`, `weight_u`, `weight_v`) are the official ones. The official CUDA-only depthwise
convolution (`torch_dwconv.DepthwiseConv2d`, one `weight` of shape [C, 1, k, k], no bias) is a
grouped `nn.Conv2d` here: same parameter, same maths, any device.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm


def sn(module: nn.Module) -> nn.Module:
    """Spectral normalisation with the official state-dict names (also on BatchNorm weights)."""
    return spectral_norm(module)


class Swish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class GLU(nn.Module):
    """Gated linear unit over channels: the first half gated by the sigmoid of the second."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.glu(x, dim=1)


class Squeeze(nn.Module):
    """[B, C, 1, 1] -> [B, C]."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)


class Unsqueeze(nn.Module):
    """[B, C] -> [B, C, 1, 1]."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, None, None]


class AdaptivePool(nn.Module):
    """`nn.AdaptiveAvgPool2d(size)` written as plain pooling or repetition where the sizes divide,
    which ONNX exports (its adaptive pooling only handles the dividing case)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = int(x.shape[-2]), int(x.shape[-1])
        if height == width and height % self.size == 0:
            return F.avg_pool2d(x, height // self.size) if height != self.size else x
        if height == width and self.size % height == 0:
            factor = self.size // height
            return x.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)
        return F.adaptive_avg_pool2d(x, self.size)


def depthwise_conv(channels: int, kernel_size: int, padding: int) -> nn.Conv2d:
    """Plain-PyTorch stand-in for `torch_dwconv.DepthwiseConv2d` (same `weight`, no bias)."""
    return nn.Conv2d(channels, channels, kernel_size, 1, padding, groups=channels, bias=False)


class SELayer(nn.Module):
    """Squeeze-and-excitation channel gate (`fc.0` and `fc.2` spectrally normalised)."""

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        hidden = max(channels // reduction, 1)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            sn(nn.Linear(channels, hidden, bias=False)), nn.ReLU(),
            sn(nn.Linear(hidden, channels, bias=False)), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.fc(self.avg_pool(x).flatten(1))
        return x * gate[:, :, None, None]


class ResBlockE(nn.Module):
    """Encoder residual block: BN-Swish-conv3x3 twice, then an SE gate (`ResBlkE`)."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.main = nn.Sequential(
            sn(nn.BatchNorm2d(ch)), Swish(), sn(nn.Conv2d(ch, ch, 3, 1, 1, bias=False)),
            sn(nn.BatchNorm2d(ch)), Swish(), sn(nn.Conv2d(ch, ch, 3, 1, 1, bias=False)),
            SELayer(ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.main(x)


class ResBlockG(nn.Module):
    """Generator residual block: inverted bottleneck with a 5x5 depthwise conv (`ResBlkG`)."""

    def __init__(self, ch: int, expansion: int = 4) -> None:
        super().__init__()
        wide = ch * expansion
        self.main = nn.Sequential(
            sn(nn.BatchNorm2d(ch)),
            sn(nn.Conv2d(ch, wide, 1, 1, 0, bias=False)),
            sn(nn.BatchNorm2d(wide)), Swish(),
            sn(depthwise_conv(wide, 5, 2)),
            sn(nn.BatchNorm2d(wide)), Swish(),
            sn(nn.Conv2d(wide, ch, 1, 1, 0, bias=False)),
            sn(nn.BatchNorm2d(ch)),
            SELayer(ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.main(x)


class DMI(nn.Module):
    """Dual-mask injection: content features split the generator features into two affine paths."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight_a = nn.Parameter(torch.full((1, channels, 1, 1), 1.01))
        self.weight_b = nn.Parameter(torch.full((1, channels, 1, 1), 0.99))
        self.bias_a = nn.Parameter(torch.full((1, channels, 1, 1), 0.01))
        self.bias_b = nn.Parameter(torch.full((1, channels, 1, 1), -0.01))

    def forward(self, feat: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if feat.shape[1] > mask.shape[1]:
            mask = mask.repeat(1, feat.shape[1] // mask.shape[1], 1, 1)
        if mask.shape[-2:] != feat.shape[-2:]:
            mask = F.interpolate(mask, size=feat.shape[-2:], mode="nearest")
        return (self.weight_a * feat * mask + self.bias_a) + (self.weight_b * feat * (1 - mask) + self.bias_b)


class NoiseInjection(nn.Module):
    """Adds per-pixel noise scaled by a learned per-channel weight.

    In training mode the noise is fresh from the global RNG (per sample, as upstream). In eval
    mode it is a fixed field drawn once per resolution from a seeded generator and broadcast over
    the batch, so a render is deterministic and does not depend on what else is in the batch; it
    is a constant in traced graphs (ONNX) for the same reason.
    """

    def __init__(self, ch: int, seed: int = 0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, ch, 1, 1))
        self.seed = seed
        self._fixed: dict[tuple[int, int], torch.Tensor] = {}

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = feat.shape
        if self.training:
            noise = torch.randn(batch, 1, height, width, device=feat.device, dtype=feat.dtype)
        else:
            noise = fixed_noise(self._fixed, (1, 1, height, width), self.seed, feat)
        return feat + self.weight * noise


def fixed_noise(cache: dict, shape: tuple[int, ...], seed: int, like: torch.Tensor) -> torch.Tensor:
    """A seeded noise tensor (drawn on the CPU so every device sees the same values), cached."""
    key = tuple(shape[-2:]) if len(shape) == 4 else tuple(shape)
    cached = cache.get(key)
    if cached is None or cached.device != like.device or cached.dtype != like.dtype:
        generator = torch.Generator().manual_seed(seed)
        cached = torch.randn(*shape, generator=generator).to(like.device, like.dtype)
        cache[key] = cached
    return cached


def up_block_ae(ch_in: int, ch_out: int) -> nn.Sequential:
    """AE decoder upsampling: nearest x2, conv3x3 to 2*ch_out, instance norm, GLU."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(ch_in, ch_out * 2, 3, 1, 1, bias=False),
        nn.InstanceNorm2d(ch_out * 2), GLU())


def down_block_gan(ch_in: int, ch_out: int) -> nn.Sequential:
    """Refiner downsampling: SN conv4x4 stride 2, BN, LeakyReLU(0.2)."""
    return nn.Sequential(
        sn(nn.Conv2d(ch_in, ch_out, 4, 2, 1, bias=False)),
        nn.BatchNorm2d(ch_out), nn.LeakyReLU(0.2))


def up_block_gan(ch_in: int, ch_out: int, seed: int = 0) -> nn.Sequential:
    """Refiner upsampling: nearest x2, SN conv3x3 to 2*ch_out, BN, noise, GLU."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        sn(nn.Conv2d(ch_in, ch_out * 2, 3, 1, 1, bias=False)),
        nn.BatchNorm2d(ch_out * 2), NoiseInjection(ch_out * 2, seed=seed), GLU())


@torch.no_grad()
def settle_spectral_norm(model: nn.Module, iterations: int = 15) -> None:
    """Run power iterations on every spectral-norm `u`/`v` pair of a freshly built model.

    A new module's `u`, `v` are random, so its eval-mode sigma can be far from the true spectral
    norm and activations explode; trained checkpoints never have that problem, fresh models used
    in tests and at the start of training should not either. Loading weights overwrites `u`/`v`.
    """
    from torch.nn.utils.spectral_norm import SpectralNorm

    for module in model.modules():
        for hook in module._forward_pre_hooks.values():
            if not isinstance(hook, SpectralNorm):
                continue
            weight = hook.reshape_weight_to_matrix(getattr(module, hook.name + "_orig"))
            u = getattr(module, hook.name + "_u")
            v = getattr(module, hook.name + "_v")
            for _ in range(iterations):
                v.copy_(F.normalize(weight.t() @ u, dim=0, eps=hook.eps))
                u.copy_(F.normalize(weight @ v, dim=0, eps=hook.eps))
            setattr(module, hook.name, hook.compute_weight(module, do_power_iteration=False))
