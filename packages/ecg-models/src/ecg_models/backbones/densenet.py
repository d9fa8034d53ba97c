"""DenseNet for ECG (Huang et al., "Densely Connected Convolutional Networks", CVPR 2017), 1-D,
as used for the CPSC2020 entry of torch_ecg.

Dense layers are pre-activation ``BN-ReLU-Conv1x1(bn_size * growth) - BN-ReLU-Conv_k(growth)``
whose output is concatenated to their input; transitions ``BN-ReLU-Conv1x1`` compress the channels
by ``compression`` and average-pool by ``subsample_lengths``. Shapes: ``(batch, in_channels,
samples)`` to ``(batch, out_channels, samples_out)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from ecg_models.backbones._base import BackboneConfig, SeqBackbone, per_block, positive_ints
from ecg_models.layers.conv import (
    Conv_Bn_Activation,
    Pool1d,
    SeqLenModule,
    SeqLenSequential,
    check_int,
    get_activation,
)
from ecg_models.registry import register_backbone

__all__ = ["DenseLayer", "DenseNet", "DenseNetConfig", "Transition"]


@dataclass(slots=True)
class DenseNetConfig(BackboneConfig):
    """Config of :class:`DenseNet`.

    Attributes:
        num_layers: dense layers per dense block.
        growth_rates: channels added by each layer, one value or one per block.
        filter_lengths: odd kernel length per block.
        subsample_lengths: average-pool factor of the transition after each block but the last.
        init_filters: stem channels.
        init_filter_length: stem kernel length (odd).
        init_subsample: stem stride (conv stride 2 and max-pool when 2 or more; 1 for none).
        bn_size: bottleneck width multiplier.
        compression: channel compression of the transitions, in (0, 1].
        dropout: dropout rate after each dense layer.
        activation: activation name.
    """

    num_layers: list[int] = field(default_factory=lambda: [6, 6, 6, 6])
    growth_rates: int | list[int] = 16
    filter_lengths: int | list[int] = 15
    subsample_lengths: int | list[int] = 2
    init_filters: int = 64
    init_filter_length: int = 25
    init_subsample: int = 2
    bn_size: int = 4
    compression: float = 0.5
    dropout: float = 0.0
    activation: str = "relu"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field."""
        self.num_layers = list(positive_ints("num_layers", self.num_layers))
        n = len(self.num_layers)
        self.growth_rates = per_block("growth_rates", self.growth_rates, n, (int,))
        self.filter_lengths = per_block("filter_lengths", self.filter_lengths, n, (int,))
        self.subsample_lengths = per_block("subsample_lengths", self.subsample_lengths, n, (int,))
        for name in ("growth_rates", "filter_lengths", "subsample_lengths"):
            for v in getattr(self, name):
                check_int(name, v)
        for k in [*self.filter_lengths, self.init_filter_length]:
            if k % 2 == 0:
                raise ValueError(f"filter lengths must be odd (samples), got {k}")
        for name in ("init_filters", "init_filter_length", "init_subsample", "bn_size"):
            check_int(name, getattr(self, name))
        if not 0.0 < self.compression <= 1.0:
            raise ValueError(f"compression must be in (0, 1], got {self.compression}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        get_activation(self.activation)


def _pre_act_conv(cin: int, cout: int, k: int, act: str) -> nn.Sequential:
    return nn.Sequential(
        nn.BatchNorm1d(cin),
        get_activation(act),
        nn.Conv1d(cin, cout, k, padding=k // 2, bias=False),
    )


class DenseLayer(SeqLenModule):
    """One dense layer: bottleneck then kernel conv; output = input ++ ``growth`` new channels."""

    def __init__(
        self, in_channels: int, growth: int, kernel: int, bn_size: int, dropout: float, act: str
    ) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _pre_act_conv(in_channels, bn_size * growth, 1, act),
            _pre_act_conv(bn_size * growth, growth, kernel, act),
            nn.Dropout(dropout) if dropout > 0 else nn.Identity(),
        )
        self.out_channels = in_channels + growth

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, in_channels, samples)`` to ``(batch, in_channels + growth, samples)``."""
        return torch.cat([x, self.body(x)], dim=1)


class Transition(SeqLenModule):
    """``BN-ReLU-Conv1x1`` compression then average pooling by ``stride`` (floor)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, act: str) -> None:
        super().__init__()
        self.conv = _pre_act_conv(in_channels, out_channels, 1, act)
        self.pool = Pool1d(stride, stride, 0, "avg") if stride > 1 else None

    def output_length(self, seq_len: int) -> int:
        return seq_len if self.pool is None else self.pool.output_length(seq_len)

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, in_channels, samples)`` to ``(batch, out_channels, samples // stride)``."""
        out: Tensor = self.conv(x)
        if self.pool is not None:
            out = self.pool(out)
        return out


class DenseNet(SeqBackbone):
    """1-D DenseNet backbone.

    Args:
        in_channels: number of input leads.
        config: a :class:`DenseNetConfig` or a mapping of its fields.
    """

    def __init__(self, in_channels: int, config: DenseNetConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(DenseNetConfig, config, in_channels)
        act = cfg.activation
        s = cfg.init_subsample
        stem: list[nn.Module] = [
            Conv_Bn_Activation(
                in_channels, cfg.init_filters, cfg.init_filter_length, s, activation=act
            )
        ]
        if s > 1:
            stem.append(Pool1d(3, s, 1, "max"))
        stages: list[nn.Module] = [SeqLenSequential(*stem)]
        ch = cfg.init_filters
        n = len(cfg.num_layers)
        for i, n_layers in enumerate(cfg.num_layers):
            layers: list[nn.Module] = []
            for _ in range(n_layers):
                layer = DenseLayer(
                    ch,
                    cfg.growth_rates[i],  # type: ignore[index]
                    cfg.filter_lengths[i],  # type: ignore[index]
                    cfg.bn_size,
                    cfg.dropout,
                    act,
                )
                ch = layer.out_channels
                layers.append(layer)
            if i < n - 1:
                out = max(1, int(ch * cfg.compression))
                layers.append(Transition(ch, out, cfg.subsample_lengths[i], act))  # type: ignore[index]
                ch = out
            else:
                layers += [nn.BatchNorm1d(ch), get_activation(act)]
            stages.append(SeqLenSequential(*layers))
        self.stages = SeqLenSequential(*stages)
        self.out_channels = ch


def densenet_vanilla_config() -> DenseNetConfig:
    """DenseNet with four blocks of 6 layers, growth 16 (torch_ecg's vanilla ECG DenseNet)."""
    return DenseNetConfig()


def densenet_cpsc2020_config() -> DenseNetConfig:
    """Compact DenseNet for single-lead CPSC2020 premature-beat detection (400 Hz)."""
    return DenseNetConfig(
        num_layers=[4, 4, 4],
        growth_rates=[12, 16, 24],
        filter_lengths=[11, 9, 7],
        init_filters=32,
        init_filter_length=15,
    )


@register_backbone(densenet_vanilla_config, family="densenet")
def densenet_vanilla(in_channels: int, config: DenseNetConfig) -> DenseNet:
    """Vanilla 1-D DenseNet."""
    return DenseNet(in_channels, config)


@register_backbone(densenet_cpsc2020_config, family="densenet")
def densenet_cpsc2020(in_channels: int, config: DenseNetConfig) -> DenseNet:
    """CPSC2020 DenseNet."""
    return DenseNet(in_channels, config)
