"""EfficientNet (Tan & Le, ICML 2019) and EfficientNetV2 (Tan & Le, ICML 2021) for ECG, 1-D.

MBConv blocks (inverted residual with SE 0.25 and swish) for B0, and Fused-MBConv blocks in the
early stages of V2. The kernels 3/5 of the image models are scaled to 7/11 for ECG at 500 Hz.
Shapes: ``(batch, in_channels, samples)`` to ``(batch, head_filters, samples_out)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from ecg_models.backbones._base import BackboneConfig, SeqBackbone
from ecg_models.backbones.mobilenet import InvertedResidual, make_divisible
from ecg_models.layers.conv import Conv_Bn_Activation, SeqLenSequential, check_int, get_activation
from ecg_models.registry import register_backbone

__all__ = ["EfficientNet", "EfficientNetConfig"]


@dataclass(slots=True)
class EfficientNetConfig(BackboneConfig):
    """Config of :class:`EfficientNet`.

    Attributes:
        stages: ``[block_type, expansion, kernel, stride, out_channels, repeats, se_ratio]`` per
            stage; ``block_type`` is ``"mb"`` (MBConv) or ``"fused"`` (Fused-MBConv); ``se_ratio``
            0 disables SE.
        width_multiplier: channel multiplier.
        depth_multiplier: repeats multiplier (rounded up).
        init_filters: stem channels.
        init_filter_length: stem kernel (odd).
        head_filters: channels of the final 1x1 conv.
        activation: activation (``"swish"``).
        drop_connect: residual dropout.
    """

    stages: list[list[Any]] = field(
        default_factory=lambda: [
            ["mb", 1, 7, 1, 16, 1, 0.25],
            ["mb", 6, 7, 2, 24, 2, 0.25],
            ["mb", 6, 11, 2, 40, 2, 0.25],
            ["mb", 6, 7, 2, 80, 3, 0.25],
            ["mb", 6, 11, 1, 112, 3, 0.25],
            ["mb", 6, 11, 2, 192, 4, 0.25],
            ["mb", 6, 7, 1, 320, 1, 0.25],
        ]
    )
    width_multiplier: float = 1.0
    depth_multiplier: float = 1.0
    init_filters: int = 32
    init_filter_length: int = 15
    head_filters: int = 1280
    activation: str = "swish"
    drop_connect: float = 0.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field."""
        if not isinstance(self.stages, list | tuple) or not self.stages:
            raise TypeError(f"stages must be a non-empty list, got {self.stages!r}")
        self.stages = [list(s) for s in self.stages]
        for s in self.stages:
            if len(s) != 7 or s[0] not in ("mb", "fused"):
                raise ValueError(
                    "each stage is [block_type ('mb'|'fused'), expansion, kernel, stride, "
                    f"out_channels, repeats, se_ratio], got {s!r}"
                )
            if s[2] % 2 == 0:
                raise ValueError(f"kernel lengths must be odd (samples), got {s[2]}")
            for v, nm in (
                (s[2], "kernel"),
                (s[3], "stride"),
                (s[4], "out_channels"),
                (s[5], "repeats"),
            ):
                check_int(nm, v)
        for name in ("init_filters", "init_filter_length", "head_filters"):
            check_int(name, getattr(self, name))
        if self.width_multiplier <= 0 or self.depth_multiplier <= 0:
            raise ValueError("width_multiplier and depth_multiplier must be > 0")
        if not 0.0 <= self.drop_connect < 1.0:
            raise ValueError(f"drop_connect must be in [0, 1), got {self.drop_connect}")
        get_activation(self.activation)


class EfficientNet(SeqBackbone):
    """EfficientNet / EfficientNetV2 backbone.

    Args:
        in_channels: number of input leads.
        config: an :class:`EfficientNetConfig` or a mapping of its fields.
    """

    def __init__(self, in_channels: int, config: EfficientNetConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(EfficientNetConfig, config, in_channels)
        w, act = cfg.width_multiplier, cfg.activation
        ch = make_divisible(cfg.init_filters * w)
        layers: list[nn.Module] = [
            Conv_Bn_Activation(in_channels, ch, cfg.init_filter_length, 2, activation=act)
        ]
        blocks: list[nn.Module] = []
        for kind, exp, k, s, c, n, se in cfg.stages:
            out = make_divisible(c * w)
            reps = int(-(-n * cfg.depth_multiplier // 1))
            for i in range(reps):
                blocks.append(
                    InvertedResidual(
                        ch,
                        out,
                        k,
                        s if i == 0 else 1,
                        exp,
                        se=se if se > 0 else None,
                        activation=act,
                        fused=kind == "fused",
                        dropout=cfg.drop_connect,
                    )
                )
                ch = out
        layers.append(SeqLenSequential(*blocks))
        head = make_divisible(cfg.head_filters * max(1.0, w))
        layers.append(Conv_Bn_Activation(ch, head, 1, activation=act))
        self.stages = SeqLenSequential(*layers)
        self.out_channels = head


def efficientnet_b0_config() -> EfficientNetConfig:
    """EfficientNet-B0 (Tan 2019)."""
    return EfficientNetConfig()


def efficientnet_v2_s_config() -> EfficientNetConfig:
    """EfficientNetV2-S (Tan 2021): Fused-MBConv in the first three stages."""
    return EfficientNetConfig(
        stages=[
            ["fused", 1, 7, 1, 24, 2, 0],
            ["fused", 4, 7, 2, 48, 4, 0],
            ["fused", 4, 7, 2, 64, 4, 0],
            ["mb", 4, 7, 2, 128, 6, 0.25],
            ["mb", 6, 7, 1, 160, 9, 0.25],
            ["mb", 6, 7, 2, 256, 15, 0.25],
        ],
        init_filters=24,
    )


@register_backbone(efficientnet_b0_config, family="efficientnet")
def efficientnet_b0(in_channels: int, config: EfficientNetConfig) -> EfficientNet:
    """EfficientNet-B0 for ECG."""
    return EfficientNet(in_channels, config)


@register_backbone(efficientnet_v2_s_config, family="efficientnet")
def efficientnet_v2_s(in_channels: int, config: EfficientNetConfig) -> EfficientNet:
    """EfficientNetV2-S for ECG."""
    return EfficientNet(in_channels, config)
