"""`sketchstudio-train warp`: train PSCNet's encoder, estimator, or both.

    sketchstudio-train warp --stage estimator --synthetic 2000 --val-synthetic 100 -o runs/warp
    sketchstudio-train warp --data SKETCHY --csv train_pairs_ps.csv --val-csv test_pairs_ps.csv \\
        --init psc_resnet18.pth.tar --preset none --stage estimator -o runs/psc
    torchrun --nproc_per_node 4 -m sketchstudio.training warp ...   # data-parallel

`main(args)` is importable; the parser comes from `add_arguments`. See `training/README.md`.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from sketchstudio.core.errors import UserError
from sketchstudio.training.commands._common import add_run_arguments, run_options, run_with_events


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("warp", help="train the photo–sketch warp model (PSCNet)",
                       description="Train PSCNet: --stage encoder (MoCo with pair supervision), estimator "
                                   "(frozen encoder; similarity, consistency, synthetic-flow and keypoint "
                                   "losses) or both. Data sources combine.")
    add_arguments(p)
    p.set_defaults(func=main)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_run_arguments(p)
    g = p.add_argument_group("model")
    g.add_argument("--stage", choices=("encoder", "estimator", "both"), default=None,
                   help="what to train (default estimator)")
    g.add_argument("--arch", default=None, help="resnet18 (default), resnet34, resnet50, resnet101")
    g.add_argument("--preset", default=None, help="model size: tiny, small (default), none (official)")
    g.add_argument("--model-config", default=None, metavar="JSON",
                   help='WarpConfig overrides, e.g. \'{"input_size": 128}\'')
    g.add_argument("--init", default=None, metavar="CKPT",
                   help="start from this checkpoint (ours or an official .pth.tar); default: from scratch")
    g = p.add_argument_group("data (combinable)")
    g.add_argument("--data", default=None, metavar="ROOT", help="Sketchy root the CSV paths are relative to")
    g.add_argument("--csv", default=None, help="PSC6K CSV under --data (default train_pairs_ps.csv)")
    g.add_argument("--project", default=None, metavar="FILE", help="a .sketchstudio project")
    g.add_argument("--synthetic", type=int, default=None, metavar="N", help="N procedural pairs in memory")
    g.add_argument("--no-synthetic-keypoints", action="store_true", default=None,
                   help="treat the synthetic pairs as unannotated")
    g.add_argument("--val-csv", default=None, help="PSC6K test CSV for PCK (under --val-data or --data)")
    g.add_argument("--val-data", default=None, metavar="ROOT")
    g.add_argument("--val-synthetic", type=int, default=None, metavar="N",
                   help="N held-out procedural pairs for PCK")
    g = p.add_argument_group("optimisation")
    g.add_argument("--optim", choices=("sgd", "adam", "adamw"), default=None)
    g.add_argument("--lr", type=float, default=None, help="default 0.03 encoder / 0.003 estimator (SGD)")
    g.add_argument("--weight-decay", type=float, default=None)
    g.add_argument("--warmup-steps", type=int, default=None)
    g.add_argument("--moco-k", type=int, default=None, help="MoCo queue length (default 8192)")
    g.add_argument("--sim-loss-weight", type=float, default=None)
    g.add_argument("--con-loss-weight", type=float, default=None)
    g.add_argument("--syn-loss-weight", type=float, default=None)
    g.add_argument("--kp-loss-weight", type=float, default=None,
                   help="weight of the keypoint loss on annotated pairs (default 1; 0 disables)")
    g.add_argument("--no-perceptual", action="store_true", default=None,
                   help="similarity on warped features instead of re-encoded warped images (cheaper)")
    g.add_argument("--no-freeze", action="store_true", default=None,
                   help="estimator stage: let its losses train the encoder too")
    g.add_argument("--no-colour-aug", action="store_true", default=None)
    g.add_argument("--warp-strength", type=float, default=None,
                   help="scale the random affine+TPS ranges (1 = default, about half the official)")


def build_config(args: argparse.Namespace, base: dict[str, Any] | None = None) -> Any:
    """The resolved config: defaults, then the resumed run's config, then flags given now."""
    from sketchstudio.training.runner import RunOptions
    from sketchstudio.training.warp_trainer import WarpTrainConfig

    data: dict[str, Any] = dict(base or {})
    run = {**(data.pop("run", None) or {}), **run_options(args)}
    flags = {
        "stage": args.stage, "arch": args.arch, "init": args.init, "data": args.data, "csv": args.csv,
        "project": args.project, "synthetic": args.synthetic, "val_csv": args.val_csv,
        "val_data": args.val_data, "val_synthetic": args.val_synthetic, "optim": args.optim, "lr": args.lr,
        "weight_decay": args.weight_decay, "warmup_steps": args.warmup_steps, "moco_k": args.moco_k,
        "sim_loss_weight": args.sim_loss_weight, "con_loss_weight": args.con_loss_weight,
        "syn_loss_weight": args.syn_loss_weight, "kp_loss_weight": args.kp_loss_weight,
    }
    data.update({k: v for k, v in flags.items() if v is not None})
    if args.preset is not None:
        data["preset"] = None if args.preset.lower() == "none" else args.preset
    if args.model_config is not None:
        try:
            data["model"] = json.loads(args.model_config)
        except json.JSONDecodeError as exc:
            raise UserError(f"--model-config is not JSON ({exc.msg})") from exc
    if args.no_synthetic_keypoints:
        data["synthetic_annotated"] = False
    if args.no_perceptual:
        data["perceptual"] = False
    if args.no_freeze:
        data["freeze_encoder"] = False
    if args.no_colour_aug:
        data["colour_aug"] = False
    if args.warp_strength is not None:
        s = args.warp_strength
        defaults = WarpTrainConfig()
        data.update(warp_rotation_deg=defaults.warp_rotation_deg * s, warp_shift=defaults.warp_shift * s,
                    warp_tps=defaults.warp_tps * s,
                    warp_scale=(1 - (1 - defaults.warp_scale[0]) * s, 1 + (defaults.warp_scale[1] - 1) * s))
    known = {f.name for f in fields(WarpTrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UserError(f"the run's config.json has unknown field(s) {unknown}")
    run_fields = {f.name for f in fields(RunOptions)}
    return WarpTrainConfig(run=RunOptions(**{k: v for k, v in run.items() if k in run_fields}), **data)


def load_data(cfg: Any, input_size: int, seed_progress: Any = None) -> tuple[Any, Any]:
    """(training PairSet, validation set or None), with every file checked before training."""
    from sketchstudio.training.warp_data import PairSet, csv_sources, project_sources, synthetic_set
    from sketchstudio.training.warp_trainer import CsvValidation

    parts = []
    if cfg.data:
        parts.append(PairSet(csv_sources(cfg.data, cfg.csv), input_size))
    elif cfg.csv != "train_pairs_ps.csv":
        raise UserError("--csv needs --data ROOT (the folder its paths are relative to)")
    if cfg.project:
        parts.append(PairSet(project_sources(cfg.project), input_size))
    if cfg.synthetic:
        parts.append(synthetic_set(cfg.synthetic, input_size, cfg.synthetic_seed,
                                   annotated=cfg.synthetic_annotated))
    if not parts:
        raise UserError("no training data: give --data ROOT [--csv FILE], --project FILE and/or "
                        "--synthetic N")
    train = PairSet.concat(parts)
    val = None
    if cfg.val_csv:
        from sketchstudio.warp.evaluate import check_images_exist, read_pairs_csv

        root = Path(cfg.val_data or cfg.data or ".")
        csv_path = Path(cfg.val_csv)
        if not csv_path.is_absolute() and not csv_path.exists():
            csv_path = root / csv_path
        pairs = read_pairs_csv(csv_path)
        check_images_exist(pairs, root)
        val = CsvValidation(root, pairs)
    elif cfg.val_synthetic:
        val = synthetic_set(cfg.val_synthetic, input_size, cfg.val_synthetic_seed)
    return train, val


def main(args: argparse.Namespace) -> int:
    from sketchstudio.training import distributed
    from sketchstudio.training.warp_trainer import WarpTask, build_model

    base = _resumed_config(args)
    cfg = build_config(args, base)

    def start(ctx: Any) -> tuple[Any, Any]:
        import torch

        torch.manual_seed(cfg.run.seed)  # identical initial weights on every rank
        model, provenance = build_model(cfg)
        train, val = load_data(cfg, model.config.input_size)
        if cfg.kp_loss_weight > 0 and train.annotated == 0 and ctx.is_main and not cfg.run.quiet:
            import sys

            print("note: no annotated pairs; the keypoint loss is off for this run", file=sys.stderr)
        provenance = {**provenance, "train_pairs": len(train), "annotated_pairs": train.annotated}
        return WarpTask(cfg, ctx, train, val, model, provenance), cfg

    return run_with_events(args, cfg, start, distributed)


def _resumed_config(args: argparse.Namespace) -> dict[str, Any] | None:
    if not args.resume:
        return None
    from sketchstudio.training.runner import CONFIG_FILE

    path = Path(args.resume) / CONFIG_FILE
    if not path.is_file():
        raise UserError("no config.json: not a run folder", path=Path(args.resume))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"unreadable run config ({exc})", path=path) from exc
