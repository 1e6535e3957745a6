"""WarpPredictor / IdentityPredictor: steps, cache, preprocessing, loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from sketchstudio.core.errors import UserError
from sketchstudio.core.model import Side
from sketchstudio.warp.checkpoints import load_warp_model, save_warp_model
from sketchstudio.warp.flows import Direction
from sketchstudio.warp.model import PSCWarpModel
from sketchstudio.warp.predictor import IdentityPredictor, WarpPredictor
from sketchstudio.warp.preprocess import prepare, to_rgb
from sketchstudio.weights.checkpoint import CheckpointError, save_safetensors


def images(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    photo = rng.integers(0, 256, size=(90, 120, 3), dtype=np.uint8)
    sketch = np.full((100, 100), 255, np.uint8)
    sketch[20:80, 48:52] = 0  # a black line on white, one channel
    return photo, sketch


def test_flows_match_the_model_forward(tiny: PSCWarpModel) -> None:
    photo, sketch = images()
    predictor = WarpPredictor(tiny, device="cpu")
    flows = predictor.predict(photo, sketch)
    assert flows.photo_to_sketch.shape == flows.sketch_to_photo.shape == (64, 64, 2)
    assert flows.photo_size == (120, 90) and flows.sketch_size == (100, 100)
    x_p = torch.from_numpy(prepare(photo, 64))[None]
    x_s = torch.from_numpy(prepare(sketch, 64))[None]
    with torch.inference_mode():
        p2s, s2p = tiny(x_p, x_s)
    # the FlowPair holds the same flows, converted to the other image's pixels
    g = (p2s[0].numpy().astype(np.float64) + 1) * 63 / 2
    expected = (g + 0.5) * np.array([100 / 64, 100 / 64]) - 0.5
    np.testing.assert_allclose(flows.photo_to_sketch, expected, atol=1e-4)
    g = (s2p[0].numpy().astype(np.float64) + 1) * 63 / 2
    expected = (g + 0.5) * np.array([120 / 64, 90 / 64]) - 0.5
    np.testing.assert_allclose(flows.sketch_to_photo, expected, atol=1e-4)


def test_photo_encoding_is_cached_per_key(tiny: PSCWarpModel, monkeypatch: pytest.MonkeyPatch) -> None:
    photo, sketch = images()
    predictor = WarpPredictor(tiny, device="cpu")
    calls: list[int] = []
    original = tiny.encode
    monkeypatch.setattr(tiny, "encode", lambda x, cond: calls.append(cond) or original(x, cond))
    first = predictor.encode(photo, Side.PHOTO, cache_key="photo-1")
    sketch_feats = predictor.encode(sketch, Side.SKETCH)
    flows_a = predictor.flows(first, sketch_feats)
    # a new stroke: only the sketch is encoded again
    sketch[30:40, 10:90] = 0
    again = predictor.encode(photo, Side.PHOTO, cache_key="photo-1")
    flows_b = predictor.flows(again, predictor.encode(sketch, Side.SKETCH))
    assert again is first
    assert calls == [0, 1, 1]
    assert not np.allclose(flows_a.sketch_to_photo, flows_b.sketch_to_photo)
    predictor.clear_cache()
    predictor.encode(photo, Side.PHOTO, cache_key="photo-1")
    assert calls == [0, 1, 1, 0]


def test_cache_is_bounded(tiny: PSCWarpModel) -> None:
    predictor = WarpPredictor(tiny, device="cpu", cache_size=2)
    photo, _ = images()
    for key in "abc":
        predictor.encode(photo, Side.PHOTO, cache_key=key)
    assert [k for _, k in predictor._cache] == ["b", "c"]


def test_batch_equals_single_pairs(tiny: PSCWarpModel) -> None:
    predictor = WarpPredictor(tiny, device="cpu")
    pairs = [images(seed) for seed in range(3)]
    batch = predictor.predict_batch([p for p, _ in pairs], [s for _, s in pairs])
    for (photo, sketch), flows in zip(pairs, batch):
        single = predictor.predict(photo, sketch)
        np.testing.assert_allclose(flows.photo_to_sketch, single.photo_to_sketch, atol=1e-4)
        np.testing.assert_allclose(flows.sketch_to_photo, single.sketch_to_photo, atol=1e-4)


def test_flows_checks_argument_order(tiny: PSCWarpModel) -> None:
    predictor = WarpPredictor(tiny, device="cpu")
    photo, sketch = images()
    p, s = predictor.encode(photo, Side.PHOTO), predictor.encode(sketch, Side.SKETCH)
    with pytest.raises(ValueError, match="in that order"):
        predictor.flows(s, p)


def test_grey_and_rgb_and_transparent_sketches_agree() -> None:
    _, grey = images()
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    np.testing.assert_array_equal(to_rgb(grey), rgb)
    np.testing.assert_array_equal(to_rgb(Image.fromarray(grey)), rgb)
    rgba = np.zeros((100, 100, 4), np.uint8)  # black lines on a transparent layer
    rgba[..., 3] = 255 - grey
    np.testing.assert_array_equal(to_rgb(rgba), rgb)
    np.testing.assert_array_equal(to_rgb(Image.fromarray(rgba, "RGBA")), rgb)
    np.testing.assert_array_equal(to_rgb(grey.astype(np.float32) / 255.0), rgb)


def test_prepare_normalises_with_imagenet_statistics() -> None:
    white = np.full((256, 256, 3), 255, np.uint8)
    x = prepare(white, 256)
    assert x.shape == (3, 256, 256) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 0, 0], [(1 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225],
                               rtol=1e-6)
    assert prepare(white[:100, :50], 64).shape == (3, 64, 64)


def test_load_rebuilds_the_model_from_metadata(tiny_checkpoint: Path, tiny: PSCWarpModel) -> None:
    predictor = WarpPredictor.load(tiny_checkpoint, device="cpu")
    assert predictor.model_id == "tiny.safetensors"
    assert predictor.model.config == tiny.config
    assert predictor.metadata["metrics"] == {"note": "test"}
    photo, sketch = images()
    np.testing.assert_allclose(predictor.predict(photo, sketch).photo_to_sketch,
                               WarpPredictor(tiny, device="cpu").predict(photo, sketch).photo_to_sketch)


def test_load_errors(tmp_path: Path, tiny: PSCWarpModel, no_shipped_models: Path) -> None:
    with pytest.raises(UserError, match="no default warp model shipped"):
        WarpPredictor.load(None)
    s2i = tmp_path / "s2i.safetensors"
    save_safetensors(s2i, {"w": torch.zeros(1)}, {"kind": "s2i-ae", "arch": "ae"})
    with pytest.raises(CheckpointError, match="'s2i-ae' checkpoint, not a warp model"):
        load_warp_model(s2i)
    wrong = tmp_path / "wrong.safetensors"
    save_warp_model(wrong, tiny)
    with pytest.raises(CheckpointError, match="is 'resnet18' but arch 'resnet50'"):
        load_warp_model(wrong, arch="resnet50")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_warp_model(tmp_path / "missing.safetensors")


def test_identity_predictor_has_the_same_interface() -> None:
    photo, sketch = images()
    predictor = IdentityPredictor.load(None)
    flows = predictor.flows(predictor.encode(photo, Side.PHOTO, "k"), predictor.encode(sketch, Side.SKETCH))
    assert flows.model_id == "identity"
    out, conf = flows.transfer([[59.5, 44.5]], Direction.PHOTO_TO_SKETCH)  # the photo's centre
    np.testing.assert_allclose(out, [[49.5, 49.5]], atol=1e-4)  # the sketch's centre
    assert conf[0] == pytest.approx(1.0)
    assert len(predictor.predict_batch([photo, photo], [sketch, sketch])) == 2
