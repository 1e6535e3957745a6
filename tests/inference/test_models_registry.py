"""Model discovery reads safetensors headers from the three roots and never needs torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from sketchstudio.inference import models_registry as reg


def _write(path: Path, meta: dict | None, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"sketchstudio": json.dumps(meta)} if meta is not None else None
    save_file({"w": np.zeros((2, 2), np.float32)}, str(path), metadata=metadata)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _roots(tmp_path: Path) -> dict[str, Path]:
    return {o: tmp_path / o for o in reg.ORIGINS}


def test_discovers_each_origin_in_order_and_filters_family(tmp_path: Path) -> None:
    roots = _roots(tmp_path)
    _write(roots["shipped"] / "warp" / "pscnet-tiny.safetensors", {"kind": "warp", "arch": "resnet18"})
    _write(roots["shipped"] / "s2i" / "ae.safetensors", {"kind": "s2i-ae"})
    _write(roots["converted"] / "psc_resnet18.safetensors", {"kind": "warp", "name": "PSCNet ResNet-18"})
    _write(roots["trained"] / "run-a" / "final.safetensors", {"kind": "warp"}, mtime=1_000)
    _write(roots["trained"] / "run-b" / "final.safetensors", {"kind": "warp"}, mtime=2_000)
    _write(roots["trained"] / "run-b" / "foreign.safetensors", None)  # not ours: skipped
    (roots["trained"] / "run-b" / "broken.safetensors").write_bytes(b"\xff" * 20)  # corrupt: skipped

    warp = reg.discover_models("warp", roots=roots)
    assert [m.id for m in warp] == [
        "shipped:warp/pscnet-tiny.safetensors",
        "converted:psc_resnet18.safetensors",
        "trained:run-b/final.safetensors",  # newest run first
        "trained:run-a/final.safetensors",
        reg.IDENTITY_ID,
    ]
    assert warp[1].name == "PSCNet ResNet-18" and warp[1].label == "PSCNet ResNet-18 (official)"
    assert warp[2].name == "run-b / final" and warp[0].arch == "resnet18"
    s2i = reg.discover_models("s2i", roots=roots)
    assert [m.kind for m in s2i] == ["s2i-ae"]


def test_resolve_falls_back_to_the_default(tmp_path: Path) -> None:
    roots = _roots(tmp_path)
    assert reg.default_model("warp", roots=roots) is reg.IDENTITY
    assert reg.default_model("s2i", roots=roots) is None
    _write(roots["trained"] / "r" / "final.safetensors", {"kind": "warp"})
    assert reg.default_model("warp", roots=roots).origin == "trained"
    _write(roots["shipped"] / "warp.safetensors", {"kind": "warp"})
    assert reg.resolve_model("trained:gone.safetensors", "warp", roots=roots).id == "shipped:warp.safetensors"
    assert reg.resolve_model("trained:r/final.safetensors", "warp", roots=roots).origin == "trained"
    assert reg.resolve_model("shipped:warp.safetensors", "s2i", roots=roots) is None


def test_default_roots_follow_sketchstudio_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SKETCHSTUDIO_HOME", str(tmp_path))
    roots = reg.model_roots()
    assert roots["converted"] == tmp_path / "data" / "models"
    assert roots["trained"] == tmp_path / "data" / "runs"
    _write(roots["trained"] / "x" / "model.safetensors", {"kind": "warp"})
    assert reg.find_model("trained:x/model.safetensors") is not None


def test_discovery_does_not_import_torch() -> None:
    code = ("import sys; from sketchstudio.inference import models_registry as r; r.discover_models(); "
            "import sketchstudio.inference.annotation; "
            "assert 'torch' not in sys.modules and 'PySide6' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_finished_run_lists_its_final_model_only(tmp_path: Path) -> None:
    roots = _roots(tmp_path)
    done, stopped = roots["trained"] / "done", roots["trained"] / "stopped"
    for run in (done, stopped):
        _write(run / "step_0000010.safetensors", {"kind": "warp"})
        _write(run / "step_0000010.state.safetensors", {"kind": "warp"})  # optimizer state: never listed
    _write(done / "model.safetensors", {"kind": "warp"})
    ids = {m.id for m in reg.discover_models("warp", roots=roots, include_identity=False)}
    assert ids == {"trained:done/model.safetensors", "trained:stopped/step_0000010.safetensors"}


def test_available_devices_always_offer_auto_and_cpu() -> None:
    devices = reg.available_devices()
    assert devices[:2] == ("auto", "cpu") and set(devices) <= set(reg.DEVICE_CHOICES)
