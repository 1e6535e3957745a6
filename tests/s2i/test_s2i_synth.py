"""XDoG sketch synthesis: determinism, line coverage, tensor API, the synth-sketches command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import photo_image

from sketchstudio.s2i.sketch_synth import STYLE_NAMES, ink_fraction, synthesize_batch, synthesize_sketch
from sketchstudio.training.cli import main


@pytest.mark.parametrize("style", STYLE_NAMES)
def test_same_seed_same_sketch_and_sane_coverage(style: str) -> None:
    photo = photo_image(seed=3)
    a = synthesize_sketch(photo, seed=5, style=style)
    b = synthesize_sketch(photo, seed=5, style=style)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert a.mode == "L" and a.size == photo.size
    assert set(np.unique(np.asarray(a))) <= {0, 255}
    assert 0.02 <= ink_fraction(a) <= 0.40, ink_fraction(a)


def test_seeds_and_styles_give_different_sketches() -> None:
    photo = photo_image(seed=3)
    base = np.asarray(synthesize_sketch(photo, seed=1, style="rough"))
    assert not np.array_equal(base, np.asarray(synthesize_sketch(photo, seed=2, style="rough")))
    assert not np.array_equal(base, np.asarray(synthesize_sketch(photo, seed=1, style="bold")))


def test_lines_follow_the_photo_edges() -> None:
    photo = photo_image(seed=4)
    sketch = np.asarray(synthesize_sketch(photo, seed=0, style="fine")) < 128
    gray = np.asarray(photo.convert("L"), dtype=np.float32)
    gradient = np.hypot(*np.gradient(gray))
    assert gradient[sketch].mean() > 2 * gradient[~sketch].mean()


def test_tensor_api_for_the_training_loop() -> None:
    arrays = [np.asarray(photo_image(96, s), dtype=np.float32) / 255 for s in range(3)]
    photos = torch.stack([torch.from_numpy(a).permute(2, 0, 1) for a in arrays])
    out = synthesize_batch(photos, seeds=10)
    again = synthesize_batch(photos, seeds=[10, 11, 12])
    assert out.shape == (3, 1, 96, 96) and torch.equal(out, again)
    single = synthesize_sketch(photos[1], seed=11)
    assert torch.equal(single, out[1])
    with pytest.raises(ValueError, match="unknown sketch style"):
        synthesize_batch(photos, styles="watercolour")


def test_synth_sketches_command_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(2):
        photo_image(120, seed=i).save(photos / f"p{i}.jpg")
    (photos / "notes.png").write_text("not an image")
    for run in ("a", "b"):
        code = main(["synth-sketches", "--images", str(photos), "-o", str(tmp_path / run), "--per-image", "2",
                     "--seed", "7", "--size", "96"])
        assert code == 0
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.png"))
    assert [str(f) for f in files] == ["sketch_1/p0.png", "sketch_1/p1.png",
                                       "sketch_2/p0.png", "sketch_2/p1.png"]
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["skipped"] == ["notes.png"] and len(manifest["sketches"]) == 4
    assert "notes.png" in capsys.readouterr().err


def test_synth_sketches_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["synth-sketches", "--images", str(tmp_path / "nope"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope" in err
