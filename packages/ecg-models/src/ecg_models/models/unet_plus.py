"""U-Net++ (Zhou et al., "UNet++: A Nested U-Net Architecture for Medical Image Segmentation",
DLMIA 2018) in 1-D: nested, dense skip pathways between encoder and decoder, optional deep
supervision (average of the outputs of the top nodes).

Maps ``(batch, leads, samples)`` to logits ``(batch, samples, n_classes)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import torch.nn.functional as nnf
from torch import nn

from ecg_models.models._common import DoubleConv, check_int, check_int_list
from ecg_models.models._config import ConfigMixin
from ecg_models.models._seq_model import SequenceTaskModel, check_seq_fields

__all__ = ["UNetPlusConfig", "ECG_UNET_PLUS", "ECG_UNET_PLUS_CONFIG"]


@dataclass(slots=True)
class UNetPlusConfig(ConfigMixin):
    """Config of :class:`ECG_UNET_PLUS`.

    Attributes:
        fs: design sampling rate, Hz.
        num_filters: channels of each level (level 0 at full rate); depth = len - 1.
        filter_lengths: kernel size of each level.
        down_scale: pooling factor between levels.
        deep_supervision: average the logits of every top node ``X(0, j)``, ``j >= 1``.
        threshold, min_duration_ms, background: post-processing of ``inference``.
    """

    fs: float = 500.0
    num_filters: list[int] = field(default_factory=lambda: [16, 32, 64, 128])
    filter_lengths: list[int] = field(default_factory=lambda: [9, 9, 9, 9])
    down_scale: int = 2
    deep_supervision: bool = False
    activation: str = "relu"
    threshold: float = 0.5
    min_duration_ms: float = 0.0
    background: str | None = "i"

    def __post_init__(self) -> None:
        check_seq_fields(self)
        self.num_filters = check_int_list("num_filters", self.num_filters)
        self.filter_lengths = check_int_list("filter_lengths", self.filter_lengths)
        if len(self.num_filters) < 2 or len(self.filter_lengths) != len(self.num_filters):
            raise ValueError(
                "num_filters needs at least 2 levels and filter_lengths one value per level, "
                f"got {len(self.num_filters)} and {len(self.filter_lengths)}"
            )
        check_int("down_scale", self.down_scale, 2)
        if not isinstance(self.deep_supervision, bool):
            raise TypeError(f"deep_supervision must be a bool, got {self.deep_supervision!r}")


#: default config of :class:`ECG_UNET_PLUS`.
ECG_UNET_PLUS_CONFIG = UNetPlusConfig()


class ECG_UNET_PLUS(SequenceTaskModel):
    """1-D U-Net++: node ``X(i, j) = conv([X(i, 0), ..., X(i, j-1), up(X(i+1, j-1))])``.

    Args:
        classes: class names.
        n_leads: number of input leads.
        config: a :class:`UNetPlusConfig` or mapping (default :data:`ECG_UNET_PLUS_CONFIG`).
    """

    config_class: ClassVar[type[Any]] = UNetPlusConfig
    config: UNetPlusConfig

    def __init__(
        self, classes: Sequence[str], n_leads: int, config: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(classes, n_leads, config, **kwargs)
        cfg = self.config
        f = cfg.num_filters
        k = cfg.filter_lengths
        self.depth = len(f) - 1
        self.pool = nn.MaxPool1d(cfg.down_scale, cfg.down_scale)
        nodes: dict[str, nn.Module] = {}
        for i in range(self.depth + 1):
            nodes[f"x{i}_0"] = DoubleConv(
                n_leads if i == 0 else f[i - 1], f[i], k[i], 2, cfg.activation
            )
        for j in range(1, self.depth + 1):
            for i in range(self.depth + 1 - j):
                in_ch = f[i] * j + f[i + 1]
                nodes[f"x{i}_{j}"] = DoubleConv(in_ch, f[i], k[i], 2, cfg.activation)
        self.nodes = nn.ModuleDict(nodes)
        n_out = self.depth if cfg.deep_supervision else 1
        self.heads = nn.ModuleList([nn.Conv1d(f[0], self.n_classes, 1) for _ in range(n_out)])
        self._min_len: int = int(cfg.down_scale**self.depth)

    @property
    def min_input_length(self) -> int:
        """``down_scale ** depth`` samples."""
        return self._min_len

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, samples, n_classes)``."""
        self._check_input(x)
        grid: list[list[torch.Tensor]] = [[] for _ in range(self.depth + 1)]
        h = x
        for i in range(self.depth + 1):
            h = self.nodes[f"x{i}_0"](h if i == 0 else self.pool(h))
            grid[i].append(h)
        for j in range(1, self.depth + 1):
            for i in range(self.depth + 1 - j):
                below = grid[i + 1][j - 1]
                up = nnf.interpolate(below, size=grid[i][0].shape[-1], mode="nearest")
                grid[i].append(self.nodes[f"x{i}_{j}"](torch.cat([*grid[i], up], dim=1)))
        if len(self.heads) == 1:
            out: torch.Tensor = self.heads[0](grid[0][self.depth])
        else:
            outs = [head(grid[0][j + 1]) for j, head in enumerate(self.heads)]
            out = torch.stack(outs, dim=0).mean(dim=0)
        return out.transpose(1, 2)
