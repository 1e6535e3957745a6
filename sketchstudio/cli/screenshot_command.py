"""`sketchstudio screenshot OUT.png [--demo | PROJECT] [--view ...] [--size WxH] [--pair N]`."""

from __future__ import annotations

import argparse
import re

VIEWS = ("draw", "annotate", "render")


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)[xX×](\d+)", text.strip())
    if not match or not (200 <= int(match[1]) <= 8000 and 200 <= int(match[2]) <= 8000):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT between 200 and 8000, got {text!r}")
    return int(match[1]), int(match[2])


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "screenshot", help="render the main window offscreen into a PNG",
        description="Open the desktop window offscreen on a project (or the demo, or the welcome "
                    "page when neither is given), show a view, and save the window as a PNG.")
    parser.add_argument("out", help="PNG file to write (atomically)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("project", nargs="?", help="project file (.sketchstudio)")
    source.add_argument("--demo", action="store_true", help="use the bundled demo project")
    parser.add_argument("--view", choices=VIEWS, default="draw", help="view to show (default: draw)")
    parser.add_argument("--size", type=_size, default=(1400, 860), metavar="WxH",
                        help="window size in pixels (default: 1400x860)")
    parser.add_argument("--pair", type=int, metavar="N", help="id of the pair to show (default: the first)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sketchstudio.gui.screenshot import take_screenshot

    path = take_screenshot(args.out, project=args.project, demo=args.demo, view=args.view,
                           size=args.size, pair=args.pair)
    print(path)
    return 0
