"""The generator: shapes, conditioning, determinism, refiner variants, config handling."""

from __future__ import annotations

import pytest
import torch
from conftest import tiny_model

from sketchstudio.s2i.model import PRESETS, RefinerConfig, S2IConfig, create_s2i_model, fold_spectral_norm


def _inputs(batch: int, size: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    sketch = torch.where(torch.rand(batch, 1, size, size, generator=gen) < 0.1, -1.0, 1.0)
    style = torch.rand(batch, 3, size, size, generator=gen) * 2 - 1
    return sketch, style


@pytest.mark.parametrize("im_size", [128, 192, 256])
def test_output_shape_and_range_at_several_sizes(im_size: int) -> None:
    model = tiny_model(im_size=im_size)
    sketch, style = _inputs(2, im_size)
    with torch.no_grad():
        out = model(sketch, style)
        vectors = model.encode_style(style)
        content = model.encode_content(sketch)
    assert out.shape == (2, 3, im_size, im_size)
    assert out.abs().max() <= 1.0 and out.std() > 1e-3
    assert [tuple(v.shape) for v in vectors] == [(2, 16), (2, 32), (2, 64)]
    assert [tuple(c.shape[-2:]) for c in content] == [(im_size // 16,) * 2, (im_size // 32,) * 2,
                                                      (im_size // 64,) * 2]


def test_inputs_of_another_size_are_resized() -> None:
    model = tiny_model()
    sketch, style = _inputs(1, 200)
    with torch.no_grad():
        assert model(sketch, style).shape == (1, 3, 128, 128)


def test_style_conditioning_changes_the_output() -> None:
    model = tiny_model()
    sketch, _ = _inputs(1, 128, seed=1)
    ramp = torch.linspace(-1, 1, 128).view(1, 1, 1, 128)
    style_a = torch.cat([ramp.expand(1, 1, 128, 128), -ramp.expand(1, 1, 128, 128),
                         torch.full((1, 1, 128, 128), 0.8)], 1)
    style_b = torch.full((1, 3, 128, 128), -0.9)
    with torch.no_grad():
        a, b = model(sketch, style_a), model(sketch, style_b)
        # At random init the style encoder's vectors are small, hence the weak (but exact-zero
        # if disconnected) effect above; vectors of realistic magnitude change the image clearly.
        gen = torch.Generator().manual_seed(0)
        vec_a = tuple(torch.randn(1, c, generator=gen) for c in (16, 32, 64))
        vec_b = tuple(torch.randn(1, c, generator=gen) for c in (16, 32, 64))
        c, d = model.generate(sketch, vec_a), model.generate(sketch, vec_b)
    assert (a - b).abs().mean() > 1e-5
    assert (c - d).abs().mean() > 1e-2


def test_content_conditioning_changes_the_output() -> None:
    model = tiny_model()
    sketch_a, style = _inputs(1, 128, seed=1)
    sketch_b, _ = _inputs(1, 128, seed=3)
    with torch.no_grad():
        a, b = model(sketch_a, style), model(sketch_b, style)
    assert (a - b).abs().mean() > 1e-3


def test_eval_output_is_deterministic_and_batch_independent() -> None:
    model = tiny_model()
    sketch, style = _inputs(3, 128)
    with torch.no_grad():
        first = model(sketch, style)
        second = model(sketch, style)
        alone = model(sketch[1:2], style[1:2])
    assert torch.equal(first, second)
    assert torch.allclose(first[1:2], alone, atol=1e-5)


def test_folding_spectral_norm_keeps_the_eval_output() -> None:
    model = tiny_model()
    sketch, style = _inputs(1, 128)
    with torch.no_grad():
        before = model(sketch, style)
        after = fold_spectral_norm(model)(sketch, style)
    assert torch.allclose(before, after, atol=1e-5)


def test_training_step_runs_and_classification_head_is_optional() -> None:
    model = tiny_model(nbr_cls=5).train()
    sketch, style = _inputs(2, 128)
    vectors = model.encode_style(style)
    logits = model.style_encoder.classify(vectors)
    loss = model.generate(sketch, vectors).pow(2).mean() + logits.logsumexp(1).mean()
    loss.backward()
    assert logits.shape == (2, 5)
    assert model.decoder.base_feat.grad is not None
    assert "style_encoder.final_cls.1.weight" in model.state_dict()
    assert not any("final_cls" in k for k in tiny_model().state_dict())


@pytest.mark.parametrize(("variant", "out_size"), [("art", 512), ("face", 512), ("art", 1024)])
def test_refiner_variants_render_deterministically(variant: str, out_size: int) -> None:
    torch.manual_seed(0)
    model = create_s2i_model(S2IConfig(nfc=8, im_size=512, refiner=RefinerConfig(variant, out_size))).eval()
    for module in model.refiner.modules():  # make the noise visible in the output
        if hasattr(module, "seed") and hasattr(module, "weight"):
            torch.nn.init.constant_(module.weight, 0.5)
    sketch, style = _inputs(1, 512)
    with torch.no_grad():
        a = model(sketch, style)
        b = model(sketch, style)
    assert a.shape == (1, 3, out_size, out_size)
    assert torch.equal(a, b)


def test_config_validation_and_round_trip() -> None:
    with pytest.raises(ValueError, match="multiple of 64"):
        S2IConfig(im_size=100)
    with pytest.raises(ValueError, match="nfc"):
        S2IConfig(nfc=12)
    with pytest.raises(ValueError, match="refiner"):
        S2IConfig(im_size=256, refiner=RefinerConfig())
    cfg = PRESETS["official-art-1024"]
    assert S2IConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.output_size == 1024
