"""The warp model: shapes, identity at initialisation, conditional norms, configs, key layout."""

from __future__ import annotations

import pytest
import torch
from warp_testing import reference_listing, tiny_model

from sketchstudio.warp.config import ConfigError, WarpConfig, make_config
from sketchstudio.warp.estimator import correlation, identity_grid
from sketchstudio.warp.model import PHOTO, SKETCH, build_from_config, create_warp_model


@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])
def test_forward_shapes_and_identity_when_untrained(arch: str) -> None:
    model = create_warp_model(arch, preset="tiny").eval()
    photo, sketch = torch.randn(2, 3, 64, 64), torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        p2s, s2p = model(photo, sketch)
        maps = model.encode(photo, PHOTO)
    assert p2s.shape == s2p.shape == (2, 64, 64, 2)
    # tiny resnet: blocks 2 and 3 at strides 8 and 16
    expansion = 4 if arch == "resnet50" else 1
    assert [tuple(m.shape) for m in maps] == [(2, 16 * expansion, 8, 8), (2, 32 * expansion, 4, 4)]
    # zero-initialised flow heads: the untrained estimator returns the identity grid
    identity = model.upsample(identity_grid(8).expand(2, -1, -1, -1))
    torch.testing.assert_close(p2s, identity, atol=1e-6, rtol=0)
    torch.testing.assert_close(s2p, identity, atol=1e-6, rtol=0)
    torch.testing.assert_close(identity[0, 0, -1], torch.tensor([1.0, -1.0]))  # (x, y) at the top-right


def test_trained_heads_move_the_flow_and_directions_differ(tiny) -> None:
    photo, sketch = torch.randn(1, 3, 64, 64), torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        p2s, s2p = tiny(photo, sketch)
    identity = tiny.upsample(identity_grid(8))
    assert (p2s - identity).abs().max() > 0.05
    assert (p2s - s2p).abs().max() > 0.05


def test_no_block_four_is_built_or_run() -> None:
    model = create_warp_model("resnet18", preset="tiny")
    assert not any(k.startswith("encoder.layer4") for k in model.state_dict())
    with pytest.raises(ValueError, match="block 4"):
        model.encoder(torch.randn(1, 3, 64, 64), PHOTO, stages=(4,))


def test_separate_norms_make_the_condition_matter_and_shared_norms_do_not() -> None:
    x = torch.randn(1, 3, 64, 64)
    for shared in (False, True):
        model = tiny_model(shared_norms=shared)
        with torch.no_grad():
            norm = model.encoder.bn1.norms[1]
            norm.weight.mul_(2.0)  # change the sketch norm (the photo norm too, when shared)
        with torch.inference_mode():
            photo_maps = model.encode(x, PHOTO)
            sketch_maps = model.encode(x, SKETCH)
        same = all(torch.equal(a, b) for a, b in zip(photo_maps, sketch_maps))
        assert same is shared
        assert (model.encoder.bn1.norms[0] is model.encoder.bn1.norms[1]) is shared


def test_shared_norms_state_dict_still_lists_both_conditions() -> None:
    keys = create_warp_model("resnet18", preset="tiny", shared_norms=True).state_dict().keys()
    assert "encoder.bn1.norms.0.weight" in keys and "encoder.bn1.norms.1.weight" in keys


def test_correlation_layout_matches_the_official_channel_order() -> None:
    target, source = torch.randn(1, 5, 3, 4), torch.randn(1, 5, 3, 4)
    corr = correlation(target, source)
    assert corr.shape == (1, 12, 3, 4)
    # channel i = target position (y_t * W + x_t); spatial (y, x) = source position
    y_t, x_t, y, x = 2, 1, 0, 3
    expected = (target[0, :, y_t, x_t] * source[0, :, y, x]).sum()
    torch.testing.assert_close(corr[0, y_t * 4 + x_t, y, x], expected)


def test_config_round_trip_and_errors() -> None:
    config = make_config("resnet50", preset="small", shared_norms=True)
    assert WarpConfig.from_dict(config.to_dict()) == config
    assert config.scales == (4, 8, 16) and config.width == 32
    with pytest.raises(ConfigError, match="unknown warp arch 'resnet9'"):
        make_config("resnet9")
    with pytest.raises(ConfigError, match="divide feat_size"):
        make_config("resnet18", feat_size=16, scales=(3, 16))
    with pytest.raises(ConfigError, match="unknown warp config field"):
        WarpConfig.from_dict({"arch": "resnet18", "depth_of_field": 3})
    with pytest.raises(ConfigError, match="unknown preset"):
        make_config("resnet18", preset="huge")


def test_default_config_is_the_official_one() -> None:
    config = make_config("resnet18")
    assert (config.input_size, config.feat_size, config.flow_size, config.scales, config.stn_depth,
            config.corr_layers, config.width) == (256, 16, 16, (4, 8, 16), 5, (2, 3), 64)
    assert config.correlation_channels == 512


@pytest.mark.parametrize("arch", ["resnet18", "resnet101"])
def test_keys_and_shapes_map_one_to_one_onto_the_official_inference_keys(arch: str) -> None:
    listing = reference_listing(arch)
    inference_parts = [e for e in listing["entries"] if e["key"].startswith("stn.")
                       or (e["key"].startswith("encoder_q.") and ".layer4." not in e["key"])]
    official = {e["key"]: tuple(e["shape"]) for e in inference_parts}
    model = build_from_config(make_config(arch, shared_norms=True), "meta")
    ours = {k.replace("encoder.", "encoder_q.", 1): tuple(v.shape) for k, v in model.state_dict().items()}
    assert ours == official
    used = {e["key"].removeprefix("framework.") for e in listing["entries"] if e["used_in_inference"]}
    assert used <= set(official)
