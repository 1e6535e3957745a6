"""The render API the GUI's render worker calls: Qt-free, torch imported only when used.

    service = RenderService(checkpoint=None, device="auto")   # cheap; nothing loaded yet
    service.load()                                            # on the worker thread
    image = service.render(sketch_png, style_photo, 512)      # PIL RGB image

Sketches: PIL images or paths, black lines on white (gray, RGB or transparent PNG; white-on-black
is inverted automatically). Style vectors are cached per style image (or per `style_key`), so a
re-render after a stroke edit costs only the content encoder and the decoder. Rendering is
deterministic. `cancelled` is polled between steps; a cancelled render raises `RenderCancelled`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

    from sketchstudio.s2i.renderer import S2IRenderer, Style


class RenderService:
    """Holds one loaded generator for the lifetime of the worker."""

    def __init__(self, checkpoint: str | Path | None = None, device: str = "auto") -> None:
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        self.device = device
        self._renderer: S2IRenderer | None = None

    @property
    def loaded(self) -> bool:
        return self._renderer is not None

    def load(self) -> None:
        """Load the model (slow: call it off the GUI thread). Raises `UserError` subclasses."""
        if self._renderer is None:
            from sketchstudio.s2i.renderer import S2IRenderer

            self._renderer = S2IRenderer.load(self.checkpoint, device=self.device)

    @property
    def renderer(self) -> S2IRenderer:
        self.load()
        assert self._renderer is not None
        return self._renderer

    def info(self) -> dict[str, Any]:
        """What the GUI shows about the model: sizes, device, kind, source."""
        r = self.renderer
        return {"input_size": r.input_size, "output_size": r.output_size, "device": str(r.device),
                "kind": r.metadata.get("kind"), "config": r.config.to_dict(),
                "source": r.metadata.get("source")}

    def style_vectors(self, style_image: Any, cache_key: Hashable | None = None) -> Style:
        return self.renderer.style_vectors(style_image, cache_key)

    def mix_styles(self, coarse: Style, medium: Style | None = None, fine: Style | None = None) -> Style:
        from sketchstudio.s2i.renderer import mix_styles

        return mix_styles(coarse, medium, fine)

    def render(self, sketch: Any, style: Any, size: int | tuple[int, int] | None = None, *,
               style_key: Hashable | None = None, cancelled: Callable[[], bool] | None = None) -> Image.Image:
        return self.renderer.render(sketch, style, size, style_key=style_key, cancelled=cancelled)

    def render_batch(self, sketches: Sequence[Any], styles: Any, size: int | tuple[int, int] | None = None, *,
                     style_keys: Sequence[Hashable | None] | None = None,
                     cancelled: Callable[[], bool] | None = None) -> list[Image.Image]:
        return self.renderer.render_batch(sketches, styles, size, style_keys=style_keys, cancelled=cancelled)


def render(sketch: Any, style_image: Any, size: int | tuple[int, int] | None = None, *,
           checkpoint: str | Path | None = None, device: str = "auto") -> Image.Image:
    """One-shot render (loads the model each call; keep a `RenderService` for repeated renders)."""
    return RenderService(checkpoint, device).render(sketch, style_image, size)
