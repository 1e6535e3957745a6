"""Images in, model input out: the warp model's preprocessing, in one place.

1. Any image (PIL in any mode, or a numpy array H×W, H×W×1, H×W×3 or H×W×4, uint8 or float in
   [0, 1]) becomes 8-bit RGB. Grey sketches (black lines on white, one channel) are replicated
   to three channels; transparent pixels are composited onto white, so a sketch drawn on a
   transparent layer still reads as lines on paper.
2. It is resized to the model's S×S input (PIL bilinear, antialiased when shrinking) unless it
   already has that size. Aspect ratio is not kept: the official model sees Sketchy's square
   images, and points map back per axis (`sketchstudio.warp.flows.image_to_grid`).
3. Scaled to [0, 1] and normalised with the checkpoint's mean/std (ImageNet's by default).

Files are read with `sketchstudio.core.images.load_image`. No torch here.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from sketchstudio.warp.config import IMAGENET_MEAN, IMAGENET_STD

ImageLike = np.ndarray | Image.Image


def to_rgb(image: ImageLike) -> np.ndarray:
    """(H, W, 3) uint8 RGB from a PIL image or an array; alpha is composited onto white."""
    if isinstance(image, Image.Image):
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
        return np.asarray(image.convert("RGB"))
    arr = np.asarray(image)
    if np.issubdtype(arr.dtype, np.floating):
        arr = np.clip(np.rint(arr * 255.0), 0, 255).astype(np.uint8)
    elif arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    elif np.issubdtype(arr.dtype, np.integer) and arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    elif arr.dtype != np.uint8:
        raise ValueError(f"unsupported image dtype {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise ValueError(f"image must be H×W, H×W×1, H×W×3 or H×W×4, got shape {arr.shape}")
    if arr.shape[2] == 1:
        return np.repeat(arr, 3, axis=2)
    if arr.shape[2] == 4:
        alpha = arr[:, :, 3:4].astype(np.float32) / 255.0
        blended = arr[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr)


def image_size(image: ImageLike) -> tuple[int, int]:
    """(width, height)."""
    if isinstance(image, Image.Image):
        return image.size
    arr = np.asarray(image)
    return (int(arr.shape[1]), int(arr.shape[0]))


def prepare(image: ImageLike, size: int, mean: tuple[float, ...] = IMAGENET_MEAN,
            std: tuple[float, ...] = IMAGENET_STD) -> np.ndarray:
    """(3, size, size) float32, normalised: what the encoder takes for one image."""
    rgb = to_rgb(image)
    if rgb.shape[:2] != (size, size):
        rgb = np.asarray(Image.fromarray(rgb).resize((size, size), Image.BILINEAR))
    x = rgb.astype(np.float32) / 255.0
    x = (x - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))
