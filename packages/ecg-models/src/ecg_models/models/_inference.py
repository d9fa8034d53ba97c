"""Turn model logits into the typed inference outputs (probabilities, predictions, R-peaks and
wave intervals)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ecg_models.models._common import runs_of
from ecg_models.models.outputs import ClassificationInference, SequenceInference

__all__ = ["classification_inference", "sequence_inference", "as_thresholds"]


def as_thresholds(threshold: float | Sequence[float], n_classes: int) -> np.ndarray:
    """Per-class thresholds in ``[0, 1]`` from a scalar or one value per class."""
    th = np.asarray(threshold, dtype=np.float32)
    if th.ndim == 0:
        th = np.full(n_classes, float(th), dtype=np.float32)
    if th.shape != (n_classes,):
        raise ValueError(
            f"threshold must be a number or one value per class ({n_classes}), got shape {th.shape}"
        )
    if not np.all((th >= 0) & (th <= 1)):
        raise ValueError(f"thresholds must lie in [0, 1], got {th.tolist()}")
    return th


def classification_inference(
    logits: torch.Tensor,
    classes: Sequence[str],
    threshold: float | Sequence[float],
    multilabel: bool,
) -> ClassificationInference:
    """``(batch, n_classes)`` logits to :class:`ClassificationInference`."""
    n = len(classes)
    th = as_thresholds(threshold, n)
    logits = logits.detach().to("cpu", torch.float32)
    if multilabel:
        prob = torch.sigmoid(logits).numpy()
        pred = prob >= th[None, :]
    else:
        prob = torch.softmax(logits, dim=-1).numpy()
        pred = np.zeros_like(prob, dtype=bool)
        pred[np.arange(prob.shape[0]), prob.argmax(axis=-1)] = True
    return ClassificationInference(prob.astype(np.float32), pred, tuple(classes), th)


def sequence_inference(
    logits: torch.Tensor,
    classes: Sequence[str],
    threshold: float,
    fs: float,
    min_duration_ms: float = 0.0,
    background: str | None = "i",
) -> SequenceInference:
    """``(batch, samples, n_classes)`` logits (at the input rate ``fs``) to
    :class:`SequenceInference`.

    One class: sigmoid, ``mask = prob >= threshold``, R-peaks at the centres of the runs lasting
    at least ``min_duration_ms``. Several classes: softmax, ``mask = argmax``, and the runs of
    every class but ``background`` (lasting at least ``min_duration_ms``) as wave intervals.
    """
    logits = logits.detach().to("cpu", torch.float32)
    min_len = max(1, int(round(min_duration_ms * fs / 1000.0)))
    if len(classes) == 1:
        prob = torch.sigmoid(logits).numpy()
        mask = (prob[..., 0] >= threshold).astype(np.int64)
        rpeaks = tuple(
            np.array([(s + e) // 2 for s, e in runs_of(m.astype(bool), min_len)], dtype=np.int64)
            for m in mask
        )
        return SequenceInference(prob, mask, tuple(classes), rpeaks=rpeaks)
    prob = torch.softmax(logits, dim=-1).numpy()
    mask = prob.argmax(axis=-1).astype(np.int64)
    intervals = tuple(
        {c: runs_of(m == k, min_len) for k, c in enumerate(classes) if c != background}
        for m in mask
    )
    return SequenceInference(prob, mask, tuple(classes), intervals=intervals)
