"""U-Nets for ECG wave delineation / segmentation: :class:`ECG_UNET` (Ronneberger et al.,
"U-Net", MICCAI 2015; for ECG, Moskalenko et al., "Deep learning for ECG segmentation", 2019)
and :class:`ECG_SUBTRACT_UNET`, whose skip connections subtract the upsampled decoder features
from the encoder features instead of concatenating them (after the CPSC2019 entry packaged in
torch_ecg).

Both map ``(batch, leads, samples)`` to logits ``(batch, samples, n_classes)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import torch.nn.functional as nnf
from torch import nn

from ecg_models.models._common import (
    DoubleConv,
    check_choice,
    check_int,
    check_int_list,
)
from ecg_models.models._config import ConfigMixin
from ecg_models.models._seq_model import SequenceTaskModel, check_seq_fields

__all__ = [
    "UNetConfig",
    "ECG_UNET",
    "ECG_UNET_CONFIG",
    "ECG_SUBTRACT_UNET",
    "ECG_SUBTRACT_UNET_CONFIG",
]

UP_MODES = ("nearest", "linear", "deconv")


@dataclass(slots=True)
class UNetConfig(ConfigMixin):
    """Config of :class:`ECG_UNET` / :class:`ECG_SUBTRACT_UNET`.

    Attributes:
        fs: design sampling rate, Hz.
        init_num_filters: channels of the input block.
        init_filter_length: kernel size of the input block.
        num_filters: channels of each down block (the up blocks mirror them).
        down_scales: pooling factor of each down block.
        filter_lengths: kernel size of each down block (the up blocks mirror them).
        convs_per_block: convolutions per block (2 in the original U-Net, 3 in the subtract U-Net).
        up_mode: ``nearest``/``linear`` interpolation or ``deconv`` (transposed convolution).
        out_filter_length: kernel size of the output convolution.
        activation: activation name.
        threshold, min_duration_ms, background: post-processing of ``inference``.
    """

    fs: float = 500.0
    init_num_filters: int = 4
    init_filter_length: int = 25
    num_filters: list[int] = field(default_factory=lambda: [8, 16, 32, 64])
    down_scales: list[int] = field(default_factory=lambda: [2, 2, 2, 2])
    filter_lengths: list[int] = field(default_factory=lambda: [15, 15, 15, 15])
    convs_per_block: int = 2
    up_mode: str = "nearest"
    out_filter_length: int = 9
    activation: str = "relu"
    threshold: float = 0.5
    min_duration_ms: float = 0.0
    background: str | None = "i"

    def __post_init__(self) -> None:
        check_seq_fields(self)
        check_int("init_num_filters", self.init_num_filters)
        check_int("init_filter_length", self.init_filter_length)
        self.num_filters = check_int_list("num_filters", self.num_filters)
        self.down_scales = check_int_list("down_scales", self.down_scales)
        self.filter_lengths = check_int_list("filter_lengths", self.filter_lengths)
        n = len(self.num_filters)
        if n == 0 or len(self.down_scales) != n or len(self.filter_lengths) != n:
            raise ValueError(
                "num_filters, down_scales and filter_lengths need one value per down block "
                f"(at least one), got lengths {n}, {len(self.down_scales)}, "
                f"{len(self.filter_lengths)}"
            )
        check_int("convs_per_block", self.convs_per_block)
        check_choice("up_mode", self.up_mode, UP_MODES)
        check_int("out_filter_length", self.out_filter_length)


#: default config of :class:`ECG_UNET`: torch_ecg's ``ECG_UNET_VANILLA_CONFIG`` (4 initial
#: filters of length 25, down blocks of 8/16/32/64 filters of length 15).
ECG_UNET_CONFIG = UNetConfig()
#: default config of :class:`ECG_SUBTRACT_UNET` (three convolutions per block).
ECG_SUBTRACT_UNET_CONFIG = UNetConfig(
    init_num_filters=16,
    init_filter_length=9,
    num_filters=[32, 64, 128, 256],
    filter_lengths=[9, 9, 9, 9],
    convs_per_block=3,
)


class _Up(nn.Module):
    """Upsample to the skip's length, merge (concatenate or subtract), then convolve."""

    def __init__(
        self,
        in_channels: int,
        skip_channels: int,
        out_channels: int,
        scale: int,
        kernel_size: int,
        n_convs: int,
        mode: str,
        subtract: bool,
        activation: str,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.subtract = subtract
        self.deconv: nn.Module = nn.Identity()
        up_channels = in_channels
        if mode == "deconv":
            self.deconv = nn.ConvTranspose1d(in_channels, in_channels, scale, stride=scale)
        self.proj: nn.Module = nn.Identity()
        if subtract:
            self.proj = nn.Conv1d(in_channels, skip_channels, 1)
            up_channels = skip_channels
            merged = skip_channels
        else:
            merged = skip_channels + up_channels
        self.conv = DoubleConv(merged, out_channels, kernel_size, n_convs, activation)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        length = skip.shape[-1]
        if self.mode == "deconv":
            x = self.deconv(x)
            if x.shape[-1] < length:
                x = nnf.pad(x, (0, length - x.shape[-1]))
            x = x[..., :length]
        else:
            x = nnf.interpolate(x, size=length, mode=self.mode)
        x = self.proj(x)
        merged = skip - x if self.subtract else torch.cat([skip, x], dim=1)
        out: torch.Tensor = self.conv(merged)
        return out


class ECG_UNET(SequenceTaskModel):
    """1-D U-Net: ``(batch, n_leads, samples)`` to logits ``(batch, samples, n_classes)``.

    Args:
        classes: class names (e.g. ``["p", "N", "t", "i"]`` for LUDB delineation).
        n_leads: number of input leads.
        config: a :class:`UNetConfig` or mapping (default :data:`ECG_UNET_CONFIG`).
    """

    config_class: ClassVar[type[Any]] = UNetConfig
    config: UNetConfig
    _subtract: ClassVar[bool] = False

    def __init__(
        self, classes: Sequence[str], n_leads: int, config: Any = None, **kwargs: Any
    ) -> None:
        if config is None and type(self)._subtract:
            config = ECG_SUBTRACT_UNET_CONFIG
        super().__init__(classes, n_leads, config, **kwargs)
        cfg = self.config
        act = cfg.activation
        k = cfg.convs_per_block
        self.init_block = DoubleConv(n_leads, cfg.init_num_filters, cfg.init_filter_length, k, act)
        chans = [cfg.init_num_filters, *cfg.num_filters]
        self.pools = nn.ModuleList([nn.MaxPool1d(s, s) for s in cfg.down_scales])
        self.down = nn.ModuleList(
            [
                DoubleConv(chans[i], chans[i + 1], cfg.filter_lengths[i], k, act)
                for i in range(len(cfg.num_filters))
            ]
        )
        ups = []
        for i in reversed(range(len(cfg.num_filters))):
            ups.append(
                _Up(
                    chans[i + 1],
                    chans[i],
                    chans[i],
                    cfg.down_scales[i],
                    cfg.filter_lengths[i],
                    k,
                    cfg.up_mode,
                    type(self)._subtract,
                    act,
                )
            )
        self.up = nn.ModuleList(ups)
        self.out_conv = nn.Conv1d(
            cfg.init_num_filters,
            self.n_classes,
            cfg.out_filter_length,
            padding=cfg.out_filter_length // 2,
        )
        self._min_len = math.prod(cfg.down_scales)

    @property
    def min_input_length(self) -> int:
        """The product of the down-sampling factors (samples)."""
        return self._min_len

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, samples, n_classes)``."""
        self._check_input(x)
        h = self.init_block(x)
        skips = [h]
        for pool, block in zip(self.pools, self.down):
            h = block(pool(h))
            skips.append(h)
        skips.pop()
        for up in self.up:
            h = up(h, skips.pop())
        out: torch.Tensor = self.out_conv(h)
        if out.shape[-1] != x.shape[-1]:  # even out_filter_length
            out = out[..., : x.shape[-1]]
        return out.transpose(1, 2)


class ECG_SUBTRACT_UNET(ECG_UNET):
    """U-Net whose skip connections compute ``encoder - project(upsample(decoder))`` before the
    convolutions of each up block; default three convolutions per block
    (:data:`ECG_SUBTRACT_UNET_CONFIG`). Shapes as :class:`ECG_UNET`."""

    config_class: ClassVar[type[Any]] = UNetConfig
    _subtract: ClassVar[bool] = True
