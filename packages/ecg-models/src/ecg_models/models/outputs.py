"""Typed, frozen outputs of ``TaskModel.inference``.

Arrays are numpy arrays on the CPU; batch comes first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["ClassificationInference", "SequenceInference"]


@dataclass(frozen=True, slots=True)
class ClassificationInference:
    """Output of a classifier's ``inference``.

    Attributes:
        prob: class probabilities, shape ``(batch, n_classes)`` (sigmoid when multi-label,
            softmax otherwise).
        pred: boolean predictions, shape ``(batch, n_classes)``: ``prob >= thresholds`` when
            multi-label, one-hot of the arg-max otherwise.
        classes: the class names, in column order.
        thresholds: the per-class thresholds used, shape ``(n_classes,)``.
    """

    prob: NDArray[np.float32]
    pred: NDArray[np.bool_]
    classes: tuple[str, ...]
    thresholds: NDArray[np.float32]

    @property
    def labels(self) -> list[list[str]]:
        """Predicted class names of each record."""
        return [[c for c, p in zip(self.classes, row) if p] for row in self.pred]


@dataclass(frozen=True, slots=True)
class SequenceInference:
    """Output of a sequence model's ``inference`` (per-sample labels at the input length).

    Attributes:
        prob: probabilities, shape ``(batch, samples, n_classes)``.
        mask: class index of every sample, shape ``(batch, samples)`` (for a single class:
            1 where ``prob >= threshold``, else 0).
        classes: the class names.
        rpeaks: for single-class (R-peak / QRS) models, the R-peak sample indices of each record
            (centres of the detected regions), else ``None``.
        intervals: for multi-class (wave delineation) models, for each record a dict
            ``class name -> list of (onset, offset)`` sample indices (offset inclusive), else
            ``None``.
    """

    prob: NDArray[np.float32]
    mask: NDArray[np.int64]
    classes: tuple[str, ...]
    rpeaks: tuple[NDArray[np.int64], ...] | None = None
    intervals: tuple[dict[str, list[tuple[int, int]]], ...] | None = None
