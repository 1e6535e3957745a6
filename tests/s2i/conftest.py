"""Shared helpers for the sketch-to-image tests: tiny models, official-layout checkpoints, images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from sketchstudio.s2i.convert import to_official_ae
from sketchstudio.s2i.model import S2IConfig, S2IGenerator, create_s2i_model

# A few keys of the official models (models.py at 356d33e) with their shapes as a function of
# nfc, written out by hand from the official class definitions, independent of our code.
OFFICIAL_AE_KEYS = {
    "s": {
        "sf_256.0.weight": lambda n: (n // 4, 3, 4, 4),
        "sf_128.1.running_var": lambda n: (n // 2,),
        "sf_32.1.main.0.weight_orig": lambda n: (n * 2,),
        "sf_32.1.main.0.weight_v": lambda n: (1,),
        "sf_32.1.main.6.fc.0.weight_orig": lambda n: (n * 2 // 16, n * 2),
        "sfv_8.1.weight": lambda n: (n * 8, n * 8, 4, 4),
        "final_cls.1.weight": lambda n: (500, n * 8),
    },
    "c": {
        "cf_256.0.weight": lambda n: (n // 4, 1, 4, 4),
        "cf_8.1.weight": lambda n: (n * 8, n * 4, 4, 4),
        "cf_16.2.main.2.weight_orig": lambda n: (n * 4, n * 4, 3, 3),
    },
    "d": {
        "base_feat": lambda n: (1, n * 8, 8, 8),
        "dmi_8.weight_a": lambda n: (1, n * 8, 1, 1),
        "feat_8_1.0.main.4.weight_orig": lambda n: (n * 64, 1, 5, 5),
        "feat_8_1.0.main.4.weight_v": lambda n: (25,),
        "feat_64.1.1.weight": lambda n: (n * 2, n * 4, 3, 3),
        "feat_512.1.weight": lambda n: (n // 4, n // 4, 3, 3),
        "to_rgb.0.weight": lambda n: (3, n // 8, 3, 3),
        "style_8.3.running_mean": lambda n: (n * 8,),
        "style_256.2.weight": lambda n: (n // 4, n // 4),
    },
}


def tiny_model(seed: int = 0, **overrides) -> S2IGenerator:
    torch.manual_seed(seed)
    return create_s2i_model("tiny", **overrides).eval()


def random_like_state(model: torch.nn.Module, seed: int = 1) -> dict[str, torch.Tensor]:
    """Random values with the model's keys/shapes; BN variances positive, SN vectors unit length."""
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for key, value in model.state_dict().items():
        if not value.dtype.is_floating_point:
            out[key] = torch.randint(0, 100, value.shape, generator=gen, dtype=value.dtype)
        elif key.endswith("running_var"):
            out[key] = torch.rand(value.shape, generator=gen) + 0.5
        else:
            out[key] = torch.randn(value.shape, generator=gen) * 0.05
    return out


def official_ae_checkpoint(nfc: int = 8, im_size: int = 512, seed: int = 1,
                           nbr_cls: int = 500) -> tuple[dict, dict[str, torch.Tensor]]:
    """An official-layout AE checkpoint with random values: (checkpoint dict, our state dict).

    Built from our model's key mapping, then checked against the hand-written official keys.
    """
    ours = random_like_state(create_s2i_model(S2IConfig(nfc=nfc, im_size=im_size)), seed)
    layout = to_official_ae(ours)
    gen = torch.Generator().manual_seed(seed + 1)
    layout["s"]["final_cls.1.weight"] = torch.randn(nbr_cls, nfc * 8, generator=gen)
    layout["s"]["final_cls.1.bias"] = torch.randn(nbr_cls, generator=gen)
    if im_size == 512:
        for part, keys in OFFICIAL_AE_KEYS.items():
            for key, shape in keys.items():
                assert key in layout[part], f"official key {part}:{key} missing from our layout"
                assert tuple(layout[part][key].shape) == shape(nfc), key
    ckpt = {**layout, "opt_c": {"state": {}, "param_groups": []}, "opt_s": {"state": {}, "param_groups": []},
            "opt_d": {"state": {}, "param_groups": []}}
    return ckpt, ours


def sketchy_png(path: Path, size: int = 256, seed: int = 0) -> Path:
    """A Sketchy-like drawing: thin black strokes on white, RGB PNG."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        points = [tuple(int(v) for v in rng.integers(10, size - 10, 2)) for _ in range(4)]
        draw.line(points, fill="black", width=2)
    draw.ellipse((size // 4, size // 4, size // 2, size // 2), outline="black", width=2)
    image.save(path)
    return path


def photo_image(size: int = 160, seed: int = 0) -> Image.Image:
    """A photo-like test image: smooth gradients plus a few solid shapes and some noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = np.stack([0.3 + 0.4 * xx, 0.5 + 0.3 * yy, 0.6 - 0.3 * xx * yy], -1)
    image = Image.fromarray((base * 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = rng.integers(0, size * 3 // 4, 2)
        w, h = rng.integers(size // 8, size // 3, 2)
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x0 + w, y0 + h), fill=color)
        else:
            draw.rectangle((x0, y0, x0 + w, y0 + h), fill=color)
    array = np.asarray(image, dtype=np.float32) + rng.normal(0, 4, (size, size, 3))
    return Image.fromarray(array.clip(0, 255).astype(np.uint8))


@pytest.fixture(autouse=True)
def _few_threads() -> None:
    torch.set_num_threads(2)
