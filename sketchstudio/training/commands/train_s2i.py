"""`sketchstudio-train s2i`: the sketch-to-image autoencoder stage, then the GAN (refiner) stage.

    sketchstudio-train s2i --stage ae --images photos/ -o runs/ae --steps 20000
    sketchstudio-train s2i --stage ae --images photos/ --sketches sk/sketch_1 sk/sketch_2 -o runs/ae
    sketchstudio-train s2i --stage gan --images photos/ --init runs/ae/model.safetensors \\
        --preset official-ae -o runs/gan
    torchrun --nproc_per_node 4 -m sketchstudio.training s2i ...
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
    p = sub.add_parser("s2i", help="train the sketch-to-image generator (autoencoder, then GAN refiner)",
                       description="Self-supervised sketch-to-image training on a folder of images; sketches "
                                   "are synthesised on the fly (XDoG) unless --sketches folders are given.")
    add_run_arguments(p)
    g = p.add_argument_group("model and data")
    g.add_argument("--stage", choices=("ae", "gan"), default=None, help="default ae")
    g.add_argument("--images", default=None, metavar="DIR", help="folder of training images")
    g.add_argument("--sketches", nargs="+", default=None, metavar="DIR",
                   help="folders of pre-made sketches named like the images (<stem>.png)")
    g.add_argument("--preset", default=None, help="tiny, small (default), official-ae")
    g.add_argument("--model-config", default=None, metavar="JSON", help='e.g. \'{"nfc": 16}\'')
    g.add_argument("--init", default=None, metavar="CKPT", help="start from this generator (GAN: the AE)")
    g.add_argument("--refiner", choices=("face", "art"), default=None,
                   help="GAN stage refiner (default face)")
    g.add_argument("--refiner-size", type=int, choices=(512, 1024), default=None)
    g.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 2e-4)")
    g.add_argument("--nbr-cls", type=int, default=None, help="self-supervised classification head classes")
    g.add_argument("--val-images", type=int, default=None, help="held-out images for the metric (default 8)")
    p.set_defaults(func=main)


def build_config(args: argparse.Namespace, base: dict[str, Any] | None = None) -> Any:
    from sketchstudio.training.runner import RunOptions
    from sketchstudio.training.s2i_trainer import S2ITrainConfig

    data: dict[str, Any] = dict(base or {})
    run = {**(data.pop("run", None) or {}), **run_options(args)}
    flags = {"stage": args.stage, "images": args.images, "sketches": args.sketches, "preset": args.preset,
             "init": args.init, "refiner": args.refiner, "refiner_size": args.refiner_size, "lr": args.lr,
             "nbr_cls": args.nbr_cls, "val_images": args.val_images}
    data.update({k: v for k, v in flags.items() if v is not None})
    if args.model_config is not None:
        try:
            data["model"] = json.loads(args.model_config)
        except json.JSONDecodeError as exc:
            raise UserError(f"--model-config is not JSON ({exc.msg})") from exc
    unknown = sorted(set(data) - {f.name for f in fields(S2ITrainConfig)})
    if unknown:
        raise UserError(f"the run's config.json has unknown field(s) {unknown}")
    run_fields = {f.name for f in fields(RunOptions)}
    return S2ITrainConfig(run=RunOptions(**{k: v for k, v in run.items() if k in run_fields}), **data)


def main(args: argparse.Namespace) -> int:
    from sketchstudio.training import distributed
    from sketchstudio.training.s2i_trainer import S2ITask, build_model

    base = None
    if args.resume:
        path = Path(args.resume) / "config.json"
        if not path.is_file():
            raise UserError("no config.json: not a run folder", path=Path(args.resume))
        base = json.loads(path.read_text(encoding="utf-8"))
    cfg = build_config(args, base)
    if not cfg.images:
        raise UserError("no training images: pass --images DIR")

    def start(ctx: Any) -> tuple[Any, Any]:
        import torch

        from sketchstudio.core.images import image_size
        from sketchstudio.s2i.data import PhotoSketchDataset

        torch.manual_seed(cfg.run.seed)
        probe_size = 128
        dataset = PhotoSketchDataset(cfg.images, probe_size, sketch_dirs=cfg.sketches, seed=cfg.run.seed)
        for photo in dataset.photos:  # every image must open: fail now, not at step 5,000
            image_size(photo)
            for folder in dataset.sketch_dirs:
                sketch = folder / (photo.stem + ".png")
                if not sketch.is_file():
                    raise UserError(f"no sketch for image {photo.name}", path=sketch)
        n = len(dataset.photos)
        val_n = min(cfg.val_images, n - 1) if n > 1 else 0
        model, provenance = build_model(cfg, n - val_n)
        dataset.size = model.config.im_size
        val = list(range(val_n))
        train = list(range(val_n, n))
        provenance = {**provenance, "train_images": len(train), "images": str(cfg.images)}
        return S2ITask(cfg, ctx, dataset, val, train, model, provenance), cfg

    return run_with_events(args, cfg, start, distributed)
