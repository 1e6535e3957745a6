"""ResNet feature encoder with conditional batch norm (condition 0 = photo, 1 = sketch).

Faithful to PSCNet's `resnet_cbn`: torchvision's ResNet v1.5 layout, 3×3 and 7×7 convolutions
padded by replicating the border, and every batch norm replaced by a pair of norms selected by
the image's domain. Module names match the official ones (`conv1`, `bn1.norms.0`,
`layer2.0.downsample.1.norms.1`, ...), so official weights map key for key.

Two differences, both for speed and size: only the stages the estimator correlates are built
(no block 4 and no classifier for inference), and `width` scales every channel count so tiny
models exist for tests and CPU training.
"""

from __future__ import annotations

from torch import Tensor, nn

PADDING_MODE = "replicate"


def conv3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False, padding_mode=PADDING_MODE)


def conv1x1(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False)


class CondBatchNorm2d(nn.Module):
    """One batch norm per image domain.

    The released PSCNet weights were trained with the two norms as one shared module (the
    official code builds `ModuleList([bn] * 2)`), so their `norms.0` and `norms.1` entries are
    aliases; `shared=True` rebuilds exactly that. With `shared=False` the domains get their own
    statistics and affine parameters.
    """

    def __init__(self, channels: int, num_conds: int = 2, shared: bool = False) -> None:
        super().__init__()
        if shared:
            norm = nn.BatchNorm2d(channels)
            self.norms = nn.ModuleList([norm] * num_conds)
        else:
            self.norms = nn.ModuleList([nn.BatchNorm2d(channels) for _ in range(num_conds)])

    def forward(self, x: Tensor, cond: int) -> Tensor:
        return self.norms[cond](x)


class Downsample(nn.Module):
    """1×1 strided projection of the shortcut; children `0` and `1` as in the official layout."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, shared: bool) -> None:
        super().__init__()
        self.add_module("0", conv1x1(in_ch, out_ch, stride))
        self.add_module("1", CondBatchNorm2d(out_ch, shared=shared))

    def forward(self, x: Tensor, cond: int) -> Tensor:
        conv, norm = self._modules["0"], self._modules["1"]
        return norm(conv(x), cond)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_ch: int, planes: int, stride: int, downsample: Downsample | None,
                 shared: bool) -> None:
        super().__init__()
        self.conv1 = conv3x3(in_ch, planes, stride)
        self.bn1 = CondBatchNorm2d(planes, shared=shared)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = CondBatchNorm2d(planes, shared=shared)
        self.downsample = downsample
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor, cond: int) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x), cond))
        out = self.bn2(self.conv2(out), cond)
        shortcut = x if self.downsample is None else self.downsample(x, cond)
        return self.relu(out + shortcut)


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: the stride sits on the 3×3 convolution, as in torchvision."""

    expansion = 4

    def __init__(self, in_ch: int, planes: int, stride: int, downsample: Downsample | None,
                 shared: bool) -> None:
        super().__init__()
        self.conv1 = conv1x1(in_ch, planes)
        self.bn1 = CondBatchNorm2d(planes, shared=shared)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = CondBatchNorm2d(planes, shared=shared)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = CondBatchNorm2d(planes * self.expansion, shared=shared)
        self.downsample = downsample
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor, cond: int) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x), cond))
        out = self.relu(self.bn2(self.conv2(out), cond))
        out = self.bn3(self.conv3(out), cond)
        shortcut = x if self.downsample is None else self.downsample(x, cond)
        return self.relu(out + shortcut)


class Stage(nn.Module):
    """A ResNet stage (`layerN`); its blocks are children `0`, `1`, ... taking the condition."""

    def __init__(self, blocks: list[nn.Module]) -> None:
        super().__init__()
        for i, block in enumerate(blocks):
            self.add_module(str(i), block)

    def forward(self, x: Tensor, cond: int) -> Tensor:
        for block in self._modules.values():
            x = block(x, cond)
        return x


class CondResNet(nn.Module):
    """ResNet stem and the first `num_stages` stages; `forward` returns the requested stages' maps."""

    def __init__(self, block: str, layers: tuple[int, ...], width: int = 64, num_stages: int = 3,
                 shared_norms: bool = False) -> None:
        super().__init__()
        block_cls: type[BasicBlock | Bottleneck] = BasicBlock if block == "basic" else Bottleneck
        self.num_stages = num_stages
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False, padding_mode=PADDING_MODE)
        self.bn1 = CondBatchNorm2d(width, shared=shared_norms)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        in_ch = width
        self.out_channels: list[int] = []
        for i in range(num_stages):
            planes = width * 2 ** i
            stride = 1 if i == 0 else 2
            out_ch = planes * block_cls.expansion
            blocks: list[nn.Module] = []
            for j in range(layers[i]):
                downsample = None
                if j == 0 and (stride != 1 or in_ch != out_ch):
                    downsample = Downsample(in_ch, out_ch, stride, shared_norms)
                blocks.append(block_cls(in_ch, planes, stride if j == 0 else 1, downsample, shared_norms))
                in_ch = out_ch
            self.add_module(f"layer{i + 1}", Stage(blocks))
            self.out_channels.append(out_ch)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor, cond: int, stages: tuple[int, ...] = (2, 3)) -> list[Tensor]:
        """Feature maps of `stages` (1-based block numbers), computing nothing past the last one."""
        last = max(stages)
        if last > self.num_stages:
            raise ValueError(f"block {last} was asked for but only {self.num_stages} are built")
        x = self.maxpool(self.relu(self.bn1(self.conv1(x), cond)))
        maps: dict[int, Tensor] = {}
        for i in range(1, last + 1):
            x = self._modules[f"layer{i}"](x, cond)
            maps[i] = x
        return [maps[i] for i in stages]
