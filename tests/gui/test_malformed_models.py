"""Nothing in a models folder can stop the app from starting: crafted and damaged
`.safetensors` files are skipped or fail to load with a banner, and the app keeps running."""

from __future__ import annotations

import json
from pathlib import Path

from sketchstudio.core import resources


def _raw(path: Path, header: object, n: int | None = None) -> None:
    data = json.dumps(header).encode()
    path.write_bytes((len(data) if n is None else n).to_bytes(8, "little") + data + b"\0" * 4)


def _malformed_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tensor = {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    (folder / "empty.safetensors").write_bytes(b"")
    (folder / "noise.safetensors").write_bytes(b"\x93NUMPY garbage \xff\x00" * 7)
    _raw(folder / "huge.safetensors", {}, n=2**62)
    _raw(folder / "list.safetensors", [1, 2, 3])
    _raw(folder / "meta-dict.safetensors", {**tensor, "__metadata__": {"sketchstudio": {"kind": "warp"}}})
    _raw(folder / "meta-list.safetensors", {**tensor, "__metadata__": ["sketchstudio"]})
    for name, meta in (("a-config-list", {"kind": "warp", "config": [1, 2]}),
                       ("b-width", {"kind": "warp", "config": {"width": 10**6}}),
                       ("c-norm", {"kind": "warp", "normalisation": {"mean": "abc"}}),
                       ("d-kind", {"kind": 7}), ("e-s2i", {"kind": "s2i-ae", "config": "x"})):
        _raw(folder / f"{name}.safetensors", {**tensor, "__metadata__": {"sketchstudio": json.dumps(meta)}})


def test_a_models_folder_of_malformed_files_still_starts_the_app(qtbot, project_path: Path, tmp_path: Path,
                                                                 monkeypatch) -> None:
    from sketchstudio.gui.app import application, build_window

    zoo = tmp_path / "zoo"
    _malformed_folder(zoo)
    _malformed_folder(resources.user_data_dir() / "models")
    monkeypatch.setattr(resources, "models_dir", lambda: zoo)
    application()
    window = build_window(project_path)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    try:
        window.set_view("annotate")
        view = window.views["annotate"]
        qtbot.waitUntil(lambda: view.banner.isVisible(), timeout=20000)
        assert ".safetensors" in view.banner.label.text()
        window.set_view("render")
        qtbot.wait(200)
        window.set_view("draw")
        assert window.isVisible()
    finally:
        window.close()
