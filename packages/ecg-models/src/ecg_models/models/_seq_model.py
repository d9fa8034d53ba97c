"""Shared base of the sequence models whose output is at the input length (U-Net family)."""

from __future__ import annotations

from typing import Any

import torch

from ecg_models.models._base import TaskModel
from ecg_models.models._common import check_float
from ecg_models.models._inference import sequence_inference
from ecg_models.models.outputs import SequenceInference

__all__ = ["SequenceTaskModel", "check_seq_fields"]


def check_seq_fields(config: Any) -> None:
    """Validate the common ``fs``, ``threshold``, ``min_duration_ms``, ``background`` fields."""
    check_float("fs", config.fs, 1e-9, float("inf"))
    check_float("threshold", config.threshold, 0.0, 1.0)
    check_float("min_duration_ms", config.min_duration_ms, 0.0, float("inf"))
    if config.background is not None and not isinstance(config.background, str):
        raise TypeError(f"background must be a class name or None, got {config.background!r}")


class SequenceTaskModel(TaskModel):
    """A task model mapping ``(batch, leads, samples)`` to logits ``(batch, samples, n_classes)``."""

    def compute_output_shape(
        self, seq_len: int | None = None, batch_size: int | None = None
    ) -> tuple[int | None, ...]:
        """``(batch, samples, n_classes)``: outputs are at the input length."""
        return (batch_size, seq_len, self.n_classes)

    @torch.no_grad()
    def inference(self, x: torch.Tensor, threshold: float | None = None) -> SequenceInference:
        """Eval-mode forward and post-processing into :class:`SequenceInference` (R-peaks for
        one class, wave intervals for several)."""
        logits = self._eval_forward(self._as_batch(x))
        cfg = self.config
        th = cfg.threshold if threshold is None else threshold
        return sequence_inference(
            logits, self.classes, float(th), cfg.fs, cfg.min_duration_ms, cfg.background
        )
