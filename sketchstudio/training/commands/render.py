"""`sketchstudio-train render`: one image from a sketch and a style reference, headless."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from sketchstudio.core.atomic import atomic_write_bytes
from sketchstudio.core.errors import UserError

_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="render an image from a sketch and a style image",
                       description="Render an RGB image from a sketch (black lines on white; gray, RGB or "
                                   "transparent PNG) in the style of a reference image.")
    p.add_argument("--sketch", type=Path, required=True, help="sketch image")
    p.add_argument("--style", type=Path, required=True, help="style reference image")
    p.add_argument("-o", "--output", type=Path, required=True, help="output image (.png, .jpg, .webp, .bmp)")
    p.add_argument("--checkpoint", type=Path, default=None,
                   help="generator (.safetensors, or an official .pth); default: the shipped model")
    p.add_argument("--size", type=int, default=None, help="output size in pixels (default: the model's)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (default: auto)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sketchstudio.core.images import load_image
    from sketchstudio.s2i.renderer import S2IRenderer

    output: Path = args.output
    fmt = _FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise UserError(f"unsupported output type '{output.suffix}' (use {', '.join(_FORMATS)})", path=output)
    if not output.parent.is_dir():
        raise UserError("the output folder does not exist", path=output.parent)
    if args.size is not None and not 16 <= args.size <= 4096:
        raise UserError(f"--size must be between 16 and 4096, not {args.size}")
    sketch = load_image(args.sketch, "RGB")
    style = load_image(args.style, "RGB")
    renderer = S2IRenderer.load(args.checkpoint, device=args.device)
    image = renderer.render(sketch, style, args.size)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    atomic_write_bytes(output, buffer.getvalue())
    print(f"rendered {args.sketch} in the style of {args.style} -> {output} ({image.width}x{image.height})")
    return 0
