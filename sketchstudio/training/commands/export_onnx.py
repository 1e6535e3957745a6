"""`sketchstudio-train export-onnx`: the warp model or the s2i generator as an ONNX graph.

Each model package provides `onnx_export.export_onnx(checkpoint, output, opset=..., verify=...)`,
which runs the ONNX checker and, when verifying, compares onnxruntime's output with torch's and
returns a report dict (`max_abs_diff`, `inputs`, `outputs`, ...).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-onnx", help="export the warp model or the s2i generator to ONNX")
    p.add_argument("--model", choices=("warp", "s2i"), default="warp",
                   help="which model to export (default: warp)")
    p.add_argument("--checkpoint", type=Path, default=None,
                   help="checkpoint (ours or official); default: the shipped default model")
    p.add_argument("-o", "--output", type=Path, required=True, help="output .onnx file")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="skip the onnxruntime parity check")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.model == "warp":
        from sketchstudio.warp.onnx_export import export_onnx
    else:
        from sketchstudio.s2i.onnx_export import export_onnx
    report = export_onnx(args.checkpoint, args.output, opset=args.opset, verify=args.verify)
    print(json.dumps({"model": args.model, "output": str(args.output), **report}, default=str))
    return 0
