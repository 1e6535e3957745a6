"""Finishing passes applied to a generator's output, chosen per checkpoint.

A small generator trained for minutes on a CPU (the shipped default) learns the sketch's layout
and shading long before it learns to carry the style image's colours through its modulation, so
its raw output is greyish. Two cheap, deterministic passes close that gap, in the way colouring
tools finish line art:

* `colour_from_style` — a gradient map taken from the style image: the output's luminance is
  histogram-matched to the style's, then each pixel takes the style's mean colour at that
  luminance. Dark regions get the style's dark colours, bright regions its bright ones.
* `keep_lines` — the sketch's ink is multiplied over the result, so every drawn line shows.

Which passes run is stored in the checkpoint metadata (`render.finishing`); official checkpoints
have none, so their output is untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FINISHING_PASSES = ("colour_from_style", "keep_lines")
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def colour_from_style(image: np.ndarray, style: np.ndarray, bins: int = 48) -> np.ndarray:
    """Recolour `image` [H, W, 3] in [0, 1] with the palette of `style` [h, w, 3] by luminance."""
    y_img = image @ _LUMA
    y_sty = (style @ _LUMA).ravel()
    # Histogram matching of the luminance keeps the output's structure with the style's contrast.
    order = np.argsort(y_img, axis=None, kind="stable")
    quantiles = np.empty(order.size, dtype=np.float32)
    quantiles[order] = (np.arange(order.size, dtype=np.float32) + 0.5) / order.size
    matched = np.quantile(y_sty, quantiles).reshape(y_img.shape).astype(np.float32)
    # Mean style colour per luminance bin; empty bins are interpolated from their neighbours.
    edges = np.linspace(0.0, 1.0, bins + 1, dtype=np.float32)
    centres = (edges[:-1] + edges[1:]) / 2
    index = np.clip(np.digitize(y_sty, edges) - 1, 0, bins - 1)
    counts = np.bincount(index, minlength=bins).astype(np.float32)
    flat = style.reshape(-1, 3)
    lut = np.zeros((bins, 3), dtype=np.float32)
    filled = counts > 0
    for c in range(3):
        sums = np.bincount(index, weights=flat[:, c], minlength=bins)
        lut[filled, c] = sums[filled] / counts[filled]
        lut[:, c] = np.interp(centres, centres[filled], lut[filled, c])
    colour = np.stack([np.interp(matched, centres, lut[:, c]) for c in range(3)], axis=-1)
    # Give the looked-up colour exactly the matched luminance.
    scale = (matched + 1e-3) / (colour @ _LUMA + 1e-3)
    return np.clip(colour * scale[..., None], 0.0, 1.0).astype(np.float32)


def keep_lines(image: np.ndarray, sketch: np.ndarray, strength: float = 0.85) -> np.ndarray:
    """Multiply the sketch's ink over `image`; `sketch` [H, W] in [0, 1], paper 1, ink 0."""
    ink = 1.0 - np.clip(sketch, 0.0, 1.0)
    return (image * (1.0 - strength * ink)[..., None]).astype(np.float32)


def finish(image: np.ndarray, *, style: np.ndarray, sketch: np.ndarray, passes: Sequence[str]) -> np.ndarray:
    """Run `passes` (names from FINISHING_PASSES, in order) on one image of the output size."""
    for name in passes:
        if name == "colour_from_style":
            image = colour_from_style(image, style)
        elif name == "keep_lines":
            image = keep_lines(image, sketch)
        else:
            raise ValueError(f"unknown finishing pass {name!r} (known: {', '.join(FINISHING_PASSES)})")
    return image
