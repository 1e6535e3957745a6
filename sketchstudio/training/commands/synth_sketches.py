"""`sketchstudio-train synth-sketches`: synthetic training sketches from a folder of photos.

Writes `OUT/sketch_<k>/<stem>.png` for k = 1..N (the official code's one-folder-per-variant
layout; variant k uses style k of fine/bold/sparse/rough, cycling) and `OUT/manifest.json`.
Deterministic: the same photos, seed and options give byte-identical sketches.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth-sketches", help="make synthetic sketches (XDoG) from photos",
                       description="Extract sketch-like line drawings from photos for training.")
    p.add_argument("--images", type=Path, required=True, help="folder of photos")
    p.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    p.add_argument("--per-image", type=int, default=3, help="sketch variants per photo (default: 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=None, help="resize photos to size x size first")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sketchstudio.core.atomic import atomic_write_bytes, atomic_write_text
    from sketchstudio.core.errors import UserError
    from sketchstudio.core.images import load_image
    from sketchstudio.s2i.data import list_images, stable_seed
    from sketchstudio.s2i.sketch_synth import STYLE_NAMES, ink_fraction, synthesize_sketch

    if args.per_image < 1:
        raise UserError(f"--per-image must be at least 1, not {args.per_image}")
    if args.size is not None and not 32 <= args.size <= 4096:
        raise UserError(f"--size must be between 32 and 4096, not {args.size}")
    photos = list_images(args.images)
    if not photos:
        raise UserError("no images found (jpg, png, webp, bmp, tif)", path=args.images)
    out: Path = args.output
    try:
        out.mkdir(parents=True, exist_ok=True)
        for k in range(1, args.per_image + 1):
            (out / f"sketch_{k}").mkdir(exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the output folder ({exc.strerror or exc})", path=out) from exc
    entries, skipped = [], []
    for photo_path in photos:
        try:
            photo = load_image(photo_path, "RGB")
        except UserError as exc:
            print(f"skipped: {exc}", file=sys.stderr)
            skipped.append(photo_path.name)
            continue
        for k in range(1, args.per_image + 1):
            style = STYLE_NAMES[(k - 1) % len(STYLE_NAMES)]
            seed = stable_seed(args.seed, photo_path.name, k)
            sketch = synthesize_sketch(photo, seed=seed, style=style, size=args.size)
            buffer = io.BytesIO()
            sketch.save(buffer, format="PNG")
            target = out / f"sketch_{k}" / f"{photo_path.stem}.png"
            atomic_write_bytes(target, buffer.getvalue())
            entries.append({"photo": photo_path.name, "sketch": str(target.relative_to(out)), "style": style,
                            "seed": seed, "ink": round(ink_fraction(sketch), 4)})
    if not entries:
        raise UserError("none of the images could be read", path=args.images)
    manifest = {"images": str(args.images), "per_image": args.per_image, "seed": args.seed, "size": args.size,
                "styles": list(STYLE_NAMES), "sketches": entries, "skipped": skipped}
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2))
    print(f"wrote {len(entries)} sketches for {len(photos) - len(skipped)} photos to {out}"
          + (f" ({len(skipped)} unreadable file(s) skipped)" if skipped else ""))
    return 0
