"""The CPSC2020 score: supraventricular (S) and ventricular (V) premature beat detection.

Reference: The 3rd China Physiological Signal Challenge 2020, official ``score_2020.py``
(``CPSC2020_score``, revision of 2020-08-31). For each record and beat type, a reference beat with
a detection within ``0.15 s`` (inclusive) is a TP, else a FN (-5 points); FPs (-1 point) are the
detections minus the TPs (all detections when the record has no reference beat of that type).
The S and V scores are sums over records (0 is perfect, more negative is worse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["CPSC2020Counts", "cpsc2020_record_counts", "cpsc2020_score", "FN_PENALTY", "FP_PENALTY"]

FN_PENALTY = 5
FP_PENALTY = 1


@dataclass(frozen=True, slots=True)
class CPSC2020Counts:
    """Counts of one record and one beat type, and their score ``-FP - 5 FN``."""

    tp: int
    fp: int
    fn: int

    @property
    def score(self) -> int:
        """``-FP - 5 FN`` (0 is perfect)."""
        return -FP_PENALTY * self.fp - FN_PENALTY * self.fn


def cpsc2020_record_counts(
    ref: ArrayLike, pred: ArrayLike, fs: float = 400.0, tolerance_s: float = 0.15
) -> CPSC2020Counts:
    """TP/FP/FN of one record and one beat type by the official rule (see module docstring).

    ``ref`` and ``pred`` are 1-D arrays of beat positions in samples at ``fs`` Hz; a reference
    beat is found when a prediction lies within ``tolerance_s`` seconds of it.
    """
    r = np.asarray(ref, dtype=np.float64).ravel()
    p = np.asarray(pred, dtype=np.float64).ravel()
    if r.size == 0:
        return CPSC2020Counts(0, int(p.size), 0)
    thr = tolerance_s * fs
    hit = np.array([np.any(np.abs(p - x) <= thr) for x in r], dtype=bool)
    tp = int(hit.sum())
    return CPSC2020Counts(tp, int(p.size) - tp, int(r.size) - tp)


def cpsc2020_score(
    s_refs: Sequence[ArrayLike],
    v_refs: Sequence[ArrayLike],
    s_preds: Sequence[ArrayLike],
    v_preds: Sequence[ArrayLike],
    fs: float = 400.0,
    tolerance_s: float = 0.15,
) -> tuple[int, int]:
    """``(S_score, V_score)`` summed over records (sample indices at ``fs`` Hz)."""
    n = len(s_refs)
    if not (len(v_refs) == len(s_preds) == len(v_preds) == n):
        raise ValueError(
            f"one entry per record needed: {n} S refs, {len(v_refs)} V refs, "
            f"{len(s_preds)} S preds, {len(v_preds)} V preds"
        )
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"fs must be a positive sampling frequency in Hz, got {fs!r}")
    s = sum(
        cpsc2020_record_counts(r, p, fs, tolerance_s).score
        for r, p in zip(s_refs, s_preds, strict=True)
    )
    v = sum(
        cpsc2020_record_counts(r, p, fs, tolerance_s).score
        for r, p in zip(v_refs, v_preds, strict=True)
    )
    return int(s), int(v)
