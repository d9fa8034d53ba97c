"""R-peak detection metrics over records: pooled Se/PPV/F1 and timing error, and the CPSC2019
score.

The rules live once, in :mod:`ecg_signal.rpeaks`: the beat-by-beat matching of
``wfdb.processing.compare_annotations`` (:func:`ecg_signal.rpeaks.compare`) and the official
CPSC2019 QRS score (:func:`ecg_signal.rpeaks.cpsc2019_record_score`); this module pools them
over records. ``cpsc2019_score`` and ``cpsc2019_record_score`` are ecg-signal's, re-exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ecg_signal._validation import check_fs, check_positive
from ecg_signal.rpeaks.compare import (
    DetectionCounts,
    compare,
    cpsc2019_record_score,
    cpsc2019_score,
)

__all__ = [
    "PeakMatch",
    "cpsc2019_record_score",
    "cpsc2019_score",
    "RPeaksDetectionMetrics",
]


#: Detection counts and rates pooled over records (ecg-signal's :class:`DetectionCounts`).
PeakMatch = DetectionCounts


@dataclass(slots=True)
class RPeaksDetectionMetrics:
    """R-peak detection metrics over records.

    Attributes:
        fs: sampling frequency in Hz.
        tolerance_s: matching tolerance in seconds (strict, wfdb rule) for Se/PPV/F1.
        cpsc2019_tolerance_s: tolerance of the CPSC2019 score (0.075 s officially).

    ``compute(refs, preds)`` takes one sorted array of sample indices per record and returns a
    flat dict: ``tp, fp, fn, sensitivity, ppv, f1, mean_error_ms, sd_error_ms, cpsc2019_score``.
    """

    fs: float
    tolerance_s: float = 0.15
    cpsc2019_tolerance_s: float = 0.075

    def __post_init__(self) -> None:
        self.fs = check_fs(self.fs)
        for name in ("tolerance_s", "cpsc2019_tolerance_s"):
            setattr(self, name, check_positive(getattr(self, name), name, units="s"))

    def match(self, refs: Sequence[ArrayLike], preds: Sequence[ArrayLike]) -> PeakMatch:
        """Pooled counts over records with the wfdb matching rule (per record)."""
        if len(refs) != len(preds):
            raise ValueError(
                f"one prediction per record needed: {len(refs)} refs, {len(preds)} preds"
            )
        tp = fp = fn = 0
        errors: list[NDArray[np.float64]] = [np.zeros(0)]
        for ref, pred in zip(refs, preds, strict=True):
            c = compare(ref, pred, self.fs, tolerance_s=self.tolerance_s)
            tp, fp, fn = tp + c.tp, fp + c.fp, fn + c.fn
            r = np.asarray(ref, dtype=np.int64)
            t = np.asarray(pred, dtype=np.int64)
            errors.append((t[c.matched_test] - r[c.matched_ref]).astype(np.float64))
        return DetectionCounts.from_matches(tp, fp, fn, np.concatenate(errors) * (1000.0 / self.fs))

    def compute(self, refs: Sequence[ArrayLike], preds: Sequence[ArrayLike]) -> dict[str, float]:
        """Flat metric dict (see class docstring)."""
        m = self.match(refs, preds)
        out = {
            "tp": float(m.tp),
            "fp": float(m.fp),
            "fn": float(m.fn),
            "sensitivity": m.sensitivity,
            "ppv": m.ppv,
            "f1": m.f1,
            "mean_error_ms": m.mean_error_ms,
            "sd_error_ms": m.sd_error_ms,
        }
        out["cpsc2019_score"] = cpsc2019_score(
            refs, preds, self.fs, thr_s=self.cpsc2019_tolerance_s
        )
        return out
