"""Shared plumbing of the backbone families: config helpers and the length-aware base class.

No ``from __future__ import annotations`` here: TorchScript reads the class annotations of
:class:`SeqBackbone` and needs real types, not strings.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

import torch
from torch import Tensor, nn

from ecg_models.layers.conv import check_int, module_output_length
from ecg_models.registry import Backbone
from ecg_signal.config import config_from

__all__ = [
    "BackboneConfig",
    "LengthAwareBackbone",
    "SeqBackbone",
    "block_counts",
    "check_seq_len",
    "config_from",
    "per_block",
    "positive_ints",
]

C = TypeVar("C")


class _ValidatedConfig(Protocol):
    """A backbone config that re-checks its fields on demand."""

    def validate(self) -> None: ...


V = TypeVar("V", bound=_ValidatedConfig)


class BackboneConfig:
    """Mixin of the backbone configs: ``from_config`` and ``to_dict`` (JSON-serialisable)."""

    __slots__ = ()

    @classmethod
    def from_config(cls: type[C], config: Mapping[str, Any] | C) -> C:
        """Build the config from a plain mapping or copy a config instance."""
        return config_from(cls, config)

    def to_dict(self) -> dict[str, Any]:
        """The config as a plain dict of JSON-serialisable values (tuples become lists)."""

        def conv(v: Any) -> Any:
            if isinstance(v, tuple | list):
                return [conv(i) for i in v]
            return v

        return {f.name: conv(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


def per_block(name: str, value: Any, n: int, types: tuple[type, ...]) -> list[Any]:
    """Expand ``value`` (a scalar of ``types`` or a sequence of ``n`` of them) to ``n`` values.

    Raises:
        ValueError: if a sequence has the wrong length.
        TypeError: if an element has the wrong type.
    """
    if isinstance(value, Sequence) and not isinstance(value, str):
        vals = list(value)
        if len(vals) != n:
            raise ValueError(
                f"{name} must have one value per block ({n}), got {len(vals)}: {value!r}"
            )
    else:
        vals = [value] * n
    for v in vals:
        if (isinstance(v, bool) and bool not in types) or not isinstance(v, types):
            names = [t.__name__ for t in types]
            raise TypeError(f"{name} entries must be of type {names}, got {v!r}")
    return vals


def block_counts(name: str, value: Any) -> list[int]:
    """Validate a non-empty list of block counts per stage (ints ``>= 0``)."""
    if not isinstance(value, list | tuple) or not value:
        raise TypeError(f"{name} must be a non-empty list, got {value!r}")
    return [check_int(name, n, 0) for n in value]


def positive_ints(name: str, value: Any, length: int | None = None) -> tuple[int, ...]:
    """Validate a non-empty sequence of positive ints (optionally of a given length)."""
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) == 0:
        raise TypeError(f"{name} must be a non-empty list of positive ints, got {value!r}")
    if length is not None and len(value) != length:
        raise ValueError(f"{name} must have {length} entries, got {len(value)}: {value!r}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} entries must be positive ints, got {v!r} in {value!r}")
    return tuple(value)


class LengthAwareBackbone(Backbone):
    """Backbone whose output length follows from the input length by :meth:`output_length`;
    gives :meth:`compute_output_shape` and the input check of ``forward``."""

    in_channels: int
    out_channels: int

    def _configure(self, config_cls: type[V], config: Mapping[str, Any] | V, in_channels: int) -> V:
        """Build the config of type ``config_cls`` from ``config`` (mapping or instance, copied),
        validate it again (copy-and-edit may have changed fields), set ``config`` and the checked
        ``in_channels``, and return the config."""
        cfg = config_from(config_cls, config)
        cfg.validate()
        self.config = cfg
        self.in_channels = check_int("in_channels", in_channels)
        return cfg

    def output_length(self, seq_len: int) -> int:
        """Exact output samples for ``seq_len`` input samples (raises if the input is too short)."""
        raise NotImplementedError

    def compute_output_shape(
        self, seq_len: int | None = None, batch_size: int | None = None
    ) -> tuple[int | None, int, int | None]:
        """Shape ``(batch, out_channels, samples_out)`` for ``seq_len`` input samples."""
        n = None if seq_len is None else self.output_length(seq_len)
        return (batch_size, self.out_channels, n)

    @torch.jit.unused
    def check_input(self, x: Tensor) -> None:
        """Raise a clear error for a wrong number of leads or a too short input."""
        if x.ndim != 3:
            raise ValueError(f"input must have shape (batch, leads, samples), got {tuple(x.shape)}")
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"input has {x.shape[1]} leads (channels) but the backbone was built for "
                f"in_channels={self.in_channels}"
            )
        self.output_length(int(x.shape[-1]))


def check_seq_len(seq_len: Any) -> int:
    """``seq_len`` (input samples) as a positive int, else ValueError."""
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 1:
        raise ValueError(f"seq_len must be a positive int (samples), got {seq_len!r}")
    return seq_len


class SeqBackbone(LengthAwareBackbone):
    """Backbone made of ``self.stages`` (an ordered ``nn.Sequential`` of length-aware modules);
    the output length is folded from each module's convolution arithmetic."""

    in_channels: int
    out_channels: int

    def output_length(self, seq_len: int) -> int:
        """Exact output samples for ``seq_len`` input samples (raises if the input is too short)."""
        check_seq_len(seq_len)
        stages = self.stages
        if not isinstance(stages, nn.Module):  # set by every subclass
            raise TypeError(f"{type(self).__name__}.stages must be an nn.Module, got {stages!r}")
        n = module_output_length(stages, seq_len)
        if n < 1:
            raise ValueError(f"input of {seq_len} samples is shorter than the receptive field")
        return n

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, in_channels, samples)`` to ``(batch, out_channels, samples_out)``."""
        if not torch.jit.is_scripting():  # type: ignore[attr-defined]
            self.check_input(x)
        out: Tensor = self.stages(x)  # type: ignore[operator]
        return out
