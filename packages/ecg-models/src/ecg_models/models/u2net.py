"""U²-Net (Qin et al., "U²-Net: Going deeper with nested U-structure for salient object
detection", Pattern Recognition 2020) in 1-D: an outer U-Net whose stages are residual U-blocks
(RSU), with side outputs fused by a 1x1 convolution.

Maps ``(batch, leads, samples)`` to logits ``(batch, samples, n_classes)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import torch.nn.functional as nnf
from torch import nn

from ecg_models.layers.conv import Conv_Bn_Activation
from ecg_models.models._common import check_int, check_int_list
from ecg_models.models._config import ConfigMixin
from ecg_models.models._seq_model import SequenceTaskModel, check_seq_fields

__all__ = ["U2NetConfig", "ECG_U2NET", "ECG_U2NET_CONFIG", "RSU"]


def _up_to(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    return nnf.interpolate(x, size=ref.shape[-1], mode="linear", align_corners=False)


class RSU(nn.Module):
    """Residual U-block RSU-``height``: ``(batch, in, samples)`` to ``(batch, out, samples)``.

    ``dilated=True`` gives RSU-xF: no pooling, dilations 1, 2, 4, ... instead.
    """

    def __init__(
        self,
        height: int,
        in_channels: int,
        mid_channels: int,
        out_channels: int,
        kernel_size: int,
        dilated: bool = False,
    ) -> None:
        super().__init__()
        self.height = height
        self.dilated = dilated
        cba = Conv_Bn_Activation  # conv (same padding, no bias), batch norm, ReLU
        self.conv_in = cba(in_channels, out_channels, kernel_size)
        enc = [cba(out_channels, mid_channels, kernel_size)]
        for i in range(1, height - 1):
            enc.append(
                cba(mid_channels, mid_channels, kernel_size, dilation=2**i if dilated else 1)
            )
        self.enc = nn.ModuleList(enc)
        bottom_dil = 2 ** (height - 1) if dilated else 2
        self.bottom = cba(mid_channels, mid_channels, kernel_size, dilation=bottom_dil)
        dec = []
        for i in reversed(range(height - 1)):
            out = out_channels if i == 0 else mid_channels
            dec.append(cba(2 * mid_channels, out, kernel_size, dilation=2**i if dilated else 1))
        self.dec = nn.ModuleList(dec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hx_in: torch.Tensor = self.conv_in(x)
        h = hx_in
        skips: list[torch.Tensor] = []
        for i, layer in enumerate(self.enc):
            if i > 0 and not self.dilated:
                h = nnf.max_pool1d(h, 2, 2, ceil_mode=True)
            h = layer(h)
            skips.append(h)
        h = self.bottom(h)
        for layer in self.dec:
            skip = skips.pop()
            if h.shape[-1] != skip.shape[-1]:
                h = _up_to(h, skip)
            h = layer(torch.cat([h, skip], dim=1))
        out: torch.Tensor = h + hx_in
        return out


@dataclass(slots=True)
class U2NetConfig(ConfigMixin):
    """Config of :class:`ECG_U2NET`.

    Attributes:
        fs: design sampling rate, Hz.
        heights: RSU height of each encoder stage (the decoder mirrors them); a dilated RSU-4F
            sits at the bottom.
        mid_channels: inner channels of each stage (the last one is used by the bottom stage).
        out_channels: output channels of each stage.
        kernel_size: convolution kernel size.
        threshold, min_duration_ms, background: post-processing of ``inference``.
    """

    fs: float = 500.0
    heights: list[int] = field(default_factory=lambda: [7, 6, 5, 4])
    mid_channels: list[int] = field(default_factory=lambda: [16, 16, 32, 32])
    out_channels: list[int] = field(default_factory=lambda: [32, 64, 64, 128])
    kernel_size: int = 9
    threshold: float = 0.5
    min_duration_ms: float = 0.0
    background: str | None = "i"

    def __post_init__(self) -> None:
        check_seq_fields(self)
        self.heights = check_int_list("heights", self.heights, 2)
        self.mid_channels = check_int_list("mid_channels", self.mid_channels)
        self.out_channels = check_int_list("out_channels", self.out_channels)
        n = len(self.heights)
        if n == 0 or len(self.mid_channels) != n or len(self.out_channels) != n:
            raise ValueError(
                "heights, mid_channels and out_channels need one value per stage, got lengths "
                f"{n}, {len(self.mid_channels)}, {len(self.out_channels)}"
            )
        check_int("kernel_size", self.kernel_size)


#: default config of :class:`ECG_U2NET`.
ECG_U2NET_CONFIG = U2NetConfig()


class ECG_U2NET(SequenceTaskModel):
    """1-D U²-Net with side outputs fused by a 1x1 convolution.

    Args:
        classes: class names.
        n_leads: number of input leads.
        config: a :class:`U2NetConfig` or mapping (default :data:`ECG_U2NET_CONFIG`).
    """

    config_class: ClassVar[type[Any]] = U2NetConfig
    config: U2NetConfig

    def __init__(
        self, classes: Sequence[str], n_leads: int, config: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(classes, n_leads, config, **kwargs)
        cfg = self.config
        hs, mids, outs, k = cfg.heights, cfg.mid_channels, cfg.out_channels, cfg.kernel_size
        n = len(hs)
        ins = [n_leads, *outs[:-1]]
        self.enc = nn.ModuleList([RSU(hs[i], ins[i], mids[i], outs[i], k) for i in range(n)])
        self.bottom = RSU(4, outs[-1], mids[-1], outs[-1], k, dilated=True)
        dec_in = [outs[i] + (outs[i + 1] if i + 1 < n else outs[-1]) for i in range(n)]
        self.dec = nn.ModuleList([RSU(hs[i], dec_in[i], mids[i], outs[i], k) for i in range(n)])
        self.side = nn.ModuleList(
            [nn.Conv1d(c, self.n_classes, k, padding=k // 2) for c in [*outs, outs[-1]]]
        )
        self.fuse = nn.Conv1d((n + 1) * self.n_classes, self.n_classes, 1)
        # deepest path: ceil-mode halvings of the outer stages and of the RSU inside them
        self._min_len: int = max(2 ** (i + hs[i] - 2) for i in range(n))

    @property
    def min_input_length(self) -> int:
        """Length that survives the deepest chain of halvings."""
        return self._min_len

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, samples, n_classes)`` (the fused side outputs)."""
        self._check_input(x)
        skips: list[torch.Tensor] = []
        h = x
        for i, stage in enumerate(self.enc):
            if i > 0:
                h = nnf.max_pool1d(h, 2, 2, ceil_mode=True)
            h = stage(h)
            skips.append(h)
        h = self.bottom(nnf.max_pool1d(h, 2, 2, ceil_mode=True))
        sides = [self.side[-1](h)]
        for i in reversed(range(len(self.dec))):
            skip = skips[i]
            h = self.dec[i](torch.cat([_up_to(h, skip), skip], dim=1))
            sides.append(self.side[i](h))
        length = x.shape[-1]
        sides = [
            s
            if s.shape[-1] == length
            else nnf.interpolate(s, size=length, mode="linear", align_corners=False)
            for s in sides
        ]
        out: torch.Tensor = self.fuse(torch.cat(sides, dim=1))
        return out.transpose(1, 2)
