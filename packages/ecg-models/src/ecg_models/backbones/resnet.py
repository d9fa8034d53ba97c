"""1-D ResNets for ECG: vanilla, ResNet-B/C/D tweaks, ResNeXt, Stanford and Nature Comm. variants.

References:
    He et al., "Deep Residual Learning for Image Recognition", CVPR 2016.
    He et al., "Bag of Tricks for Image Classification with CNNs", CVPR 2019 (ResNet-B/C/D).
    Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017 (ResNeXt).
    Hannun et al., "Cardiologist-level arrhythmia detection ...", Nature Medicine 2019 (Stanford).
    Ribeiro et al., "Automatic diagnosis of the 12-lead ECG using a DNN", Nature Comm. 2020.

Every stage (``"block i"`` of the config lists) can pick its own building block (``"basic"`` or
``"bottleneck"``), convolution type (``None``, ``"separable"``, ``"aa"``) and attention (``"se"``,
``"gc"``, ``"cbam"``, ``"nl"`` or ``None``). Shapes: ``(batch, in_channels, samples)`` to
``(batch, out_channels, samples_out)``.

Example:
    >>> from copy import deepcopy
    >>> from ecg_models.backbones.tresnet import tresnet_p_config
    >>> cfg = deepcopy(tresnet_p_config())
    >>> cfg.building_block[1] = "bottleneck"; cfg.attention[1] = "se"
    >>> cfg.conv_type = "separable"
    >>> net = ResNet(12, cfg)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch.nn.functional as nnf
from torch import Tensor, nn

from ecg_models.backbones._base import BackboneConfig, SeqBackbone, per_block, positive_ints
from ecg_models.layers.attention import ATTENTIONS, make_attention
from ecg_models.layers.conv import (
    CONV_TYPES,
    Conv_Bn_Activation,
    Pool1d,
    SeqLenModule,
    SeqLenSequential,
    check_choice,
    check_int,
    get_activation,
    module_output_length,
)
from ecg_models.registry import register_backbone

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "ResNetConfig",
    "Shortcut",
    "SpaceToDepth",
]

_ATTN: tuple[str | None, ...] = (None, *ATTENTIONS)


@dataclass(slots=True)
class ResNetConfig(BackboneConfig):
    """Config of :class:`ResNet`. Per-stage fields take one value or a list with one per stage.

    Attributes:
        num_blocks: residual blocks per stage.
        filters: base channels per stage (``None``: ``init_filters * 2**i``); bottleneck stages
            output ``filters * expansion`` channels.
        filter_lengths: odd kernel length (samples) per stage.
        subsample_lengths: stride of the first block of each stage.
        building_block: ``"basic"`` or ``"bottleneck"`` per stage.
        conv_type: ``None``, ``"separable"`` or ``"aa"`` (anti-aliased) per stage.
        attention: ``"se"``, ``"gc"``, ``"cbam"``, ``"nl"`` or ``None`` per stage.
        attention_reduction: channel reduction ratio of the attention blocks, per stage.
        dilations: dilation per stage.
        dropouts: dropout rate inside the blocks per stage.
        groups: cardinality (ResNeXt) of the kernel-length convolutions.
        base_width: bottleneck width per group (ResNeXt ``d``; 64 for ResNet).
        expansion: bottleneck output expansion.
        stride_at: ``"kxk"`` (ResNet-B: stride on the long conv) or ``"first"`` (stride on 1x1).
        shortcut: ``"conv"`` (strided 1x1), ``"avg"`` (ResNet-D: avg-pool then 1x1) or
            ``"max"`` (max-pool then 1x1, Ribeiro 2020).
        stem: ``"vanilla"`` (one conv), ``"deep"`` (ResNet-C: three convs) or ``"s2d"``
            (TResNet space-to-depth by 4, then a conv).
        init_filters: stem channels.
        init_filter_length: stem kernel length (odd).
        init_conv_stride: stem conv stride (ignored by ``"s2d"``).
        init_pool_size: stem max-pool size.
        init_pool_stride: stem max-pool stride (< 2: no pool).
        activation: activation name.
        norm: normalisation name or ``None``.
        zero_init_residual: zero the last norm of each block (Goyal et al. 2017).
    """

    num_blocks: list[int] = field(default_factory=lambda: [2, 2, 2, 2])
    filters: list[int] | None = None
    filter_lengths: int | list[int] = 15
    subsample_lengths: int | list[int] = field(default_factory=lambda: [1, 2, 2, 2])
    building_block: str | list[str] = "basic"
    conv_type: str | None | list[str | None] = None
    attention: str | None | list[str | None] = None
    attention_reduction: float | list[float] = 16
    dilations: int | list[int] = 1
    dropouts: float | list[float] = 0.0
    groups: int = 1
    base_width: int = 64
    expansion: int = 4
    stride_at: str = "kxk"
    shortcut: str = "conv"
    stem: str = "vanilla"
    init_filters: int = 64
    init_filter_length: int = 25
    init_conv_stride: int = 2
    init_pool_size: int = 3
    init_pool_stride: int = 2
    activation: str = "relu"
    norm: str | None = "batch_norm"
    zero_init_residual: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; per-stage lists are expanded to ``len(num_blocks)`` entries."""
        self.num_blocks = list(positive_ints("num_blocks", self.num_blocks))
        n = len(self.num_blocks)
        if self.filters is not None:
            self.filters = list(positive_ints("filters", self.filters, n))
        self.filter_lengths = per_block("filter_lengths", self.filter_lengths, n, (int,))
        for k in self.filter_lengths:
            if k < 1 or k % 2 == 0:
                raise ValueError(f"filter_lengths must be odd positive ints (samples), got {k}")
        self.subsample_lengths = per_block("subsample_lengths", self.subsample_lengths, n, (int,))
        self.dilations = per_block("dilations", self.dilations, n, (int,))
        for name, vals in (
            ("subsample_lengths", self.subsample_lengths),
            ("dilations", self.dilations),
        ):
            for v in vals:
                check_int(name, v)
        self.building_block = per_block("building_block", self.building_block, n, (str,))
        for b in self.building_block:
            check_choice("building_block", b, ("basic", "bottleneck"))
        self.conv_type = per_block("conv_type", self.conv_type, n, (str, type(None)))
        for c in self.conv_type:
            check_choice("conv_type", c, CONV_TYPES)
        self.attention = per_block("attention", self.attention, n, (str, type(None)))
        for a in self.attention:
            check_choice("attention", a, _ATTN)
        self.attention_reduction = per_block(
            "attention_reduction", self.attention_reduction, n, (int, float)
        )
        self.dropouts = per_block("dropouts", self.dropouts, n, (int, float))
        for d in self.dropouts:
            if not 0.0 <= d < 1.0:
                raise ValueError(f"dropouts must be in [0, 1), got {d}")
        for name in ("groups", "base_width", "expansion", "init_filters", "init_filter_length"):
            check_int(name, getattr(self, name))
        for name in ("init_conv_stride", "init_pool_size", "init_pool_stride"):
            check_int(name, getattr(self, name))
        if self.init_filter_length % 2 == 0:
            raise ValueError(
                f"init_filter_length must be odd (samples), got {self.init_filter_length}"
            )
        check_choice("stride_at", self.stride_at, ("kxk", "first"))
        check_choice("shortcut", self.shortcut, ("conv", "avg", "max"))
        check_choice("stem", self.stem, ("vanilla", "deep", "s2d"))
        get_activation(self.activation)
        check_choice("norm", self.norm, ("batch_norm", "instance_norm", "group_norm", None))
        if not isinstance(self.zero_init_residual, bool):
            raise TypeError(f"zero_init_residual must be a bool, got {self.zero_init_residual!r}")

    def per_stage(self) -> list[dict[str, Any]]:
        """The per-stage values, one dict per stage (after validation)."""
        self.validate()
        keys = (
            "filter_lengths",
            "subsample_lengths",
            "building_block",
            "conv_type",
            "attention",
            "attention_reduction",
            "dilations",
            "dropouts",
        )
        lists: dict[str, list[Any]] = {k: list(getattr(self, k)) for k in keys}
        return [{k: lists[k][i] for k in keys} for i in range(len(self.num_blocks))]

    def stage_filters(self) -> list[int]:
        """Base channels of each stage."""
        if self.filters is not None:
            return list(self.filters)
        return [self.init_filters * 2**i for i in range(len(self.num_blocks))]


class SpaceToDepth(SeqLenModule):
    """Space-to-depth (TResNet stem): ``(batch, C, L)`` to ``(batch, C * block, ceil(L / block))``,
    zero-padding the end to a multiple of ``block``."""

    def __init__(self, block: int = 4) -> None:
        super().__init__()
        self.block = check_int("block", block)

    def output_length(self, seq_len: int) -> int:
        return math.ceil(seq_len / self.block)

    def forward(self, x: Tensor) -> Tensor:
        b, c, n = x.shape
        pad = (-n) % self.block
        if pad:
            x = nnf.pad(x, (0, pad))
        m = x.shape[-1] // self.block
        x = x.reshape(b, c, m, self.block).permute(0, 3, 1, 2)
        return x.reshape(b, c * self.block, m)


class Shortcut(SeqLenModule):
    """Shortcut of a residual block: identity, or subsampling to ``ceil(L / stride)`` samples and
    a 1x1 conv + norm when the channels change (``mode``: ``"conv"``, ``"avg"``, ``"max"``)."""

    def __init__(
        self, in_channels: int, out_channels: int, stride: int, mode: str, norm: str | None
    ) -> None:
        super().__init__()
        self.stride = stride
        # "conv" with a stride: a strided 1x1 conv is the 1x1 conv of every stride-th sample;
        # slicing first (``subsample``) and running the conv at stride 1 computes the same
        # function, and is faster on CPU (oneDNN's strided 1x1 conv and its backward pass copy
        # the full-length input and gradient)
        self.subsample = stride if stride > 1 and mode == "conv" else 1
        layers: list[nn.Module] = []
        if stride > 1 and mode in ("avg", "max"):
            pool = nn.AvgPool1d if mode == "avg" else nn.MaxPool1d
            layers.append(pool(stride, stride, ceil_mode=True))
        if in_channels != out_channels or self.subsample > 1:
            layers.append(
                Conv_Bn_Activation(in_channels, out_channels, 1, 1, norm=norm, activation=None)
            )
        self.layers = nn.Sequential(*layers)

    def extra_repr(self) -> str:
        return f"subsample={self.subsample}" if self.subsample > 1 else ""

    def output_length(self, seq_len: int) -> int:
        return math.ceil(seq_len / self.stride)

    def forward(self, x: Tensor) -> Tensor:
        if self.subsample > 1:
            # ceil(L / stride) samples, as the strided conv (kernel 1, no padding) gives
            x = x[:, :, :: self.subsample].contiguous()
        out: Tensor = self.layers(x)
        return out


class _ResidualBlock(SeqLenModule):
    """Residual block base: subclasses set ``main``, ``attn``, ``shortcut``, ``act`` and
    ``out_channels`` (no class annotations, which TorchScript would try to resolve)."""

    def output_length(self, seq_len: int) -> int:
        main = self.main
        if not isinstance(main, nn.Module):  # set by every subclass
            raise TypeError(f"{type(self).__name__}.main must be an nn.Module, got {main!r}")
        return module_output_length(main, seq_len)

    def forward(self, x: Tensor) -> Tensor:
        # the submodules are set by the subclasses (no class annotations: TorchScript)
        y: Tensor = self.attn(self.main(x))  # type: ignore[operator]
        s: Tensor = self.shortcut(x)  # type: ignore[operator]
        # y is a fresh tensor (the output of a norm, a conv or an attention product) that no
        # backward pass needs: sum and activate in place (``act`` is in-place where possible),
        # which saves two allocations of the block's output size
        y += s
        out: Tensor = self.act(y)  # type: ignore[operator]
        return out


class BasicBlock(_ResidualBlock):
    """Basic residual block: two kernel-length convs (He 2016), optional attention at the end."""

    def __init__(
        self,
        in_channels: int,
        filters: int,
        kernel_size: int,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        conv_type: str | None = None,
        attention: str | None = None,
        reduction: float = 16,
        dropout: float = 0.0,
        shortcut: str = "conv",
        activation: str = "relu",
        norm: str | None = "batch_norm",
    ) -> None:
        super().__init__()
        g = groups if in_channels % groups == 0 and filters % groups == 0 else 1
        self.out_channels = filters
        layers: list[nn.Module] = [
            Conv_Bn_Activation(
                in_channels, filters, kernel_size, stride, dilation, g, norm, activation, conv_type
            )
        ]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(
            Conv_Bn_Activation(filters, filters, kernel_size, 1, dilation, g, norm, None, conv_type)
        )
        self.main = SeqLenSequential(*layers)
        self.attn = make_attention(attention, filters, reduction)
        self.shortcut = Shortcut(in_channels, filters, stride, shortcut, norm)
        self.act = get_activation(activation, inplace=True)


class Bottleneck(_ResidualBlock):
    """Bottleneck block: 1x1 reduce, kernel-length grouped conv, 1x1 expand (He 2016, ResNeXt
    grouping of Xie 2017); the stride sits on the long conv for ResNet-B (``stride_at="kxk"``)."""

    def __init__(
        self,
        in_channels: int,
        filters: int,
        kernel_size: int,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        base_width: int = 64,
        expansion: int = 4,
        stride_at: str = "kxk",
        conv_type: str | None = None,
        attention: str | None = None,
        reduction: float = 16,
        dropout: float = 0.0,
        shortcut: str = "conv",
        activation: str = "relu",
        norm: str | None = "batch_norm",
    ) -> None:
        super().__init__()
        width = int(filters * (base_width / 64.0)) * groups
        out = filters * expansion
        self.out_channels = out
        s1, s2 = (1, stride) if stride_at == "kxk" else (stride, 1)
        # 1x1 convs never need separable; "aa" only matters where a stride sits.
        ct1 = "aa" if conv_type == "aa" and s1 > 1 else None
        layers: list[nn.Module] = [
            Conv_Bn_Activation(
                in_channels, width, 1, s1, norm=norm, activation=activation, conv_type=ct1
            ),
            Conv_Bn_Activation(
                width, width, kernel_size, s2, dilation, groups, norm, activation, conv_type
            ),
        ]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(Conv_Bn_Activation(width, out, 1, norm=norm, activation=None))
        self.main = SeqLenSequential(*layers)
        self.attn = make_attention(attention, out, reduction)
        self.shortcut = Shortcut(in_channels, out, stride, shortcut, norm)
        self.act = get_activation(activation, inplace=True)


class ResNet(SeqBackbone):
    """1-D ResNet family backbone: stem, then stages of residual blocks.

    Args:
        in_channels: number of input leads.
        config: a :class:`ResNetConfig` or a mapping of its fields.

    Shapes: ``(batch, in_channels, samples)`` to ``(batch, out_channels, samples_out)``.
    """

    def __init__(self, in_channels: int, config: ResNetConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(ResNetConfig, config, in_channels)
        stage_cfgs = cfg.per_stage()  # re-validates: copy-and-edit may change lists in place
        ch = cfg.init_filters
        stages: list[nn.Module] = [self._stem(in_channels, cfg)]
        filters = cfg.stage_filters()
        for i, sc in enumerate(stage_cfgs):
            blocks: list[nn.Module] = []
            for j in range(cfg.num_blocks[i]):
                kw: dict[str, Any] = {
                    "kernel_size": sc["filter_lengths"],
                    "stride": sc["subsample_lengths"] if j == 0 else 1,
                    "dilation": sc["dilations"],
                    "groups": cfg.groups,
                    "conv_type": sc["conv_type"],
                    "attention": sc["attention"],
                    "reduction": sc["attention_reduction"],
                    "dropout": sc["dropouts"],
                    "shortcut": cfg.shortcut,
                    "activation": cfg.activation,
                    "norm": cfg.norm,
                }
                block: _ResidualBlock
                if sc["building_block"] == "basic":
                    block = BasicBlock(ch, filters[i], **kw)
                else:
                    block = Bottleneck(
                        ch,
                        filters[i],
                        base_width=cfg.base_width,
                        expansion=cfg.expansion,
                        stride_at=cfg.stride_at,
                        **kw,
                    )
                ch = block.out_channels
                blocks.append(block)
            stages.append(SeqLenSequential(*blocks))
        self.stages = SeqLenSequential(*stages)
        self.out_channels = ch
        if cfg.zero_init_residual:
            for m in self.modules():
                if isinstance(m, _ResidualBlock):
                    main = m.main
                    last = main[-1] if isinstance(main, nn.Sequential) else None
                    if isinstance(last, Conv_Bn_Activation):
                        norm = last.layers[1]
                        if isinstance(norm, nn.BatchNorm1d):
                            nn.init.zeros_(norm.weight)

    @staticmethod
    def _stem(in_channels: int, cfg: ResNetConfig) -> SeqLenSequential:
        k, f, act, norm = cfg.init_filter_length, cfg.init_filters, cfg.activation, cfg.norm
        layers: list[nn.Module] = []
        if cfg.stem == "s2d":
            layers += [
                SpaceToDepth(4),
                Conv_Bn_Activation(in_channels * 4, f, k, 1, norm=norm, activation=act),
            ]
            return SeqLenSequential(*layers)
        if cfg.stem == "deep":
            kd = max(3, (k // 2) | 1)
            half = max(1, f // 2)
            layers += [
                Conv_Bn_Activation(
                    in_channels, half, kd, cfg.init_conv_stride, norm=norm, activation=act
                ),
                Conv_Bn_Activation(half, half, kd, 1, norm=norm, activation=act),
                Conv_Bn_Activation(half, f, kd, 1, norm=norm, activation=act),
            ]
        else:
            layers.append(
                Conv_Bn_Activation(
                    in_channels, f, k, cfg.init_conv_stride, norm=norm, activation=act
                )
            )
        if cfg.init_pool_stride > 1:
            size = cfg.init_pool_size
            layers.append(Pool1d(size, cfg.init_pool_stride, size // 2, "max"))
        return SeqLenSequential(*layers)


# ---------------------------------------------------------------- registered variants


def _r(**kw: Any) -> ResNetConfig:
    return ResNetConfig(**kw)


def resnet_vanilla_18_config() -> ResNetConfig:
    """ResNet-18 (He 2016) with ECG kernel lengths (15 samples at 500 Hz)."""
    return _r(num_blocks=[2, 2, 2, 2])


def resnet_vanilla_34_config() -> ResNetConfig:
    """ResNet-34 (He 2016)."""
    return _r(num_blocks=[3, 4, 6, 3])


def resnet_vanilla_50_config() -> ResNetConfig:
    """ResNet-50 with ResNet-B bottlenecks."""
    return _r(num_blocks=[3, 4, 6, 3], building_block="bottleneck")


def resnet_vanilla_101_config() -> ResNetConfig:
    """ResNet-101 with ResNet-B bottlenecks, kernel 11."""
    return _r(num_blocks=[3, 4, 23, 3], building_block="bottleneck", filter_lengths=11)


def resnet_vanilla_50_original_config() -> ResNetConfig:
    """ResNet-50 as in He 2016 (stride on the first 1x1 conv)."""
    return _r(num_blocks=[3, 4, 6, 3], building_block="bottleneck", stride_at="first")


def resnet_c_50_config() -> ResNetConfig:
    """ResNet-C-50 (He 2019): deep stem of three convs, ResNet-B bottlenecks."""
    return _r(num_blocks=[3, 4, 6, 3], building_block="bottleneck", stem="deep")


def resnet_d_50_config() -> ResNetConfig:
    """ResNet-D-50 (He 2019): deep stem and average-pool shortcuts."""
    return _r(num_blocks=[3, 4, 6, 3], building_block="bottleneck", stem="deep", shortcut="avg")


def resnext_vanilla_50_32x4d_config() -> ResNetConfig:
    """ResNeXt-50 32x4d (Xie 2017)."""
    return _r(num_blocks=[3, 4, 6, 3], building_block="bottleneck", groups=32, base_width=4)


def resnet_stanford_config() -> ResNetConfig:
    """Stanford ResNet (Hannun 2019): kernel 17 (16 in the paper, made odd), stride 2 per stage,
    dropout 0.2, 72-channel stem."""
    return _r(
        num_blocks=[2, 2, 2, 2],
        filter_lengths=17,
        subsample_lengths=2,
        dropouts=0.2,
        init_filters=72,
        init_filter_length=17,
    )


def resnet_nature_comm_config() -> ResNetConfig:
    """Nature Comm. ResNet (Ribeiro 2020, as in torch_ecg): a 64-channel stem, then four residual
    blocks (one per stage, as in the paper and torch_ecg), kernel 17, no stem subsampling,
    stride 4 per stage, max-pool shortcuts, filters 128/192/256/320, dropout 0.2."""
    return _r(
        num_blocks=[1, 1, 1, 1],
        filters=[128, 192, 256, 320],
        filter_lengths=17,
        subsample_lengths=4,
        dropouts=0.2,
        shortcut="max",
        init_filters=64,
        init_filter_length=17,
        init_conv_stride=1,
        init_pool_stride=1,
    )


def _nc(building_block: str, attention: str | None) -> ResNetConfig:
    """A Nature Comm. variant as torch_ecg builds it: its attention and bottleneck blocks use
    strided 1x1 convolution shortcuts and an attention reduction of 8; bottleneck stages keep the
    base filters 128/192/256/320 and expand them x4 (512/768/1024/1280 output channels)."""
    c = resnet_nature_comm_config()
    c.building_block = [building_block] * 4
    c.attention = [attention] * 4
    c.attention_reduction = 8
    if building_block == "bottleneck" or attention is not None:
        c.shortcut = "conv"
    c.validate()
    return c


_VARIANTS: dict[str, Any] = {
    "resnet_vanilla_18": resnet_vanilla_18_config,
    "resnet_vanilla_34": resnet_vanilla_34_config,
    "resnet_vanilla_50": resnet_vanilla_50_config,
    "resnet_vanilla_101": resnet_vanilla_101_config,
    "resnet_vanilla_50_original": resnet_vanilla_50_original_config,
    "resnet_c_50": resnet_c_50_config,
    "resnet_d_50": resnet_d_50_config,
    "resnext_vanilla_50_32x4d": resnext_vanilla_50_32x4d_config,
    "resnet_stanford": resnet_stanford_config,
    "resnet_nature_comm": resnet_nature_comm_config,
    "resnet_nature_comm_se": lambda: _nc("basic", "se"),
    "resnet_nature_comm_gc": lambda: _nc("basic", "gc"),
    "resnet_nature_comm_nl": lambda: _nc("basic", "nl"),
    "resnet_nature_comm_bottle_neck": lambda: _nc("bottleneck", None),
    "resnet_nature_comm_bottle_neck_se": lambda: _nc("bottleneck", "se"),
    "resnet_nature_comm_bottle_neck_gc": lambda: _nc("bottleneck", "gc"),
    "resnet_nature_comm_bottle_neck_cbam": lambda: _nc("bottleneck", "cbam"),
    "resnet_bottle_neck_se": lambda: _r(
        num_blocks=[3, 4, 6, 3], building_block="bottleneck", attention="se"
    ),
    "resnet_bottle_neck_gc": lambda: _r(
        num_blocks=[3, 4, 6, 3], building_block="bottleneck", attention="gc"
    ),
    "resnet_bottle_neck_cbam": lambda: _r(
        num_blocks=[3, 4, 6, 3], building_block="bottleneck", attention="cbam"
    ),
}


def _register(name: str, factory: Any) -> None:
    def builder(in_channels: int, config: ResNetConfig) -> ResNet:
        return ResNet(in_channels, config)

    builder.__name__ = name
    builder.__qualname__ = name
    register_backbone(factory, family="resnet")(builder)


for _name, _factory in _VARIANTS.items():
    _register(_name, _factory)
