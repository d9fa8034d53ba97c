"""The official CPSC2019 QRS score (the challenge's ``score.py``), used by the cpsc2019 case.

Reference: The 2nd China Physiological Signal Challenge (CPSC 2019), "Challenging QRS Detection and
Heart Rate Estimation from Single-Lead ECG Recordings", scoring code ``score.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["QRSRecordScore", "qrs_record_score", "qrs_score"]


@dataclass(frozen=True, slots=True)
class QRSRecordScore:
    tp: int
    fp: int
    fn: int
    score: float


def qrs_record_score(
    ref: npt.ArrayLike, pred: npt.ArrayLike, fs: float, *, tolerance_s: float = 0.075
) -> QRSRecordScore:
    """Score one record exactly as the official CPSC2019 ``score.py``.

    Reference peaks outside ``[0.5 s, 9.5 s]`` are dropped (the official ``load_ans``). A reference
    peak with a detection within ``tolerance_s`` is a TP (extra detections there are FPs), one
    without is a FN; detections in the gaps between consecutive reference peaks (more than
    ``tolerance_s`` from both) are FPs. As in the official code, the gap checked for the first
    reference peak runs from ``0.5 s + tolerance`` to it, the gap after the last one runs to
    ``9.5 s - tolerance``, and, with more than one reference peak, the gap between the first and the
    second is not checked. The record scores 1 with no error, 0.7 with one FP, 0.3 with one FN,
    and 0 otherwise.
    """
    r = np.asarray(ref, dtype=np.int64).ravel()
    a = np.asarray(pred, dtype=np.float64).ravel()
    r = r[(r >= 0.5 * fs) & (r <= 9.5 * fs)]
    thr = tolerance_s * fs
    tp = fp = fn = 0
    for j, peak in enumerate(r):
        loc = np.flatnonzero(np.abs(a - peak) <= thr)
        if j == 0:
            err = np.flatnonzero((a >= 0.5 * fs + thr) & (a <= peak - thr))
        elif j == len(r) - 1:
            err = np.flatnonzero((a >= peak + thr) & (a <= 9.5 * fs - thr))
        else:
            err = np.flatnonzero((a >= peak + thr) & (a <= r[j + 1] - thr))
        fp += len(err)
        if len(loc) >= 1:
            tp += 1
            fp += len(loc) - 1
        else:
            fn += 1
    if fn + fp > 1:
        score = 0.0
    elif fn == 1 and fp == 0:
        score = 0.3
    elif fn == 0 and fp == 1:
        score = 0.7
    else:
        score = 1.0
    return QRSRecordScore(tp=tp, fp=fp, fn=fn, score=score)


def qrs_score(
    refs: Sequence[npt.ArrayLike],
    preds: Sequence[npt.ArrayLike],
    fs: float,
    *,
    tolerance_s: float = 0.075,
) -> float:
    """The mean of :func:`qrs_record_score` over records (the challenge's ``QRS_acc``)."""
    if len(refs) != len(preds):
        raise ValueError(
            f"refs and preds must have one entry per record, got {len(refs)} and {len(preds)}"
        )
    if not refs:
        raise ValueError("at least one record is needed to compute the QRS score")
    scores = [
        qrs_record_score(r, p, fs, tolerance_s=tolerance_s).score for r, p in zip(refs, preds)
    ]
    return float(np.mean(scores))
