"""Finishing passes: colours come from the style image, drawn lines stay visible."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import tiny_model
from PIL import Image, ImageDraw

from sketchstudio.core.errors import UserError
from sketchstudio.s2i.finishing import colour_from_style, keep_lines
from sketchstudio.s2i.renderer import S2IRenderer

FINISHED = {"render": {"finishing": ["colour_from_style", "keep_lines"]}}


def _sketch(size: int = 128) -> Image.Image:
    image = Image.new("L", (size, size), 255)
    ImageDraw.Draw(image).ellipse((24, 24, 104, 104), outline=0, width=3)
    return image


def _gradient_style(colour: tuple[int, int, int]) -> Image.Image:
    ramp = np.linspace(0.2, 1.0, 64, dtype=np.float32)[None, :, None] * np.ones((64, 1, 1), np.float32)
    return Image.fromarray((ramp * np.array(colour, np.float32)).astype(np.uint8))


def test_colour_from_style_takes_the_palette_and_keeps_the_structure() -> None:
    grey = np.repeat(np.linspace(0, 1, 32, dtype=np.float32)[None, :, None], 32, axis=0).repeat(3, axis=2)
    red = np.zeros((16, 16, 3), np.float32)
    red[..., 0] = np.linspace(0.1, 0.9, 16)[None, :]
    out = colour_from_style(grey, red)
    assert out[..., 0].mean() > 3 * out[..., 1:].mean()  # red palette
    assert np.all(np.diff(out[0, :, 0]) >= -1e-6)  # brightness order of the input is kept


def test_keep_lines_darkens_only_ink() -> None:
    image = np.full((8, 8, 3), 0.8, np.float32)
    sketch = np.ones((8, 8), np.float32)
    sketch[4, :] = 0.0
    out = keep_lines(image, sketch)
    assert np.allclose(out[0], 0.8) and out[4].max() < 0.2


def test_renderer_applies_the_checkpoints_finishing_passes() -> None:
    renderer = S2IRenderer(tiny_model(), FINISHED, device="cpu")
    sketch = _sketch()
    reddish = np.asarray(renderer.render(sketch, _gradient_style((255, 40, 20)), 128), np.float32)
    bluish = np.asarray(renderer.render(sketch, _gradient_style((20, 60, 255)), 128), np.float32)
    assert reddish[..., 0].mean() > reddish[..., 2].mean() + 40
    assert bluish[..., 2].mean() > bluish[..., 0].mean() + 40
    ink = np.asarray(sketch.resize((128, 128))) < 128
    assert reddish[ink].mean() < 0.5 * reddish[~ink].mean()  # the drawn circle shows


def test_plain_checkpoints_are_not_finished_and_unknown_passes_are_refused() -> None:
    plain = S2IRenderer(tiny_model(), {}, device="cpu")
    assert plain.finishing == ()
    with pytest.raises(UserError, match="unknown finishing"):
        S2IRenderer(tiny_model(), {"render": {"finishing": ["sharpen"]}}, device="cpu")
