"""One long-lived worker thread per model, serving the newest request.

`ModelWorker` is a QThread whose `run()` loop takes requests from per-lane "latest" slots: a
newer request on a lane replaces the one waiting there and cancels the one running there, so
the newest request wins and no queue builds up while the user drags. Lanes are served in
priority order ("current" before "prefetch"); a lower lane's job is also cancelled when a
higher lane gets work, and is then retried, so a prefetch never delays what the user waits for.

A job is `handler(request, token)`: a plain function returning the result, or a generator
that yields progress between its steps (encode photo, encode sketch, estimate flows...) and
returns the result. Cancellation is cooperative: the worker checks the token at every yield and
the handler may call `token.raise_if_cancelled()` itself. Results and errors come back as Qt
signals, delivered on the thread that owns the worker (the GUI thread); a result whose request
is no longer the newest on its lane is dropped there. Requests must be immutable snapshots
(numpy arrays, frozen dataclasses, paths), never the store.

Model loading happens on the worker thread too (`handler` may load lazily on first use); a
failure is an ordinary `failed` signal, so the window shows it and the tool stays usable by hand.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from sketchstudio.core.errors import UserError

log = logging.getLogger(__name__)

CURRENT = "current"
PREFETCH = "prefetch"


class Cancelled(Exception):
    """Raised inside a job whose request was superseded or whose worker is stopping."""


class CancelToken:
    """What a running job checks between its steps."""

    def __init__(self, is_cancelled: Callable[[], bool]) -> None:
        self._is_cancelled = is_cancelled

    @property
    def cancelled(self) -> bool:
        return self._is_cancelled()

    def raise_if_cancelled(self) -> None:
        if self._is_cancelled():
            raise Cancelled()


@dataclass(frozen=True, slots=True)
class Job:
    request_id: int
    lane: str
    request: Any


Handler = Callable[[Any, CancelToken], Any]


def error_message(exc: BaseException) -> str:
    """One line for the user: `UserError`s as they are, anything else with its type."""
    if isinstance(exc, UserError):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class StartGate:
    """Holds worker threads back until the window's first frame is on screen.

    A model worker's first job imports torch and loads weights; started while the window is
    still coming up it competes for the GIL with the GUI thread, and the window stays black and
    deaf for seconds. `run_app` holds the gate from before the window is built until it has
    painted; requests submitted meanwhile wait in their lanes and the threads start on release.
    """

    def __init__(self) -> None:
        self._held = False
        self._waiting: list[ModelWorker] = []

    @property
    def held(self) -> bool:
        return self._held

    def hold(self) -> None:
        self._held = True

    def release(self) -> None:
        self._held = False
        waiting, self._waiting = self._waiting, []
        for worker in waiting:
            worker._start_if_needed()

    def start(self, worker: ModelWorker) -> None:
        if self._held:
            if worker not in self._waiting:
                self._waiting.append(worker)
        else:
            worker.start()


START_GATE = StartGate()


class ModelWorker(QThread):
    """A QThread serving one model: submit snapshots, receive `resultReady` / `failed`."""

    resultReady = Signal(int, str, object)  # request id, lane, result
    failed = Signal(int, str, str)  # request id, lane, one-line message
    progress = Signal(int, str, object)  # request id, lane, whatever the handler yielded
    busyChanged = Signal(bool)

    _delivered = Signal(int, str, object)
    _errored = Signal(int, str, str)
    _progressed = Signal(int, str, object)
    _busy = Signal(bool)

    def __init__(self, handler: Handler, *, name: str = "model", lanes: Sequence[str] = (CURRENT, PREFETCH),
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}-worker")
        self._handler = handler
        self._lanes = tuple(lanes)
        self._cond = threading.Condition()
        self._pending: dict[str, Job] = {}
        self._latest: dict[str, int] = {}
        self._running: Job | None = None
        self._stopping = False
        self._ids = itertools.count(1)
        self.dropped = 0  # results discarded because a newer request superseded theirs
        # Worker-thread signals re-emitted by this object's (GUI) thread after the staleness check.
        self._delivered.connect(self._deliver)
        self._errored.connect(self._error)
        self._progressed.connect(self._progress)
        self._busy.connect(self.busyChanged)

    # --- GUI-thread API ------------------------------------------------------------------------

    def submit(self, request: Any, lane: str = CURRENT) -> int:
        """Queue `request` on `lane`, replacing a waiting one and cancelling a running one there."""
        if lane not in self._lanes:
            raise ValueError(f"unknown lane {lane!r}; this worker has {self._lanes}")
        with self._cond:
            request_id = next(self._ids)
            self._pending[lane] = Job(request_id, lane, request)
            self._latest[lane] = request_id
            self._cond.notify_all()
        self._start_if_needed()
        return request_id

    def _start_if_needed(self) -> None:
        if not self.isRunning() and not self._stopping:
            START_GATE.start(self)

    def cancel(self, lane: str | None = None) -> None:
        """Forget waiting requests and cancel running ones (on `lane`, or on every lane)."""
        with self._cond:
            for name in [lane] if lane else list(self._lanes):
                self._pending.pop(name, None)
                self._latest[name] = next(self._ids)  # anything in flight is now stale
            self._cond.notify_all()

    def is_latest(self, request_id: int, lane: str = CURRENT) -> bool:
        with self._cond:
            return self._latest.get(lane) == request_id

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._running is not None or bool(self._pending)

    def stop(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything and end the thread; True when it ended within `timeout_ms`."""
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify_all()
        if self.isRunning():
            return bool(self.wait(timeout_ms))
        return True

    # --- worker thread -------------------------------------------------------------------------

    def run(self) -> None:
        while True:
            job = self._take()
            if job is None:
                return
            self._busy.emit(True)
            try:
                result = self._execute(job)
            except Cancelled:
                self._requeue_if_preempted(job)
            except Exception as exc:
                log.debug("job %s on %s failed:\n%s", job.request_id, self.objectName(),
                          traceback.format_exc())
                self._errored.emit(job.request_id, job.lane, error_message(exc))
            else:
                self._delivered.emit(job.request_id, job.lane, result)
            finally:
                with self._cond:
                    self._running = None
                    idle = not self._pending
                if idle:
                    self._busy.emit(False)

    def _take(self) -> Job | None:
        with self._cond:
            while not self._stopping:
                for lane in self._lanes:
                    job = self._pending.pop(lane, None)
                    if job is not None:
                        self._running = job
                        return job
                self._cond.wait()
            return None

    def _execute(self, job: Job) -> Any:
        token = CancelToken(lambda: self._should_cancel(job))
        token.raise_if_cancelled()
        out = self._handler(job.request, token)
        if not inspect.isgenerator(out):
            token.raise_if_cancelled()
            return out
        while True:
            try:
                step = next(out)
            except StopIteration as stop:
                token.raise_if_cancelled()
                return stop.value
            token.raise_if_cancelled()
            self._progressed.emit(job.request_id, job.lane, step)

    def _should_cancel(self, job: Job) -> bool:
        with self._cond:
            if self._stopping or self._latest.get(job.lane) != job.request_id:
                return True
            rank = self._lanes.index(job.lane)
            return any(lane in self._pending for lane in self._lanes[:rank])

    def _requeue_if_preempted(self, job: Job) -> None:
        """A job cancelled only because a higher lane got work goes back to wait its turn."""
        with self._cond:
            if (not self._stopping and self._latest.get(job.lane) == job.request_id
                    and job.lane not in self._pending):
                self._pending[job.lane] = job

    # --- back on the owner's thread ------------------------------------------------------------

    def _deliver(self, request_id: int, lane: str, result: Any) -> None:
        if not self.is_latest(request_id, lane):
            self.dropped += 1
            return
        self.resultReady.emit(request_id, lane, result)

    def _error(self, request_id: int, lane: str, message: str) -> None:
        if self.is_latest(request_id, lane):
            self.failed.emit(request_id, lane, message)

    def _progress(self, request_id: int, lane: str, value: Any) -> None:
        if self.is_latest(request_id, lane):
            self.progress.emit(request_id, lane, value)


class Debouncer(QObject):
    """Call `callback` once input has paused for `delay_ms` (a dragged point, a stroke)."""

    def __init__(self, callback: Callable[[], None], delay_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(callback)

    def set_delay(self, delay_ms: int) -> None:
        self._timer.setInterval(max(0, int(delay_ms)))

    @property
    def delay_ms(self) -> int:
        return self._timer.interval()

    def poke(self) -> None:
        self._timer.start()

    def flush(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._timer.timeout.emit()

    def cancel(self) -> None:
        self._timer.stop()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()
