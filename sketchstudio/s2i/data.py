"""Data helpers for training the generator on photos and synthetic sketches.

Layout on disk (as `sketchstudio-train synth-sketches` writes it, and as the official code reads
it): photos in one folder, each synthetic variant in its own folder under the same file stem,
`SKETCHES/sketch_1/<stem>.png`, `SKETCHES/sketch_2/<stem>.png`, ...
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from sketchstudio.core.errors import UserError
from sketchstudio.core.images import load_image
from sketchstudio.s2i.sketch_synth import STYLE_NAMES, synthesize_batch

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly in `folder`, sorted by name; a missing folder is a `UserError`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError("not a folder", path=folder)
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def stable_seed(base: int, *parts: object) -> int:
    """A seed from `base` and names/indices, stable across runs and platforms (unlike `hash`)."""
    return (base * 1_000_003 + zlib.crc32("/".join(map(str, parts)).encode())) % (2**32)


def _to_unit_tensor(image: Image.Image, size: int, mode: str) -> torch.Tensor:
    image = image.convert(mode).resize((size, size), Image.Resampling.BICUBIC)
    array = np.asarray(image, dtype=np.float32) / 255.0
    return torch.from_numpy(array[..., None] if array.ndim == 2 else array).permute(2, 0, 1).contiguous()


class PhotoSketchDataset(Dataset):
    """(photo, sketch) pairs in [-1, 1] at `size`: sketch [1, S, S] (paper +1, ink -1), photo [3, S, S].

    With `sketch_dirs` it reads pre-made sketches (one variant folder chosen at random per item);
    without, it synthesises a fresh one on the fly from the photo, seeded by `seed`, the photo,
    the DataLoader worker and a per-worker call count: reproducible for a fixed loader set-up.
    """

    def __init__(self, photo_dir: str | Path, size: int, *, sketch_dirs: Sequence[str | Path] = (),
                 seed: int = 0, styles: Sequence[str] = STYLE_NAMES) -> None:
        self.photos = list_images(photo_dir)
        if not self.photos:
            raise UserError("no images found", path=photo_dir)
        self.size = size
        self.sketch_dirs = [Path(d) for d in sketch_dirs]
        self.seed = seed
        self.styles = list(styles)
        self._calls = 0

    def __len__(self) -> int:
        return len(self.photos)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        path = self.photos[index]
        photo = _to_unit_tensor(load_image(path, "RGB"), self.size, "RGB")
        self._calls += 1
        info = torch.utils.data.get_worker_info()
        worker = info.id if info is not None else 0
        if self.sketch_dirs:
            rng = random.Random(stable_seed(self.seed, index, worker, self._calls))
            folder = rng.choice(self.sketch_dirs)
            sketch = _to_unit_tensor(load_image(folder / (path.stem + ".png"), "L"), self.size, "L")
        else:
            seed = stable_seed(self.seed, path.name, worker, self._calls)
            style = self.styles[seed % len(self.styles)]
            sketch = synthesize_batch(photo[None], [seed], [style])[0]
        return {"photo": photo * 2 - 1, "sketch": sketch * 2 - 1}
