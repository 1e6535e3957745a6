"""The training loop shared by every trainer: steps, progress, evaluation, checkpoints, resume.

A trainer is a `Task`: it owns its models, optimizers and data, and knows how to take one step,
evaluate, write its model file and hand over the rest of its state. `run` does the bookkeeping
the same way for all of them, in the spirit of nanoGPT's single loop:

    RUN_DIR/config.json        the resolved config (dataclass -> JSON), written before step 1
    RUN_DIR/metrics.jsonl      one JSON object per logged step / evaluation
    RUN_DIR/step_NNNNNNN.*     checkpoints (see `sketchstudio.training.state`), every `save_every`
    RUN_DIR/latest.json        the newest complete checkpoint
    RUN_DIR/model.safetensors  the final model (announced in the `done` event)

Every step's randomness derives from (seed, rank, step) (`step_rng`, `step_generator`), so a
resumed run draws the same batches and augmentations it would have drawn without the break.
Ctrl-C finishes nothing half-way: the loop stops between steps and writes a resumable
checkpoint. Only rank 0 writes files.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from sketchstudio.core.atomic import atomic_write_text
from sketchstudio.core.errors import UserError
from sketchstudio.training.distributed import DistContext, all_mean, barrier, broadcast_flag
from sketchstudio.training.progress import ProgressReporter
from sketchstudio.training.state import (
    TrainingState,
    checkpoint_name,
    load_training_state,
    mark_latest,
    save_training_state,
)

FINAL_MODEL = "model.safetensors"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"


@dataclass
class RunOptions:
    """How long, how often, and where: the part of a config every trainer shares."""

    out: str = "runs/run"
    steps: int = 1000
    batch_size: int = 8
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    """Mixed precision (float16 autocast + grad scaling); only ever active on CUDA."""
    eval_every: int = 0
    """Steps between evaluations (0: only at the end)."""
    save_every: int = 0
    """Steps between checkpoints (0: only at the end)."""
    log_every: int = 1
    progress_json: bool = False
    quiet: bool = False


class Task(Protocol):
    samples_per_step: int

    def train_step(self, step: int) -> dict[str, float]: ...
    def evaluate(self, step: int) -> dict[str, float]: ...
    def save_model(self, path: Path, *, step: int, metrics: dict[str, float]) -> None: ...
    def training_state(self, step: int) -> TrainingState: ...
    def load_training_state(self, state: TrainingState) -> None: ...


def step_rng(seed: int, rank: int, step: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), int(rank), int(step)])


def step_generator(seed: int, rank: int, step: int, device: torch.device | str = "cpu") -> torch.Generator:
    seq = np.random.SeedSequence([int(seed), int(rank), int(step), 7])
    return torch.Generator(device=device).manual_seed(int(seq.generate_state(1, np.uint64)[0] >> 1))


def config_to_json(config: Any) -> dict[str, Any]:
    data = asdict(config) if is_dataclass(config) else dict(config)
    return json.loads(json.dumps(data, default=lambda o: list(o) if isinstance(o, tuple) else str(o)))


class Autocast:
    """float16 autocast and a GradScaler on CUDA; plain float32 elsewhere."""

    def __init__(self, device: torch.device, enabled: bool) -> None:
        self.enabled = enabled and device.type == "cuda"
        self.device = device
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.enabled)

    def __call__(self) -> contextlib.AbstractContextManager[Any]:
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=torch.float16)

    def backward_step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer,
                      params: list[torch.nn.Parameter] | None = None, clip: float = 0.0) -> None:
        self.scaler.scale(loss).backward()
        if clip > 0 and params:
            self.scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, clip)
        self.scaler.step(optimizer)
        self.scaler.update()
        optimizer.zero_grad(set_to_none=True)


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up then half-cycle cosine (the official schedule, counted in steps)."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    span = max(total - warmup, 1)
    return 0.5 * (1.0 + math.cos(math.pi * min(step - warmup, span) / span))


class MetricsLog:
    def __init__(self, path: Path | None) -> None:
        self.path = path

    def write(self, record: dict[str, Any]) -> None:
        if self.path is None:
            return
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def prepare_run_dir(options: RunOptions, config: Any, ctx: DistContext, resuming: bool) -> Path:
    run_dir = Path(options.out)
    if ctx.is_main:
        if run_dir.exists() and not run_dir.is_dir():
            raise UserError("run folder path exists and is not a folder", path=run_dir)
        if not resuming and run_dir.is_dir() and (run_dir / "latest.json").exists():
            raise UserError("already holds a run; pass --resume to continue it or choose another -o",
                            path=run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(run_dir / CONFIG_FILE, json.dumps(config_to_json(config), indent=2) + "\n")
    barrier(ctx)
    return run_dir


@contextlib.contextmanager
def _interruptible() -> Iterator[list[bool]]:
    """Turn Ctrl-C and SIGTERM (what job schedulers and the app's Cancel send) into a flag checked
    between steps, so the run stops with a resumable checkpoint; a second signal aborts at once."""
    import signal

    flag = [False]
    signals = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        if flag[0]:
            for sig, old in previous.items():
                signal.signal(sig, old)
            raise KeyboardInterrupt
        flag[0] = True

    try:
        for sig in signals:
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, handler)
    except ValueError:  # not the main thread: no signal handling, the caller stops us
        for sig, old in previous.items():
            signal.signal(sig, old)
        previous.clear()
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run(task: Task, options: RunOptions, config: Any, ctx: DistContext, *, resume: bool = False,
        reporter: ProgressReporter | None = None) -> int:
    """Train `task` to `options.steps`; returns the exit code (0 done, 130 interrupted)."""
    run_dir = prepare_run_dir(options, config, ctx, resume)
    start = 0
    if resume:
        from sketchstudio.training.state import latest_checkpoint

        start, model_file = latest_checkpoint(run_dir)
        task.load_training_state(load_training_state(model_file, ctx.device))
    main = ctx.is_main
    reporter = reporter or ProgressReporter(options.steps, json_events=options.progress_json,
                                            text=not options.quiet)
    reporter.enabled = reporter.enabled and main
    reporter.restart(start)
    log = MetricsLog(run_dir / METRICS_FILE if main else None)
    reporter.emit("start", run_dir=str(run_dir), total=options.steps, resumed_from=start if resume else None,
                  config=config_to_json(config), world_size=ctx.world_size, device=str(ctx.device))
    reporter.message(f"training {options.steps - start} steps into {run_dir} on {ctx.device}"
                     + (f" x{ctx.world_size}" if ctx.distributed else "")
                     + (f" (resumed at step {start})" if resume else ""))
    metrics: dict[str, float] = {}
    step = start
    interrupted = False
    window_t = time.perf_counter()
    window_steps = 0
    try:
        with _interruptible() as stop:
            while step < options.steps:
                if broadcast_flag(stop[0], ctx):
                    interrupted = True
                    break
                losses = task.train_step(step)
                step += 1
                window_steps += 1
                if step % max(options.log_every, 1) == 0 or step == options.steps:
                    losses = all_mean(losses, ctx)
                    elapsed = time.perf_counter() - window_t
                    rate = window_steps * task.samples_per_step * ctx.world_size / max(elapsed, 1e-9)
                    window_t, window_steps = time.perf_counter(), 0
                    reporter.update(step, losses, rate)
                    log.write({"step": step, "time": time.time(),
                               **{f"train/{k}": v for k, v in losses.items()}, "samples_per_s": rate})
                last = step == options.steps
                if (options.eval_every and step % options.eval_every == 0) or last:
                    metrics = _evaluate(task, step, ctx, reporter, log)
                if (options.save_every and step % options.save_every == 0 and not last):
                    _checkpoint(task, run_dir, step, metrics, ctx, reporter)
    except KeyboardInterrupt:
        interrupted = True
    if interrupted:
        path = _checkpoint(task, run_dir, step, metrics, ctx, reporter)
        reporter.message(f"interrupted at step {step}; resume with --resume {run_dir}")
        reporter.emit("error", message=f"interrupted at step {step}; resumable checkpoint {path}", step=step,
                      checkpoint=str(path))
        return 130
    path = _checkpoint(task, run_dir, step, metrics, ctx, reporter)
    final = run_dir / FINAL_MODEL
    if main:
        shutil.copyfile(path, final)
    reporter.message(f"done: {final}" + ("  " + _fmt(metrics) if metrics else ""))
    reporter.emit("done", step=step, checkpoint=str(final.resolve()), metrics=metrics)
    return 0


def _evaluate(task: Task, step: int, ctx: DistContext, reporter: ProgressReporter, log: MetricsLog
              ) -> dict[str, float]:
    metrics = task.evaluate(step) if ctx.is_main else {}
    barrier(ctx)
    if metrics:
        reporter.message(f"eval @ {step}: {_fmt(metrics)}")
        reporter.emit("eval", step=step, metrics=metrics)
        log.write({"step": step, "time": time.time(), **{f"eval/{k}": v for k, v in metrics.items()}})
    return metrics


def _checkpoint(task: Task, run_dir: Path, step: int, metrics: dict[str, float], ctx: DistContext,
                reporter: ProgressReporter) -> Path:
    path = run_dir / f"{checkpoint_name(step)}.safetensors"
    state = task.training_state(step)  # every rank takes part (collectives allowed)
    if ctx.is_main:
        task.save_model(path, step=step, metrics=metrics)
        save_training_state(run_dir, state)
        mark_latest(run_dir, step, path)
        reporter.emit("checkpoint", step=step, path=str(path.resolve()))
    barrier(ctx)
    return path


def _fmt(metrics: dict[str, float]) -> str:
    return " ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items())
