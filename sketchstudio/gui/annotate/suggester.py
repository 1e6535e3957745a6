"""The Qt side of warp suggestions: one worker thread, a per-pair flow cache, prefetching.

`WarpSuggester` owns the warp model's `ModelWorker` (lanes: "control" for model loads, then
"current" for the pair on screen, then "prefetch" for the next unfinished pair) and keeps the
latest `FlowResult` of recently seen pairs, so a click on a pair whose flows are cached is
answered on the GUI thread from numpy arrays, without waiting for the model.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, Signal

from sketchstudio.gui.annotate.warp_jobs import FlowRequest, FlowResult, LoadModel, ModelReady, WarpJobs
from sketchstudio.gui.workers import CURRENT, PREFETCH, ModelWorker
from sketchstudio.inference.models_registry import IDENTITY, ModelInfo

CONTROL = "control"
FLOW_CACHE = 24


class WarpSuggester(QObject):
    flowsReady = Signal(object)  # FlowResult (newest for its lane)
    modelReady = Signal(object)  # ModelReady
    failed = Signal(str)  # one line for the user
    busyChanged = Signal(bool)

    def __init__(self, jobs: WarpJobs | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs or WarpJobs()
        self.worker = ModelWorker(self.jobs, name="warp", lanes=(CONTROL, CURRENT, PREFETCH))
        self.worker.resultReady.connect(self._on_result)
        self.worker.failed.connect(self._on_failed)
        self.worker.busyChanged.connect(self.busyChanged)
        self.model: ModelInfo = IDENTITY
        self.model_error: str | None = None
        self._cache: OrderedDict[int, FlowResult] = OrderedDict()
        self._in_flight: dict[str, FlowRequest] = {}

    # --- requests ------------------------------------------------------------------------------

    def set_model(self, model: ModelInfo, device: str = "auto") -> int:
        """Load `model` on the worker; cached flows of the previous model are dropped."""
        self._cache.clear()
        self._in_flight.clear()
        self.worker.cancel(CURRENT)
        self.worker.cancel(PREFETCH)
        self.model = model
        self.model_error = None
        return self.worker.submit(LoadModel(model, device), CONTROL)

    def request(self, request: FlowRequest, *, prefetch: bool = False) -> int | None:
        """Ask for a pair's flows unless an identical request is already cached or running."""
        lane = PREFETCH if prefetch else CURRENT
        cached = self._cache.get(request.pair_id)
        if (cached is not None and cached.anchors == request.anchors
                and cached.inputs == (request.photo.key, request.sketch.key)):
            return None
        running = self._in_flight.get(lane)
        if running == request and self.worker.busy:
            return None
        self._in_flight[lane] = request
        return self.worker.submit(request, lane)

    def cached(self, pair_id: int) -> FlowResult | None:
        result = self._cache.get(pair_id)
        if result is not None:
            self._cache.move_to_end(pair_id)
        return result

    def shutdown(self) -> None:
        self.worker.stop()

    # --- results -------------------------------------------------------------------------------

    def _on_result(self, request_id: int, lane: str, result: object) -> None:
        if isinstance(result, ModelReady):
            self.model = result.model
            self.modelReady.emit(result)
            return
        if isinstance(result, FlowResult):
            self._in_flight.pop(lane, None)
            self._cache[result.pair_id] = result
            self._cache.move_to_end(result.pair_id)
            while len(self._cache) > FLOW_CACHE:
                self._cache.popitem(last=False)
            self.flowsReady.emit(result)

    def _on_failed(self, request_id: int, lane: str, message: str) -> None:
        if lane == CONTROL:
            self.model_error = message
            self.model = IDENTITY
            self.failed.emit(f"The warp model could not be loaded: {message}")
        else:
            self._in_flight.pop(lane, None)
            self.failed.emit(f"The warp model failed on this pair: {message}")
