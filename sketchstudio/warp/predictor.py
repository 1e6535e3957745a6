"""Step-wise inference for photo–sketch pairs: encode each image, then estimate both flows.

    predictor = WarpPredictor.load(None)                     # the shipped default model
    photo = predictor.encode(photo_img, Side.PHOTO, cache_key="photos/cat/1.jpg")
    sketch = predictor.encode(sketch_img, Side.SKETCH)       # a new stroke: only this re-runs
    flows = predictor.flows(photo, sketch)                   # FlowPair (numpy, CPU)
    points, confidence = flows.transfer([[120.0, 80.5]], Direction.PHOTO_TO_SKETCH)

The steps are separate calls so a worker can cancel between them and so an image's encoding
is reused: `encode` keeps the last few encodings per (side, cache_key). A cache key must change
whenever the image does (e.g. a path plus a revision number). Preprocessing is described in
`sketchstudio.warp.preprocess`, coordinates in `sketchstudio.warp.flows`.

The device is chosen by `sketchstudio.weights.device.select_device`; on CUDA the model runs
channels-last under float16 autocast (flows stay float32), on the CPU in float32. A predictor
is meant for one thread at a time (the GUI's model worker).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sketchstudio.core.model import Side
from sketchstudio.warp.checkpoints import load_warp_model
from sketchstudio.warp.config import IMAGENET_MEAN, IMAGENET_STD
from sketchstudio.warp.flows import FlowPair
from sketchstudio.warp.model import PHOTO, SKETCH, PSCWarpModel
from sketchstudio.warp.preprocess import ImageLike, image_size, prepare
from sketchstudio.weights.device import select_device

DEFAULT_CACHE_SIZE = 8


@dataclass(frozen=True, eq=False)
class Features:
    """One image's encoding: the correlated blocks' raw maps (None for the identity predictor)."""

    side: Side
    size: tuple[int, int]
    """The original image's (width, height)."""
    maps: tuple[torch.Tensor, ...] | None = None
    key: str | None = None


class WarpPredictor:
    """A loaded warp model with an encoding cache; see the module docstring."""

    def __init__(self, model: PSCWarpModel, metadata: dict[str, Any] | None = None, device: str = "auto",
                 *, model_id: str = "warp", cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.device = select_device(device)
        self.metadata = dict(metadata or {})
        self.model_id = model_id
        norm = self.metadata.get("normalisation") or {}
        self.mean = tuple(norm.get("mean", IMAGENET_MEAN))
        self.std = tuple(norm.get("std", IMAGENET_STD))
        self.input_size = model.config.input_size
        self._half = self.device.type == "cuda"
        model = model.eval().to(self.device)
        if self._half:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self._cache: OrderedDict[tuple[Side, str], Features] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def load(cls, checkpoint: str | Path | None = None, device: str = "auto", *, arch: str | None = None,
             cache_size: int = DEFAULT_CACHE_SIZE) -> WarpPredictor:
        """From our `.safetensors` or an official `.pth.tar`; None = the shipped default model."""
        model, meta = load_warp_model(checkpoint, arch=arch)
        model_id = Path(checkpoint).name if checkpoint is not None else "warp-default"
        return cls(model, meta, device, model_id=model_id, cache_size=cache_size)

    # --- steps -----------------------------------------------------------------------------

    def encode(self, image: ImageLike, side: Side, cache_key: str | None = None) -> Features:
        """Encode one image (condition by `side`), or return the cached encoding for `cache_key`."""
        side = Side(side)
        if cache_key is not None:
            hit = self._cache.get((side, cache_key))
            if hit is not None:
                self._cache.move_to_end((side, cache_key))
                return hit
        maps = self._encode_batch([image], side)
        feats = Features(side, image_size(image), tuple(maps), cache_key)
        if cache_key is not None:
            self._cache[(side, cache_key)] = feats
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return feats

    def flows(self, photo: Features, sketch: Features) -> FlowPair:
        """Both dense flows for an encoded pair, as numpy arrays on the CPU."""
        if photo.side is not Side.PHOTO or sketch.side is not Side.SKETCH:
            raise ValueError("flows(photo, sketch) takes a photo's and a sketch's features, in that order")
        p2s, s2p = self._estimate([photo], [sketch])
        return FlowPair.from_normalised(p2s[0], s2p[0], photo.size, sketch.size, self.model_id)

    def predict(self, photo: ImageLike, sketch: ImageLike) -> FlowPair:
        """Encode both images (uncached) and estimate the flows: one call for scripts."""
        return self.flows(self.encode(photo, Side.PHOTO), self.encode(sketch, Side.SKETCH))

    def predict_batch(self, photos: Sequence[ImageLike], sketches: Sequence[ImageLike]) -> list[FlowPair]:
        """Several pairs in one forward pass per step (evaluation)."""
        if len(photos) != len(sketches):
            raise ValueError("as many photos as sketches, please")
        p = self._encode_batch(photos, Side.PHOTO)
        s = self._encode_batch(sketches, Side.SKETCH)
        pf = [Features(Side.PHOTO, image_size(img), tuple(m[i:i + 1] for m in p))
              for i, img in enumerate(photos)]
        sf = [Features(Side.SKETCH, image_size(img), tuple(m[i:i + 1] for m in s))
              for i, img in enumerate(sketches)]
        p2s, s2p = self._estimate(pf, sf)
        return [FlowPair.from_normalised(p2s[i], s2p[i], pf[i].size, sf[i].size, self.model_id)
                for i in range(len(photos))]

    def clear_cache(self) -> None:
        self._cache.clear()

    # --- internals -------------------------------------------------------------------------

    def _to_device(self, images: Sequence[ImageLike]) -> torch.Tensor:
        batch = np.stack([prepare(image, self.input_size, self.mean, self.std) for image in images])
        x = torch.from_numpy(batch).to(self.device)
        return x.contiguous(memory_format=torch.channels_last) if self._half else x

    def _autocast(self) -> torch.autocast:
        return torch.autocast(device_type=self.device.type, dtype=torch.float16, enabled=self._half)

    def _encode_batch(self, images: Sequence[ImageLike], side: Side) -> list[torch.Tensor]:
        batch = self._to_device(images)
        with torch.inference_mode(), self._autocast():
            return self.model.encode(batch, PHOTO if side is Side.PHOTO else SKETCH)

    def _estimate(self, photos: Sequence[Features], sketches: Sequence[Features]
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(photo_to_sketch, sketch_to_photo), each (N, S, S, 2) in [-1, 1].

        Both directions run as one batch: the estimator sees (sketch → photo grid) and
        (photo → sketch grid) stacked, which is cheaper than two calls.
        """
        n = len(photos)
        photo_maps = [torch.cat([f.maps[i] for f in photos]) for i in range(len(photos[0].maps or ()))]
        sketch_maps = [torch.cat([f.maps[i] for f in sketches]) for i in range(len(sketches[0].maps or ()))]
        source = [torch.cat([s, p]) for s, p in zip(sketch_maps, photo_maps)]
        target = [torch.cat([p, s]) for p, s in zip(photo_maps, sketch_maps)]
        with torch.inference_mode(), self._autocast():
            flow = self.model.upsample(self.model.estimate(source, target).float())
        flow = flow.cpu().numpy()
        return flow[:n], flow[n:]


class IdentityPredictor:
    """The no-model baseline with `WarpPredictor`'s interface: every point keeps its relative
    position. With anchors (`sketchstudio.warp.refine`) it becomes a usable fallback."""

    model_id = "identity"

    def __init__(self, grid: int = 256) -> None:
        self.input_size = grid

    @classmethod
    def load(cls, checkpoint: str | Path | None = None, device: str = "auto", **_: Any) -> IdentityPredictor:
        return cls()

    def encode(self, image: ImageLike, side: Side, cache_key: str | None = None) -> Features:
        return Features(Side(side), image_size(image), None, cache_key)

    def flows(self, photo: Features, sketch: Features) -> FlowPair:
        return FlowPair.identity(photo.size, sketch.size, self.input_size, self.model_id)

    def predict(self, photo: ImageLike, sketch: ImageLike) -> FlowPair:
        return self.flows(self.encode(photo, Side.PHOTO), self.encode(sketch, Side.SKETCH))

    def predict_batch(self, photos: Sequence[ImageLike], sketches: Sequence[ImageLike]) -> list[FlowPair]:
        return [self.predict(p, s) for p, s in zip(photos, sketches)]

    def clear_cache(self) -> None:
        pass
