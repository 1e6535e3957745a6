"""Plain-Python change events: the document tells its views what changed.

The core holds no QObject. A Qt view subscribes a callback with `EventEmitter.connect` and,
if it lives on another thread, re-posts the event to its own thread itself.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger(__name__)


class ChangeKind(StrEnum):
    PAIR_ADDED = "pair_added"
    PAIR_CHANGED = "pair_changed"  # status, sketch path, category or name
    PAIR_REMOVED = "pair_removed"
    KEYPOINT_CHANGED = "keypoint_changed"  # added or edited; `index` says which
    KEYPOINT_REMOVED = "keypoint_removed"
    STROKE_ADDED = "stroke_added"  # `stroke_id` says which
    STROKE_REMOVED = "stroke_removed"
    SKETCH_CHANGED = "sketch_changed"  # many strokes at once (clear, import) or canvas size
    PROJECT_RELOADED = "project_reloaded"  # a bulk import: views should re-read everything


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    kind: ChangeKind
    pair_id: int | None = None
    index: int | None = None
    stroke_id: int | None = None


Listener = Callable[[ChangeEvent], None]


class EventEmitter:
    """Calls every connected listener, in connection order, for each emitted event.

    A failing listener is logged and does not stop the others: a broken view must not make a
    durable edit look as if it failed.
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def connect(self, listener: Listener) -> Callable[[], None]:
        """Subscribe; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def disconnect() -> None:
            self.disconnect(listener)

        return disconnect

    def disconnect(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def emit(self, event: ChangeEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("change listener %r failed on %s", listener, event)
