"""`sketchstudio-train convert`: official checkpoints (PSCNet, self-supervised s2i) to our format.

One named converter per foreign format (`sketchstudio.warp.convert`, `sketchstudio.s2i.convert`),
each with `looks_like_official(obj)` and `convert_official(obj, source) -> (state_dict, metadata)`.
The file is read with `weights_only=True`; the converter loads the weights strictly into our
model before anything is written, so a wrong or truncated file never produces an output file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sketchstudio.weights.checkpoint import CheckpointError, load_torch_file, save_safetensors


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="convert an official checkpoint (PSCNet .pth.tar, s2i AE/GAN .pth) to .safetensors",
        description="Convert an official checkpoint to SketchStudio's format: safetensors weights "
                    "with metadata (arch, config, input size, normalisation, source, metrics).",
    )
    p.add_argument("checkpoint", type=Path, help="official checkpoint file")
    p.add_argument("-o", "--output", type=Path, required=True, help="output .safetensors file")
    p.add_argument("--kind", choices=("auto", "warp", "s2i"), default="auto",
                   help="which model the file holds (default: detect)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sketchstudio.s2i import convert as s2i_convert
    from sketchstudio.warp import convert as warp_convert

    source: Path = args.checkpoint
    obj = load_torch_file(source)
    converters = {"warp": warp_convert, "s2i": s2i_convert}
    if args.kind == "auto":
        found = [name for name, conv in converters.items() if conv.looks_like_official(obj)]
        if not found:
            keys = sorted(obj)[:8] if isinstance(obj, dict) else type(obj).__name__
            raise CheckpointError(
                f"not a recognised official checkpoint (top-level keys: {keys}); "
                "expected PSCNet ('state_dict', 'arch') or s2i ('s', 'c', 'd' / 'ig', 'ae')",
                path=source)
        kind = found[0]
    else:
        kind = args.kind
    state, meta = converters[kind].convert_official(obj, source=source)
    output: Path = args.output
    if output.suffix != ".safetensors":
        output = output.with_suffix(output.suffix + ".safetensors") if output.suffix else \
            output.with_suffix(".safetensors")
    save_safetensors(output, state, meta)
    print(f"converted {source} ({kind}, {meta.get('arch', '?')}, {len(state)} tensors) -> {output}")
    return 0
