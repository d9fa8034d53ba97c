"""R-peak detection metrics: Se/PPV/F1 with wfdb's matching rule, and the CPSC2019 score.

ecg-train may not import ecg-signal, so the matching rule of ``ecg_signal.rpeaks.compare`` (the
one of ``wfdb.processing.compare_annotations``) is re-implemented here, unchanged.

References:
    CPSC 2019, "Challenging QRS Detection and Heart Rate Estimation from Single-Lead ECG
    Recordings" (J. Med. Imaging Health Inform. 2019), official ``score.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "match_peaks",
    "PeakMatch",
    "cpsc2019_record_score",
    "cpsc2019_score",
    "RPeaksDetectionMetrics",
]


def _as_peaks(x: ArrayLike, name: str) -> NDArray[np.int64]:
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of sample indices, got shape {a.shape}")
    if a.size and not np.all(np.isfinite(a.astype(np.float64))):
        raise ValueError(f"{name} holds non-finite sample indices")
    return np.sort(a.astype(np.int64))


def match_peaks(ref: ArrayLike, test: ArrayLike, window_width: float) -> NDArray[np.int64]:
    """Index into ``test`` matched to each reference peak (-1 when unmatched).

    The rule of ``wfdb.processing.compare_annotations``: walking the reference peaks in order,
    each takes the closest remaining test peak, a test peak nearer to the next reference peak
    goes to that one, and a match needs ``|ref - test| < window_width`` (samples, strict).
    """
    r = _as_peaks(ref, "ref")
    t = _as_peaks(test, "test")
    n_ref, n_test = r.size, t.size
    matched = np.full(n_ref, -1, dtype=np.int64)

    def closest(ri: int, start: int) -> tuple[int, int]:
        best, best_diff = start, abs(int(r[ri]) - int(t[start]))
        for ti in range(start, n_test):
            diff = int(r[ri]) - int(t[ti])
            if abs(diff) < best_diff:
                best, best_diff = ti, abs(diff)
            if diff <= 0:
                break
        return best, best_diff

    ti, ri = 0, 0
    while ri < n_ref and ti < n_test:
        c, d = closest(ri, ti)
        if ri < n_ref - 1:
            c_next, d_next = closest(ri + 1, ti)
        else:
            c_next, d_next = -1, 0
        if c == c_next and d_next < d:
            if c and (not ri or c - 1 != matched[ri - 1]):
                c -= 1
                d = abs(int(r[ri]) - int(t[c]))
                if d < window_width:
                    matched[ri] = c
                ti = c + 1
        else:
            if d < window_width:
                matched[ri] = c
            ti = c + 1
        ri += 1
    return matched


@dataclass(frozen=True, slots=True)
class PeakMatch:
    """Detection counts and rates.

    Attributes:
        tp, fp, fn: counts.
        sensitivity: ``tp / (tp + fn)``; ppv: ``tp / (tp + fp)``; f1: their harmonic mean.
        mean_error_ms, sd_error_ms: mean and SD of ``test - ref`` over matches, in ms.
    """

    tp: int
    fp: int
    fn: int
    sensitivity: float
    ppv: float
    f1: float
    mean_error_ms: float
    sd_error_ms: float


def cpsc2019_record_score(
    ref: ArrayLike, pred: ArrayLike, fs: float, *, tolerance_s: float = 0.075
) -> tuple[int, int, int, float]:
    """``(tp, fp, fn, score)`` of one 10 s record by the official CPSC2019 rule.

    References outside ``[0.5 s, 9.5 s]`` are dropped. A reference with detections within
    ``tolerance_s`` (inclusive) is a TP (extra ones are FPs), else a FN. Detections before the first
    reference (from ``0.5 s + tol``), after the last one (to ``9.5 s - tol``) and between reference
    ``j`` and ``j + 1`` for ``j >= 1`` (more than ``tol`` from both) are FPs; as in the official code
    the gap between the first and the second reference is not checked. Score: 1 without error,
    0.7 with one FP, 0.3 with one FN, 0 otherwise.
    """
    r = np.asarray(ref, dtype=np.float64).ravel()
    a = np.asarray(pred, dtype=np.float64).ravel()
    r = np.sort(r[(r >= 0.5 * fs) & (r <= 9.5 * fs)])
    thr = tolerance_s * fs
    tp = fp = fn = 0
    for j, peak in enumerate(r):
        loc = int(np.count_nonzero(np.abs(a - peak) <= thr))
        if j == 0:
            err = (a >= 0.5 * fs + thr) & (a <= peak - thr)
        elif j == r.size - 1:
            err = (a >= peak + thr) & (a <= 9.5 * fs - thr)
        else:
            err = (a >= peak + thr) & (a <= r[j + 1] - thr)
        fp += int(np.count_nonzero(err))
        if loc:
            tp += 1
            fp += loc - 1
        else:
            fn += 1
    if fn == 0 and fp == 0:
        score = 1.0
    elif fn == 0 and fp == 1:
        score = 0.7
    elif fn == 1 and fp == 0:
        score = 0.3
    else:
        score = 0.0
    return tp, fp, fn, score


def cpsc2019_score(
    refs: Sequence[ArrayLike], preds: Sequence[ArrayLike], fs: float, *, tolerance_s: float = 0.075
) -> float:
    """Mean CPSC2019 record score over records (the challenge's ``QRS_acc``)."""
    if len(refs) != len(preds):
        raise ValueError(f"one prediction per record needed: {len(refs)} refs, {len(preds)} preds")
    if not refs:
        raise ValueError("no record given (0 refs)")
    _check_fs(fs)
    scores = [
        cpsc2019_record_score(r, p, fs, tolerance_s=tolerance_s)[3]
        for r, p in zip(refs, preds, strict=True)
    ]
    return float(np.mean(scores))


def _check_fs(fs: float) -> None:
    if isinstance(fs, bool) or not isinstance(fs, int | float) or not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"fs must be a positive sampling frequency in Hz, got {fs!r}")


@dataclass(slots=True)
class RPeaksDetectionMetrics:
    """R-peak detection metrics over records.

    Attributes:
        fs: sampling frequency in Hz.
        tolerance_s: matching tolerance in seconds (strict, wfdb rule) for Se/PPV/F1.
        cpsc2019_tolerance_s: tolerance of the CPSC2019 score (0.075 s officially).

    ``compute(refs, preds)`` takes one array of sample indices per record and returns a flat dict:
    ``tp, fp, fn, sensitivity, ppv, f1, mean_error_ms, sd_error_ms, cpsc2019_score``.
    """

    fs: float
    tolerance_s: float = 0.15
    cpsc2019_tolerance_s: float = 0.075

    def __post_init__(self) -> None:
        _check_fs(self.fs)
        for name in ("tolerance_s", "cpsc2019_tolerance_s"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not np.isfinite(v) or v <= 0:
                raise ValueError(f"{name} must be a positive duration in seconds, got {v!r}")

    def match(self, refs: Sequence[ArrayLike], preds: Sequence[ArrayLike]) -> PeakMatch:
        """Pooled counts over records with the wfdb matching rule."""
        if len(refs) != len(preds):
            raise ValueError(
                f"one prediction per record needed: {len(refs)} refs, {len(preds)} preds"
            )
        tp = fp = fn = 0
        errors: list[NDArray[np.int64]] = []
        for ref, pred in zip(refs, preds, strict=True):
            r, p = _as_peaks(ref, "ref"), _as_peaks(pred, "pred")
            m = match_peaks(r, p, self.tolerance_s * self.fs)
            ok = m >= 0
            tp += int(ok.sum())
            fn += int((~ok).sum())
            fp += int(p.size - ok.sum())
            errors.append(p[m[ok]] - r[ok])
        err = np.concatenate(errors) * (1000.0 / self.fs) if errors else np.zeros(0)
        se = tp / (tp + fn) if tp + fn else 0.0
        ppv = tp / (tp + fp) if tp + fp else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        mean = float(err.mean()) if err.size else float("nan")
        sd = float(err.std()) if err.size else float("nan")
        return PeakMatch(tp, fp, fn, se, ppv, f1, mean, sd)

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
            refs, preds, self.fs, tolerance_s=self.cpsc2019_tolerance_s
        )
        return out
