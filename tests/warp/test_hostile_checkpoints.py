"""Hostile model files: `sketchstudio-train convert` and every loader answer with one line naming
the file (exit 2 for the CLI), never a traceback, a segfault or a terabyte allocation; the model
registry never raises on them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from warp_testing import tiny_model

from sketchstudio.inference.models_registry import discover_models, read_header_metadata
from sketchstudio.training.cli import main as train_main
from sketchstudio.warp.checkpoints import load_warp_model, save_warp_model
from sketchstudio.weights.checkpoint import CheckpointError, read_safetensors_metadata


def raw_safetensors(path: Path, metadata: object, *, header_extra: dict | None = None,
                    length: int | None = None) -> Path:
    """A one-tensor safetensors file with `metadata` as the raw `__metadata__` value."""
    header = {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "__metadata__": metadata,
              **(header_extra or {})}
    data = json.dumps(header).encode()
    n = len(data) if length is None else length
    path.write_bytes(n.to_bytes(8, "little") + data + b"\0\0\0\0")
    return path


def ours(path: Path, **meta) -> Path:
    return raw_safetensors(path, {"sketchstudio": json.dumps({"format": 1, "kind": "warp", **meta})})


def _files(tmp: Path) -> dict[str, Path]:
    (tmp / "empty.safetensors").write_bytes(b"")
    good = tmp / "good.safetensors"
    save_warp_model(good, tiny_model())
    (tmp / "truncated.safetensors").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp / "huge-header.safetensors").write_bytes((2**62).to_bytes(8, "little") + b"{}")
    (tmp / "list.safetensors").write_bytes((6).to_bytes(8, "little") + b"[1, 2]")
    return {
        "empty": tmp / "empty.safetensors",
        "truncated": tmp / "truncated.safetensors",
        "huge header length": tmp / "huge-header.safetensors",
        "header not an object": tmp / "list.safetensors",
        "no metadata": raw_safetensors(tmp / "none.safetensors", None),
        "metadata value not a string": raw_safetensors(tmp / "dict-meta.safetensors",
                                                       {"sketchstudio": {"a": 1}}),
        "__metadata__ a list": raw_safetensors(tmp / "list-meta.safetensors", ["sketchstudio"]),
        "format a string": ours(tmp / "format.safetensors", format="1"),
        "config a list": ours(tmp / "config.safetensors", config=[1, 2]),
        "normalisation strings": ours(tmp / "norm.safetensors", normalisation={"mean": "abc", "std": "d"}),
        "kind a number": raw_safetensors(tmp / "kind.safetensors", {"sketchstudio": json.dumps({"kind": 7})}),
    }


def _one_line(err: str, name: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and name in lines[0], lines
    return lines[0]


@pytest.mark.parametrize("case", ["empty", "truncated", "huge header length"])
def test_convert_of_a_corrupt_file_is_one_line_exit_2(case: str, tmp_path: Path, capsys) -> None:
    path = _files(tmp_path)[case]
    assert train_main(["convert", str(path), "-o", str(tmp_path / "out.safetensors")]) == 2
    _one_line(capsys.readouterr().err, path.name)
    assert not (tmp_path / "out.safetensors").exists()


def test_official_checkpoint_with_a_non_string_key_is_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "odd.pth.tar"
    state = {"encoder_q.conv1.weight": torch.zeros(1), 7: torch.zeros(1)}
    torch.save({"arch": "resnet18", "state_dict": state}, path)
    assert train_main(["convert", str(path), "-o", str(tmp_path / "out.safetensors")]) == 2
    assert "not a string" in _one_line(capsys.readouterr().err, "odd.pth.tar")


def test_every_malformed_header_is_one_checkpoint_error(tmp_path: Path) -> None:
    for case, path in _files(tmp_path).items():
        if case != "truncated":  # its header is whole: the weights are what is missing
            with pytest.raises(CheckpointError) as info:
                read_safetensors_metadata(path)
            assert "\n" not in str(info.value) and path.name in str(info.value), case
        with pytest.raises(CheckpointError) as info:
            load_warp_model(path)
        assert "\n" not in str(info.value) and path.name in str(info.value), case
        read_header_metadata(path)  # the registry's reader never raises


def test_absurd_config_sizes_are_refused_before_building(tmp_path: Path) -> None:
    for field, value in (("width", 1_000_000), ("input_size", 10**9), ("feat_size", 4096),
                         ("width", 1e6), ("scales", [2, 4, 10**6]), ("stn_depth", 10**4)):
        path = tmp_path / f"{field}.safetensors"
        model = tiny_model()
        save_warp_model(path, model)
        data = path.read_bytes()
        n = int.from_bytes(data[:8], "little")
        header = json.loads(data[8:8 + n])
        meta = json.loads(header["__metadata__"]["sketchstudio"])
        meta["config"][field] = value
        header["__metadata__"]["sketchstudio"] = json.dumps(meta)
        new = json.dumps(header).encode()
        path.write_bytes(len(new).to_bytes(8, "little") + new + data[8 + n:])
        with pytest.raises(CheckpointError, match=field):
            load_warp_model(path)


@pytest.mark.parametrize("poison", ["nan", "int"])
def test_nan_or_wrong_dtype_weights_are_refused_at_load(poison: str, tmp_path: Path) -> None:
    model = tiny_model()
    state = model.state_dict()
    key = next(k for k, v in state.items() if v.is_floating_point() and v.numel() > 1)
    if poison == "nan":
        state[key] = state[key].clone()
        state[key].view(-1)[0] = float("nan")
    else:
        state[key] = state[key].to(torch.int32)
    from sketchstudio.warp.checkpoints import warp_metadata
    from sketchstudio.weights.checkpoint import save_safetensors

    path = tmp_path / f"{poison}.safetensors"
    save_safetensors(path, state, warp_metadata(model.config))
    with pytest.raises(CheckpointError, match="NaN" if poison == "nan" else "dtype"):
        load_warp_model(path)


def test_the_registry_lists_a_malformed_models_folder_without_raising(tmp_path: Path) -> None:
    files = _files(tmp_path)
    good = tmp_path / "good.safetensors"
    found = discover_models(roots={"shipped": tmp_path}, include_identity=False)
    assert good in [m.path for m in found]
    # listed from their headers; loading them fails with the reason (a banner, not a crash)
    assert {m.path for m in found} <= {good, files["truncated"], files["format a string"],
                                       files["config a list"], files["normalisation strings"]}
