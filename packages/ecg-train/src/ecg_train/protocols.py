"""Typed protocols through which the trainer talks to models and datasets.

ecg-train depends on neither ecg-models nor ecg-data: anything that satisfies these small
structural protocols can be trained.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch

__all__ = ["ECGModel", "ECGDataset", "DataItem", "validate_item"]


@runtime_checkable
class ECGModel(Protocol):
    """An ``nn.Module``-like ECG model.

    Attributes:
        classes: the class names, in output order.
        n_leads: the number of input leads.

    ``forward`` maps a batch ``(batch, leads, samples)`` to the model's raw output.
    """

    classes: Sequence[str]
    n_leads: int

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The raw output (logits) for a batch ``(batch, leads, samples)``."""
        ...

    def parameters(self, recurse: bool = True) -> Iterator[torch.nn.Parameter]:
        """The trainable parameters, as ``nn.Module.parameters``."""
        ...

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Name -> tensor of the parameters and buffers, as ``nn.Module.state_dict``."""
        ...


@runtime_checkable
class ECGDataset(Protocol):
    """A map-style dataset yielding ``(signals, labels)`` or ``(signals, labels, masks)``."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]: ...


@dataclass(frozen=True, slots=True)
class DataItem:
    """One validated dataset item.

    Attributes:
        signals: float32 tensor of shape ``(leads, samples)``.
        labels: label tensor (one-hot/multi-hot ``(classes,)``, class index ``()``, or per-sample
            ``(samples', classes)``).
        masks: optional per-sample weights for masked losses.
    """

    signals: torch.Tensor
    labels: torch.Tensor
    masks: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.signals, torch.Tensor) or self.signals.ndim != 2:
            shape = getattr(self.signals, "shape", type(self.signals).__name__)
            raise ValueError(f"signals must be a (leads, samples) tensor, got shape {shape}")
        if self.signals.dtype != torch.float32:
            raise TypeError(f"signals must be float32, got {self.signals.dtype}")
        if not isinstance(self.labels, torch.Tensor):
            raise TypeError(f"labels must be a torch.Tensor, got {type(self.labels).__name__}")


def validate_item(
    item: object, *, n_leads: int | None = None, arities: Sequence[int] = (2, 3)
) -> DataItem:
    """Check one dataset item (tuple of 2 or 3 tensors) and wrap it in :class:`DataItem`.

    Args:
        item: what the dataset yielded.
        n_leads: expected number of leads (the model's ``n_leads``), or None to skip the check.
        arities: accepted tuple lengths.

    Raises:
        ValueError: wrong tuple arity, or signals that do not have ``n_leads`` leads.
    """
    if not isinstance(item, tuple | list) or len(item) not in arities:
        got = len(item) if isinstance(item, tuple | list) else type(item).__name__
        raise ValueError(
            f"dataset items must be tuples of {' or '.join(map(str, arities))} tensors "
            f"(signals, labels[, masks]), got arity {got}"
        )
    parts = list(item)
    masks = parts[2] if len(parts) == 3 else None
    out = DataItem(parts[0], parts[1], masks)
    if n_leads is not None and out.signals.shape[0] != n_leads:
        raise ValueError(
            f"signals have {out.signals.shape[0]} leads but the model expects n_leads={n_leads}"
        )
    return out
