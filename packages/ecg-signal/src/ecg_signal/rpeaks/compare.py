"""Beat-by-beat comparison of R-peak annotations, and the official CPSC2019 QRS score.

:func:`compare` reproduces, pair for pair, the matching rule of
``wfdb.processing.compare_annotations`` (the ``Comparitor`` class of the WFDB Python package,
itself after the beat-by-beat rule of ANSI/AAMI EC57): reference and test annotations are walked in
order; each reference takes the closest not-yet-used test annotation unless the next reference
is strictly closer to it, and a pair counts when ``|test - ref| < tolerance_s * fs`` samples.

:func:`cpsc2019_score` is the QRS-detection score of the China Physiological Signal Challenge
2019 (Gao et al., "An open-access ECG database for algorithm evaluation of QRS detection and heart
rate estimation", J. Med. Imaging Health Inform. 9(9), 2019).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .._validation import check_fs, check_positive

__all__ = [
    "DetectionCounts",
    "RPeakComparison",
    "compare",
    "match_annotations",
    "cpsc2019_score",
    "cpsc2019_record_score",
]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class DetectionCounts:
    """Counts, rates and timing error of detections against reference annotations.

    Attributes:
        tp: matched reference annotations (true positives).
        fp: unmatched test annotations (false positives).
        fn: unmatched reference annotations (false negatives).
        sensitivity: ``tp / (tp + fn)`` (1.0 when there is no reference annotation).
        ppv: positive predictivity ``tp / (tp + fp)`` (1.0 when there is no test annotation).
        f1: ``2 tp / (2 tp + fp + fn)`` (1.0 when both sets are empty: no error).
        mean_error_ms: mean of ``test - ref`` over the matched pairs, in ms (NaN without a pair).
        sd_error_ms: population standard deviation (ddof=0) of ``test - ref`` in ms (NaN without
            a pair).
    """

    tp: int
    fp: int
    fn: int
    sensitivity: float
    ppv: float
    f1: float
    mean_error_ms: float
    sd_error_ms: float

    @classmethod
    def from_matches(cls, tp: int, fp: int, fn: int, errors_ms: Any) -> DetectionCounts:
        """The rates and error statistics of ``tp``, ``fp``, ``fn`` and the matched pairs'
        ``test - ref`` errors (ms, shape ``(tp,)``; pooled over records when they are)."""
        return DetectionCounts(*_rates(tp, fp, fn, errors_ms))


_Rates = tuple[int, int, int, float, float, float, float, float]


def _rates(tp: int, fp: int, fn: int, errors_ms: Any) -> _Rates:
    """``(tp, fp, fn, sensitivity, ppv, f1, mean_error_ms, sd_error_ms)``: the one rule."""
    for name, v in (("tp", tp), ("fp", fp), ("fn", fn)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
            raise ValueError(f"{name} must be a count (integer >= 0), got {v!r}")
    err = np.asarray(errors_ms, dtype=np.float64).ravel()
    if err.size != tp:
        raise ValueError(f"one error per matched pair needed: tp={tp}, {err.size} errors")
    se = tp / (tp + fn) if tp + fn else 1.0
    ppv = tp / (tp + fp) if tp + fp else 1.0
    denom = 2 * tp + fp + fn
    f1 = 2 * tp / denom if denom else 1.0
    mean_ms = float(err.mean()) if err.size else math.nan
    sd_ms = float(err.std()) if err.size else math.nan
    return int(tp), int(fp), int(fn), float(se), float(ppv), float(f1), mean_ms, sd_ms


@dataclass(frozen=True, slots=True)
class RPeakComparison(DetectionCounts):
    """The result of :func:`compare`: the :class:`DetectionCounts` of one record (``fp`` is
    ``n_test - tp``, ``fn`` is ``n_ref - tp``) and which annotations matched.

    Attributes:
        matched_ref: indices into ``ref`` of the matched reference annotations, ascending.
        matched_test: indices into ``test`` of their matching test annotations.
        tolerance_s: the tolerance used, in seconds.
        fs: the sampling rate, in Hz.
    """

    matched_ref: IntArray = field(repr=False)
    matched_test: IntArray = field(repr=False)
    tolerance_s: float
    fs: float


def _as_annotation(x: Any, name: str) -> IntArray:
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of sample indices, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.number) or not np.all(np.isfinite(arr)):
            raise TypeError(f"{name} must hold integer sample indices, got dtype {arr.dtype}")
        if not np.all(arr == np.round(arr)):
            raise TypeError(f"{name} must hold integer sample indices, got non-integer values")
    out = arr.astype(np.int64)
    if out.size > 1 and bool(np.any(np.diff(out) < 0)):
        raise ValueError(f"{name} sample indices must be non-decreasing (sorted)")
    return out


def _as_points(x: Any, name: str) -> npt.NDArray[np.float64]:
    """Finite sample positions in any order (predictions of the CPSC2019 rule), float64."""
    arr = np.asarray(x)
    if arr.ndim > 1 or (arr.ndim == 0 and arr.size):
        arr = arr.ravel()
    if arr.size == 0:
        return np.zeros(0, dtype=np.float64)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must hold sample positions (numbers), got dtype {arr.dtype}")
    out = arr.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must hold finite sample positions, got NaN/inf")
    return out


def _exact(window: float) -> float:
    """``window`` (samples) snapped to the nearest integer when it only misses it by rounding:
    ``0.07 * 100`` is ``7.000000000000001``, and 7 samples must mean 7 (so that a peak 7 samples
    off is outside a strict 0.07 s tolerance at 100 Hz, as with wfdb's integer window 7)."""
    nearest = round(window)
    if abs(window - nearest) <= 1e-9 * max(1.0, abs(window)):
        return float(nearest)
    return window


def match_annotations(ref: Any, test: Any, window: float) -> IntArray:
    """Match test annotations to reference annotations as ``wfdb``'s ``Comparitor.compare`` does.

    Args:
        ref: sorted reference sample indices, shape ``(n_ref,)``.
        test: sorted test sample indices, shape ``(n_test,)``.
        window: a pair matches when ``|test - ref| < window`` (samples, strict).

    Returns:
        int64 array of shape ``(n_ref,)``: for each reference annotation, the index into ``test``
        of its match, or -1.

    The closest test annotation at or after the search start is found with ``np.searchsorted``
    (ties resolved to the earliest index, as wfdb's linear scan does), so the walk is
    ``O(n_ref log n_test)`` instead of wfdb's quadratic worst case, with identical results.
    """
    r = _as_annotation(ref, "ref")
    t = _as_annotation(test, "test")
    n_ref, n_test = r.size, t.size
    match = np.full(n_ref, -1, dtype=np.int64)
    if n_ref == 0 or n_test == 0:
        return match
    # For each ref: first test index with test >= ref (global); searchsorted on sorted input.
    ge = np.searchsorted(t, r, side="left").tolist()
    # First index of each run of equal test values, to reproduce wfdb's earliest-index ties.
    run_start = np.arange(n_test, dtype=np.int64)
    if n_test > 1:
        new_run = np.empty(n_test, dtype=bool)
        new_run[0] = True
        new_run[1:] = t[1:] != t[:-1]
        run_start = np.maximum.accumulate(np.where(new_run, run_start, 0))
    rs = run_start.tolist()
    tl = t.tolist()
    rl = r.tolist()
    ml = match.tolist()

    def closest(i: int, start: int) -> tuple[int, int]:
        # wfdb._get_closest_samp_num: scan test[start:], stop at the first test >= ref.
        ref_s = rl[i]
        k = ge[i]
        if k < start:
            k = start
        if k >= n_test:
            k = n_test - 1
            # every candidate is below ref: the last value wins, earliest among equal values
            j = max(rs[k], start)
            return j, ref_s - tl[j]
        if k == start:
            return k, abs(tl[k] - ref_s)
        j = max(rs[k - 1], start)
        below = ref_s - tl[j]
        above = tl[k] - ref_s
        if above < below:
            return k, above
        return j, below

    ts = 0
    i = 0
    while i < n_ref and ts < n_test:
        c, d = closest(i, ts)
        if i < n_ref - 1:
            c_next, d_next = closest(i + 1, ts)
        else:
            c_next, d_next = -1, 0
        if c == c_next and d_next < d:
            if c and (not i or c - 1 != ml[i - 1]):
                c -= 1
                d = abs(rl[i] - tl[c])
                if d < window:
                    ml[i] = c
                ts = c + 1
        else:
            if d < window:
                ml[i] = c
            ts = c + 1
        i += 1
    return np.asarray(ml, dtype=np.int64)


def compare(ref: Any, test: Any, fs: float, tolerance_s: float = 0.15) -> RPeakComparison:
    """Compare test R-peaks against reference R-peaks beat by beat.

    Args:
        ref: reference sample indices, shape ``(n_ref,)``, sorted.
        test: detected sample indices, shape ``(n_test,)``, sorted.
        fs: sampling rate in Hz.
        tolerance_s: matching tolerance in seconds; a pair matches when
            ``|test - ref| < tolerance_s * fs`` samples (strict, like wfdb's ``window_width``),
            computed exactly: at 100 Hz, 0.07 s is 7 samples and a peak 7 samples off does not
            match.

    Returns:
        An :class:`RPeakComparison`. A record without reference and without detection agrees
        perfectly (sensitivity, PPV and F1 are 1.0; wfdb divides by zero there), as the CPSC2019
        rule scores such a record 1.

    Raises:
        ValueError: unsorted annotations (wfdb refuses them too: "must be monotonically
            increasing"), or a bad ``fs`` / ``tolerance_s``.
        TypeError: non-integer sample indices.

    The matching is that of ``wfdb.processing.compare_annotations(ref, test, window_width)`` with
    ``window_width = tolerance_s * fs`` (see :func:`match_annotations`).
    """
    fs_v = check_fs(fs)
    tol = check_positive(tolerance_s, "tolerance_s", units="s")
    r = _as_annotation(ref, "ref")
    t = _as_annotation(test, "test")
    m = match_annotations(r, t, _exact(tol * fs_v))
    matched_ref = np.flatnonzero(m >= 0).astype(np.int64)
    matched_test = m[matched_ref]
    tp = int(matched_ref.size)
    err_ms = (t[matched_test] - r[matched_ref]).astype(np.float64) * (1000.0 / fs_v)
    return RPeakComparison(
        *_rates(tp, int(t.size - tp), int(r.size - tp), err_ms),
        matched_ref=matched_ref,
        matched_test=matched_test,
        tolerance_s=tol,
        fs=fs_v,
    )


def cpsc2019_record_score(
    ref: Any, pred: Any, fs: float = 500.0, *, thr_s: float = 0.075, duration_s: float = 10.0
) -> tuple[int, int, int, float]:
    """Score one record with the official CPSC2019 QRS rule.

    Reference peaks outside ``[0.5 s, duration_s - 0.5 s]`` are dropped first. For each reference
    ``r_j`` the predictions within ``thr = thr_s * fs`` samples (inclusive) are its hits (one TP, the
    rest FP; none is a FN). Predictions more than ``thr`` away from the references are FP when
    they lie before the first reference (from ``0.5 s + thr``), after the last one (up to
    ``duration_s - 0.5 s - thr``) or between ``r_j`` and ``r_{j+1}`` for ``j >= 1``: as in the
    official scoring code, the gap between the first and the second reference is not searched
    (with a single reference only the span before it is).

    A record without reference peak in the scored span has no error whatever is predicted
    (score 1), as in the official code. ``thr`` is computed exactly (``0.075 * 200`` is 15
    samples). References must be sorted (the rule looks at each reference's neighbours);
    predictions may come in any order.

    Returns:
        ``(tp, fp, fn, score)`` with score 1 (no error), 0.7 (one FP), 0.3 (one FN) or 0.

    Raises:
        ValueError: unsorted references, non-finite predictions, a bad ``fs`` or duration.
    """
    fs_v = check_fs(fs)
    thr = _exact(check_positive(thr_s, "thr_s", units="s") * fs_v)
    dur = check_positive(duration_s, "duration_s", units="s")
    r = _as_annotation(np.asarray(ref).ravel(), "ref").astype(np.float64)
    p = _as_points(pred, "pred")
    r = r[(r >= 0.5 * fs_v) & (r <= (dur - 0.5) * fs_v)]
    tp = fp = fn = 0
    n = r.size
    for j in range(n):
        n_loc = int(np.count_nonzero(np.abs(p - r[j]) <= thr))
        if j == 0:
            lo, hi = 0.5 * fs_v + thr, r[j] - thr
        elif j == n - 1:
            lo, hi = r[j] + thr, (dur - 0.5) * fs_v - thr
        else:
            lo, hi = r[j] + thr, r[j + 1] - thr
        fp += int(np.count_nonzero((p >= lo) & (p <= hi)))
        if n_loc:
            tp += 1
            fp += n_loc - 1
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
    refs: Sequence[Any], preds: Sequence[Any], fs: float = 500.0, *, thr_s: float = 0.075
) -> float:
    """Mean official CPSC2019 QRS score over records (see :func:`cpsc2019_record_score`).

    Args:
        refs: per record, the reference R-peak sample indices.
        preds: per record, the predicted R-peak sample indices (same length as ``refs``).
        fs: sampling rate in Hz (500 Hz in CPSC2019).
        thr_s: the matching window in seconds (0.075 s officially).

    Returns:
        The mean record score in [0, 1].
    """
    if len(refs) != len(preds):
        raise ValueError(
            f"refs and preds must hold the same number of records, got {len(refs)} and {len(preds)}"
        )
    if len(refs) == 0:
        raise ValueError("refs must hold at least one record, got 0")
    if isinstance(fs, bool) or not isinstance(fs, numbers.Real):
        raise TypeError(f"fs must be a real number in Hz, got {fs!r}")
    scores = [cpsc2019_record_score(r, p, fs, thr_s=thr_s)[3] for r, p in zip(refs, preds)]
    return float(np.mean(scores))
