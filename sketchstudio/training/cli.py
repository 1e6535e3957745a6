"""Composition root of `sketchstudio-train`.

Each command module exposes `register(subparsers)` and sets `func(args) -> int` on its parser.
User errors (bad data, bad checkpoints) become one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sketchstudio import __version__
from sketchstudio.core.errors import UserError

COMMAND_MODULES: dict[str, str] = {
    "convert": "sketchstudio.training.commands.convert",
    "export-onnx": "sketchstudio.training.commands.export_onnx",
    "eval": "sketchstudio.training.commands.eval_warp",
    "render": "sketchstudio.training.commands.render",
    "synth-sketches": "sketchstudio.training.commands.synth_sketches",
    "synth": "sketchstudio.training.commands.synth_pairs",
    "synth-photos": "sketchstudio.training.commands.synth_photos",
    "warp": "sketchstudio.training.commands.train_warp",
    "s2i": "sketchstudio.training.commands.train_s2i",
}


# Commands whose module imports torch at the top: the full listing (`--help`, a missing or
# unknown command) shows this line instead of importing them, so it answers in milliseconds.
# `tests/test_cli_help.py` checks each line equals the module's own `help`.
LISTED_WITHOUT_IMPORT: dict[str, str] = {
    "convert": "convert an official checkpoint (PSCNet .pth.tar, s2i AE/GAN .pth) to .safetensors",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sketchstudio-train",
        description="Convert, evaluate, export, render with and train SketchStudio's models.",
    )
    parser.add_argument("--version", action="version", version=f"sketchstudio-train {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    names = [only] if only else list(COMMAND_MODULES)
    seen: set[str] = set()
    for name in names:
        module = COMMAND_MODULES[name]
        if module in seen:
            continue
        if only is None and name in LISTED_WITHOUT_IMPORT and module not in sys.modules:
            sub.add_parser(name, help=LISTED_WITHOUT_IMPORT[name])
            continue
        seen.add(module)
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        only = argv[0] if argv and argv[0] in COMMAND_MODULES else None
        args = build_parser(only).parse_args(argv)
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"sketchstudio-train: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sketchstudio-train: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
