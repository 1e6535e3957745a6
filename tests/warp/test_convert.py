"""Official PSCNet checkpoints: strict import, `sketchstudio-train convert`, and every error path."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from warp_testing import official_checkpoint, official_state_from_listing

from sketchstudio.training.cli import main as train_main
from sketchstudio.warp.checkpoints import load_warp_model
from sketchstudio.warp.convert import convert_official, infer_arch, looks_like_official, map_official_keys
from sketchstudio.warp.model import PHOTO, SKETCH
from sketchstudio.weights.checkpoint import (
    CheckpointError,
    KeyMismatchError,
    load_torch_file,
    read_safetensors_metadata,
)


@pytest.fixture(scope="module")
def official_r18(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return official_checkpoint(tmp_path_factory.mktemp("official") / "psc_resnet18.pth.tar")


def test_official_layout_loads_strictly_with_every_inference_tensor(official_r18: Path) -> None:
    obj = load_torch_file(official_r18)
    assert looks_like_official(obj)
    state, meta = convert_official(obj, source=official_r18)
    source = {k.removeprefix("module."): v for k, v in obj["state_dict"].items()}
    assert meta["config"]["shared_norms"] is True
    for key, value in state.items():
        official_key = key.replace("encoder.", "encoder_q.", 1)
        assert torch.equal(value, source[official_key]), key
    assert not any(".layer4." in k for k in state)
    assert meta["kind"] == "warp" and meta["arch"] == "resnet18"
    assert meta["input_size"] == [256, 256]
    assert meta["normalisation"]["mean"] == [0.485, 0.456, 0.406]
    assert meta["source"]["epoch"] == 1500 and len(meta["source"]["sha256"]) == 64
    assert meta["metrics"]["psc6k_published"]["pck@0.05"] == pytest.approx(0.5638)


def test_convert_cli_round_trip_gives_the_same_flows(official_r18: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "psc18.safetensors"
    assert train_main(["convert", str(official_r18), "-o", str(out)]) == 0
    assert "resnet18" in capsys.readouterr().out
    meta = read_safetensors_metadata(out)
    assert meta["kind"] == "warp" and meta["config"]["arch"] == "resnet18"
    ours, _ = load_warp_model(out)
    direct, _ = load_warp_model(official_r18)  # the .pth.tar is accepted directly too
    x = torch.randn(1, 3, 256, 256)
    with torch.inference_mode():
        for a, b in zip(ours(x, x.flip(-1)), direct(x, x.flip(-1))):
            torch.testing.assert_close(a, b, atol=0, rtol=0)


def test_checkpoint_trained_with_separate_norms_keeps_them(tmp_path: Path) -> None:
    path = official_checkpoint(tmp_path / "separate.pth.tar", separate_norms=True)
    model, meta = load_warp_model(path)
    assert meta["config"]["shared_norms"] is False
    assert model.encoder.bn1.norms[0] is not model.encoder.bn1.norms[1]
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        assert not torch.equal(model.encode(x, PHOTO)[0], model.encode(x, SKETCH)[0])


def _save(path: Path, state: dict, arch: str | None = "resnet18") -> Path:
    obj = {"epoch": 1, "state_dict": state, "optimizer": {}}
    if arch is not None:
        obj["arch"] = arch
    torch.save(obj, path)
    return path


def test_missing_and_unexpected_keys_are_named(tmp_path: Path) -> None:
    state = official_state_from_listing("resnet18")
    del state["module.stn.net_8x.3.weight"]
    state["module.stn.net_8x.99.weight"] = torch.zeros(1)
    path = _save(tmp_path / "broken.pth.tar", state)
    with pytest.raises(KeyMismatchError) as info:
        load_warp_model(path)
    assert info.value.missing == ["stn.net_8x.3.weight"]
    assert info.value.unexpected == ["stn.net_8x.99.weight"]
    assert "stn.net_8x.3.weight" in str(info.value) and str(path) in str(info.value)


def test_wrong_arch_fails_with_missing_keys_or_a_clear_conflict(tmp_path: Path) -> None:
    state = official_state_from_listing("resnet18")
    lying = _save(tmp_path / "lying.pth.tar", state, arch="resnet50")
    with pytest.raises(KeyMismatchError, match="missing key"):
        load_warp_model(lying)
    honest = _save(tmp_path / "r18.pth.tar", state)
    with pytest.raises(CheckpointError, match="is 'resnet18' but arch 'resnet101' was asked for"):
        load_warp_model(honest, arch="resnet101")
    unknown = _save(tmp_path / "r152.pth.tar", state, arch="resnet152")
    with pytest.raises(CheckpointError, match="unsupported arch 'resnet152'"):
        load_warp_model(unknown)


def test_arch_is_inferred_when_the_file_does_not_name_it(tmp_path: Path) -> None:
    state = official_state_from_listing("resnet18")
    assert infer_arch({k.removeprefix("module."): v for k, v in state.items()}) == "resnet18"
    bare = tmp_path / "bare.pth"
    torch.save(state, bare)  # a bare state dict
    _, meta = load_warp_model(bare)
    assert meta["arch"] == "resnet18"


def test_framework_alias_that_differs_is_refused(tmp_path: Path) -> None:
    state = official_state_from_listing("resnet18")
    state["module.framework.encoder_q.conv1.weight"] = state["module.encoder_q.conv1.weight"] + 1
    with pytest.raises(CheckpointError, match=r"differs from 'encoder_q\.conv1\.weight'"):
        map_official_keys({k.removeprefix("module."): v for k, v in state.items()})


def test_truncated_file_is_a_one_line_error(official_r18: Path, tmp_path: Path) -> None:
    data = official_r18.read_bytes()
    cut = tmp_path / "cut.pth.tar"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(CheckpointError, match="not a readable torch checkpoint") as info:
        load_warp_model(cut)
    assert "\n" not in str(info.value)


class Payload:
    """Stands for any class a malicious pickle could name."""

    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_pickle_with_arbitrary_objects_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "evil.pth.tar"
    torch.save({"arch": "resnet18", "state_dict": {}, "hook": Payload()}, path)
    with pytest.raises(CheckpointError, match="refused"):
        load_warp_model(path)
    assert "must never run" not in capsys.readouterr().out
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"state_dict": np.zeros(3)}))
    with pytest.raises(CheckpointError):
        load_warp_model(plain)


def test_convert_cli_errors_exit_2_and_write_nothing(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    state = official_state_from_listing("resnet18")
    del state["module.encoder_q.layer3.1.conv2.weight"]
    bad = _save(tmp_path / "bad.pth.tar", state)
    out = tmp_path / "out.safetensors"
    assert train_main(["convert", str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "encoder.layer3.1.conv2.weight" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    other = tmp_path / "other.pth"
    torch.save({"weights": torch.zeros(2)}, other)
    assert train_main(["convert", str(other), "-o", str(out)]) == 2
    assert "not a recognised official checkpoint" in capsys.readouterr().err
    assert not out.exists()


def test_looks_like_official_rejects_other_files() -> None:
    assert not looks_like_official({"s": {}, "c": {}, "d": {}})
    assert not looks_like_official([1, 2])
    assert not looks_like_official({"state_dict": {"conv.weight": torch.zeros(1)}})


@pytest.mark.slow
def test_resnet101_official_layout_loads_strictly(tmp_path: Path) -> None:
    path = official_checkpoint(tmp_path / "psc_resnet101.pth.tar", arch="resnet101")
    model, meta = load_warp_model(path)
    assert meta["arch"] == "resnet101" and meta["config"]["shared_norms"] is True
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(37.8e6, rel=0.01)
