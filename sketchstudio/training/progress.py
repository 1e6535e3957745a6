"""Progress for people (a line on stderr) and for the app (`--progress-json` events on stdout).

Events, one JSON object per line, each with an `"event"` key:

* `start`: run_dir, total, resumed_from (step), config
* `progress`: step, total, losses {name: value}, eta_s, samples_per_s
* `eval`: step, metrics {name: value}
* `checkpoint`: step, path
* `done`: step, checkpoint (the final model file, for the app's model picker), metrics
* `error`: message

Only rank 0 reports. Text goes to stderr so stdout carries nothing but events when asked for.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO


def format_eta(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class ProgressReporter:
    """Rate-limited text progress plus machine-readable events."""

    def __init__(self, total: int, *, json_events: bool = False, enabled: bool = True, text: bool = True,
                 text_every_s: float = 2.0, start_step: int = 0, stream: TextIO | None = None,
                 events: TextIO | None = None) -> None:
        self.total = total
        self.json_events = json_events
        self.enabled = enabled  # False on every rank but 0
        self.text = text  # False with --quiet: events only
        self.text_every_s = text_every_s
        self._stream = stream
        self._events = events
        self._t0 = time.perf_counter()
        self._start_step = start_step
        self._last_text = -math.inf

    def restart(self, step: int) -> None:
        """Measure the ETA from now and from `step` (a resumed run starts part-way)."""
        self._t0 = time.perf_counter()
        self._start_step = step

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    def emit(self, event: str, **fields: Any) -> None:
        if not (self.enabled and self.json_events):
            return
        out = self._events or sys.stdout
        out.write(json.dumps({"event": event, **fields}, default=_jsonable) + "\n")
        out.flush()

    def message(self, text: str) -> None:
        if self.enabled and self.text:
            print(text, file=self.stream, flush=True)

    def eta(self, step: int) -> float:
        done = step - self._start_step
        if done <= 0:
            return math.inf
        elapsed = time.perf_counter() - self._t0
        return elapsed / done * (self.total - step)

    def update(self, step: int, losses: Mapping[str, float], samples_per_s: float | None = None) -> None:
        if not self.enabled:
            return
        eta = self.eta(step)
        rounded = {k: round(float(v), 6) for k, v in losses.items()}
        self.emit("progress", step=step, total=self.total, losses=rounded,
                  eta_s=None if not math.isfinite(eta) else round(eta, 1),
                  samples_per_s=None if samples_per_s is None else round(samples_per_s, 2))
        now = time.perf_counter()
        if (self.text and now - self._last_text >= self.text_every_s) or step >= self.total:
            self._last_text = now
            width = 24
            filled = int(width * step / max(self.total, 1))
            bar = "#" * filled + "-" * (width - filled)
            loss_text = " ".join(f"{k} {v:.4g}" for k, v in rounded.items())
            rate = f" {samples_per_s:.1f} samples/s" if samples_per_s else ""
            self.message(f"[{bar}] {step}/{self.total} {loss_text}{rate} eta {format_eta(eta)}")


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "__fspath__"):
        return str(obj)
    return str(obj)
