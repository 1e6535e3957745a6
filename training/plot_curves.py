"""Plot PCK curves from runs' metrics.jsonl as a small PNG (Pillow only) and print a table.

    python training/plot_curves.py RUN_DIR [RUN_DIR ...] -o curves.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from PIL import Image, ImageDraw

COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189)]


def read_evals(run: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if "eval/pck@0.10" in r]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args()
    w, h, m = 560, 340, 48
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    evals = {run: read_evals(run) for run in args.runs}
    max_step = max(r["step"] for rows in evals.values() for r in rows)

    def xy(step: float, value: float) -> tuple[float, float]:
        return m + (w - 2 * m) * step / max_step, h - m - (h - 2 * m) * value

    draw.line([xy(0, 0), xy(max_step, 0)], fill="black")
    draw.line([xy(0, 0), xy(0, 1)], fill="black")
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, y = xy(0, v)
        draw.text((x - 32, y - 6), f"{v:.2f}", fill="black")
        draw.line([xy(0, v), xy(max_step, v)], fill=(225, 225, 225))
    draw.text((w / 2 - 20, h - m + 18), "step", fill="black")
    legend_y = 8
    print("| run | step | PCK@0.05 | PCK@0.10 | identity @0.05 | identity @0.10 |")
    print("|---|---|---|---|---|---|")
    for i, (run, rows) in enumerate(evals.items()):
        colour = COLOURS[i % len(COLOURS)]
        for key, dash in (("eval/pck@0.10", False), ("eval/pck@0.05", True)):
            pts = [xy(r["step"], r[key]) for r in rows]
            if len(pts) > 1:
                draw.line(pts, fill=colour, width=1 if dash else 2)
        base = rows[-1]
        for key in ("eval/identity_pck@0.10", "eval/identity_pck@0.05"):
            draw.line([xy(0, base[key]), xy(max_step, base[key])], fill=(150, 150, 150))
        draw.text((m + 8, legend_y), f"{run.name}: PCK@0.10 (thick), @0.05 (thin)", fill=colour)
        legend_y += 14
        for r in rows:
            print(f"| {run.name} | {r['step']} | {r['eval/pck@0.05']:.3f} | {r['eval/pck@0.10']:.3f} | "
                  f"{r['eval/identity_pck@0.05']:.3f} | {r['eval/identity_pck@0.10']:.3f} |")
    draw.text((m + 8, legend_y), "grey: identity baseline", fill=(120, 120, 120))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    img.save(args.out)


if __name__ == "__main__":
    main()
