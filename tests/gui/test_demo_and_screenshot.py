"""`--demo` copies the bundled project before use; `sketchstudio screenshot` writes a PNG."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from sketchstudio.cli.main import main
from sketchstudio.core import demo, resources
from sketchstudio.core.errors import ProjectError
from sketchstudio.core.store import ProjectStore


@pytest.fixture
def bundled_demo(monkeypatch: pytest.MonkeyPatch, project_path, tmp_path):
    """A stand-in for resources/demo (the real one is produced by another issue)."""
    bundle = tmp_path / "bundle" / "demo"
    shutil.copytree(project_path.parent, bundle)
    (bundle / project_path.name).rename(bundle / demo.DEMO_PROJECT_NAME)
    monkeypatch.setattr(resources, "demo_project_dir", lambda: bundle)
    return bundle


def test_demo_is_copied_once_and_the_bundle_stays_pristine(bundled_demo) -> None:
    before = {p.name: p.read_bytes() for p in bundled_demo.rglob("*") if p.is_file()}
    copy = demo.ensure_demo_project()
    assert copy == resources.user_data_dir() / "demo" / demo.DEMO_PROJECT_NAME
    with ProjectStore.open(copy) as store:
        assert store.resolve(store.pair(1).photo).is_file()  # images travel with the copy
        store.set_pair_sketch(1, None)
    assert demo.ensure_demo_project() == copy  # reused: the user's edits are kept
    with ProjectStore.open(copy) as store:
        assert store.pair(1).sketch is None
    after = {p.name: p.read_bytes() for p in bundled_demo.rglob("*") if p.is_file()}
    assert after == before


def test_missing_demo_bundle_is_a_one_line_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(resources, "demo_project_dir", lambda: tmp_path / "nowhere")
    with pytest.raises(ProjectError, match="demo project is missing"):
        demo.ensure_demo_project()


def test_screenshot_command_renders_each_view(qapp, project_path, tmp_path) -> None:
    for view, size in (("draw", (900, 600)), ("annotate", (1500, 800))):
        out = tmp_path / f"{view}.png"
        assert main(["screenshot", str(out), str(project_path), "--view", view, "--size",
                     f"{size[0]}x{size[1]}", "--pair", "2"]) == 0
        image = Image.open(out)
        assert image.size == size
        assert len(np.unique(np.asarray(image.convert("L")))) > 20  # not a blank window


def test_screenshot_of_the_demo_and_bad_arguments(qapp, bundled_demo, tmp_path, capsys) -> None:
    out = tmp_path / "demo.png"
    assert main(["screenshot", str(out), "--demo", "--size", "1000x600"]) == 0
    assert Image.open(out).size == (1000, 600)
    assert main(["screenshot", str(tmp_path / "x.png"), "--demo", "--pair", "999"]) == 2
    assert "no pair with id 999" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_screenshot_waits_until_the_view_is_idle(qapp) -> None:
    import time

    from sketchstudio.gui.screenshot import wait_until_idle

    done_at = time.monotonic() + 0.3
    assert wait_until_idle(lambda: time.monotonic() < done_at, timeout_s=5, stable_s=0.05)
    assert time.monotonic() >= done_at
    start = time.monotonic()
    assert not wait_until_idle(lambda: True, timeout_s=0.2)  # bounded: gives up, never hangs
    assert time.monotonic() - start < 1.0
