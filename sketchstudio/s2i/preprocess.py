"""Images in and out of the generator.

Polarity convention: inside the model a sketch is one channel in [-1, 1] with **paper = +1 and
ink = -1** (black lines on white, as the official training sketches and Sketchy's drawings are).
`sketch_to_tensor` accepts gray, RGB or RGBA images: transparency is flattened onto white, and a
sketch that is mostly dark (white lines on black) is inverted, so Sketchy PNGs and our exported
PNGs both arrive in the model's convention. Style images are RGB in [-1, 1] (mean/std 0.5).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from sketchstudio.core.images import load_image

ImageLike = Image.Image | str | Path


def as_image(image: ImageLike) -> Image.Image:
    return image if isinstance(image, Image.Image) else load_image(image, mode="RGB")


def _flatten_alpha(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image


def sketch_array(image: ImageLike, size: int) -> np.ndarray:
    """[size, size] float32 in [0, 1], paper 1 and ink 0, whatever the input's mode or polarity."""
    gray = _flatten_alpha(as_image(image)).convert("L")
    if gray.size != (size, size):
        gray = gray.resize((size, size), Image.Resampling.BILINEAR)
    array = np.asarray(gray, dtype=np.float32) / 255.0
    if float(np.median(array)) < 0.5:  # white lines on a dark ground
        array = 1.0 - array
    return array


def sketch_to_tensor(image: ImageLike, size: int) -> torch.Tensor:
    """[1, 1, size, size] in [-1, 1] (paper +1, ink -1)."""
    return torch.from_numpy(sketch_array(image, size) * 2.0 - 1.0)[None, None]


def style_to_tensor(image: ImageLike, size: int) -> torch.Tensor:
    """[1, 3, size, size] in [-1, 1]."""
    rgb = _flatten_alpha(as_image(image)).convert("RGB")
    if rgb.size != (size, size):
        rgb = rgb.resize((size, size), Image.Resampling.BICUBIC)
    array = np.asarray(rgb, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(2, 0, 1)[None].contiguous()


def tensor_to_image(tensor: torch.Tensor, size: int | tuple[int, int] | None = None) -> Image.Image:
    """[3, H, W] (or [1, 3, H, W]) in [-1, 1] -> RGB image, resized to `size` (w, h) if given."""
    if tensor.dim() == 4:
        tensor = tensor[0]
    array = ((tensor.detach().float().cpu().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    image = Image.fromarray(array.permute(1, 2, 0).numpy())
    if size is not None:
        target = (size, size) if isinstance(size, int) else tuple(size)
        if image.size != target:
            image = image.resize(target, Image.Resampling.LANCZOS)
    return image
