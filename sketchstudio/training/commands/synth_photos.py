"""`sketchstudio-train synth-photos`: photo–sketch pairs with exact keypoints from real photos.

    sketchstudio-train synth-photos -o data/heldout --photos resources/photos/astronaut.jpg ... \\
        --sketches 4 --seed 0 --test-fraction 1

Each photo gets deformed XDoG line drawings (`sketchstudio.training.photo_pairs`); the output is
the Sketchy layout with PSC6K CSVs, like `sketchstudio-train synth`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sketchstudio.training.commands._common import pairs_progress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth-photos",
                       help="write deformed line drawings (XDoG or strokes) of photos with exact keypoints",
                       description="For every photo (files or folders, searched recursively), draw "
                                   "--sketches XDoG line drawings, deform each with a random affine + TPS "
                                   "warp and place 8 keypoints on salient photo corners with their exact "
                                   "sketch positions. Writes the Sketchy layout with train/test PSC6K CSVs "
                                   "(split by photo).")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="DIR")
    p.add_argument("--photos", type=Path, nargs="+", required=True, metavar="PATH",
                   help="photo files and/or folders (a photo in a sub-folder takes its name as class)")
    p.add_argument("--sketches", type=int, default=4, metavar="K", help="sketches per photo (default 4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--test-fraction", type=float, default=0.0,
                   help="share of photos whose pairs go to the test CSVs (1: an evaluation set)")
    p.add_argument("--size", type=int, default=256, help="image side (Sketchy: 256)")
    p.add_argument("--crop-scale", type=float, default=1.0,
                   help="< 1: a random square crop of [SCALE, 1] × the short side per sketch (augmentation)")
    p.add_argument("--styles", nargs="+", default=None, metavar="STYLE",
                   help="line styles to cycle through: XDoG fine, bold, sparse, rough (xdog: any "
                        "of them), or strokes (traced pen strokes, human-like); default: drawn at random")
    p.add_argument("--warp-strength", type=float, default=1.0,
                   help="scale the random affine + TPS ranges (1: default, 1.5: heavier)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty folder")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sketchstudio.training.photo_pairs import write_photo_pair_dataset

    t0 = time.perf_counter()
    progress = pairs_progress()
    paths = write_photo_pair_dataset(args.out, args.photos, sketches_per_photo=args.sketches,
                                     seed=args.seed, test_fraction=args.test_fraction, size=args.size,
                                     crop_scale=args.crop_scale, styles=args.styles,
                                     warp_strength=args.warp_strength,
                                     workers=args.workers,
                                     overwrite=args.overwrite, progress=progress)
    print(f"wrote pairs to {args.out} in {time.perf_counter() - t0:.1f} s: "
          + ", ".join(p.name for p in paths.values()))
    return 0
