"""Synthetic sketches from photos: XDoG line extraction with abstraction and stroke variation.

The paper pairs every training photo with sketches from a learned synthesiser (TOM) whose VGG
weights are not published; we use a classical extractor instead (Winnemöller et al.'s XDoG):

1. abstraction: Gaussian smoothing of the luminance, which removes texture before lines are found;
2. XDoG: `D = G_s(I) - tau * G_{k s}(I)`, softly thresholded with `1 + tanh(phi * (D - eps))`
   and binarised at a level t, i.e. ink where `D < eps + atanh(t - 1) / phi`; that cut-off is
   clamped between two quantiles of `D` so every photo gets a sane amount of line (no blank
   page on a soft photo, no ink flood on a textured one);
3. stroke-width variation: strokes thickened by a random radius inside a smooth random field;
4. stroke dropout: smooth random blobs erase some strokes, like a sketcher's omissions.

Every random choice comes from one `numpy.random.Generator` seeded per call, so a (photo, seed,
style) triple always yields the same sketch. Output: paper 1, ink 0 (black lines on white), the
model's polarity after `x * 2 - 1`. Only numpy, Pillow and torch are used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

_LUMA = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class SketchStyle:
    """Parameter ranges of one look; each sketch draws its values uniformly from them.

    Sigmas and radii are in pixels at a 256-pixel image and scale with the image size.
    """

    smoothing: tuple[float, float]  # abstraction blur
    sigma: tuple[float, float]  # XDoG inner Gaussian
    tau: tuple[float, float]
    phi: tuple[float, float]
    epsilon: tuple[float, float]
    max_ink: tuple[float, float]  # cap on the fraction of ink pixels before thickening
    min_ink: float  # floor on that fraction
    stroke_radius: tuple[int, int]  # thickening radius range
    thick_fraction: tuple[float, float]  # share of the image whose strokes get thickened
    dropout: tuple[float, float]  # share of the image whose strokes are erased
    k: float = 1.6


SKETCH_STYLES: dict[str, SketchStyle] = {
    "fine": SketchStyle(smoothing=(0.4, 0.8), sigma=(0.6, 0.9), tau=(0.98, 0.995), phi=(60, 120),
                        epsilon=(-0.01, -0.002), max_ink=(0.08, 0.12), min_ink=0.03, stroke_radius=(0, 0),
                        thick_fraction=(0.0, 0.0), dropout=(0.0, 0.08)),
    "bold": SketchStyle(smoothing=(0.8, 1.4), sigma=(0.9, 1.3), tau=(0.97, 0.99), phi=(40, 90),
                        epsilon=(-0.015, -0.004), max_ink=(0.06, 0.1), min_ink=0.03, stroke_radius=(1, 2),
                        thick_fraction=(0.4, 0.9), dropout=(0.0, 0.1)),
    "sparse": SketchStyle(smoothing=(1.2, 2.0), sigma=(1.0, 1.5), tau=(0.96, 0.985), phi=(40, 80),
                          epsilon=(-0.012, -0.004), max_ink=(0.04, 0.07), min_ink=0.03, stroke_radius=(0, 1),
                          thick_fraction=(0.2, 0.5), dropout=(0.1, 0.25)),
    "rough": SketchStyle(smoothing=(0.3, 0.6), sigma=(0.7, 1.1), tau=(0.985, 0.998), phi=(80, 160),
                         epsilon=(-0.006, 0.0), max_ink=(0.1, 0.16), min_ink=0.04, stroke_radius=(0, 1),
                         thick_fraction=(0.3, 0.7), dropout=(0.05, 0.2)),
}
STYLE_NAMES = tuple(SKETCH_STYLES)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of [B, 1, H, W] with reflect padding."""
    if sigma <= 0:
        return x
    radius = max(1, math.ceil(3 * sigma))
    radius = min(radius, x.shape[-1] - 1, x.shape[-2] - 1)
    offsets = torch.arange(-radius, radius + 1, dtype=x.dtype)
    kernel = torch.exp(-(offsets**2) / (2 * sigma * sigma))
    kernel = kernel / kernel.sum()
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), kernel.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), kernel.view(1, 1, -1, 1))


def _smooth_field(rng: np.random.Generator, height: int, width: int, cells: int) -> torch.Tensor:
    """A smooth random field in [0, 1] of shape [1, 1, H, W] (bicubic upsampling of a coarse grid)."""
    coarse = torch.from_numpy(rng.random((1, 1, cells, cells), dtype=np.float32))
    field = F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=False)
    lo, hi = field.amin(), field.amax()
    return (field - lo) / (hi - lo + 1e-6)


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1])) if bounds[1] > bounds[0] else float(bounds[0])


def _sketch_one(luma: torch.Tensor, style: SketchStyle, rng: np.random.Generator) -> torch.Tensor:
    """[1, 1, H, W] luminance in [0, 1] -> [1, 1, H, W] sketch (paper 1, ink 0)."""
    _, _, height, width = luma.shape
    scale = min(height, width) / 256.0
    smooth = gaussian_blur(luma, _uniform(rng, style.smoothing) * scale)
    sigma = _uniform(rng, style.sigma) * scale
    tau, phi = _uniform(rng, style.tau), _uniform(rng, style.phi)
    dog = gaussian_blur(smooth, sigma) - tau * gaussian_blur(smooth, sigma * style.k)
    level = _uniform(rng, (0.35, 0.65))
    cutoff = _uniform(rng, style.epsilon) + math.atanh(level - 1.0) / phi
    sample = dog.flatten()[:: max(1, dog.numel() // 65536)]
    low, high = torch.quantile(sample, torch.tensor([style.min_ink, _uniform(rng, style.max_ink)])).tolist()
    ink = (dog < min(max(cutoff, low), high)).float()

    radius = round(int(rng.integers(style.stroke_radius[0], style.stroke_radius[1] + 1)) * max(scale, 0.5))
    if radius > 0:
        thick = F.max_pool2d(ink, 2 * radius + 1, stride=1, padding=radius)
        region = _smooth_field(rng, height, width, 4) < _uniform(rng, style.thick_fraction)
        ink = torch.where(region, thick, ink)
    drop_share = _uniform(rng, style.dropout)
    if drop_share > 0:
        erase = _smooth_field(rng, height, width, 6) < drop_share
        ink = ink.masked_fill(erase, 0.0)
    return 1.0 - ink


def synthesize_batch(images: torch.Tensor, seeds: int | list[int] = 0,
                     styles: str | list[str] | None = None) -> torch.Tensor:
    """[B, 3, H, W] RGB (or [B, 1, H, W] gray) in [0, 1] -> [B, 1, H, W] sketches in {0, 1}.

    For the training loop: one seed per image (an int seeds image i with `seed + i`); `styles`
    one name for all, one per image, or None to draw a style per image from its seed.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected [B, 3, H, W] or [B, 1, H, W], got {tuple(images.shape)}")
    batch = images.shape[0]
    seed_list = [seeds + i for i in range(batch)] if isinstance(seeds, int) else list(seeds)
    style_list = [styles] * batch if isinstance(styles, str) or styles is None else list(styles)
    if len(seed_list) != batch or len(style_list) != batch:
        raise ValueError("need one seed and one style per image")
    x = images.detach().float().cpu()
    luma = x if x.shape[1] == 1 else (x * torch.tensor(_LUMA).view(1, 3, 1, 1)).sum(1, keepdim=True)
    out = []
    for i in range(batch):
        rng = np.random.default_rng(seed_list[i])
        name = style_list[i] or STYLE_NAMES[int(rng.integers(len(STYLE_NAMES)))]
        if name not in SKETCH_STYLES:
            raise ValueError(f"unknown sketch style {name!r} (choose from {', '.join(STYLE_NAMES)})")
        out.append(_sketch_one(luma[i : i + 1].clamp(0, 1), SKETCH_STYLES[name], rng))
    return torch.cat(out).to(images.device)


def synthesize_sketch(image: Image.Image | torch.Tensor, *, seed: int = 0, style: str | None = None,
                      size: int | None = None) -> Image.Image | torch.Tensor:
    """One sketch from a PIL image (-> mode 'L' image) or a [3|1, H, W] tensor in [0, 1]
    (-> [1, H, W] tensor). `size` first resizes a PIL image to size x size."""
    if isinstance(image, Image.Image):
        rgb = image.convert("RGB")
        if size is not None and rgb.size != (size, size):
            rgb = rgb.resize((size, size), Image.Resampling.BICUBIC)
        tensor = torch.from_numpy(np.asarray(rgb, dtype=np.float32) / 255.0).permute(2, 0, 1)
        sketch = synthesize_batch(tensor[None], [seed], [style] if style else None)[0, 0]
        return Image.fromarray((sketch.numpy() * 255).astype(np.uint8))
    if image.dim() != 3:
        raise ValueError(f"expected a [C, H, W] tensor, got {tuple(image.shape)}")
    return synthesize_batch(image[None], [seed], [style] if style else None)[0]


def ink_fraction(sketch: Image.Image | torch.Tensor | np.ndarray) -> float:
    """Share of dark pixels (< 0.5) in a sketch with paper 1/255 and ink 0."""
    if isinstance(sketch, Image.Image):
        array = np.asarray(sketch.convert("L"), dtype=np.float32) / 255.0
    elif isinstance(sketch, torch.Tensor):
        array = sketch.detach().cpu().float().numpy()
    else:
        array = np.asarray(sketch, dtype=np.float32)
    return float((array < 0.5).mean())
