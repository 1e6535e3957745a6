"""What ships in the box: the default models, their cards, the demo project, found the way an
installed wheel finds them (`sketchstudio.core.resources`)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from sketchstudio.core import resources
from sketchstudio.core.demo import DEMO_PROJECT_NAME, bundled_demo_project, ensure_demo_project
from sketchstudio.core.model import PairStatus
from sketchstudio.core.store import ProjectStore
from sketchstudio.weights.checkpoint import read_safetensors_metadata

MODELS = resources.models_dir()
WARP = MODELS / "warp_default.safetensors"
S2I = MODELS / "s2i_default.safetensors"
HELD_OUT = ("astronaut", "camera", "chelsea", "coffee", "rocket")
MAX_ZOO_BYTES = 12 * 1024 * 1024


@pytest.fixture(autouse=True)
def _threads() -> None:
    torch.set_num_threads(2)


# --- the zoo ---------------------------------------------------------------------------------------


def test_the_zoo_holds_both_defaults_with_cards_and_stays_small() -> None:
    for name in ("warp_default", "s2i_default"):
        assert (MODELS / f"{name}.safetensors").is_file()
        card = (MODELS / f"{name}.md").read_text(encoding="utf-8")
        for section in ("Architecture", "Training data", "Reproduce", "Metrics", "Limits"):
            assert f"## {section}" in card, f"{name}.md lacks '## {section}'"
    index = (MODELS / "README.md").read_text(encoding="utf-8")
    assert "warp_default" in index and "s2i_default" in index
    total = sum(p.stat().st_size for p in MODELS.glob("*.safetensors"))
    assert total < MAX_ZOO_BYTES


def test_default_models_are_what_the_loaders_expect() -> None:
    from sketchstudio.s2i.zoo import default_checkpoint as s2i_default
    from sketchstudio.s2i.zoo import load_generator
    from sketchstudio.warp.checkpoints import load_warp_model
    from sketchstudio.warp.zoo import default_checkpoint as warp_default

    assert warp_default() == WARP and s2i_default() == S2I
    meta = read_safetensors_metadata(WARP)
    assert meta["kind"] == "warp" and meta["arch"] == "resnet18"
    model, _ = load_warp_model(None)  # strict key matching against the config in the metadata
    assert model.config.to_dict() == meta["config"]
    s2i_meta = read_safetensors_metadata(S2I)
    assert str(s2i_meta["kind"]).startswith("s2i")
    generator, _ = load_generator(None)
    assert generator.config.im_size == s2i_meta["config"]["im_size"]


def test_warp_card_numbers_match_the_weights_metadata() -> None:
    """The card states the training run's own validation numbers; they must be this file's."""
    meta = read_safetensors_metadata(WARP)
    card = (MODELS / "warp_default.md").read_text(encoding="utf-8")
    for key in ("pck@0.05", "pck@0.10"):
        assert f"{meta['metrics'][key]:.3f}" in card


def test_warp_default_beats_identity_on_held_out_real_photos(tmp_path: Path) -> None:
    """A slice of the card's held-out set (real photos the model never saw, deformed XDoG
    sketches): the shipped model must place keypoints better than leaving them where they are."""
    from sketchstudio.training.photo_pairs import write_photo_pair_dataset
    from sketchstudio.warp.evaluate import evaluate, read_pairs_csv
    from sketchstudio.warp.predictor import IdentityPredictor, WarpPredictor

    photos = [resources.resources_dir() / "photos" / f"{n}.jpg" for n in HELD_OUT]
    paths = write_photo_pair_dataset(tmp_path, photos, sketches_per_photo=3, seed=0, test_fraction=1.0,
                                     workers=1)
    pairs = read_pairs_csv(paths["test_ps"])
    model = evaluate(WarpPredictor.load(None, device="cpu"), pairs, tmp_path, batch_size=8).summary()
    identity = evaluate(IdentityPredictor(), pairs, tmp_path).summary()
    assert model["pck@0.05"] > identity["pck@0.05"]
    assert model["pck@0.10"] > identity["pck@0.10"]


def test_s2i_default_draws_the_lines_in_the_style_brightness() -> None:
    """The sketch's lines come out darker than the rest of the picture, and a light style image
    gives a lighter picture than a dark one. (Hue is not asserted: the card says this small
    model carries the style's brightness, not yet its hue.)"""
    from PIL import ImageFilter

    from sketchstudio.s2i.renderer import S2IRenderer

    renderer = S2IRenderer.load(None, device="cpu")
    demo = resources.demo_project_dir() / "images"
    style = Image.open(resources.resources_dir() / "photos" / "chelsea.jpg")
    for name in ("blob_1", "coffee"):
        sketch = Image.open(demo / "sketches" / f"{name}.png").convert("RGB")
        out = np.asarray(renderer.render(sketch, style).convert("L").resize((256, 256)), np.float64)
        on_line = np.asarray(sketch.convert("L").filter(ImageFilter.MinFilter(5))) < 128
        assert out[on_line].mean() < out[~on_line].mean() - 10, name
    sketch = Image.open(demo / "sketches" / "blob_1.png").convert("RGB")
    light = Image.new("RGB", (256, 256), (240, 240, 235))
    dark = Image.new("RGB", (256, 256), (30, 30, 40))
    means = [np.asarray(renderer.render(sketch, s).convert("L"), np.float64).mean() for s in (light, dark)]
    assert means[0] > means[1] + 40


# --- the demo project ---------------------------------------------------------------------------------


def test_bundled_demo_is_a_checkpointed_project_with_relative_images() -> None:
    project = bundled_demo_project()
    assert project.name == DEMO_PROJECT_NAME and project.is_file()
    assert not [p.name for p in project.parent.iterdir() if p.name.endswith(("-wal", "-shm"))]
    size = sum(p.stat().st_size for p in project.parent.rglob("*") if p.is_file())
    assert size < 600 * 1024
    uri = f"{project.as_uri()}?mode=ro&immutable=1"  # read without touching the shipped file
    with sqlite3.connect(uri, uri=True) as conn:
        rows = conn.execute("SELECT photo, sketch FROM pairs").fetchall()
    for photo, sketch in rows:
        for stored in (photo, sketch):
            if stored is not None:
                assert not Path(stored).is_absolute() and stored.startswith("images/")
                assert (project.parent / stored).is_file()


def test_demo_copy_opens_with_every_mode_represented() -> None:
    path = ensure_demo_project()
    assert path.parent == resources.user_data_dir() / "demo"
    with ProjectStore.open(path) as store:
        stats = store.stats()
        assert stats.pairs == 12
        assert stats.complete_pairs >= 5  # annotated: suggestions can be compared with ground truth
        assert stats.statuses.get(PairStatus.IN_PROGRESS.value, 0) >= 2  # partly annotated
        assert stats.statuses.get(PairStatus.TODO.value, 0) >= 3  # to do
        assert stats.strokes > 0
        assert {"person", "cat", "cup", "rocket"} <= set(stats.categories)
        pairs = store.pairs()
        partial = [p for p in pairs if p.status is PairStatus.IN_PROGRESS]
        assert all(0 < len(store.keypoints(p.id)) < 8 for p in partial)
        vector = [p for p in pairs if p.sketch is None and store.sketch(p.id).strokes]
        photo_only = [p for p in pairs if store.sketch(p.id).is_empty]
        assert len(vector) == 1 and len(photo_only) == 1
        for pair in pairs:
            assert store.resolve(pair.photo).is_file()
            if pair.sketch:
                assert store.resolve(pair.sketch).is_file()
    assert not (path.parent / "images").is_symlink()


def test_demo_ground_truth_keypoints_sit_on_sketch_lines() -> None:
    with ProjectStore.open(ensure_demo_project()) as store:
        for pair in store.pairs():
            kps = store.keypoints(pair.id)
            if not pair.sketch or not kps:
                continue
            sketch = np.asarray(Image.open(store.resolve(pair.sketch)).convert("L"))
            ys, xs = np.nonzero(sketch < 160)
            ink = np.stack([xs, ys], axis=1)
            pts = np.array([k.sketch for k in kps])
            d = np.linalg.norm(pts[:, None] - ink[None], axis=2).min(axis=1)
            assert np.mean(d <= 3.0) >= 0.75, pair.name


def test_model_cards_state_the_sizes_of_the_weights() -> None:
    for name in ("warp_default", "s2i_default"):
        card = (MODELS / f"{name}.md").read_text(encoding="utf-8")
        size_mb = (MODELS / f"{name}.safetensors").stat().st_size / 1e6
        stated = [float(x) for x in re.findall(r"([0-9.]+) MB", card)]
        assert any(abs(x - size_mb) < 0.06 for x in stated), f"{name}.md does not state {size_mb:.1f} MB"


def test_rebuilding_the_demo_reproduces_the_shipped_one(tmp_path: Path) -> None:
    """`training/build_demo.sh` is deterministic: same images byte for byte, same pairs and
    keypoints (only the project's creation time differs)."""
    from sketchstudio.training.demo_project import build_demo_project

    rebuilt = build_demo_project(tmp_path / "demo")
    shipped = bundled_demo_project()
    for image in sorted((shipped.parent / "images").rglob("*.*")):
        twin = rebuilt.parent / image.relative_to(shipped.parent)
        assert twin.read_bytes() == image.read_bytes(), image.name
    count = [len(list((p.parent / "images").rglob("*.*"))) for p in (rebuilt, shipped)]
    assert count[0] == count[1]

    def content(path: Path) -> list[tuple]:
        uri = f"{path.as_uri()}?mode=ro&immutable=1"
        with sqlite3.connect(uri, uri=True) as conn:
            return (conn.execute("SELECT * FROM pairs ORDER BY id").fetchall()
                    + conn.execute("SELECT * FROM keypoints ORDER BY pair_id, idx").fetchall()
                    + conn.execute("SELECT * FROM strokes ORDER BY id").fetchall())

    assert content(rebuilt) == content(shipped)
