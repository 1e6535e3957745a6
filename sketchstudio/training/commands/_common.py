"""Flags and the start-up/shut-down sequence shared by the training commands (`warp`, `s2i`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sketchstudio.core.errors import UserError


def pairs_progress() -> Callable[[int, int], None]:
    """A `progress(done, total)` callback for the data generators: one stderr line, updated at
    most once a second."""
    import sys
    import time

    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 1.0 or done == total:
            last[0] = now
            print(f"\r{done}/{total} pairs", end="" if done < total else "\n", file=sys.stderr, flush=True)

    return progress


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """Run-level flags. Defaults are None so that a resumed run keeps its own values unless a
    flag is given again (e.g. `--resume RUN --steps 20000` extends a run)."""
    g = p.add_argument_group("run")
    g.add_argument("-o", "--out", default=None, metavar="RUN_DIR", help="run folder (checkpoints, logs)")
    g.add_argument("--resume", default=None, metavar="RUN_DIR", help="continue the run in RUN_DIR")
    g.add_argument("--steps", type=int, default=None, help="total optimizer steps")
    g.add_argument("--batch-size", type=int, default=None, help="per process")
    g.add_argument("--seed", type=int, default=None)
    g.add_argument("--device", default=None, help="auto (default), cpu, cuda, mps")
    g.add_argument("--no-amp", action="store_true", default=None, help="no mixed precision on CUDA")
    g.add_argument("--eval-every", type=int, default=None, metavar="N", help="steps between evaluations")
    g.add_argument("--save-every", type=int, default=None, metavar="N", help="steps between checkpoints")
    g.add_argument("--log-every", type=int, default=None, metavar="N")
    g.add_argument("--progress-json", action="store_true", default=None,
                   help="machine-readable progress events on stdout (one JSON object per line)")
    g.add_argument("--quiet", action="store_true", default=None, help="no text progress on stderr")


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The run flags that were given, as RunOptions fields."""
    values = {
        "out": args.resume or args.out, "steps": args.steps, "batch_size": args.batch_size, "seed": args.seed,
        "device": args.device, "eval_every": args.eval_every, "save_every": args.save_every,
        "log_every": args.log_every, "progress_json": args.progress_json, "quiet": args.quiet,
    }
    if args.no_amp:
        values["amp"] = False
    out = {k: v for k, v in values.items() if v is not None}
    for name in ("steps", "batch_size"):
        if name in out and out[name] < 1:
            raise UserError(f"--{name.replace('_', '-')} must be at least 1")
    return out


def run_with_events(args: argparse.Namespace, cfg: Any, start: Callable[[Any], tuple[Any, Any]],
                    distributed: Any) -> int:
    """Set up the process group, build the task (all data checks happen here, before step 1),
    run it, and report failures as an `error` event as well as the usual one line."""
    from sketchstudio.training.progress import ProgressReporter
    from sketchstudio.training.runner import run

    if not args.out and not args.resume:
        raise UserError("say where the run goes: -o RUN_DIR (or --resume RUN_DIR)")
    ctx = None
    reporter = ProgressReporter(cfg.run.steps, json_events=cfg.run.progress_json, text=not cfg.run.quiet)
    try:
        ctx = distributed.setup(cfg.run.device)
        reporter.enabled = reporter.enabled and ctx.is_main
        task, resolved = start(ctx)
        return run(task, cfg.run, resolved, ctx, resume=bool(args.resume), reporter=reporter)
    except UserError as exc:
        if cfg.run.progress_json and (ctx is None or ctx.is_main):
            reporter.json_events = True
            reporter.enabled = True
            reporter.emit("error", message=str(exc))
        raise
    finally:
        distributed.teardown()
