"""Turn model logits into the typed inference outputs (probabilities, predictions, R-peaks and
wave intervals)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ecg_models.models._common import runs_of
from ecg_models.models.outputs import ClassificationInference, SequenceInference

__all__ = [
    "classification_inference",
    "sequence_inference",
    "as_thresholds",
    "rpeaks_from_prob",
]


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


def rpeaks_from_prob(
    prob: np.ndarray,
    threshold: float,
    fs: float,
    reduction: int = 1,
    min_duration_s: float = 0.0,
    refractory_s: float = 0.0,
    low_threshold: float | None = None,
) -> np.ndarray:
    """R peaks from the per-step QRS probability of a sequence-labelling network.

    Step ``j`` of ``prob`` covers input samples ``[j * reduction, (j + 1) * reduction)``. Each run
    of steps ``a..b-1`` with ``prob >= threshold`` lasting at least ``min_duration_s`` (that is
    ``(b - a) * reduction >= min_duration_s * fs``) is a QRS complex, and its R peak is the
    input sample ``(a + b) * reduction // 2`` (the run's centre). Scanning in time, a peak less
    than ``refractory_s`` after the last kept one is dropped.

    With ``low_threshold`` (hysteresis) the runs are the stretches with ``prob >= low_threshold``
    instead, and a run is kept when it lasts ``min_duration_s`` and its largest probability
    reaches ``threshold``: a QRS complex whose probability passes ``threshold`` for a single
    step but stays above ``low_threshold`` around it is still found.

    Args:
        prob: ``(steps,)`` probabilities at ``fs / reduction``.
        threshold: probability threshold in ``[0, 1]``.
        fs: the input sampling rate in Hz.
        reduction: input samples per output step (``>= 1``).
        min_duration_s, refractory_s: in seconds (``>= 0``).
        low_threshold: in ``[0, threshold]``; ``None`` is ``threshold`` (no hysteresis).

    Returns:
        Sorted unique int64 sample indices at ``fs``.
    """
    p = np.asarray(prob)
    if p.ndim != 1:
        raise ValueError(f"prob must be 1-D (steps,), got shape {p.shape}")
    if isinstance(reduction, bool) or not isinstance(reduction, int | np.integer) or reduction < 1:
        raise ValueError(f"reduction must be an int >= 1, got {reduction!r}")
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    if not fs > 0 or min_duration_s < 0 or refractory_s < 0:
        raise ValueError(
            f"need fs > 0 Hz and durations >= 0 s, got fs={fs}, min_duration_s={min_duration_s}, "
            f"refractory_s={refractory_s}"
        )
    low = float(threshold) if low_threshold is None else float(low_threshold)
    if not 0.0 <= low <= float(threshold):
        raise ValueError(
            f"low_threshold must be in [0, threshold={threshold}], got {low_threshold}"
        )
    r = int(reduction)
    above = np.concatenate([[0], (p >= low).astype(np.int8), [0]])
    d = np.diff(above)
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    keep = (ends - starts) * r >= min_duration_s * fs - 1e-9
    if low < float(threshold) and starts.size:
        # the maximum from each start to the next start is the run's: the rest lies below low
        keep &= np.maximum.reduceat(p, starts) >= threshold
    centres = ((starts[keep] + ends[keep]) * r // 2).astype(np.int64)
    gap = refractory_s * fs
    close = np.diff(centres) < gap
    if centres.size < 2 or gap <= 0 or not close.any():
        return centres
    # a peak at least ``gap`` after its predecessor is kept whatever was dropped before it, so
    # the scan runs only inside the clusters of peaks closer than ``gap`` to their neighbour
    keep = np.ones(centres.size, dtype=bool)
    edges = np.diff(np.concatenate([[0], close.astype(np.int8), [0]]))
    for a, b in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()):
        last = int(centres[a])  # peaks a..b form a cluster; the first one is kept
        for i in range(a + 1, b + 1):
            c = int(centres[i])
            if c - last >= gap:
                last = c
            else:
                keep[i] = False
    out: np.ndarray = centres[keep]
    return out
