"""What the warp worker thread does, free of Qt: load a model, compute a pair's flows in steps.

`WarpJobs` is the handler of the annotate view's `ModelWorker`. Requests are frozen snapshots
(`LoadModel`, `FlowRequest`); a flow job is a generator whose steps (read images, encode photo,
encode sketch, estimate flows, refine through anchors, warp the overlay) are the cancellation
points. Decoded images and the model's per-image features are cached by the predictor, keyed by
path and modification time (or by a content key for sketches drawn in the app), so revisiting a
pair, or refining with a new anchor, skips the encoders.

Everything here runs on the worker thread; torch is imported lazily by the inference service.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from sketchstudio.core.errors import UserError
from sketchstudio.inference.annotation import Anchor, warp_image
from sketchstudio.inference.models_registry import IDENTITY, ModelInfo, available_devices

IMAGE_CACHE = 16


@dataclass(frozen=True, slots=True)
class ImageInput:
    """An image for the worker: a file (read there) or pixels already rendered (a drawn sketch).
    `key` identifies the content for caching (path + mtime, or a hash of the strokes)."""

    key: str
    path: str | None = None
    pixels: np.ndarray | None = field(default=None, compare=False)  # H×W×3 uint8, read-only


@dataclass(frozen=True, slots=True)
class LoadModel:
    model: ModelInfo
    device: str = "auto"


@dataclass(frozen=True, slots=True)
class ModelReady:
    model: ModelInfo
    device: str
    seconds: float


@dataclass(frozen=True, slots=True)
class FlowRequest:
    pair_id: int
    photo: ImageInput
    sketch: ImageInput
    anchors: tuple[Anchor, ...] = ()
    overlay: bool = True


@dataclass(frozen=True, slots=True, eq=False)
class FlowResult:
    pair_id: int
    anchors: tuple[Anchor, ...]
    inputs: tuple[str, str]  # (photo key, sketch key) the flows were computed from
    flows: Any  # sketchstudio.warp.flows.FlowPair
    photo_on_sketch: np.ndarray | None  # the photo warped onto the sketch (sketch-sized RGB)
    sketch_on_photo: np.ndarray | None
    seconds: float


def image_key(path: str | Path) -> str:
    """A cache key that changes when the file does."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return f"{p}:missing"
    return f"{p}:{st.st_mtime_ns}:{st.st_size}"


class WarpJobs:
    """The worker-thread side of warp suggestions. Call it with a request and a cancel token."""

    def __init__(self, predictor_factory=None) -> None:
        self._factory = predictor_factory or make_predictor
        self._predictor: Any = None
        self.model: ModelInfo = IDENTITY
        self._images: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, request: Any, token) -> Any:
        if isinstance(request, LoadModel):
            return self._load(request)
        if isinstance(request, FlowRequest):
            return self._flows(request, token)
        raise TypeError(f"unknown warp request {type(request).__name__}")

    def _load(self, request: LoadModel) -> ModelReady:
        start = time.perf_counter()
        self._predictor = None
        self.model = IDENTITY
        predictor = self._factory(request.model, request.device)  # raises UserError on bad files
        self._predictor, self.model = predictor, request.model
        available_devices()  # probe (and cache) devices here, where torch is loaded, not in a dialog
        return ModelReady(request.model, request.device, time.perf_counter() - start)

    def _flows(self, request: FlowRequest, token) -> Generator[str, None, FlowResult]:
        start = time.perf_counter()
        if self._predictor is None:  # no model loaded (or it failed): identity + anchors
            self._predictor = self._factory(IDENTITY, "cpu")
        predictor = self._predictor
        photo = self._image(request.photo)
        sketch = self._image(request.sketch)
        yield "images"
        flows = yield from predictor.flow_steps(photo, request.photo.key, sketch, request.sketch.key)
        if request.anchors:
            flows = predictor.refine(flows, request.anchors)
            yield "refined"
        photo_on_sketch = sketch_on_photo = None
        if request.overlay:
            ph, pw = photo.shape[:2]
            sh, sw = sketch.shape[:2]
            photo_on_sketch = warp_image(photo, flows.sketch_to_photo, (sw, sh))
            sketch_on_photo = warp_image(sketch, flows.photo_to_sketch, (pw, ph))
        return FlowResult(request.pair_id, request.anchors, (request.photo.key, request.sketch.key),
                          flows, photo_on_sketch, sketch_on_photo,
                          time.perf_counter() - start)

    def _image(self, source: ImageInput) -> np.ndarray:
        if source.pixels is not None:
            return source.pixels
        cached = self._images.get(source.key)
        if cached is not None:
            self._images.move_to_end(source.key)
            return cached
        arr = read_rgb(source.path)
        self._images[source.key] = arr
        while len(self._images) > IMAGE_CACHE:
            self._images.popitem(last=False)
        return arr


def read_rgb(path: str | None) -> np.ndarray:
    """An image file as H×W×3 uint8; a `UserError` naming the file when it cannot be read."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not path:
        raise UserError("the pair has no image here")
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
                bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
                bg.alpha_composite(im.convert("RGBA"))
                im = bg
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except FileNotFoundError as exc:
        raise UserError("image file not found", path=path) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UserError(f"not a readable image ({exc})", path=path) from exc


def make_predictor(model: ModelInfo, device: str) -> ServicePredictor:
    """The predictor for `model` (the identity when `model` is `IDENTITY` or has no file). The
    model is loaded here, on the worker thread; a bad file raises its `UserError`."""
    from sketchstudio.inference.warp_service import WarpService

    identity = model.id == IDENTITY.id or model.path is None
    service = WarpService(model.path, device, identity=identity, fallback_to_identity=False)
    service.predictor()
    return ServicePredictor(service, model.id)


class ServicePredictor:
    """`WarpService` (per-image feature caching, anchor refinement) under the registry's model id,
    which is what suggestions record, so the model-vs-human panel can tell models apart."""

    def __init__(self, service, model_id: str) -> None:
        self.service = service
        self.model_id = model_id

    def flow_steps(self, photo: np.ndarray, photo_key: str, sketch: np.ndarray, sketch_key: str):
        flows = yield from self.service.flow_steps(photo, sketch, photo_key=photo_key, sketch_key=sketch_key)
        return replace(flows, model_id=self.model_id)

    def refine(self, flows, anchors: tuple[Anchor, ...]):
        return self.service.with_anchors(flows, anchors)
