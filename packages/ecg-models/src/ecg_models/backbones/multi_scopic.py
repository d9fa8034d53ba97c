"""MultiScopicNet (Cai et al., "Rpeak Detection in ECG with Multi-Scopic CNN", CPSC 2019 winner;
Cai & Hu, Physiol. Meas. 2020): parallel branches of dilated convolutions with different
receptive fields ("scopes"), concatenated along channels.

Branch ``i`` has one block per entry of ``scopes[i]``; block ``j`` stacks one convolution per
dilation in ``scopes[i][j]`` (kernel ``filter_lengths[i][j]``, ``filters[i][j]`` channels), then a
max-pool by ``subsample_lengths[i]`` and dropout. Shapes: ``(batch, in_channels, samples)`` to
``(batch, sum of the branches' last filters, samples_out)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from ecg_models.backbones._base import BackboneConfig, SeqBackbone
from ecg_models.layers.conv import (
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

__all__ = ["MultiScopicBranches", "MultiScopicConfig", "MultiScopicNet", "multi_scopic_config"]


def _nested(name: str, value: Any, depth: int) -> list[Any]:
    if depth == 0:
        return value  # type: ignore[no-any-return]
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise TypeError(f"{name} must be a non-empty nested list (depth {depth}), got {value!r}")
    return [_nested(name, v, depth - 1) for v in value]


@dataclass(slots=True)
class MultiScopicConfig(BackboneConfig):
    """Config of :class:`MultiScopicNet` (nested lists: ``[branch][block]`` or
    ``[branch][block][conv]``).

    Attributes:
        scopes: dilations ``[branch][block][conv]``.
        filter_lengths: odd kernel lengths ``[branch][block]``.
        filters: channels ``[branch][block]``.
        dropouts: dropout ``[branch][block]``.
        subsample_lengths: max-pool factor of every block, per branch.
        groups: convolution groups.
        activation: activation name.
        norm: normalisation name or ``None`` (CPSC2019 model: none, with conv biases).
    """

    scopes: list[list[list[int]]] = field(
        default_factory=lambda: [
            [[1], [1, 1], [1, 1, 1]],
            [[2], [2, 4], [8, 8, 8]],
            [[4], [4, 8], [16, 32, 64]],
        ]
    )
    filter_lengths: list[list[int]] = field(default_factory=lambda: [[11, 7, 5]] * 3)
    filters: list[list[int]] = field(default_factory=lambda: [[96, 192, 384]] * 3)
    dropouts: list[list[float]] = field(default_factory=lambda: [[0.0, 0.2, 0.0]] * 3)
    subsample_lengths: list[int] = field(default_factory=lambda: [2, 2, 2])
    groups: int = 1
    activation: str = "relu"
    norm: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check shapes and values of the nested lists."""
        self.scopes = _nested("scopes", self.scopes, 3)
        nb = len(self.scopes)
        shape = [len(b) for b in self.scopes]
        for name in ("filter_lengths", "filters", "dropouts"):
            v = _nested(name, getattr(self, name), 2)
            if [len(b) for b in v] != shape:
                raise ValueError(f"{name} must have the [branch][block] shape {shape} of scopes")
            setattr(self, name, v)
        for scope in self.scopes:
            for blk in scope:
                for d in blk:
                    check_int("scopes dilation", d)
        for lengths in self.filter_lengths:
            for k in lengths:
                check_int("filter_lengths", k)
                if k % 2 == 0:
                    raise ValueError(f"filter_lengths must be odd (samples), got {k}")
        for chans in self.filters:
            for f in chans:
                check_int("filters", f)
        for drops in self.dropouts:
            for p in drops:
                if not 0.0 <= p < 1.0:
                    raise ValueError(f"dropouts must be in [0, 1), got {p}")
        self.subsample_lengths = list(self.subsample_lengths)
        if len(self.subsample_lengths) != nb:
            raise ValueError(f"subsample_lengths needs one value per branch ({nb})")
        for s in self.subsample_lengths:
            check_int("subsample_lengths", s)
        if any(
            s ** len(b) != self.subsample_lengths[0] ** len(self.scopes[0])
            for s, b in zip(self.subsample_lengths, self.scopes, strict=True)
        ):
            raise ValueError("every branch must subsample by the same total factor")
        check_int("groups", self.groups)
        get_activation(self.activation)
        check_choice("norm", self.norm, ("batch_norm", "instance_norm", "group_norm", None))


class MultiScopicBranches(SeqLenModule):
    """The parallel branches, concatenated along channels (equal lengths by construction)."""

    def __init__(self, in_channels: int, cfg: MultiScopicConfig) -> None:
        super().__init__()
        branches: list[SeqLenSequential] = []
        out = 0
        for i, scope in enumerate(cfg.scopes):
            ch = in_channels
            blocks: list[nn.Module] = []
            for j, dilations in enumerate(scope):
                f = cfg.filters[i][j]
                for d in dilations:
                    g = cfg.groups if ch % cfg.groups == 0 and f % cfg.groups == 0 else 1
                    blocks.append(
                        Conv_Bn_Activation(
                            ch, f, cfg.filter_lengths[i][j], 1, d, g, cfg.norm, cfg.activation
                        )
                    )
                    ch = f
                s = cfg.subsample_lengths[i]
                blocks.append(Pool1d(s, s, 0, "max"))
                if cfg.dropouts[i][j] > 0:
                    blocks.append(nn.Dropout(cfg.dropouts[i][j]))
            branches.append(SeqLenSequential(*blocks))
            out += ch
        self.branches = nn.ModuleList(branches)
        self.out_channels = out

    def output_length(self, seq_len: int) -> int:
        return min(module_output_length(b, seq_len) for b in self.branches)

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, in_channels, samples)`` to ``(batch, out_channels, samples_out)``, the
        branches concatenated along channels."""
        outs: list[Tensor] = [b(x) for b in self.branches]
        n = min(o.shape[-1] for o in outs)
        return torch.cat([o[..., :n] for o in outs], dim=1)


class MultiScopicNet(SeqBackbone):
    """MultiScopicNet backbone (Cai 2020).

    Args:
        in_channels: number of input leads.
        config: a :class:`MultiScopicConfig` or a mapping of its fields.
    """

    def __init__(self, in_channels: int, config: MultiScopicConfig | dict[str, Any]) -> None:
        super().__init__()
        cfg = self._configure(MultiScopicConfig, config, in_channels)
        branches = MultiScopicBranches(in_channels, cfg)
        self.stages = SeqLenSequential(branches)
        self.out_channels = branches.out_channels


def multi_scopic_config() -> MultiScopicConfig:
    """The CPSC2019 configuration (three branches, dilations up to 64, 500 Hz)."""
    return MultiScopicConfig()


def multi_scopic_leadwise_config() -> MultiScopicConfig:
    """Lead-wise variant: convolutions grouped by 12 leads, wider filters."""
    return MultiScopicConfig(filters=[[192, 384, 768]] * 3, groups=12)


@register_backbone(multi_scopic_config, family="multi_scopic")
def multi_scopic(in_channels: int, config: MultiScopicConfig) -> MultiScopicNet:
    """MultiScopicNet (CPSC2019)."""
    return MultiScopicNet(in_channels, config)


@register_backbone(multi_scopic_leadwise_config, family="multi_scopic")
def multi_scopic_leadwise(in_channels: int, config: MultiScopicConfig) -> MultiScopicNet:
    """Lead-wise MultiScopicNet."""
    return MultiScopicNet(in_channels, config)
