"""The model worker: newest request wins, stale results are dropped, errors arrive as signals."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("PySide6")

from sketchstudio.core.errors import UserError
from sketchstudio.gui.workers import CURRENT, PREFETCH, Debouncer, ModelWorker


@pytest.fixture
def worker_factory(qtbot):
    made: list[ModelWorker] = []

    def make(handler, **kw) -> ModelWorker:
        w = ModelWorker(handler, **kw)
        made.append(w)
        return w

    yield make
    for w in made:
        assert w.stop(5000)
        assert not w.isRunning()


def test_result_arrives_as_a_signal(qtbot, worker_factory) -> None:
    worker = worker_factory(lambda req, token: req * 2)
    with qtbot.waitSignal(worker.resultReady, timeout=5000) as blocker:
        rid = worker.submit(21)
    assert blocker.args == [rid, CURRENT, 42]


def test_superseded_request_result_is_dropped(qtbot, worker_factory) -> None:
    gate = threading.Event()
    started = threading.Event()

    def handler(req, token):
        if req == "slow":
            started.set()
            gate.wait(5)  # a step the token cannot interrupt: its result must still be dropped
            return "slow result"
        return "fast result"

    worker = worker_factory(handler)
    results = []
    worker.resultReady.connect(lambda rid, lane, res: results.append((rid, res)))
    first = worker.submit("slow")
    assert started.wait(5)
    second = worker.submit("fast")
    gate.set()
    qtbot.waitUntil(lambda: any(r == "fast result" for _, r in results), timeout=5000)
    qtbot.wait(50)
    assert results == [(second, "fast result")]
    assert first != second


def test_generator_job_is_cancelled_between_steps(qtbot, worker_factory) -> None:
    steps_run: list[tuple[str, int]] = []
    in_step = threading.Event()
    gate = threading.Event()

    def handler(req, token):
        for step in range(3):
            steps_run.append((req, step))
            if req == "old" and step == 0:
                in_step.set()
                gate.wait(5)
            yield step
        return req

    worker = worker_factory(handler)
    with qtbot.waitSignal(worker.resultReady, timeout=5000) as blocker:
        worker.submit("old")
        assert in_step.wait(5)
        worker.submit("new")
        gate.set()
    assert blocker.args[2] == "new"
    assert ("old", 1) not in steps_run, "the superseded job must stop at the next step boundary"


def test_prefetch_yields_to_current_and_resumes(qtbot, worker_factory) -> None:
    order: list[str] = []
    in_prefetch = threading.Event()
    gate = threading.Event()

    def handler(req, token):
        order.append(f"start {req}")
        if req == "prefetch" and not gate.is_set():
            in_prefetch.set()
            gate.wait(5)
        yield
        return req

    worker = worker_factory(handler)
    done = []
    worker.resultReady.connect(lambda rid, lane, res: done.append((lane, res)))
    worker.submit("prefetch", PREFETCH)
    assert in_prefetch.wait(5)
    worker.submit("current", CURRENT)
    gate.set()
    qtbot.waitUntil(lambda: len(done) == 2, timeout=5000)
    assert done == [(CURRENT, "current"), (PREFETCH, "prefetch")]


def test_errors_become_one_line_messages(qtbot, worker_factory) -> None:
    def handler(req, token):
        raise UserError("weights do not fit", path="model.safetensors")

    worker = worker_factory(handler)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        rid = worker.submit(None)
    assert blocker.args == [rid, CURRENT, "model.safetensors: weights do not fit"]
    # the worker survives a failure and serves the next request
    worker._handler = lambda req, token: "ok"
    with qtbot.waitSignal(worker.resultReady, timeout=5000):
        worker.submit(None)


def test_stop_ends_the_thread_mid_job(qtbot, worker_factory) -> None:
    started = threading.Event()

    def handler(req, token):
        started.set()
        while True:
            yield  # a long job: only the token ends it
            token.raise_if_cancelled()

    worker = worker_factory(handler)
    worker.submit("forever")
    assert started.wait(5)
    assert worker.stop(5000)
    assert not worker.isRunning()


def test_debouncer_fires_once_after_a_pause(qtbot) -> None:
    calls = []
    debouncer = Debouncer(lambda: calls.append(1), 30)
    for _ in range(5):
        debouncer.poke()
        qtbot.wait(5)
    assert calls == []
    qtbot.waitUntil(lambda: calls == [1], timeout=2000)
    debouncer.poke()
    debouncer.flush()
    assert calls == [1, 1]
