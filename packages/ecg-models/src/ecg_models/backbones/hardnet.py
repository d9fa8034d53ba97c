"""HarDNet for ECG (Chao et al., "HarDNet: A Low Memory Traffic Network", ICCV 2019), 1-D.

A harmonic dense block connects layer ``k`` to layer ``k - 2**n`` for every ``n`` with
``2**n`` dividing ``k``; a layer with ``m`` such links has ``growth * grmul**(m-1)`` channels
(rounded to even). The block outputs the concatenation of the odd layers and the last one.
Shapes: ``(batch, in_channels, samples)`` to ``(batch, out_channels, samples_out)``.
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

__all__ = ["HarDBlock", "HarDNet", "HarDNetConfig", "harmonic_links"]


def harmonic_links(layer: int, base: int, growth: int, grmul: float) -> tuple[int, int, list[int]]:
    """``(out_channels, in_channels, links)`` of harmonic layer ``layer`` (layer 0 is the input
    with ``base`` channels), as in Chao 2019."""
    if layer == 0:
        return base, 0, []
    out = float(growth)
    links: list[int] = []
    for i in range(10):
        dv = 2**i
        if layer % dv == 0:
            links.append(layer - dv)
            if i > 0:
                out *= grmul
    out_ch = int(int(out + 1) / 2) * 2
    in_ch = sum(harmonic_links(k, base, growth, grmul)[0] for k in links)
    return out_ch, in_ch, links


class HarDBlock(SeqLenModule):
    """Harmonic dense block of ``n_layers`` conv layers (kernel ``kernel``)."""

    def __init__(
        self, in_channels: int, n_layers: int, growth: int, grmul: float, kernel: int, act: str
    ) -> None:
        super().__init__()
        self.links: list[list[int]] = []
        layers: list[nn.Module] = []
        self.out_channels = 0
        for i in range(n_layers):
            out, inch, link = harmonic_links(i + 1, in_channels, growth, grmul)
            self.links.append(link)
            layers.append(Conv_Bn_Activation(inch, out, kernel, activation=act))
            if i % 2 == 0 or i == n_layers - 1:
                self.out_channels += out
        self.layers = nn.ModuleList(layers)

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, in_channels, samples)`` to ``(batch, out_channels, samples)``."""
        feats: list[Tensor] = [x]
        for i, layer in enumerate(self.layers):
            tin: list[Tensor] = []
            for j in self.links[i]:
                tin.append(feats[j])
            inp = torch.cat(tin, dim=1) if len(tin) > 1 else tin[0]
            feats.append(layer(inp))
        t = len(feats)
        outs: list[Tensor] = []
        for i in range(t):
            if i == t - 1 or i % 2 == 1:
                outs.append(feats[i])
        return torch.cat(outs, dim=1)


@dataclass(slots=True)
class HarDNetConfig(BackboneConfig):
    """Config of :class:`HarDNet` (defaults: HarDNet-68 of Chao 2019).

    Attributes:
        init_filters: channels of the two stem convs.
        init_filter_length: stem kernel (odd).
        filters: transition (1x1 conv) channels after each block.
        growth_rates: growth per block.
        n_layers: layers per harmonic block.
        downsample: whether a stride-2 max-pool follows each block (bools).
        grmul: channel multiplier per extra link.
        filter_length: kernel length inside the blocks (odd).
        activation: activation name.
    """

    init_filters: list[int] = field(default_factory=lambda: [32, 64])
    init_filter_length: int = 15
    filters: list[int] = field(default_factory=lambda: [128, 256, 320, 640, 1024])
    growth_rates: list[int] = field(default_factory=lambda: [14, 16, 20, 40, 160])
    n_layers: list[int] = field(default_factory=lambda: [8, 16, 16, 16, 4])
    downsample: list[bool] = field(default_factory=lambda: [True, False, True, True, False])
    grmul: float = 1.7
    filter_length: int = 7
    activation: str = "relu6"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field."""
        self.init_filters = list(positive_ints("init_filters", self.init_filters, 2))
        self.filters = list(positive_ints("filters", self.filters))
        n = len(self.filters)
        self.growth_rates = list(positive_ints("growth_rates", self.growth_rates, n))
        self.n_layers = list(positive_ints("n_layers", self.n_layers, n))
        self.downsample = per_block("downsample", self.downsample, n, (bool,))
        for name in ("init_filter_length", "filter_length"):
            if check_int(name, getattr(self, name)) % 2 == 0:
                raise ValueError(f"{name} must be odd (samples), got {getattr(self, name)}")
        if not self.grmul > 0:
            raise ValueError(f"grmul must be > 0, got {self.grmul}")
        get_activation(self.activation)


class HarDNet(SeqBackbone):
    """HarDNet backbone.

    Args:
        in_channels: number of input leads.
        config: a :class:`HarDNetConfig` or a mapping of its fields.
    """

    def __init__(self, in_channels: int, config: HarDNetConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(HarDNetConfig, config, in_channels)
        act, k0 = cfg.activation, cfg.init_filter_length
        f0, f1 = cfg.init_filters
        stages: list[nn.Module] = [
            SeqLenSequential(
                Conv_Bn_Activation(in_channels, f0, k0, 2, activation=act),
                Conv_Bn_Activation(f0, f1, k0, activation=act),
                Pool1d(3, 2, 1, "max"),
            )
        ]
        ch = f1
        for i, f in enumerate(cfg.filters):
            blk = HarDBlock(
                ch, cfg.n_layers[i], cfg.growth_rates[i], cfg.grmul, cfg.filter_length, act
            )
            layers: list[nn.Module] = [
                blk,
                Conv_Bn_Activation(blk.out_channels, f, 1, activation=act),
            ]
            if cfg.downsample[i]:  # type: ignore[index]
                layers.append(Pool1d(2, 2, 0, "max"))
            stages.append(SeqLenSequential(*layers))
            ch = f
        self.stages = SeqLenSequential(*stages)
        self.out_channels = ch


def hardnet68_config() -> HarDNetConfig:
    """HarDNet-68 (Chao 2019), block kernel 7 at 500 Hz."""
    return HarDNetConfig()


def hardnet39ds_config() -> HarDNetConfig:
    """A light HarDNet (HarDNet-39-like depths)."""
    return HarDNetConfig(
        init_filters=[24, 48],
        filters=[96, 192, 384, 512],
        growth_rates=[16, 20, 40, 80],
        n_layers=[4, 16, 8, 4],
        downsample=[True, True, True, False],
    )


@register_backbone(hardnet68_config, family="hardnet")
def hardnet68(in_channels: int, config: HarDNetConfig) -> HarDNet:
    """HarDNet-68 for ECG."""
    return HarDNet(in_channels, config)


@register_backbone(hardnet39ds_config, family="hardnet")
def hardnet39(in_channels: int, config: HarDNetConfig) -> HarDNet:
    """Light HarDNet for ECG."""
    return HarDNet(in_channels, config)
