"""VGG-16 for ECG (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015), in 1-D with ECG kernel lengths as in torch_ecg.

Shapes: ``(batch, in_channels, samples)`` to ``(batch, filters[-1], samples_out)``; every stage is
``num_convs`` same-padded convolutions followed by a max-pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from ecg_models.backbones._base import BackboneConfig, SeqBackbone, per_block, positive_ints
from ecg_models.layers.conv import (
    CONV_TYPES,
    Conv_Bn_Activation,
    Pool1d,
    SeqLenSequential,
    check_choice,
    check_int,
    get_activation,
)
from ecg_models.registry import register_backbone

__all__ = ["VGG", "VGGConfig", "vgg16_config", "vgg16_leadwise_config"]


@dataclass(slots=True)
class VGGConfig(BackboneConfig):
    """Config of :class:`VGG`; per-stage fields take one value or one per stage.

    Attributes:
        num_convs: convolutions per stage.
        filters: output channels per stage.
        filter_lengths: odd kernel length (samples) per stage.
        pool_size: max-pool kernel length after each stage.
        pool_stride: max-pool stride after each stage.
        conv_type: ``None``, ``"separable"`` or ``"aa"`` per stage.
        groups: convolution groups (``in_channels`` for lead-wise convolutions).
        activation: activation name.
        norm: normalisation name or ``None``.
    """

    num_convs: list[int] = field(default_factory=lambda: [2, 2, 3, 3, 3])
    filters: list[int] = field(default_factory=lambda: [64, 128, 256, 512, 512])
    filter_lengths: int | list[int] = 15
    pool_size: int = 3
    pool_stride: int = 2
    conv_type: str | None | list[str | None] = None
    groups: int = 1
    activation: str = "relu"
    norm: str | None = "batch_norm"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field."""
        self.num_convs = list(positive_ints("num_convs", self.num_convs))
        n = len(self.num_convs)
        self.filters = list(positive_ints("filters", self.filters, n))
        self.filter_lengths = per_block("filter_lengths", self.filter_lengths, n, (int,))
        for k in self.filter_lengths:
            if k < 1 or k % 2 == 0:
                raise ValueError(f"filter_lengths must be odd positive ints (samples), got {k}")
        self.conv_type = per_block("conv_type", self.conv_type, n, (str, type(None)))
        for c in self.conv_type:
            check_choice("conv_type", c, CONV_TYPES)
        for name in ("pool_size", "pool_stride", "groups"):
            check_int(name, getattr(self, name))
        get_activation(self.activation)
        check_choice("norm", self.norm, ("batch_norm", "instance_norm", "group_norm", None))


class VGG(SeqBackbone):
    """1-D VGG backbone: stages of convolutions, each followed by max-pooling.

    Args:
        in_channels: number of input leads.
        config: a :class:`VGGConfig` or a mapping of its fields.
    """

    def __init__(self, in_channels: int, config: VGGConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(VGGConfig, config, in_channels)
        ch = in_channels
        stages: list[nn.Module] = []
        for i, n_conv in enumerate(cfg.num_convs):
            layers: list[nn.Module] = []
            for _ in range(n_conv):
                g = cfg.groups if ch % cfg.groups == 0 and cfg.filters[i] % cfg.groups == 0 else 1
                layers.append(
                    Conv_Bn_Activation(
                        ch,
                        cfg.filters[i],
                        cfg.filter_lengths[i],  # type: ignore[index]
                        groups=g,
                        norm=cfg.norm,
                        activation=cfg.activation,
                        conv_type=cfg.conv_type[i],  # type: ignore[index]
                    )
                )
                ch = cfg.filters[i]
            layers.append(Pool1d(cfg.pool_size, cfg.pool_stride, 0, "max"))
            stages.append(SeqLenSequential(*layers))
        self.stages = SeqLenSequential(*stages)
        self.out_channels = ch


def vgg16_config() -> VGGConfig:
    """VGG-16 (13 convs in 5 stages), kernel 15 at 500 Hz."""
    return VGGConfig()


def vgg16_leadwise_config() -> VGGConfig:
    """VGG-16 with lead-wise (grouped by 12) convolutions and 12x wider-divisible filters."""
    return VGGConfig(filters=[96, 192, 384, 768, 768], groups=12)


@register_backbone(vgg16_config, family="vgg")
def vgg16(in_channels: int, config: VGGConfig) -> VGG:
    """VGG-16 for ECG."""
    return VGG(in_channels, config)


@register_backbone(vgg16_leadwise_config, family="vgg")
def vgg16_leadwise(in_channels: int, config: VGGConfig) -> VGG:
    """Lead-wise VGG-16 for 12-lead ECG."""
    return VGG(in_channels, config)
