"""`sketchstudio-train synth`: procedural photo–sketch pairs with exact keypoints, Sketchy layout.

    sketchstudio-train synth -o data/synth --pairs 2000 --seed 0 --test-fraction 0.1
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sketchstudio.training.commands._common import pairs_progress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="write procedural photo–sketch pairs with exact keypoints (PSC6K CSVs)",
                       description="Generate shaded, textured parametric objects and hand-jittered, deformed "
                                   "sketches of them, 8 exact keypoint correspondences each, in the Sketchy "
                                   "layout with train_pairs_ps.csv, test_pairs_ps.csv and test_pairs_st.csv.")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="DIR")
    p.add_argument("--pairs", type=int, required=True, metavar="N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--test-fraction", type=float, default=0.1, help="share of pairs in the test CSVs")
    p.add_argument("--size", type=int, default=256, help="image side (Sketchy: 256)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty folder")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sketchstudio.training.synth_dataset import write_synthetic_dataset

    t0 = time.perf_counter()
    progress = pairs_progress()
    paths = write_synthetic_dataset(args.out, args.pairs, seed=args.seed, test_fraction=args.test_fraction,
                                    size=args.size, workers=args.workers, overwrite=args.overwrite,
                                    progress=progress)
    elapsed = time.perf_counter() - t0
    print(f"wrote {args.pairs} pairs to {args.out} in {elapsed:.1f} s ({args.pairs / elapsed:.0f} pairs/s): "
          + ", ".join(p.name for p in paths.values()))
    return 0
