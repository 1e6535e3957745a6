"""The warp model: a conditional-BN ResNet encoder and PSCNet's flow estimator.

State-dict keys are the official PSCNet keys with `encoder_q.` renamed to `encoder.` (see
`sketchstudio.warp.convert`); block 4, the MoCo heads and the momentum encoder are not part of
the inference model.

Inference is split into steps so a worker can cancel between them and reuse work: `encode`
one image (cache it per image), then `estimate` a flow from two encodings.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sketchstudio.warp.config import ARCHS, WarpConfig, make_config
from sketchstudio.warp.encoder import CondResNet
from sketchstudio.warp.estimator import FlowEstimator

PHOTO = 0
SKETCH = 1
"""Batch-norm conditions, as in the official code."""


class PSCWarpModel(nn.Module):
    """Dense photo–sketch correspondence (Lu et al., ICML 2023), inference parts only."""

    def __init__(self, config: WarpConfig) -> None:
        super().__init__()
        self.config = config
        block, layers = ARCHS[config.arch]
        self.encoder = CondResNet(block, layers, width=config.width, num_stages=max(config.corr_layers),
                                  shared_norms=config.shared_norms)
        self.stn = FlowEstimator(num_maps=len(config.corr_layers), feat_size=config.feat_size,
                                 flow_size=config.flow_size, scales=config.scales, depth=config.stn_depth)

    def encode(self, images: Tensor, cond: int) -> list[Tensor]:
        """Raw feature maps of the correlated blocks for normalised images (N, 3, S, S)."""
        return self.encoder(images, cond, stages=self.config.corr_layers)

    def estimate(self, source: list[Tensor], target: list[Tensor]) -> Tensor:
        """Flow on the target's grid pointing into the source, (N, flow, flow, 2), in [-1, 1]."""
        return self.stn(source, target)

    def upsample(self, flow: Tensor, size: int | None = None) -> Tensor:
        """Flow resized to the image grid with bilinear, align_corners=True (as the official eval)."""
        size = size or self.config.input_size
        return F.interpolate(flow.permute(0, 3, 1, 2), (size, size), mode="bilinear",
                             align_corners=True).permute(0, 2, 3, 1)

    def forward(self, photo: Tensor, sketch: Tensor) -> tuple[Tensor, Tensor]:
        """(photo_to_sketch, sketch_to_photo) at the input size, normalised coordinates.

        `photo_to_sketch` lives on the photo grid and points into the sketch (the official
        `bwd_flow`); `sketch_to_photo` is the official `fwd_flow`.
        """
        photo_maps = self.encode(photo, PHOTO)
        sketch_maps = self.encode(sketch, SKETCH)
        photo_to_sketch = self.estimate(sketch_maps, photo_maps)
        sketch_to_photo = self.estimate(photo_maps, sketch_maps)
        return self.upsample(photo_to_sketch), self.upsample(sketch_to_photo)


def create_warp_model(arch: str = "resnet18", **cfg: Any) -> PSCWarpModel:
    """Registry entry point: `create_warp_model("resnet18", preset="tiny")`,
    `create_warp_model("resnet101")`, or any `WarpConfig` field as a keyword."""
    return PSCWarpModel(make_config(arch, **cfg))


def build_from_config(config: WarpConfig, device: torch.device | str | None = None) -> PSCWarpModel:
    """A model in eval mode, optionally built directly on `device` (use "meta" to inspect shapes)."""
    if device is not None and str(device) == "meta":
        with torch.device("meta"):
            return PSCWarpModel(config).eval()
    model = PSCWarpModel(config).eval()
    return model if device is None else model.to(device)
