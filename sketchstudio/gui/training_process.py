"""A training run as a child process: the command line, its JSON progress, and stopping it.

The GUI never imports the training code (see docs/ARCHITECTURE.md): it runs
`python -m sketchstudio.training warp ... --progress-json` as a `QProcess`, reads one JSON
event per stdout line (`sketchstudio.training.progress` documents them: start, progress, eval,
checkpoint, done, error) and shows everything else (stderr, stray stdout) as the log. Unknown
events are passed on untouched, so a newer trainer does not break an older dialog.

Stopping: the trainer turns SIGINT into "finish this step, write a resumable checkpoint, exit
130", so `stop()` sends SIGINT first, `terminate()` (SIGTERM) after a grace period, and `kill()`
after a second one. Windows has no SIGINT for a windowless child, so there it starts at
`terminate()`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from sketchstudio.core import resources

INTERRUPT_GRACE_MS = 20_000  # a checkpoint of the default model is written well within this
TERMINATE_GRACE_MS = 3_000


@dataclass(frozen=True, slots=True)
class WarpTrainingOptions:
    """What the Retrain dialog asks for; `command` turns it into an argument list."""

    project: Path
    run_dir: Path
    steps: int | None = None
    batch_size: int | None = None
    device: str = "auto"
    init: Path | None = None
    extra_args: tuple[str, ...] = ()  # e.g. ("--preset", "tiny") for tests and experiments


def new_run_dir(prefix: str = "warp") -> Path:
    """A fresh folder under the user's runs, where `models_registry` looks for trained models."""
    stamp = _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    root = resources.user_data_dir() / "runs"
    candidate = root / f"{stamp}-{prefix}"
    n = 2
    while candidate.exists():
        candidate = root / f"{stamp}-{prefix}-{n}"
        n += 1
    return candidate


def warp_training_command(options: WarpTrainingOptions) -> tuple[str, list[str]]:
    """(program, arguments) of `sketchstudio-train warp` for `options`, with JSON progress."""
    args = ["-m", "sketchstudio.training", "warp", "--project", str(options.project),
            "-o", str(options.run_dir), "--progress-json"]
    if options.steps:
        args += ["--steps", str(options.steps)]
    if options.batch_size:
        args += ["--batch-size", str(options.batch_size)]
    if options.device and options.device != "auto":
        args += ["--device", options.device]
    if options.init is not None:
        args += ["--init", str(options.init)]
    return sys.executable, [*args, *options.extra_args]


CommandFactory = Callable[[WarpTrainingOptions], tuple[str, list[str]]]


class LineSplitter:
    """Bytes in, complete text lines out; a partial last line waits for the rest."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> list[str]:
        self._pending += data
        *lines, self._pending = self._pending.split(b"\n")
        return [line.decode("utf-8", "replace").rstrip("\r") for line in lines]

    def flush(self) -> list[str]:
        rest, self._pending = self._pending, b""
        text = rest.decode("utf-8", "replace").rstrip("\r")
        return [text] if text else []


def parse_event(line: str) -> dict[str, Any] | None:
    """The event a stdout line carries, or None when it is ordinary text for the log."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        return None
    return data


class TrainingProcess(QObject):
    """One trainer child process; `event(dict)`, `logLine(str)` and `finished(exit_code, crashed)`."""

    event = Signal(object)  # a dict; `object` keeps key order (a QVariantMap would sort it)
    logLine = Signal(str)
    started = Signal()
    finished = Signal(int, bool)

    def __init__(self, parent: QObject | None = None, *, interrupt_grace_ms: int = INTERRUPT_GRACE_MS,
                 terminate_grace_ms: int = TERMINATE_GRACE_MS) -> None:
        super().__init__(parent)
        self.process = QProcess(self)
        self.process.readyReadStandardOutput.connect(self._read_stdout)
        self.process.readyReadStandardError.connect(self._read_stderr)
        self.process.finished.connect(self._on_finished)
        self.process.errorOccurred.connect(self._on_error)
        self.process.started.connect(self.started)
        self._stdout = LineSplitter()
        self._stderr = LineSplitter()
        self._escalate = QTimer(self)
        self._escalate.setSingleShot(True)
        self._escalate.timeout.connect(self._next_stop_step)
        self.interrupt_grace_ms = interrupt_grace_ms
        self.terminate_grace_ms = terminate_grace_ms
        self.stopping = False
        self._stop_step = 0

    def start(self, program: str, arguments: list[str]) -> None:
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")  # log lines arrive as they are printed
        self.process.setProcessEnvironment(env)
        self.stopping = False
        self._stop_step = 0
        self.logLine.emit("$ " + " ".join([Path(program).name, *arguments]))
        self.process.start(program, arguments)

    def is_running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def pid(self) -> int:
        return int(self.process.processId())

    def stop(self) -> None:
        """Ask the trainer to stop at the next step boundary (resumable), then insist."""
        if not self.is_running() or self.stopping:
            return
        self.stopping = True
        self._next_stop_step()

    def wait(self, timeout_ms: int) -> bool:
        """Block until the child has exited (closing the window must not leave it behind)."""
        if not self.is_running():
            return True
        return self.process.waitForFinished(timeout_ms)

    def shutdown(self, timeout_ms: int = INTERRUPT_GRACE_MS) -> None:
        """Stop and wait, killing the child if it does not stop in time."""
        if not self.is_running():
            return
        self.stop()
        if not self.process.waitForFinished(timeout_ms):
            self.process.kill()
            self.process.waitForFinished(5000)

    def _next_stop_step(self) -> None:
        if not self.is_running():
            return
        step, self._stop_step = self._stop_step, self._stop_step + 1
        if step == 0 and os.name == "posix" and self.pid() > 0:
            os.kill(self.pid(), signal.SIGINT)
            self._escalate.start(self.interrupt_grace_ms)
        elif step <= 1:
            self.logLine.emit("The trainer did not stop in time; terminating it.")
            self.process.terminate()
            self._escalate.start(self.terminate_grace_ms)
        else:
            self.logLine.emit("The trainer did not terminate; killing it.")
            self.process.kill()

    def _read_stdout(self) -> None:
        for line in self._stdout.feed(bytes(self.process.readAllStandardOutput().data())):
            self._stdout_line(line)

    def _read_stderr(self) -> None:
        for line in self._stderr.feed(bytes(self.process.readAllStandardError().data())):
            self.logLine.emit(line)

    def _stdout_line(self, line: str) -> None:
        event = parse_event(line)
        if event is not None:
            self.event.emit(event)
        elif line.strip():
            self.logLine.emit(line)

    def _on_finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._escalate.stop()
        self._read_stdout()
        self._read_stderr()
        for line in self._stdout.flush():
            self._stdout_line(line)
        for line in self._stderr.flush():
            self.logLine.emit(line)
        self.finished.emit(int(exit_code), status == QProcess.ExitStatus.CrashExit)

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.logLine.emit(f"Could not start the trainer: {self.process.errorString()}")
            self.finished.emit(-1, True)
