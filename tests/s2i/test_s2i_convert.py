"""Official checkpoints -> ours: the key mapping, a round trip, EMA weights, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import official_ae_checkpoint, random_like_state

from sketchstudio.s2i import convert
from sketchstudio.s2i.model import RefinerConfig, S2IConfig, create_s2i_model
from sketchstudio.s2i.zoo import load_generator
from sketchstudio.training.cli import main
from sketchstudio.weights.checkpoint import (
    CheckpointError,
    KeyMismatchError,
    load_safetensors,
    load_torch_file,
)


def test_official_ae_round_trip_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    ckpt, ours = official_ae_checkpoint(nfc=8, im_size=512)
    source = tmp_path / "100000.pth"
    torch.save(ckpt, source)
    out = tmp_path / "converted.safetensors"
    assert main(["convert", str(source), "-o", str(out)]) == 0
    state, meta = load_safetensors(out)
    assert set(state) == set(ours)  # classification head and optimiser states dropped
    for key, value in ours.items():
        assert torch.equal(state[key], value), key
    assert meta["kind"] == "s2i-ae" and meta["config"]["nfc"] == 8 and meta["config"]["im_size"] == 512
    assert meta["sketch_polarity"] == "paper=+1,ink=-1"
    model, _ = load_generator(out)
    assert model.config == S2IConfig(nfc=8, im_size=512)


def test_converted_values_land_on_the_official_names() -> None:
    ckpt, _ = official_ae_checkpoint(nfc=8, im_size=512)
    state, _ = convert.convert_official(ckpt, source=Path("x.pth"))
    key = "feat_8_1.0.main.4.weight_orig"  # the depthwise conv of the first generator block
    assert torch.equal(state["decoder." + key], ckpt["d"][key])
    assert torch.equal(state["style_encoder.sfv_8.1.weight"], ckpt["s"]["sfv_8.1.weight"])
    assert torch.equal(state["content_encoder.cf_16.2.main.2.weight_u"], ckpt["c"]["cf_16.2.main.2.weight_u"])


def test_smaller_official_shaped_models_are_recognised() -> None:
    ckpt, _ = official_ae_checkpoint(nfc=8, im_size=256)
    _, meta = convert.convert_official(ckpt, source=Path("x.pth"))
    assert meta["config"]["im_size"] == 256


def test_gan_checkpoint_uses_ema_refiner_weights(tmp_path: Path) -> None:
    model = create_s2i_model(S2IConfig(nfc=8, im_size=512, refiner=RefinerConfig("art", 512)))
    state = random_like_state(model)
    ae = {"module." + k: v for k, v in state.items() if not k.startswith("refiner.")}
    ae["module.style_encoder.final_cls.1.weight"] = torch.zeros(10, 64)
    ae["module.style_encoder.final_cls.1.bias"] = torch.zeros(10)
    ig = {k[len("refiner."):]: v for k, v in state.items() if k.startswith("refiner.")}
    ema = [p.detach() + 1.0 for p in model.refiner.parameters()]
    ckpt = {"ig": ig, "id": {"main.0.0.weight_orig": torch.zeros(2, 3, 4, 4)}, "ae": ae, "ig_ema": ema,
            "opt_ig": {}, "opt_id": {}}
    assert convert.looks_like_official(ckpt)
    converted, meta = convert.convert_official(ckpt, source=tmp_path / "15.pth")
    assert meta["kind"] == "s2i-gan" and meta["config"]["refiner"] == {"variant": "art", "im_size": 512,
                                                                       "shoe": False}
    first_param = next(iter(model.refiner.named_parameters()))[0]
    assert torch.equal(converted["refiner." + first_param], ema[0])
    assert "EMA" in meta["source"]["format"]
    with pytest.raises(CheckpointError, match="ig_ema"):
        convert.convert_official({**ckpt, "ig_ema": ema[:-1]}, source=tmp_path / "15.pth")


def test_missing_and_misshaped_keys_are_refused_with_the_names(tmp_path: Path) -> None:
    ckpt, _ = official_ae_checkpoint(nfc=8, im_size=256)
    del ckpt["d"]["to_rgb.0.weight"]
    with pytest.raises(KeyMismatchError, match=r"missing key\(s\): decoder.to_rgb.0.weight"):
        convert.convert_official(ckpt, source=tmp_path / "a.pth")
    ckpt, _ = official_ae_checkpoint(nfc=8, im_size=256)
    ckpt["c"]["cf_8.1.weight"] = torch.zeros(3, 3)
    with pytest.raises(KeyMismatchError, match="shape mismatch"):
        convert.convert_official(ckpt, source=tmp_path / "a.pth")
    ckpt, _ = official_ae_checkpoint(nfc=8, im_size=256)
    ckpt["s"]["sf_256.0.weight"] = "not a tensor"
    with pytest.raises(CheckpointError, match="non-tensor"):
        convert.convert_official(ckpt, source=tmp_path / "a.pth")


@pytest.mark.parametrize("content", [b"", b"\x00garbage" * 10, b"PK\x03\x04broken zip"])
def test_broken_files_fail_in_one_line_and_write_nothing(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                         content: bytes) -> None:
    source = tmp_path / "broken.pth"
    source.write_bytes(content)
    out = tmp_path / "out.safetensors"
    assert main(["convert", str(source), "-o", str(out), "--kind", "s2i"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "broken.pth" in err
    assert not out.exists()


def test_a_foreign_dict_is_not_mistaken_for_an_official_checkpoint(tmp_path: Path) -> None:
    assert not convert.looks_like_official({"state_dict": {}, "arch": "resnet18"})
    assert not convert.looks_like_official([1, 2])
    with pytest.raises(CheckpointError, match="not an official sketch-to-image checkpoint"):
        convert.convert_official({"s": {}}, source=tmp_path / "x.pth")
    path = tmp_path / "other.pth"
    torch.save({"weights": torch.zeros(1)}, path)
    assert load_torch_file(path)
    with pytest.raises(CheckpointError, match="not a sketch-to-image checkpoint"):
        load_generator(path)
