"""PSCNet's coarse-to-fine flow estimator (the official `STN`).

`estimate(source, target)` returns a flow on the target's grid that points into the source:
`flow[b, y, x] = (x', y')`, normalised with `align_corners=True`, so
`grid_sample(source_image, flow)` warps the source onto the target. Each block sees the
correlation of the (resized) target features with the source features warped by the flow so
far, and adds a residual to that flow; the first block starts from the identity grid.

Correlation layout (as the official code, so that its weights apply): for target map `t` and
source map `s`, both C×H×W, channel `i = y_t·W + x_t` at position (y, x) holds
⟨t[:, y_t, x_t], s[:, y, x]⟩; one such volume per correlated block, concatenated.

The official `mask_outlier` is a no-op (`(f < -1) & (f > 1)` is never true) and is left out.
The last convolution of each block starts at zero, so an untrained estimator returns the
identity flow.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def identity_grid(size: int) -> Tensor:
    """(1, size, size, 2) grid of (x, y) in [-1, 1], align_corners=True (the official `base_map`)."""
    theta = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    return F.affine_grid(theta, [1, 1, size, size], align_corners=True)


def correlation(target: Tensor, source: Tensor) -> Tensor:
    """(N, H·W, H, W): every target position's dot product with every source position."""
    n, c, h, w = target.shape
    t = target.permute(0, 2, 3, 1).reshape(n, h * w, c)
    s = source.reshape(n, c, h * w)
    return torch.bmm(t, s).reshape(n, h * w, h, w)


def resize(x: Tensor, size: int) -> Tensor:
    """Bilinear resize (align_corners=False) as the official `interpolate`; a no-op at size."""
    if x.shape[-2:] == (size, size):
        return x
    return F.interpolate(x, (size, size), mode="bilinear", align_corners=False)


class FlowEstimator(nn.Module):
    """Blocks `net_{s}x` for each output side `s` in `scales`, plus the identity `base_map`."""

    def __init__(self, num_maps: int = 2, feat_size: int = 16, flow_size: int = 16,
                 scales: tuple[int, ...] = (4, 8, 16), depth: int = 5) -> None:
        super().__init__()
        self.feat_size = feat_size
        self.flow_size = flow_size
        self.block_names = [f"net_{s}x" for s in scales]
        channels = feat_size * feat_size * num_maps
        for name, scale in zip(self.block_names, scales):
            self.add_module(name, self._block(channels, feat_size // scale, depth, flow_size))
        self.register_buffer("base_map", identity_grid(flow_size))

    @staticmethod
    def _block(channels: int, stride: int, depth: int, flow_size: int) -> nn.Sequential:
        # Same child indices as the official block: conv/BN/act triples, then the flow head and
        # the upsampling to the flow grid.
        layers: list[nn.Module] = [nn.Conv2d(channels, channels, stride, stride=stride),
                                   nn.BatchNorm2d(channels), nn.LeakyReLU(0.1)]
        for _ in range(depth):
            layers += [nn.Conv2d(channels, channels // 2, 3, padding=1, bias=False),
                       nn.BatchNorm2d(channels // 2), nn.LeakyReLU(0.1)]
            channels //= 2
        head = nn.Conv2d(channels, 2, 3, padding=1, bias=True)
        layers += [head, nn.Upsample(size=(flow_size, flow_size), mode="bilinear", align_corners=True)]
        for m in layers:
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=1e-3)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.zeros_(head.weight)
        return nn.Sequential(*layers)

    def forward(self, source: list[Tensor], target: list[Tensor]) -> Tensor:
        """Flow (N, flow_size, flow_size, 2) on the target grid pointing into the source.

        `source` and `target` are the raw feature maps of the correlated blocks (any sizes);
        warping samples the raw source maps, as the official code does.
        """
        target_r = [resize(t, self.feat_size) for t in target]
        warped = [resize(s, self.feat_size) for s in source]
        flow: Tensor | None = None
        for name in self.block_names:
            if flow is not None:
                warped = [resize(F.grid_sample(s, flow.to(s.dtype), mode="bilinear", padding_mode="zeros",
                                               align_corners=True), self.feat_size) for s in source]
            corr = torch.cat([correlation(t, s) for t, s in zip(target_r, warped)], dim=1)
            # Flows stay float32 even when the features run in half precision.
            step = self._modules[name](corr).permute(0, 2, 3, 1).float()
            flow = self.base_map + step if flow is None else flow + step
        assert flow is not None
        return flow
