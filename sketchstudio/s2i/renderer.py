"""Rendering images from sketches: the API behind the GUI's render worker and `render` command.

`S2IRenderer` owns one generator in eval mode (spectral norms folded, on the device that
`select_device` picks). Style vectors are cached per style image, so re-rendering an edited
sketch against an unchanged reference skips the style encoder. Rendering is deterministic: the
autoencoder has no randomness in eval mode and the refiner's noise is a fixed seeded field.

Style mixing (the paper's Fig. 7): the three style vectors act at different scales (coarse: layout
and dominant colours, from the deepest level; fine: texture), and `mix_styles` combines vectors
from different references per scale.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from sketchstudio.core.errors import UserError
from sketchstudio.s2i.autoencoder import StyleVectors
from sketchstudio.s2i.finishing import FINISHING_PASSES, finish
from sketchstudio.s2i.model import S2IGenerator, fold_spectral_norm
from sketchstudio.s2i.preprocess import (
    ImageLike,
    as_image,
    sketch_array,
    sketch_to_tensor,
    style_to_tensor,
    tensor_to_image,
)
from sketchstudio.weights.device import select_device

SCALES = ("fine", "medium", "coarse")
Size = int | tuple[int, int] | None


class RenderCancelled(Exception):
    """Raised between steps when the caller's `cancelled()` returns True."""


PALETTE_SIZE = 64
"""Side of the thumbnail of the style image kept for the `colour_from_style` finishing pass."""


@dataclass(frozen=True)
class Style:
    """Style vectors ready for rendering (one reference or a mix); index 0 = fine, 2 = coarse.

    `palette` is a small RGB thumbnail of the reference in [0, 1], used by finishing passes."""

    vectors: StyleVectors
    palette: np.ndarray | None = None

    def to(self, device: torch.device) -> Style:
        return Style(tuple(v.to(device) for v in self.vectors), self.palette)  # type: ignore[arg-type]


def mix_styles(coarse: Style, medium: Style | None = None, fine: Style | None = None) -> Style:
    """Combine references per scale: `coarse` gives the deepest vector (and the colours), `medium`
    and `fine` (default: the coarse one) the others."""
    medium = medium or coarse
    fine = fine or medium
    return Style((fine.vectors[0], medium.vectors[1], coarse.vectors[2]), coarse.palette)


class S2IRenderer:
    """Loaded generator + style cache. Not thread-safe: use it from one worker thread."""

    def __init__(self, model: S2IGenerator, metadata: dict[str, Any] | None = None,
                 device: str | torch.device = "auto", cache_size: int = 16) -> None:
        self.device = device if isinstance(device, torch.device) else select_device(device)
        self.metadata = dict(metadata or {})
        self.config = model.config
        self.model = fold_spectral_norm(model.eval()).to(self.device)
        self._cache: OrderedDict[Hashable, Style] = OrderedDict()
        self._cache_size = cache_size
        self.cache_hits = 0
        self.cache_misses = 0
        render_meta = self.metadata.get("render") or {}
        self.finishing: tuple[str, ...] = tuple(render_meta.get("finishing") or ())
        unknown = set(self.finishing) - set(FINISHING_PASSES)
        if unknown:
            raise UserError(f"checkpoint asks for unknown finishing passes {sorted(unknown)}")

    @classmethod
    def load(cls, checkpoint: str | Path | None = None, device: str = "auto") -> S2IRenderer:
        """From our `.safetensors` or an official `.pth`; `None` is the shipped default model."""
        from sketchstudio.s2i.zoo import load_generator

        model, meta = load_generator(checkpoint)
        return cls(model, meta, device=device)

    @property
    def input_size(self) -> int:
        return self.config.im_size

    @property
    def output_size(self) -> int:
        return self.config.output_size

    # ---- style -----------------------------------------------------------------------------
    def style_vectors(self, style_image: ImageLike | Style, cache_key: Hashable | None = None) -> Style:
        """Encode a reference image (cached by `cache_key`, else by the image's pixels)."""
        if isinstance(style_image, Style):
            return style_image.to(self.device)
        image = as_image(style_image)
        key = cache_key if cache_key is not None else _pixel_digest(image)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.cache_hits += 1
            return cached
        self.cache_misses += 1
        with torch.inference_mode():
            tensor = style_to_tensor(image, self.input_size).to(self.device)
            style = Style(self.model.encode_style(tensor), _palette(image))
        self._cache[key] = style
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return style

    def clear_cache(self) -> None:
        self._cache.clear()

    # ---- rendering -------------------------------------------------------------------------
    def render(self, sketch: ImageLike, style: ImageLike | Style, size: Size = None, *,
               style_key: Hashable | None = None,
               cancelled: Callable[[], bool] | None = None) -> Image.Image:
        """One RGB image of `size` (int or (w, h); default the model's output size)."""
        return self.render_batch([sketch], [style], size, style_keys=[style_key], cancelled=cancelled)[0]

    def render_batch(self, sketches: Sequence[ImageLike],
                     styles: Sequence[ImageLike | Style] | ImageLike | Style, size: Size = None, *,
                     style_keys: Sequence[Hashable | None] | None = None,
                     cancelled: Callable[[], bool] | None = None) -> list[Image.Image]:
        """Render several sketches in one forward pass; one style for all, or one per sketch."""
        if not sketches:
            return []
        if not isinstance(styles, Sequence) or isinstance(styles, str):
            styles = [styles] * len(sketches)
        if len(styles) != len(sketches):
            raise UserError(f"{len(sketches)} sketches but {len(styles)} styles")
        keys = list(style_keys) if style_keys is not None else [None] * len(styles)
        check = cancelled or (lambda: False)
        encoded = [self.style_vectors(s, k) for s, k in zip(styles, keys)]
        if check():
            raise RenderCancelled
        with torch.inference_mode():
            batch = torch.cat([sketch_to_tensor(s, self.input_size) for s in sketches]).to(self.device)
            vectors = tuple(torch.cat([e.vectors[i] for e in encoded]) for i in range(3))
            content = self.model.encode_content(batch)
            if check():
                raise RenderCancelled
            images = self.model.decode(content, vectors)  # type: ignore[arg-type]
        rendered = [tensor_to_image(img, size if size is not None else None) for img in images]
        if not self.finishing:
            return rendered
        return [self._finish(image, sketch, style)
                for image, sketch, style in zip(rendered, sketches, encoded)]

    def _finish(self, image: Image.Image, sketch: ImageLike, style: Style) -> Image.Image:
        if style.palette is None:  # a Style built by hand: no reference pixels to take colours from
            return image
        rgb = np.asarray(image, dtype=np.float32) / 255.0
        lines = sketch_array(sketch, max(image.size))
        if image.size[0] != image.size[1]:
            lines = np.asarray(Image.fromarray(lines).resize(image.size, Image.Resampling.BILINEAR))
        out = finish(rgb, style=style.palette, sketch=lines, passes=self.finishing)
        return Image.fromarray((np.clip(out, 0, 1) * 255).round().astype(np.uint8))


def _palette(image: Image.Image) -> np.ndarray:
    thumb = image.convert("RGB").resize((PALETTE_SIZE, PALETTE_SIZE), Image.Resampling.BOX)
    return np.asarray(thumb, dtype=np.float32) / 255.0


def _pixel_digest(image: Image.Image) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{image.mode}{image.size}".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()
