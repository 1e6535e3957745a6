"""Composition root of the `sketchstudio` command.

`sketchstudio [PROJECT] [--demo]` starts the GUI; `sketchstudio SUBCOMMAND ...` runs a headless
command. Each command module exposes `register(subparsers)` and sets `func(args) -> int` on its
parser. Known user errors become one line on stderr and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sketchstudio import __version__
from sketchstudio.core.errors import UserError, printable

# Subcommand name -> module that registers it. Imported lazily so `sketchstudio info` never
# pays for Qt or torch.
COMMAND_MODULES: dict[str, str] = {
    "import": "sketchstudio.cli.project_commands",
    "export": "sketchstudio.cli.project_commands",
    "info": "sketchstudio.cli.project_commands",
    "screenshot": "sketchstudio.cli.screenshot_command",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sketchstudio",
        description="Draw sketches, annotate photo–sketch correspondences, render and retrain. "
                    "Without a subcommand the desktop application starts.",
    )
    parser.add_argument("--version", action="version", version=f"sketchstudio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = sorted(set(COMMAND_MODULES.values())) if command is None else [COMMAND_MODULES[command]]
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sketchstudio",
        description="SketchStudio desktop application. Headless subcommands: "
                    + ", ".join(sorted(COMMAND_MODULES)) + " (see `sketchstudio COMMAND --help`).",
    )
    parser.add_argument("--version", action="version", version=f"sketchstudio {__version__}")
    parser.add_argument("project", nargs="?", help="project file (.sketchstudio) to open")
    parser.add_argument("--demo", action="store_true",
                        help="open the bundled demo project (copied to your data folder on first use)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMAND_MODULES:
            parser = build_parser(argv[0])
            args = parser.parse_args(argv)
            return int(args.func(args) or 0)
        if argv and argv[0] in ("-h", "--help") and len(argv) == 1:
            build_gui_parser().print_help()
            return 0
        args = build_gui_parser().parse_args(argv)
        from sketchstudio.gui.qt_libs import check_platform

        check_platform()  # one line naming the packages instead of Qt's abort
        from sketchstudio.gui.app import run_app

        return int(run_app(project=args.project, demo=args.demo) or 0)
    except UserError as exc:
        print(f"sketchstudio: error: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # what no command turned into a UserError: still one line
        where = f"{exc.filename}: " if exc.filename else ""
        print(printable(f"sketchstudio: error: {where}{exc.strerror or exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sketchstudio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
