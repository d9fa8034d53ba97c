"""1-D RegNets for ECG (Radosavovic et al., "Designing Network Design Spaces", CVPR 2020).

A RegNet is a ResNet stem followed by stages of grouped bottleneck blocks whose widths come from
a quantised linear rule: block ``j`` of ``tot_blocks`` gets the continuous width
``u_j = w_0 + w_a * j``, which is snapped to ``w_0 * w_m**s_j`` with
``s_j = round(log(u_j / w_0) / log(w_m))`` and rounded to a multiple of 8; consecutive blocks of
equal width form a stage. Each stage's width is then made a multiple of its group width (the
number of channels per group of the kernel-length convolution). A config may instead give the
stages explicitly (``num_blocks`` and ``num_filters``, as RegNet-S does).

The blocks are :class:`~ecg_models.backbones.resnet.Bottleneck` blocks (1x1 reduce, grouped
kernel-length convolution carrying the stride, 1x1 expand, squeeze-excitation), the stem is the
ResNet stem (one strided convolution and a max pool). Shapes: ``(batch, in_channels, samples)``
to ``(batch, out_channels, samples_out)``, ``samples_out`` about ``samples / 64`` for the
registered variants (stride 2 in the stem conv, its pool and each of the four stages).

Example:
    >>> from ecg_models.registry import create_backbone
    >>> net = create_backbone("regnet_16_8", in_channels=12)
    >>> net.out_channels, net.config.stages()
    (440, [(1, 48, 6), (3, 104, 13), (6, 208, 26), (6, 440, 55)])
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from torch import nn

from ecg_models.backbones._base import BackboneConfig, SeqBackbone, per_block, positive_ints
from ecg_models.backbones.resnet import Bottleneck, ResNet, ResNetConfig
from ecg_models.layers.attention import ATTENTIONS
from ecg_models.layers.conv import SeqLenSequential, check_choice, check_int, get_activation
from ecg_models.registry import register_backbone

__all__ = ["RegNet", "RegNetConfig", "regnet_widths"]

_QUANT = 8  # stage widths are multiples of 8 (Radosavovic 2020)


def regnet_widths(tot_blocks: int, w_a: float, w_0: int, w_m: float) -> list[tuple[int, int]]:
    """``(blocks, width)`` per stage of the quantised linear width rule, widest stage last.

    Args:
        tot_blocks: total number of blocks (depth ``d``).
        w_a: slope of the continuous widths (channels per block, >= 0).
        w_0: initial width (channels, a positive multiple of 8).
        w_m: width multiplier between stages (> 1).

    Raises:
        ValueError: for parameters outside these ranges.
    """
    check_int("tot_blocks", tot_blocks)
    if not (isinstance(w_a, int | float) and w_a >= 0):
        raise ValueError(f"w_a must be a number >= 0 (channels per block), got {w_a!r}")
    if isinstance(w_0, bool) or not isinstance(w_0, int) or w_0 <= 0 or w_0 % _QUANT:
        raise ValueError(f"w_0 must be a positive multiple of {_QUANT} (channels), got {w_0!r}")
    if not (isinstance(w_m, int | float) and w_m > 1):
        raise ValueError(f"w_m must be a number > 1, got {w_m!r}")
    widths = []
    for j in range(tot_blocks):
        s = round(math.log((w_0 + w_a * j) / w_0) / math.log(w_m))
        widths.append(int(round(w_0 * w_m**s / _QUANT)) * _QUANT)
    counts = Counter(widths)
    return [(counts[w], w) for w in sorted(counts)]


def _fit_group_width(width: int, group_width: int) -> tuple[int, int]:
    """``(width, groups)`` with ``width`` made a multiple of ``group_width`` (rounded down, or up
    when rounding down loses more than 10%); a group width above the width is clipped to it."""
    gw = min(group_width, width)
    fitted = width // gw * gw
    if fitted < 0.9 * width:
        fitted += gw
    return fitted, fitted // gw


@dataclass(slots=True)
class RegNetConfig(BackboneConfig):
    """Config of :class:`RegNet`. Per-stage fields take one value or a list with one per stage.

    Attributes:
        tot_blocks: total number of blocks of the width rule (ignored with ``num_blocks``).
        w_a: width slope (channels per block) of the width rule.
        w_0: initial width (channels, multiple of 8) of the width rule.
        w_m: width multiplier (> 1) of the width rule.
        num_blocks: explicit blocks per stage (RegNet-S style); ``None`` uses the width rule.
        num_filters: explicit width per stage (channels), with ``num_blocks``.
        group_widths: channels per group of the kernel-length convolution, per stage.
        filter_lengths: odd kernel length (samples) per stage.
        subsample_lengths: stride of the first block of each stage.
        expansion: bottleneck output expansion (a stage outputs ``width * expansion`` channels).
        attention: ``"se"``, ``"gc"``, ``"cbam"``, ``"nl"`` or ``None`` in every block.
        attention_reduction: channel reduction of the attention blocks.
        dropouts: dropout rate inside the blocks, per stage.
        init_filters: stem channels.
        init_filter_length: stem kernel length (odd, samples).
        init_conv_stride: stem conv stride.
        init_pool_size: stem max-pool size (samples).
        init_pool_stride: stem max-pool stride (< 2: no pool).
        activation: activation name.
        norm: normalisation name or ``None``.
    """

    tot_blocks: int = 16
    w_a: float = 27.89
    w_0: int = 48
    w_m: float = 2.09
    num_blocks: list[int] | None = None
    num_filters: list[int] | None = None
    group_widths: int | list[int] = 8
    filter_lengths: int | list[int] = 11
    subsample_lengths: int | list[int] = 2
    expansion: int = 1
    attention: str | None = "se"
    attention_reduction: float = 8
    dropouts: float | list[float] = 0.0
    init_filters: int = 64
    init_filter_length: int = 25
    init_conv_stride: int = 2
    init_pool_size: int = 3
    init_pool_stride: int = 2
    activation: str = "relu"
    norm: str | None = "batch_norm"

    def __post_init__(self) -> None:
        self.validate()

    def _raw_stages(self) -> list[tuple[int, int]]:
        if self.num_blocks is None:
            if self.num_filters is not None:
                raise ValueError("num_filters needs num_blocks (blocks per stage)")
            return regnet_widths(self.tot_blocks, self.w_a, self.w_0, self.w_m)
        blocks = positive_ints("num_blocks", self.num_blocks)
        if self.num_filters is None:
            raise ValueError("num_blocks needs num_filters (channels per stage)")
        widths = positive_ints("num_filters", self.num_filters, len(blocks))
        return list(zip(blocks, widths, strict=True))

    def validate(self) -> None:
        """Check every field. Per-stage fields stay as given (a scalar or a list): the number of
        stages follows from the width rule, so a scalar keeps fitting when the rule changes."""
        self.per_stage()
        for name in ("expansion", "init_filters", "init_filter_length", "init_conv_stride"):
            check_int(name, getattr(self, name))
        check_int("init_pool_size", self.init_pool_size)
        check_int("init_pool_stride", self.init_pool_stride)
        if self.init_filter_length % 2 == 0:
            raise ValueError(
                f"init_filter_length must be odd (samples), got {self.init_filter_length}"
            )
        check_choice("attention", self.attention, (None, *ATTENTIONS))
        if not isinstance(self.attention_reduction, int | float) or self.attention_reduction <= 0:
            raise ValueError(
                f"attention_reduction must be a positive number, got {self.attention_reduction!r}"
            )
        get_activation(self.activation)
        check_choice("norm", self.norm, ("batch_norm", "instance_norm", "group_norm", None))

    def per_stage(self) -> dict[str, list[Any]]:
        """The per-stage fields expanded to one value per stage (checked)."""
        n = len(self._raw_stages())
        out: dict[str, list[Any]] = {
            "group_widths": per_block("group_widths", self.group_widths, n, (int,)),
            "filter_lengths": per_block("filter_lengths", self.filter_lengths, n, (int,)),
            "subsample_lengths": per_block("subsample_lengths", self.subsample_lengths, n, (int,)),
            "dropouts": per_block("dropouts", self.dropouts, n, (int, float)),
        }
        for name in ("group_widths", "subsample_lengths"):
            for v in out[name]:
                check_int(name, v)
        for k in out["filter_lengths"]:
            if k < 1 or k % 2 == 0:
                raise ValueError(f"filter_lengths must be odd positive ints (samples), got {k}")
        for d in out["dropouts"]:
            if not 0.0 <= d < 1.0:
                raise ValueError(f"dropouts must be in [0, 1), got {d}")
        return out

    def stages(self) -> list[tuple[int, int, int]]:
        """``(blocks, width, groups)`` of each stage; ``width`` (channels of the grouped
        convolution) is a multiple of the stage's group width."""
        self.validate()  # copy-and-edit may have changed fields
        gws: list[int] = self.per_stage()["group_widths"]
        out = []
        for (blocks, width), gw in zip(self._raw_stages(), gws, strict=True):
            fitted, groups = _fit_group_width(width, gw)
            out.append((blocks, fitted, groups))
        return out


class RegNet(SeqBackbone):
    """RegNet backbone: the ResNet stem, then stages of grouped SE bottleneck blocks.

    Args:
        in_channels: number of input leads.
        config: a :class:`RegNetConfig` or a mapping of its fields.

    Shapes: ``(batch, in_channels, samples)`` to ``(batch, out_channels, samples_out)``.
    """

    def __init__(self, in_channels: int, config: RegNetConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(RegNetConfig, config, in_channels)
        stage_specs = cfg.stages()
        stem_cfg = ResNetConfig(
            num_blocks=[1],
            subsample_lengths=1,
            init_filters=cfg.init_filters,
            init_filter_length=cfg.init_filter_length,
            init_conv_stride=cfg.init_conv_stride,
            init_pool_size=cfg.init_pool_size,
            init_pool_stride=cfg.init_pool_stride,
            activation=cfg.activation,
            norm=cfg.norm,
        )
        stages: list[nn.Module] = [ResNet._stem(in_channels, stem_cfg)]
        ch = cfg.init_filters
        per_stage = cfg.per_stage()
        kernels: list[int] = per_stage["filter_lengths"]
        strides: list[int] = per_stage["subsample_lengths"]
        drops: list[float] = per_stage["dropouts"]
        for i, (blocks, width, groups) in enumerate(stage_specs):
            layers: list[nn.Module] = []
            for j in range(blocks):
                # Bottleneck's grouped conv has filters * groups channels (base width 64) and
                # its output filters * expansion: filters = width / groups channels per group
                # and expansion * groups give a ``width``-channel conv and
                # ``width * cfg.expansion`` outputs.
                block = Bottleneck(
                    ch,
                    width // groups,
                    kernels[i],
                    stride=strides[i] if j == 0 else 1,
                    groups=groups,
                    base_width=64,
                    expansion=cfg.expansion * groups,
                    stride_at="kxk",
                    attention=cfg.attention,
                    reduction=cfg.attention_reduction,
                    dropout=drops[i],
                    shortcut="conv",
                    activation=cfg.activation,
                    norm=cfg.norm,
                )
                ch = block.out_channels
                layers.append(block)
            stages.append(SeqLenSequential(*layers))
        self.stages = SeqLenSequential(*stages)
        self.out_channels = ch


# ---------------------------------------------------------------- registered variants


def regnet_16_8_config() -> RegNetConfig:
    """16 blocks, group width 8 (w_a 27.89, w_0 48, w_m 2.09): stages of 48/104/208/440
    channels, kernel 11, SE in every block (torch_ecg's ``regnet_16_8``)."""
    return RegNetConfig()


def regnet_27_24_config() -> RegNetConfig:
    """27 blocks, group width 24 (w_a 20.71, w_0 48, w_m 2.65): 48/120/336/888 channels."""
    return RegNetConfig(tot_blocks=27, group_widths=24, w_a=20.71, w_0=48, w_m=2.65)


def regnet_23_168_config() -> RegNetConfig:
    """23 blocks, group width 168 (w_a 69.86, w_0 320, w_m 2.0): 336/672/1176/2520 channels
    (about 105 M parameters)."""
    return RegNetConfig(tot_blocks=23, group_widths=168, w_a=69.86, w_0=320, w_m=2.0)


def regnet_s_config() -> RegNetConfig:
    """RegNet-S (torch_ecg's ``regnet_S``): explicit stages of 2 blocks, widths 32/64/128/256
    with group widths 8/16/32/64 (4 groups each), expansion 4, kernels 13/11/7/5."""
    return RegNetConfig(
        num_blocks=[2, 2, 2, 2],
        num_filters=[32, 64, 128, 256],
        group_widths=[8, 16, 32, 64],
        filter_lengths=[13, 11, 7, 5],
        expansion=4,
    )


_VARIANTS: dict[str, Any] = {
    "regnet_16_8": regnet_16_8_config,
    "regnet_27_24": regnet_27_24_config,
    "regnet_23_168": regnet_23_168_config,
    "regnet_S": regnet_s_config,
}


def _register(name: str, factory: Any) -> None:
    def builder(in_channels: int, config: RegNetConfig) -> RegNet:
        return RegNet(in_channels, config)

    builder.__name__ = name
    builder.__qualname__ = name
    register_backbone(factory, family="regnet")(builder)


for _name, _factory in _VARIANTS.items():
    _register(_name, _factory)
