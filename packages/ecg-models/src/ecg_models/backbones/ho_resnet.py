"""Higher-order ResNets for ECG (Luo et al., "Rethinking ResNets: Improved Stacking Strategies
with High-Order Schemes for Image Classification", Complex & Intelligent Systems 2022).

A residual block is one forward-Euler step ``x + F(x)`` of an ODE; higher-order schemes combine
several residual functions per block:
    ``"euler"``:    ``x + F1(x)``;
    ``"midpoint"``: ``x + F2(x + F1(x) / 2)`` (explicit midpoint, RK2);
    ``"rk4"``:      classic Runge-Kutta with ``k1..k4`` from ``F1..F4``.
Each stage starts with a strided ResNet basic block (changing channels and length), followed by
higher-order blocks at constant shape. Shapes: ``(batch, in_channels, samples)`` to
``(batch, filters[-1], samples_out)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import Tensor, nn

from ecg_models.backbones._base import BackboneConfig, SeqBackbone, block_counts, positive_ints
from ecg_models.backbones.resnet import BasicBlock
from ecg_models.layers.conv import (
    Conv_Bn_Activation,
    Pool1d,
    SeqLenModule,
    SeqLenSequential,
    check_choice,
    check_int,
    get_activation,
)
from ecg_models.registry import register_backbone

__all__ = ["HOBlock", "HOResNet", "HOResNetConfig"]

_STEPS = {"euler": 1, "midpoint": 2, "rk4": 4}
# (input offsets a, output weights b) of the explicit schemes (Butcher tableaux, diagonal a)
_TABLEAU: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "euler": ((), (1.0,)),
    "midpoint": ((0.5,), (0.0, 1.0)),
    "rk4": ((0.5, 0.5, 1.0), (1 / 6, 2 / 6, 2 / 6, 1 / 6)),
}


class HOBlock(SeqLenModule):
    """Higher-order residual block (shape preserving) with scheme ``"euler"``, ``"midpoint"`` or
    ``"rk4"``; each residual function is ``Conv-BN-Act-Conv-BN``."""

    def __init__(self, channels: int, kernel: int, scheme: str, act: str) -> None:
        super().__init__()
        check_choice("scheme", scheme, list(_STEPS))
        self.scheme = scheme
        self.funcs = nn.ModuleList(
            nn.Sequential(
                Conv_Bn_Activation(channels, channels, kernel, activation=act),
                Conv_Bn_Activation(channels, channels, kernel, activation=None),
            )
            for _ in range(_STEPS[scheme])
        )
        self.act = get_activation(act)
        self.n_steps = _STEPS[scheme]
        self.a: list[float] = list(_TABLEAU[scheme][0])
        self.b: list[float] = list(_TABLEAU[scheme][1])

    def forward(self, x: Tensor) -> Tensor:
        # explicit Runge-Kutta step: stage i sees x + a[i-1] * k[i-1]; result x + sum b[i] k[i]
        out = x
        inp = x
        for i, f in enumerate(self.funcs):
            k: Tensor = f(inp)
            out = out + self.b[i] * k
            if i < self.n_steps - 1:
                inp = x + self.a[i] * k
        res: Tensor = self.act(out)
        return res


@dataclass(slots=True)
class HOResNetConfig(BackboneConfig):
    """Config of :class:`HOResNet`.

    Attributes:
        num_blocks: higher-order blocks per stage (after the strided transition block).
        filters: channels per stage.
        subsample_lengths: stride of each stage's transition block.
        filter_length: kernel length (odd).
        scheme: ``"euler"``, ``"midpoint"`` or ``"rk4"``.
        init_filters: stem channels.
        init_filter_length: stem kernel length (odd).
        activation: activation name.
    """

    num_blocks: list[int] = field(default_factory=lambda: [1, 1, 1, 1])
    filters: list[int] = field(default_factory=lambda: [64, 128, 256, 512])
    subsample_lengths: list[int] = field(default_factory=lambda: [1, 2, 2, 2])
    filter_length: int = 15
    scheme: str = "midpoint"
    init_filters: int = 64
    init_filter_length: int = 25
    activation: str = "relu"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field."""
        self.num_blocks = block_counts("num_blocks", self.num_blocks)
        n = len(self.num_blocks)
        self.filters = list(positive_ints("filters", self.filters, n))
        self.subsample_lengths = list(positive_ints("subsample_lengths", self.subsample_lengths, n))
        for name in ("filter_length", "init_filter_length", "init_filters"):
            check_int(name, getattr(self, name))
        if self.filter_length % 2 == 0 or self.init_filter_length % 2 == 0:
            raise ValueError("filter lengths must be odd (samples)")
        check_choice("scheme", self.scheme, list(_STEPS))
        get_activation(self.activation)


class HOResNet(SeqBackbone):
    """Higher-order ResNet backbone.

    Args:
        in_channels: number of input leads.
        config: an :class:`HOResNetConfig` or a mapping of its fields.
    """

    def __init__(self, in_channels: int, config: HOResNetConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(HOResNetConfig, config, in_channels)
        k, act = cfg.filter_length, cfg.activation
        stages: list[nn.Module] = [
            SeqLenSequential(
                Conv_Bn_Activation(
                    in_channels, cfg.init_filters, cfg.init_filter_length, 2, activation=act
                ),
                Pool1d(3, 2, 1, "max"),
            )
        ]
        ch = cfg.init_filters
        for n, f, s in zip(cfg.num_blocks, cfg.filters, cfg.subsample_lengths, strict=True):
            blocks: list[nn.Module] = [BasicBlock(ch, f, k, s, activation=act)]
            blocks += [HOBlock(f, k, cfg.scheme, act) for _ in range(n)]
            stages.append(SeqLenSequential(*blocks))
            ch = f
        self.stages = SeqLenSequential(*stages)
        self.out_channels = ch


def ho_resnet_midpoint_config() -> HOResNetConfig:
    """HO-ResNet with midpoint (RK2) blocks."""
    return HOResNetConfig()


def ho_resnet_rk4_config() -> HOResNetConfig:
    """HO-ResNet with RK4 blocks (narrower)."""
    return HOResNetConfig(scheme="rk4", filters=[32, 64, 128, 256], init_filters=32)


@register_backbone(ho_resnet_midpoint_config, family="ho_resnet")
def ho_resnet_midpoint(in_channels: int, config: HOResNetConfig) -> HOResNet:
    """Midpoint HO-ResNet for ECG."""
    return HOResNet(in_channels, config)


@register_backbone(ho_resnet_rk4_config, family="ho_resnet")
def ho_resnet_rk4(in_channels: int, config: HOResNetConfig) -> HOResNet:
    """RK4 HO-ResNet for ECG."""
    return HOResNet(in_channels, config)
