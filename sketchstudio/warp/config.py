"""What it takes to rebuild a warp model: a small, JSON-serialisable config.

The defaults are the official PSCNet evaluation settings (ResNet with conditional batch norm,
correlation over blocks 2 and 3 resized to 16×16, a 5-layer estimator per scale at 4×4, 8×8 and
16×16, 256×256 inputs). `width`, `input_size`, `feat_size` and `scales` shrink the model for CPU
tests and for the small default model; the config is stored in checkpoint metadata.

No torch here, so model pickers and the GUI can read configs cheaply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sketchstudio.core.errors import UserError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# arch -> (block kind, blocks per stage); the official code offers resnet18/50/101 for PSCNet.
ARCHS: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
    "resnet101": ("bottleneck", (3, 4, 23, 3)),
}

PRESETS: dict[str, dict[str, Any]] = {
    # Runs a forward pass in milliseconds: unit tests, ONNX tests.
    "tiny": {"width": 8, "input_size": 64, "feat_size": 8, "flow_size": 8, "scales": (2, 4, 8),
             "stn_depth": 2},
    # Trainable on a CPU in hours: the shipped default model's shape.
    "small": {"width": 32, "input_size": 128, "feat_size": 16, "flow_size": 16, "scales": (4, 8, 16),
              "stn_depth": 4},
}
"""Named config overrides, e.g. `create_warp_model("resnet18", **PRESETS["tiny"])`."""


class ConfigError(UserError):
    """A warp model config that cannot be built (unknown arch, inconsistent sizes)."""


LIMITS: dict[str, tuple[int, int]] = {
    "width": (1, 512), "input_size": (8, 2048), "feat_size": (1, 128), "flow_size": (1, 512),
    "stn_depth": (0, 16),
}
"""Sane bounds, checked before a model is built: a crafted checkpoint saying `width: 1e6` must be
refused in a line, not allocate terabytes (the official models use width 64, input 256)."""
MAX_SCALE = 512


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class WarpConfig:
    """Hyper-parameters of `PSCWarpModel`; every field has the official default."""

    arch: str = "resnet18"
    width: int = 64
    """Channels of the stem; the stages have width × (1, 2, 4, 8) (× 4 for bottlenecks)."""
    input_size: int = 256
    corr_layers: tuple[int, ...] = (2, 3)
    """ResNet blocks whose features are correlated (official `--layer`)."""
    feat_size: int = 16
    """Side of the feature maps after resizing, before correlation (official `feat_size`)."""
    flow_size: int = 16
    """Side of the estimated flow before upsampling to the image (official `stn_size`)."""
    scales: tuple[int, ...] = (4, 8, 16)
    """Coarse-to-fine output sides of the estimator blocks (`net_4x`, `net_8x`, `net_16x`)."""
    stn_depth: int = 5
    """3×3 conv layers per estimator block, each halving the channels (official `stn_layer`)."""
    shared_norms: bool = False
    """True makes the photo and sketch norms one module, as in the released checkpoints."""

    def __post_init__(self) -> None:
        if not isinstance(self.arch, str):
            raise ConfigError(f"arch must be a name, got {self.arch!r:.60}")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if not _is_int(value) or not low <= value <= high:
                raise ConfigError(f"{name} must be an integer in {low}..{high}, got {value!r:.60}")
        for name in ("corr_layers", "scales"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or len(value) > 8 or not all(_is_int(v) for v in value):
                raise ConfigError(f"{name} must be a short list of integers, got {value!r:.60}")
        if any(s > MAX_SCALE for s in self.scales):
            raise ConfigError(f"scales must be at most {MAX_SCALE}, got {list(self.scales)}")
        if not isinstance(self.shared_norms, bool):
            raise ConfigError(f"shared_norms must be true or false, got {self.shared_norms!r:.60}")
        if self.arch not in ARCHS:
            raise ConfigError(f"unknown warp arch '{self.arch}' (choose from {', '.join(ARCHS)})")
        if not self.corr_layers or any(layer not in (1, 2, 3, 4) for layer in self.corr_layers):
            raise ConfigError(f"corr_layers must be ResNet blocks 1-4, got {list(self.corr_layers)}")
        if self.width < 1 or self.input_size < 8 or self.stn_depth < 0:
            raise ConfigError("width, input_size and stn_depth must be positive")
        if not self.scales or any(s < 1 or self.feat_size % s for s in self.scales):
            raise ConfigError(f"every scale must divide feat_size {self.feat_size}, got {list(self.scales)}")
        if list(self.scales) != sorted(set(self.scales)):
            raise ConfigError(f"scales must increase, got {list(self.scales)}")
        if self.correlation_channels >> self.stn_depth < 1:
            raise ConfigError(f"stn_depth {self.stn_depth} halves {self.correlation_channels} "
                              "correlation channels below one")

    @property
    def correlation_channels(self) -> int:
        """One channel per position of the (resized) target map, per correlated block."""
        return self.feat_size * self.feat_size * len(self.corr_layers)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WarpConfig:
        if not isinstance(data, dict):
            raise ConfigError(f"the warp config must be an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in set(data) - known)
        if unknown:
            raise ConfigError(f"unknown warp config field(s) {unknown} (written by a newer SketchStudio?)")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        try:
            return cls(**values)
        except TypeError as exc:
            raise ConfigError(f"invalid warp config: {exc}") from exc


def make_config(arch: str = "resnet18", **overrides: Any) -> WarpConfig:
    """`WarpConfig` for `arch`, with `preset="tiny"|"small"` and/or field overrides."""
    preset = overrides.pop("preset", None)
    values: dict[str, Any] = {}
    if preset is not None:
        if preset not in PRESETS:
            raise ConfigError(f"unknown preset '{preset}' (choose from {', '.join(PRESETS)})")
        values.update(PRESETS[preset])
    values.update(overrides)
    values.pop("arch", None)
    return WarpConfig.from_dict({"arch": arch, **values})
