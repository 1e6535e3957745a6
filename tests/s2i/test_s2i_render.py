"""Rendering: the renderer API, style cache and mixing, polarity, the render command, ONNX."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import photo_image, sketchy_png, tiny_model
from PIL import Image, ImageOps

from sketchstudio.core import resources
from sketchstudio.inference.render_service import RenderService
from sketchstudio.s2i.onnx_export import export_model
from sketchstudio.s2i.preprocess import sketch_array
from sketchstudio.s2i.renderer import S2IRenderer, mix_styles
from sketchstudio.s2i.zoo import save_generator
from sketchstudio.training.cli import main


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.safetensors"
    save_generator(path, tiny_model())
    return path


@pytest.fixture
def renderer() -> S2IRenderer:
    return S2IRenderer(tiny_model(), device="cpu")


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def test_render_size_determinism_and_style_cache(renderer: S2IRenderer, tmp_path: Path) -> None:
    sketch = Image.open(sketchy_png(tmp_path / "s.png"))
    style = photo_image()
    first = renderer.render(sketch, style, 200)
    assert first.mode == "RGB" and first.size == (200, 200)
    assert renderer.cache_misses == 1
    second = renderer.render(sketch, style.copy(), 200)
    assert renderer.cache_hits == 1 and renderer.cache_misses == 1
    assert np.array_equal(_pixels(first), _pixels(second))
    assert renderer.render(sketch, style, (64, 48)).size == (64, 48)
    assert renderer.render(sketch, style).size == (128, 128)


def test_batch_matches_single_renders(renderer: S2IRenderer, tmp_path: Path) -> None:
    sketches = [Image.open(sketchy_png(tmp_path / f"s{i}.png", seed=i)) for i in range(2)]
    styles = [photo_image(seed=1), photo_image(seed=2)]
    batch = renderer.render_batch(sketches, styles, 128)
    for sketch, style, got in zip(sketches, styles, batch):
        assert np.abs(_pixels(renderer.render(sketch, style, 128)) - _pixels(got)).max() <= 1


def test_sketch_polarity_and_transparency_are_normalised(renderer: S2IRenderer, tmp_path: Path) -> None:
    sketch = Image.open(sketchy_png(tmp_path / "s.png")).convert("L")
    style = photo_image()
    reference = _pixels(renderer.render(sketch, style))
    inverted = ImageOps.invert(sketch)  # white lines on black
    transparent = Image.new("RGBA", sketch.size, (0, 0, 0, 0))
    transparent.putalpha(ImageOps.invert(sketch))  # black ink on a transparent page
    for variant in (inverted, transparent):
        assert np.abs(sketch_array(variant, 128) - sketch_array(sketch, 128)).max() <= 1.5 / 255
        diff = np.abs(_pixels(renderer.render(variant, style)) - reference)
        assert diff.max() <= 4 and diff.mean() < 0.5  # uint8 rounding in the resize only


def test_style_mixing(renderer: S2IRenderer, tmp_path: Path) -> None:
    sketch = Image.open(sketchy_png(tmp_path / "s.png"))
    a = renderer.style_vectors(photo_image(seed=1))
    b = renderer.style_vectors(photo_image(seed=2))
    same = mix_styles(a, a, a)
    assert all((x == y).all() for x, y in zip(same.vectors, a.vectors))
    mixed = mix_styles(coarse=a, fine=b)
    assert mixed.vectors[2] is a.vectors[2] and mixed.vectors[0] is b.vectors[0]
    image_a = _pixels(renderer.render(sketch, a))
    image_mixed = _pixels(renderer.render(sketch, mixed))
    image_b = _pixels(renderer.render(sketch, b))
    assert not np.array_equal(image_a, image_mixed) and not np.array_equal(image_b, image_mixed)


def test_render_service_is_lazy_and_renders(checkpoint: Path, tmp_path: Path) -> None:
    service = RenderService(checkpoint, device="cpu")
    assert not service.loaded
    image = service.render(sketchy_png(tmp_path / "s.png"), photo_image(), 96)
    assert service.loaded and image.size == (96, 96)
    assert service.info()["input_size"] == 128


def test_render_command_with_a_sketchy_png_and_a_photo(checkpoint: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    sketch = sketchy_png(tmp_path / "n02691156_58-1.png")
    photo = tmp_path / "photo.jpg"
    photo_image(200).save(photo)
    out = tmp_path / "out.png"
    code = main(["render", "--sketch", str(sketch), "--style", str(photo), "-o", str(out),
                 "--checkpoint", str(checkpoint), "--size", "160", "--device", "cpu"])
    assert code == 0, capsys.readouterr().err
    with Image.open(out) as image:
        assert image.size == (160, 160) and image.mode == "RGB"


def test_render_command_errors_are_one_line(checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    sketch = sketchy_png(tmp_path / "s.png")
    text = tmp_path / "notes.png"
    text.write_text("hello")
    out = tmp_path / "out.png"
    cases = [
        (["--sketch", str(tmp_path / "missing.png"), "--style", str(sketch)], "missing.png"),
        (["--sketch", str(sketch), "--style", str(text)], "notes.png"),
        (["--sketch", str(sketch), "--style", str(sketch), "--checkpoint", str(text)], "notes.png"),
    ]
    for args, name in cases:
        assert main(["render", *args, "-o", str(out), "--checkpoint", str(checkpoint), *args[4:]]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and name in err, err
    monkeypatch.setattr(resources, "models_dir", lambda: tmp_path / "zoo")
    assert main(["render", "--sketch", str(sketch), "--style", str(sketch), "-o", str(out)]) == 2
    assert "no default sketch-to-image model shipped" in capsys.readouterr().err
    assert not out.exists()


def test_onnx_export_matches_torch(tmp_path: Path) -> None:
    report = export_model(tiny_model(), tmp_path / "g.onnx", opset=17, verify=True)
    assert report["max_abs_diff"] < 1e-3
    assert (tmp_path / "g.onnx").stat().st_size > 10_000
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_export_onnx_command(checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "s2i.onnx"
    assert main(["export-onnx", "--model", "s2i", "--checkpoint", str(checkpoint), "-o", str(out)]) == 0
    assert '"max_abs_diff"' in capsys.readouterr().out and out.is_file()
