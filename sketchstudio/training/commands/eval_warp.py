"""`sketchstudio-train eval`: PCK of a warp model on PSC6K, by the official protocol.

    sketchstudio-train eval --checkpoint psc_resnet18.pth.tar --data SKETCHY_ROOT --csv test_pairs_ps.csv

Accepts our `.safetensors` and the official `.pth.tar` alike (the default model without
`--checkpoint`), or `--model identity` for the no-warp baseline. Prints PCK@0.05 and PCK@0.10,
or one JSON object with `--json`; `--predictions OUT.json` also writes every pair's predicted
keypoints (pixels, x = column) in CSV order.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sketchstudio.core.atomic import atomic_write_text
from sketchstudio.core.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="PCK@0.05/0.10 of a warp model on PSC6K (official protocol)",
                       description="Evaluate a warp model on PSC6K photo–sketch keypoint pairs.")
    p.add_argument("--checkpoint", type=Path, default=None,
                   help="our .safetensors or the official .pth.tar (default: the shipped model)")
    p.add_argument("--data", type=Path, required=True, help="Sketchy root (CSV paths are relative to it)")
    p.add_argument("--csv", type=Path, required=True, help="PSC6K pairs CSV, e.g. test_pairs_ps.csv")
    p.add_argument("--model", choices=("warp", "identity"), default="warp",
                   help="'identity' evaluates the no-warp baseline (no checkpoint needed)")
    p.add_argument("--arch", default=None,
                   help="ResNet arch for a checkpoint that does not name one (read from the file otherwise)")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda[:N] or mps")
    p.add_argument("--batch-size", type=int, default=1, help="pairs per forward pass (default 1)")
    p.add_argument("--limit", type=int, default=None, help="evaluate only the first N pairs")
    p.add_argument("--predictions", type=Path, default=None, help="write per-pair predictions to this JSON")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sketchstudio.warp.evaluate import evaluate, read_pairs_csv

    if args.batch_size < 1:
        raise UserError(f"--batch-size must be at least 1, got {args.batch_size}")
    pairs = read_pairs_csv(args.csv)
    if args.limit is not None:
        pairs = pairs[: max(0, args.limit)]
    if args.model == "identity":
        from sketchstudio.warp.predictor import IdentityPredictor

        predictor = IdentityPredictor()
    else:
        from sketchstudio.warp.predictor import WarpPredictor

        predictor = WarpPredictor.load(args.checkpoint, device=args.device, arch=args.arch)
    result = evaluate(predictor, pairs, args.data, batch_size=args.batch_size,
                      progress=None if args.json else _progress)
    summary = result.summary()
    if args.predictions is not None:
        atomic_write_text(args.predictions, json.dumps(result.predictions()) + "\n")
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"\n{len(pairs)} pairs, model {predictor.model_id}")
        for key, value in summary.items():
            print(f"{key}: {value:.4f} ({100 * value:.2f}%)")
    return 0


def _progress(done: int, total: int) -> None:
    if done == total or done % 50 == 0:
        print(f"\r{done}/{total} pairs", end="", file=sys.stderr, flush=True)
