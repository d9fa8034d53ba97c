"""DarkNet for ECG (Redmon & Farhadi, "YOLOv3: An Incremental Improvement", 2018: Darknet-53),
1-D.

Each stage is a strided kernel convolution (stride 2) followed by residual blocks
``Conv1x1(c/2) -> Conv_k(c)`` with leaky-ReLU. Shapes: ``(batch, in_channels, samples)`` to
``(batch, filters[-1], ceil(samples / 2**len(filters)))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import Tensor, nn

from ecg_models.backbones._base import BackboneConfig, SeqBackbone, block_counts, positive_ints
from ecg_models.layers.conv import (
    Conv_Bn_Activation,
    SeqLenModule,
    SeqLenSequential,
    check_int,
    get_activation,
)
from ecg_models.registry import register_backbone

__all__ = ["DarkNet", "DarkNetConfig", "DarkResidual"]


@dataclass(slots=True)
class DarkNetConfig(BackboneConfig):
    """Config of :class:`DarkNet`.

    Attributes:
        num_blocks: residual blocks per stage (0 allowed).
        filters: channels per stage.
        filter_length: kernel length of the kernel convolutions (odd).
        init_filters: stem channels.
        activation: activation name (``"leaky"``: slope 0.1).
    """

    num_blocks: list[int] = field(default_factory=lambda: [1, 2, 8, 8, 4])
    filters: list[int] = field(default_factory=lambda: [64, 128, 256, 512, 1024])
    filter_length: int = 9
    init_filters: int = 32
    activation: str = "leaky"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field."""
        self.num_blocks = block_counts("num_blocks", self.num_blocks)
        self.filters = list(positive_ints("filters", self.filters, len(self.num_blocks)))
        check_int("filter_length", self.filter_length)
        check_int("init_filters", self.init_filters)
        if self.filter_length % 2 == 0:
            raise ValueError(f"filter_length must be odd (samples), got {self.filter_length}")
        get_activation(self.activation)


class DarkResidual(SeqLenModule):
    """Darknet residual block: 1x1 halving conv, kernel conv back to ``channels``, identity add."""

    def __init__(self, channels: int, kernel: int, act: str) -> None:
        super().__init__()
        half = max(1, channels // 2)
        self.body = nn.Sequential(
            Conv_Bn_Activation(channels, half, 1, activation=act),
            Conv_Bn_Activation(half, channels, kernel, activation=act),
        )

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, channels, samples)`` to the same shape."""
        out: Tensor = self.body(x)
        return x + out


class DarkNet(SeqBackbone):
    """DarkNet backbone.

    Args:
        in_channels: number of input leads.
        config: a :class:`DarkNetConfig` or a mapping of its fields.
    """

    def __init__(self, in_channels: int, config: DarkNetConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(DarkNetConfig, config, in_channels)
        k, act = cfg.filter_length, cfg.activation
        stages: list[nn.Module] = [
            Conv_Bn_Activation(in_channels, cfg.init_filters, k, activation=act)
        ]
        ch = cfg.init_filters
        for n, f in zip(cfg.num_blocks, cfg.filters, strict=True):
            blocks: list[nn.Module] = [Conv_Bn_Activation(ch, f, k, 2, activation=act)]
            blocks += [DarkResidual(f, k, act) for _ in range(n)]
            stages.append(SeqLenSequential(*blocks))
            ch = f
        self.stages = SeqLenSequential(*stages)
        self.out_channels = ch


def darknet53_config() -> DarkNetConfig:
    """Darknet-53 (Redmon 2018), kernel 9 at 500 Hz."""
    return DarkNetConfig()


def darknet_tiny_config() -> DarkNetConfig:
    """A small DarkNet (1-1-2-2-1 blocks, half width)."""
    return DarkNetConfig(
        num_blocks=[1, 1, 2, 2, 1], filters=[32, 64, 128, 256, 512], init_filters=16
    )


@register_backbone(darknet53_config, family="darknet")
def darknet53(in_channels: int, config: DarkNetConfig) -> DarkNet:
    """Darknet-53 for ECG."""
    return DarkNet(in_channels, config)


@register_backbone(darknet_tiny_config, family="darknet")
def darknet_tiny(in_channels: int, config: DarkNetConfig) -> DarkNet:
    """Small DarkNet for ECG."""
    return DarkNet(in_channels, config)
