"""`sketchstudio-train s2i`: autoencoder and GAN stages on a tiny image folder (CPU)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from sketchstudio.training.cli import main
from sketchstudio.weights.checkpoint import read_safetensors_metadata


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sketchstudio.training.synthetic import make_pair, pair_rng

    folder = tmp_path_factory.mktemp("images")
    for i in range(5):
        Image.fromarray(make_pair(pair_rng(9, i), 128).photo).save(folder / f"im{i}.jpg")
    return folder


TINY = ["--preset", "tiny", "--batch-size", "2", "--device", "cpu", "--quiet", "--val-images", "2"]


@pytest.mark.slow
def test_autoencoder_stage_trains_and_the_renderer_loads_the_result(images: Path, tmp_path: Path,
                                                                    capsys) -> None:
    run = tmp_path / "ae"
    assert main(["s2i", "--images", str(images), "--steps", "2", "--nbr-cls", "3", "-o", str(run),
                 "--progress-json", *TINY]) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert events[-1]["event"] == "done"
    progress = [e for e in events if e["event"] == "progress"]
    assert progress and {"rec", "style", "content", "cls"} <= set(progress[-1]["losses"])
    final = Path(events[-1]["checkpoint"])
    meta = read_safetensors_metadata(final)
    assert meta["kind"] == "s2i-ae" and meta["step"] == 2 and "psnr" in meta["metrics"]
    assert meta["config"]["nbr_cls"] == 0  # the training-only head is not shipped
    from sketchstudio.s2i.zoo import load_generator

    model, _ = load_generator(final)
    with torch.no_grad():
        out = model(torch.ones(1, 1, 128, 128), torch.zeros(1, 3, 128, 128))
    assert out.shape == (1, 3, 128, 128)
    # ... and the run resumes where it stopped.
    assert main(["s2i", "--resume", str(run), "--steps", "3", "--quiet"]) == 0
    assert read_safetensors_metadata(run / "model.safetensors")["step"] == 3


def test_missing_sketch_for_an_image_stops_before_training(images: Path, tmp_path: Path, capsys) -> None:
    sketches = tmp_path / "sk"
    sketches.mkdir()
    Image.new("L", (128, 128), 255).save(sketches / "im0.png")
    assert main(["s2i", "--images", str(images), "--sketches", str(sketches), "--steps", "1", "-o",
                 str(tmp_path / "run"), *TINY]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "im1" in err[0]


def test_empty_image_folder_is_a_user_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "none").mkdir()
    assert main(["s2i", "--images", str(tmp_path / "none"), "--steps", "1", "-o", str(tmp_path / "r"),
                 *TINY]) == 2
    assert "no images" in capsys.readouterr().err


@pytest.mark.slow
def test_gan_stage_trains_the_refiner_on_a_frozen_autoencoder(images: Path, tmp_path: Path) -> None:
    ae = tmp_path / "ae"
    cfg = '{"nfc": 8, "im_size": 512}'
    assert main(["s2i", "--images", str(images), "--steps", "1", "--model-config", cfg, "-o", str(ae),
                 *TINY]) == 0
    gan = tmp_path / "gan"
    assert main(["s2i", "--stage", "gan", "--images", str(images), "--init", str(ae / "model.safetensors"),
                 "--refiner", "face", "--refiner-size", "512", "--steps", "1", "-o", str(gan), *TINY]) == 0
    meta = read_safetensors_metadata(gan / "model.safetensors")
    assert meta["kind"] == "s2i-gan" and meta["config"]["refiner"]["variant"] == "face"
    from sketchstudio.s2i.zoo import load_generator
    from sketchstudio.weights.checkpoint import load_safetensors

    trained, _ = load_safetensors(gan / "model.safetensors")
    start, _ = load_safetensors(ae / "model.safetensors")
    for k, v in start.items():  # the autoencoder stayed frozen
        assert torch.equal(trained[k], v), k
    load_generator(gan / "model.safetensors")
