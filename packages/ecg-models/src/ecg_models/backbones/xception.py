"""Xception for ECG (Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions",
CVPR 2017), 1-D with ECG kernel lengths.

Entry flow: two plain convolutions, then blocks of separable convolutions followed by a strided
max-pool with a strided 1x1 shortcut; middle flow: residual blocks of three separable convolutions;
exit flow: one downsampling block then two separable convolutions. Shapes: ``(batch, in_channels,
samples)`` to ``(batch, exit_filters[-1], samples_out)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from torch import Tensor, nn

from ecg_models.backbones._base import BackboneConfig, SeqBackbone, positive_ints
from ecg_models.layers.conv import (
    Conv_Bn_Activation,
    Pool1d,
    SeqLenModule,
    SeqLenSequential,
    check_int,
    get_activation,
)
from ecg_models.registry import register_backbone

__all__ = ["Xception", "XceptionBlock", "XceptionConfig"]


@dataclass(slots=True)
class XceptionConfig(BackboneConfig):
    """Config of :class:`Xception`.

    Attributes:
        stem_filters: channels of the two entry convolutions.
        stem_filter_length: kernel length of the entry convolutions (odd).
        stem_stride: stride of the first entry convolution.
        entry_filters: channels of the entry-flow blocks (each subsamples by 2).
        middle_filters: channels of the middle flow.
        middle_blocks: number of middle-flow blocks.
        exit_filters: channels of the exit block's two convs, then of the two final convs.
        filter_lengths: kernel length of the separable convolutions (odd).
        activation: activation name.
    """

    stem_filters: list[int] = field(default_factory=lambda: [32, 64])
    stem_filter_length: int = 15
    stem_stride: int = 2
    entry_filters: list[int] = field(default_factory=lambda: [128, 256, 728])
    middle_filters: int = 728
    middle_blocks: int = 8
    exit_filters: list[int] = field(default_factory=lambda: [728, 1024, 1536, 2048])
    filter_lengths: int = 15
    activation: str = "relu"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field."""
        self.stem_filters = list(positive_ints("stem_filters", self.stem_filters, 2))
        self.entry_filters = list(positive_ints("entry_filters", self.entry_filters))
        self.exit_filters = list(positive_ints("exit_filters", self.exit_filters, 4))
        for name in ("stem_filter_length", "stem_stride", "middle_filters", "filter_lengths"):
            check_int(name, getattr(self, name))
        check_int("middle_blocks", self.middle_blocks, 0)
        for k in (self.stem_filter_length, self.filter_lengths):
            if k % 2 == 0:
                raise ValueError(f"filter lengths must be odd (samples), got {k}")
        get_activation(self.activation)


class XceptionBlock(SeqLenModule):
    """Separable convs (each pre-activated unless first in the entry flow), optional strided
    max-pool, and a residual shortcut (identity, or strided 1x1 conv + BN)."""

    def __init__(
        self,
        in_channels: int,
        filters: list[int],
        kernel: int,
        stride: int,
        act: str,
        pre_activate_first: bool = True,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        ch = in_channels
        for i, f in enumerate(filters):
            if i > 0 or pre_activate_first:
                layers.append(get_activation(act))
            layers.append(Conv_Bn_Activation(ch, f, kernel, activation=None, conv_type="separable"))
            ch = f
        if stride > 1:
            layers.append(Pool1d(3, stride, 1, "max"))
        self.main = SeqLenSequential(*layers)
        self.stride = stride
        self.shortcut: nn.Module = (
            nn.Identity()
            if stride == 1 and in_channels == ch
            else Conv_Bn_Activation(in_channels, ch, 1, stride, activation=None)
        )
        self.out_channels = ch

    def output_length(self, seq_len: int) -> int:
        return math.ceil(seq_len / self.stride)

    def forward(self, x: Tensor) -> Tensor:
        a: Tensor = self.main(x)
        b: Tensor = self.shortcut(x)
        return a + b


class Xception(SeqBackbone):
    """1-D Xception backbone.

    Args:
        in_channels: number of input leads.
        config: an :class:`XceptionConfig` or a mapping of its fields.
    """

    def __init__(self, in_channels: int, config: XceptionConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(XceptionConfig, config, in_channels)
        k, act = cfg.filter_lengths, cfg.activation
        f0, f1 = cfg.stem_filters
        stages: list[nn.Module] = [
            SeqLenSequential(
                Conv_Bn_Activation(
                    in_channels, f0, cfg.stem_filter_length, cfg.stem_stride, activation=act
                ),
                Conv_Bn_Activation(f0, f1, cfg.stem_filter_length, activation=act),
            )
        ]
        ch = f1
        entry: list[nn.Module] = []
        for i, f in enumerate(cfg.entry_filters):
            entry.append(XceptionBlock(ch, [f, f], k, 2, act, pre_activate_first=i > 0))
            ch = f
        stages.append(SeqLenSequential(*entry))
        middle: list[nn.Module] = []
        for _ in range(cfg.middle_blocks):
            middle.append(XceptionBlock(ch, [cfg.middle_filters] * 3, k, 1, act))
            ch = cfg.middle_filters
        stages.append(SeqLenSequential(*middle))
        e0, e1, e2, e3 = cfg.exit_filters
        stages.append(
            SeqLenSequential(
                XceptionBlock(ch, [e0, e1], k, 2, act),
                Conv_Bn_Activation(e1, e2, k, activation=act, conv_type="separable"),
                Conv_Bn_Activation(e2, e3, k, activation=act, conv_type="separable"),
            )
        )
        self.stages = SeqLenSequential(*stages)
        self.out_channels = e3


def xception_vanilla_config() -> XceptionConfig:
    """Xception as in Chollet 2017 (8 middle blocks), kernel 15 at 500 Hz."""
    return XceptionConfig()


def xception_leadwise_config() -> XceptionConfig:
    """A lighter Xception (4 middle blocks, narrower) for 12-lead ECG."""
    return XceptionConfig(
        stem_filters=[48, 96],
        entry_filters=[144, 288, 576],
        middle_filters=576,
        middle_blocks=4,
        exit_filters=[576, 768, 1024, 1152],
        filter_lengths=11,
    )


@register_backbone(xception_vanilla_config, family="xception")
def xception_vanilla(in_channels: int, config: XceptionConfig) -> Xception:
    """Xception for ECG."""
    return Xception(in_channels, config)


@register_backbone(xception_leadwise_config, family="xception")
def xception_leadwise(in_channels: int, config: XceptionConfig) -> Xception:
    """Lighter Xception for 12-lead ECG."""
    return Xception(in_channels, config)
