"""MobileNets for ECG, 1-D.

References:
    Howard et al., "MobileNets: Efficient CNNs for Mobile Vision Applications", 2017 (v1:
        depthwise-separable convolutions).
    Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018.
    Howard et al., "Searching for MobileNetV3", ICCV 2019 (SE with hard-sigmoid, hard-swish).

Shapes: ``(batch, in_channels, samples)`` to ``(batch, out_channels, samples_out)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import Tensor, nn

from ecg_models.backbones._base import BackboneConfig, SeqBackbone
from ecg_models.layers.attention import SEBlock
from ecg_models.layers.conv import (
    Conv_Bn_Activation,
    SeqLenModule,
    SeqLenSequential,
    check_choice,
    check_int,
    get_activation,
)
from ecg_models.registry import register_backbone

__all__ = [
    "InvertedResidual",
    "MobileNet",
    "MobileNetConfig",
    "make_divisible",
]


def make_divisible(v: float, divisor: int = 8) -> int:
    """Round channels to a multiple of ``divisor`` without going 10% below ``v`` (Sandler 2018)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new < 0.9 * v:
        new += divisor
    return new


class InvertedResidual(SeqLenModule):
    """Inverted residual / MBConv block: 1x1 expansion, depthwise kernel conv (stride), optional
    SE, linear 1x1 projection; residual when the stride is 1 and the channels match.
    ``fused=True`` gives EfficientNetV2's Fused-MBConv (expansion and depthwise replaced by one
    full kernel conv)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int,
        stride: int,
        expansion: float,
        se: float | None = None,
        activation: str = "relu6",
        se_gate: str = "sigmoid",
        fused: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        hidden = max(1, int(round(in_channels * expansion)))
        layers: list[nn.Module] = []
        if fused:
            layers.append(
                Conv_Bn_Activation(in_channels, hidden, kernel, stride, activation=activation)
            )
        else:
            if hidden != in_channels:
                layers.append(Conv_Bn_Activation(in_channels, hidden, 1, activation=activation))
            layers.append(
                Conv_Bn_Activation(
                    hidden, hidden, kernel, stride, groups=hidden, activation=activation
                )
            )
        if se is not None:
            layers.append(
                SEBlock(
                    hidden,
                    reduction=hidden / max(1, int(in_channels * se)),
                    gate=se_gate,
                    activation=activation,
                )
            )
        if not (fused and hidden == in_channels and expansion == 1):
            layers.append(Conv_Bn_Activation(hidden, out_channels, 1, activation=None))
        self.body = SeqLenSequential(*layers)
        self.use_residual = stride == 1 and in_channels == out_channels
        self.drop = nn.Dropout(dropout) if dropout > 0 and self.use_residual else nn.Identity()
        self.out_channels = out_channels

    def output_length(self, seq_len: int) -> int:
        return self.body.output_length(seq_len)

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, in_channels, samples)`` to ``(batch, out_channels, samples_out)``
        (``samples_out`` set by the stride)."""
        out: Tensor = self.body(x)
        if self.use_residual:
            d: Tensor = self.drop(out)
            return x + d
        return out


@dataclass(slots=True)
class MobileNetConfig(BackboneConfig):
    """Config of :class:`MobileNet`.

    Attributes:
        version: ``"v1"``, ``"v2"`` or ``"v3"``.
        blocks: one entry per block (or per repeated group for v2), as lists:
            v1: ``[out_channels, stride]``; v2: ``[expansion, out_channels, repeats, stride]``;
            v3: ``[kernel, expansion_channels, out_channels, use_se (0/1), activation, stride]``.
        filter_length: depthwise kernel length for v1/v2 (odd, samples).
        init_filters: stem channels.
        init_filter_length: stem kernel length (odd).
        init_stride: stem stride.
        width_multiplier: channel multiplier (alpha).
        last_filters: channels of the final 1x1 conv (0: none).
        activation: default activation (v1/v2 ``relu6``, v3 ``hardswish`` for stem/head).
    """

    version: str = "v2"
    blocks: list[list[Any]] = field(
        default_factory=lambda: [
            [1, 16, 1, 1],
            [6, 24, 2, 2],
            [6, 32, 3, 2],
            [6, 64, 4, 2],
            [6, 96, 3, 1],
            [6, 160, 3, 2],
            [6, 320, 1, 1],
        ]
    )
    filter_length: int = 15
    init_filters: int = 32
    init_filter_length: int = 15
    init_stride: int = 2
    width_multiplier: float = 1.0
    last_filters: int = 1280
    activation: str = "relu6"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field and the per-version block entries."""
        check_choice("version", self.version, ("v1", "v2", "v3"))
        size = {"v1": 2, "v2": 4, "v3": 6}[self.version]
        if not isinstance(self.blocks, list | tuple) or not self.blocks:
            raise TypeError(f"blocks must be a non-empty list, got {self.blocks!r}")
        self.blocks = [list(b) for b in self.blocks]
        for b in self.blocks:
            if len(b) != size:
                raise ValueError(f"each {self.version} block entry needs {size} values, got {b!r}")
            if self.version == "v3":
                check_choice("v3 block activation", b[4], ("relu", "hardswish"))
        for name in ("filter_length", "init_filters", "init_filter_length", "init_stride"):
            check_int(name, getattr(self, name))
        check_int("last_filters", self.last_filters, 0)
        if self.filter_length % 2 == 0 or self.init_filter_length % 2 == 0:
            raise ValueError("filter lengths must be odd (samples)")
        if not self.width_multiplier > 0:
            raise ValueError(f"width_multiplier must be > 0, got {self.width_multiplier}")
        get_activation(self.activation)


class MobileNet(SeqBackbone):
    """MobileNet v1/v2/v3 backbone (by ``config.version``).

    Args:
        in_channels: number of input leads.
        config: a :class:`MobileNetConfig` or a mapping of its fields.
    """

    def __init__(self, in_channels: int, config: MobileNetConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(MobileNetConfig, config, in_channels)
        a, act, k = cfg.width_multiplier, cfg.activation, cfg.filter_length
        ch = make_divisible(cfg.init_filters * a)
        stages: list[nn.Module] = [
            Conv_Bn_Activation(
                in_channels, ch, cfg.init_filter_length, cfg.init_stride, activation=act
            )
        ]
        blocks: list[nn.Module] = []
        if cfg.version == "v1":
            for out, stride in cfg.blocks:
                out = make_divisible(out * a)
                blocks.append(Conv_Bn_Activation(ch, ch, k, stride, groups=ch, activation=act))
                blocks.append(Conv_Bn_Activation(ch, out, 1, activation=act))
                ch = out
        elif cfg.version == "v2":
            for t, c, n, s in cfg.blocks:
                out = make_divisible(c * a)
                for i in range(n):
                    blocks.append(
                        InvertedResidual(ch, out, k, s if i == 0 else 1, t, activation=act)
                    )
                    ch = out
        else:
            for kk, exp, c, use_se, bact, s in cfg.blocks:
                out = make_divisible(c * a)
                hidden = make_divisible(exp * a)
                blocks.append(
                    InvertedResidual(
                        ch,
                        out,
                        kk,
                        s,
                        hidden / ch,
                        se=0.25 * hidden / ch if use_se else None,
                        activation=bact,
                        se_gate="hardsigmoid",
                    )
                )
                ch = out
        stages.append(SeqLenSequential(*blocks))
        if cfg.last_filters > 0:
            last = make_divisible(cfg.last_filters * max(1.0, a))
            stages.append(Conv_Bn_Activation(ch, last, 1, activation=act))
            ch = last
        self.stages = SeqLenSequential(*stages)
        self.out_channels = ch


def mobilenet_v1_config() -> MobileNetConfig:
    """MobileNet v1 (Howard 2017): 13 depthwise-separable layers."""
    blocks = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2]]
    blocks += [[512, 1]] * 5 + [[1024, 2], [1024, 1]]
    return MobileNetConfig(version="v1", blocks=blocks, last_filters=0, activation="relu6")


def mobilenet_v2_config() -> MobileNetConfig:
    """MobileNet v2 (Sandler 2018), depthwise kernel 15 at 500 Hz."""
    return MobileNetConfig()


def mobilenet_v3_small_config() -> MobileNetConfig:
    """MobileNet v3-Small (Howard 2019); kernels 3/5 of the paper scaled to 7/11 for ECG."""
    blocks: list[list[Any]] = [
        [7, 16, 16, 1, "relu", 2],
        [7, 72, 24, 0, "relu", 2],
        [7, 88, 24, 0, "relu", 1],
        [11, 96, 40, 1, "hardswish", 2],
        [11, 240, 40, 1, "hardswish", 1],
        [11, 240, 40, 1, "hardswish", 1],
        [11, 120, 48, 1, "hardswish", 1],
        [11, 144, 48, 1, "hardswish", 1],
        [11, 288, 96, 1, "hardswish", 2],
        [11, 576, 96, 1, "hardswish", 1],
        [11, 576, 96, 1, "hardswish", 1],
    ]
    return MobileNetConfig(
        version="v3", blocks=blocks, init_filters=16, last_filters=576, activation="hardswish"
    )


@register_backbone(mobilenet_v1_config, family="mobilenet")
def mobilenet_v1(in_channels: int, config: MobileNetConfig) -> MobileNet:
    """MobileNet v1 for ECG."""
    return MobileNet(in_channels, config)


@register_backbone(mobilenet_v2_config, family="mobilenet")
def mobilenet_v2(in_channels: int, config: MobileNetConfig) -> MobileNet:
    """MobileNet v2 for ECG."""
    return MobileNet(in_channels, config)


@register_backbone(mobilenet_v3_small_config, family="mobilenet")
def mobilenet_v3_small(in_channels: int, config: MobileNetConfig) -> MobileNet:
    """MobileNet v3-Small for ECG."""
    return MobileNet(in_channels, config)
