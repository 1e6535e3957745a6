"""The warp model as the GUI's worker uses it: load lazily, compute flows in cancellable steps.

    service = WarpService(checkpoint=None)               # nothing heavy happens yet
    steps = service.flow_steps(photo, sketch, photo_key="photos/cat/1.jpg", sketch_key="pair 7 rev 12")
    # The GUI's ModelWorker runs such a generator as a job: it yields a step name before each
    # step (the worker checks its cancel token there) and returns the FlowPair.
    flows = service.compute_flows(photo, sketch, cancelled=token_is_set)  # the same, as a call
    flows = service.with_anchors(flows, anchors)         # confirmed keypoints bend the flows

The model loads on first use, on the worker thread. When no model is available (no default
shipped, or a bad file) and `fallback_to_identity` is set, the service continues with the
identity predictor and keeps the reason in `warning`, so annotation stays usable.

Qt-free, and torch is imported only when the model loads (`sketchstudio.warp.flows` and
`sketchstudio.warp.refine` are numpy only).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sketchstudio.core.errors import UserError
from sketchstudio.core.model import Point2, Side
from sketchstudio.warp.flows import FlowPair
from sketchstudio.warp.refine import refine_flow

STEP_LOAD = "load model"
STEP_ENCODE_PHOTO = "encode photo"
STEP_ENCODE_SKETCH = "encode sketch"
STEP_ESTIMATE = "estimate flows"

Anchor = tuple[Point2, Point2]
"""A confirmed correspondence: (photo xy, sketch xy), image pixels."""


class WarpService:
    """A lazily loaded warp predictor (or the identity) behind a step-wise API."""

    def __init__(self, checkpoint: str | Path | None = None, device: str = "auto", *, identity: bool = False,
                 fallback_to_identity: bool = True) -> None:
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        self.device = device
        self.identity = identity
        self.fallback_to_identity = fallback_to_identity
        self.warning: str | None = None
        self._predictor: Any = None

    @property
    def loaded(self) -> bool:
        return self._predictor is not None

    @property
    def model_id(self) -> str:
        return self.predictor().model_id

    def predictor(self) -> Any:
        """The `WarpPredictor` (or `IdentityPredictor`), loading it on first use."""
        if self._predictor is None:
            from sketchstudio.warp.predictor import IdentityPredictor, WarpPredictor

            if self.identity:
                self._predictor = IdentityPredictor()
            else:
                try:
                    self._predictor = WarpPredictor.load(self.checkpoint, device=self.device)
                except UserError as exc:
                    if not self.fallback_to_identity:
                        raise
                    self.warning = f"warp model unavailable, suggesting without it: {exc}"
                    self._predictor = IdentityPredictor()
        return self._predictor

    def flow_steps(self, photo: Any, sketch: Any, *, photo_key: str | None = None,
                   sketch_key: str | None = None) -> Generator[str, None, FlowPair]:
        """Yield a step name before each step; return the pair's `FlowPair`.

        `photo_key`/`sketch_key` name the image's content (change them when it changes): an
        image whose key is cached is not encoded again, so a new stroke re-encodes the sketch only.
        """
        if not self.loaded:
            yield STEP_LOAD
        predictor = self.predictor()
        yield STEP_ENCODE_PHOTO
        photo_feats = predictor.encode(photo, Side.PHOTO, photo_key)
        yield STEP_ENCODE_SKETCH
        sketch_feats = predictor.encode(sketch, Side.SKETCH, sketch_key)
        yield STEP_ESTIMATE
        return predictor.flows(photo_feats, sketch_feats)

    def compute_flows(self, photo: Any, sketch: Any, *, photo_key: str | None = None,
                      sketch_key: str | None = None, cancelled: Callable[[], bool] | None = None,
                      progress: Callable[[str], None] | None = None) -> FlowPair | None:
        """Run `flow_steps` to the end; None if `cancelled()` turns true between steps."""
        steps = self.flow_steps(photo, sketch, photo_key=photo_key, sketch_key=sketch_key)
        try:
            while True:
                step = next(steps)
                if cancelled is not None and cancelled():
                    steps.close()
                    return None
                if progress is not None:
                    progress(step)
        except StopIteration as done:
            return done.value

    @staticmethod
    def with_anchors(flows: FlowPair, anchors: Sequence[Anchor]) -> FlowPair:
        """`flows` bent through the confirmed correspondences (see `sketchstudio.warp.refine`)."""
        if not anchors:
            return flows
        photo = np.array([a[0] for a in anchors], dtype=np.float64)
        sketch = np.array([a[1] for a in anchors], dtype=np.float64)
        return refine_flow(flows, photo, sketch)

    def clear_cache(self) -> None:
        if self._predictor is not None:
            self._predictor.clear_cache()
