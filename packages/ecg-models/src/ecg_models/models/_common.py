"""Building blocks shared by the task models: conv blocks, heads, pooling, validation helpers
and the post-processing of sequence outputs.

The conv-norm-activation block, the activation factory and the int/choice checks are those of
:mod:`ecg_models.layers.conv`, shared with the backbones."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as nnf
from numpy.typing import NDArray
from torch import nn

from ecg_models.layers.conv import Conv_Bn_Activation, check_choice, check_int, get_activation

__all__ = [
    "DoubleConv",
    "AttentionPool",
    "make_global_pool",
    "MLPHead",
    "check_int",
    "check_float",
    "check_choice",
    "check_int_list",
    "min_valid_length",
    "runs_of",
]


def check_float(
    name: str, value: object, low: float, high: float, *, high_open: bool = False
) -> float:
    """``value`` as a float in ``[low, high]`` (or ``[low, high)``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not (low <= v <= high) or (high_open and v >= high):
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be in [{low}, {high}{bracket}, got {value}")
    return v


def check_int_list(name: str, value: object, minimum: int = 1) -> list[int]:
    """``value`` as a list of ints ``>= minimum`` (a tuple is accepted)."""
    if not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a list of ints, got {value!r}")
    return [check_int(f"{name}[{i}]", v, minimum) for i, v in enumerate(value)]


class DoubleConv(nn.Sequential):
    """``n`` conv-batch-norm-activation blocks (:class:`Conv_Bn_Activation`, same padding) in a
    row (two in the U-Net of Ronneberger et al. 2015): ``(batch, in_channels, samples)`` to
    ``(batch, out_channels, samples)`` for odd ``kernel_size``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        n: int = 2,
        activation: str = "relu",
    ) -> None:
        layers = [
            Conv_Bn_Activation(
                in_channels if i == 0 else out_channels,
                out_channels,
                kernel_size,
                activation=activation,
            )
            for i in range(n)
        ]
        super().__init__(*layers)


class AttentionPool(nn.Module):
    """Attention pooling over time: ``softmax(w^T h_t)``-weighted mean.

    ``(batch, channels, samples)`` to ``(batch, channels)``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.score = nn.Conv1d(channels, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.softmax(self.score(x), dim=-1)
        return (x * w).sum(dim=-1)


def make_global_pool(name: str, channels: int) -> nn.Module | None:
    """The global pooling over time named ``name`` (``"max"``, ``"avg"``, ``"attention"``) of
    ``(batch, channels, samples)`` features, or ``None`` for any other name (no pooling)."""
    if name == "max":
        return nn.AdaptiveMaxPool1d(1)
    if name == "avg":
        return nn.AdaptiveAvgPool1d(1)
    if name == "attention":
        return AttentionPool(channels)
    return None


class MLPHead(nn.Sequential):
    """Dropout + linear layers on the last axis: ``(..., in_features)`` to ``(..., out_features)``."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        hidden_sizes: Sequence[int] = (),
        dropout: float = 0.0,
        activation: str = "relu",
    ) -> None:
        layers: list[nn.Module] = []
        prev = in_features
        for h in hidden_sizes:
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            layers += [nn.Linear(prev, h), get_activation(activation)]
            prev = h
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(prev, out_features))
        super().__init__(*layers)


def min_valid_length(out_len: Callable[[int], int], limit: int = 1 << 20) -> int:
    """Smallest input length ``n`` with ``out_len(n) >= 1`` (``out_len`` may raise when too short).

    Assumes ``out_len`` is non-decreasing. Raises ``ValueError`` if none up to ``limit``.
    """

    def ok(n: int) -> bool:
        try:
            return out_len(n) >= 1
        except ValueError:
            return False

    hi = 1
    while not ok(hi):
        hi *= 2
        if hi > limit:
            raise ValueError(f"no input length up to {limit} samples gives a non-empty output")
    lo = hi // 2
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return max(hi, 1)


def runs_of(mask: NDArray[np.bool_], min_len: int = 1) -> list[tuple[int, int]]:
    """``(start, end)`` (end inclusive) of the runs of ``True`` in a 1-D mask of length >= min_len."""
    m = np.asarray(mask, dtype=bool).ravel()
    if m.size == 0:
        return []
    d = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return [(int(s), int(e)) for s, e in zip(starts, ends) if e - s + 1 >= min_len]


def upsample_to(x: torch.Tensor, length: int) -> torch.Tensor:
    """Linear interpolation of ``(batch, channels, samples)`` to ``length`` samples."""
    if x.shape[-1] == length:
        return x
    return nnf.interpolate(x, size=length, mode="linear", align_corners=False)
