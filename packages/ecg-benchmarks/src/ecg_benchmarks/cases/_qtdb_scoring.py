"""Scoring of the qtdb case: boundary marks against QTDB's annotated beats, on one lead or on
the best lead of each beat.

Two protocols share the same matching (one-to-one within the tolerance, the detections kept
only in the window of their wave around an annotated beat, :data:`WINDOWS_S`):

* one lead (:func:`score_boundaries`): every mark of the scored lead counts.
* best beat (:func:`score_best_beat`): QTDB's annotators placed each mark looking at both
  leads together, so one manual mark serves both leads, and single-lead delineators are scored
  on it with the "best beat" (BB) protocol of Martínez et al. ("A wavelet-based ECG delineator:
  evaluation on standard databases", IEEE TBME 51(4), 2004), taken up by Zhang et al. 2005 and
  Vázquez-Seisdedos et al. 2011 and described by Moeyersons et al. ("Automated T wave end
  detection methods", BIOSIGNALS 2017): per beat, the lead whose automatic mark lies nearest
  the manual one is kept. Each lead is scored alone (:func:`beat_scores`: its matches, misses
  and false positives attributed to the annotated beats) and each beat keeps the outcome of
  one lead (:func:`best_beat`); the literature states the rule for the error, the choice
  between leads without a match (fewer false positives) is this module's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "BOUNDARIES",
    "WINDOWS_S",
    "BeatScores",
    "beat_scores",
    "best_beat",
    "best_beat_scores",
    "score_best_beat",
    "score_boundaries",
]

IntArray = npt.NDArray[np.int64]
Marks = dict[str, IntArray]

#: Scored boundary -> (wave, mark) of the delineations.
BOUNDARIES: dict[str, tuple[str, str]] = {
    "P onset": ("p", "onset"),
    "P peak": ("p", "peak"),
    "P offset": ("p", "offset"),
    "QRS onset": ("qrs", "onset"),
    "QRS offset": ("qrs", "offset"),
    "T peak": ("t", "peak"),
    "T offset": ("t", "offset"),
}
#: Where a wave's marks of an annotated beat lie, s from its QRS peak: a detection outside the
#: window of its wave around every annotated beat belongs to a beat the annotator skipped.
WINDOWS_S: dict[str, tuple[float, float]] = {
    "p": (-0.5, 0.0),
    "qrs": (-0.25, 0.25),
    "t": (0.0, 0.7),
}
_METRICS = ("sensitivity", "ppv", "f1", "mean_error_ms", "sd_error_ms")


def _beat_windows(beats: IntArray, wave: str, fs: float) -> list[tuple[float, float]]:
    """The spans where the marks of ``wave`` of the annotated ``beats`` lie (:data:`WINDOWS_S`)."""
    a, b = WINDOWS_S[wave]
    return [(float(r) + a * fs, float(r) + b * fs) for r in beats]


def _inside(v: IntArray, runs: list[tuple[float, float]]) -> IntArray:
    keep = np.zeros(v.size, dtype=bool)
    for a, b in runs:
        keep |= (v >= a) & (v <= b)
    return v[keep]


def score_boundaries(
    refs: list[Marks], preds: list[Marks | None], fs: float, tolerance_ms: float = 150.0
) -> dict[str, dict[str, float]]:
    """Sensitivity, PPV, F1 and error (mean, SD in ms) per boundary over records, one lead.

    Args:
        refs: per record, boundary name (:data:`BOUNDARIES`) -> reference samples, and
            ``"beats"``: the annotated beats (QRS peaks). A detection is scored only inside the
            window of its wave (:data:`WINDOWS_S`) around an annotated beat, so that the beats
            the annotator skipped count for nothing, as in the beat-by-beat evaluation of
            Martínez et al. 2004.
        preds: per record, boundary name -> detected samples; a missing name (or None) means
            the method does not give that boundary (scored as not available).
        fs: sampling rate in Hz; tolerance_ms: the matching tolerance.

    Returns:
        boundary -> ``{"sensitivity", "ppv", "f1", "mean_error_ms", "sd_error_ms", "n_ref"}``
        (NaN everywhere for a boundary the method never gives).
    """
    from ecg_train.metrics.wave_delineation import WaveDelineationMetrics

    keys = {label: label.lower().replace(" ", "_") for label in BOUNDARIES}
    metric = WaveDelineationMetrics(fs=fs, tolerance_ms=tolerance_ms, waves=tuple(keys.values()))
    r_in, p_in = [], []
    given = dict.fromkeys(BOUNDARIES, False)
    for ref, pred in zip(refs, preds, strict=True):
        if "beats" not in ref:
            raise ValueError("each reference needs its annotated beats under 'beats'")
        rr, pp = {}, {}
        for label, key in keys.items():
            r = ref[label]
            p = None if pred is None else pred.get(label)
            given[label] |= p is not None
            windows = _beat_windows(ref["beats"], BOUNDARIES[label][0], fs)
            p = _inside(np.asarray(p if p is not None else [], dtype=np.int64), windows)
            rr[key] = {"onset": r, "offset": r[:0]}
            pp[key] = {"onset": p, "offset": p[:0]}
        r_in.append(rr)
        p_in.append(pp)
    res = metric.compute(r_in, p_in)
    out: dict[str, dict[str, float]] = {}
    for label, key in keys.items():
        k = f"{key}_onset"
        n_ref = res[f"{k}_tp"] + res[f"{k}_fn"]
        if not given[label]:
            out[label] = {m: float("nan") for m in _METRICS}
            out[label]["n_ref"] = n_ref
            continue
        out[label] = {
            "sensitivity": res[f"{k}_sensitivity"],
            "ppv": res[f"{k}_ppv"],
            "f1": res[f"{k}_f1"],
            "mean_error_ms": res[f"{k}_mean_error_ms"],
            "sd_error_ms": res[f"{k}_sd_error_ms"],
            "n_ref": n_ref,
        }
    return out


@dataclass(frozen=True, slots=True)
class BeatScores:
    """One lead's outcome for one boundary of one record, beat by beat.

    Attributes:
        tp, fn, fp: ``(beats,)`` matched references, missed references and unmatched
            detections of each annotated beat.
        abs_error: ``(beats,)`` mean |error| of the beat's matches, samples (inf without one).
        error_beat: ``(matches,)`` the beat of each match.
        error: ``(matches,)`` detection - reference of each match, samples.
    """

    tp: IntArray
    fn: IntArray
    fp: IntArray
    abs_error: npt.NDArray[np.float64]
    error_beat: IntArray
    error: IntArray


def _nearest(v: IntArray, centres: npt.NDArray[np.float64]) -> IntArray:
    """Index of the nearest of the sorted ``centres`` to each of ``v`` (a tie: the earlier)."""
    j = np.clip(np.searchsorted(centres, v), 1, max(centres.size - 1, 1))
    if centres.size == 1:
        return np.zeros(v.size, dtype=np.int64)
    left = np.abs(v - centres[j - 1]) <= np.abs(centres[j] - v)
    return np.where(left, j - 1, j).astype(np.int64)


def beat_scores(
    ref: npt.ArrayLike,
    pred: npt.ArrayLike,
    beats: npt.ArrayLike,
    window: tuple[float, float],
    tolerance: float,
) -> BeatScores:
    """One lead's marks of one boundary scored as :func:`score_boundaries` does, per beat.

    The matching is the record's (one-to-one within ``tolerance`` between the references and
    the detections inside a beat window); a reference and its match belong to the beat whose
    window centre is nearest the reference, an unmatched detection to the beat whose window
    centre is nearest it. Summed over the beats this gives :func:`score_boundaries`' counts.

    Args:
        ref: reference samples of the boundary.
        pred: detected samples of the boundary.
        beats: sorted samples of the annotated beats (QRS peaks), at least one.
        window: where the boundary's marks lie around a beat, samples from it (start, stop).
        tolerance: matching tolerance, samples.
    """
    from ecg_train.metrics.wave_delineation import match_boundaries

    r = np.asarray(ref, dtype=np.int64).ravel()
    b = np.asarray(beats, dtype=np.int64).ravel()
    if b.size == 0:
        raise ValueError("beat_scores needs at least one annotated beat")
    if np.any(np.diff(b) < 0):
        raise ValueError("beats must be sorted")
    lo, hi = window
    p = _inside(np.asarray(pred, dtype=np.int64).ravel(), [(x + lo, x + hi) for x in b.tolist()])
    centres = b.astype(np.float64) + (lo + hi) / 2.0
    ri, pi = match_boundaries(r, p, tolerance)
    order = np.argsort(r[ri], kind="stable")  # the matches in time order
    ri, pi = ri[order], pi[order]
    r_beat = _nearest(r, centres)
    p_beat = _nearest(p, centres)
    n = b.size
    matched_r = np.zeros(r.size, dtype=bool)
    matched_r[ri] = True
    matched_p = np.zeros(p.size, dtype=bool)
    matched_p[pi] = True
    err = p[pi] - r[ri]
    tp = np.bincount(r_beat[ri], minlength=n).astype(np.int64)
    sum_abs = np.bincount(r_beat[ri], weights=np.abs(err).astype(np.float64), minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        abs_error = np.where(tp > 0, sum_abs / np.maximum(tp, 1), np.inf)
    return BeatScores(
        tp=tp,
        fn=np.bincount(r_beat[~matched_r], minlength=n).astype(np.int64),
        fp=np.bincount(p_beat[~matched_p], minlength=n).astype(np.int64),
        abs_error=abs_error.astype(np.float64),
        error_beat=r_beat[ri],
        error=err.astype(np.int64),
    )


def best_beat(leads: Sequence[BeatScores]) -> tuple[BeatScores, IntArray]:
    """Per beat, the outcome of the best lead: more matches, then the smaller mean |error|,
    then fewer false positives, then the lower lead index.

    Returns:
        The kept outcome of every beat, and ``(beats,)`` the lead kept for each.
    """
    if not leads:
        raise ValueError("best_beat needs the scores of at least one lead")
    n = leads[0].tp.size
    if any(s.tp.size != n for s in leads):
        raise ValueError("every lead must be scored on the same beats")
    tp = np.stack([s.tp for s in leads], axis=1)  # (beats, leads)
    fp = np.stack([s.fp for s in leads], axis=1)
    ae = np.stack([s.abs_error for s in leads], axis=1)
    idx = np.broadcast_to(np.arange(len(leads)), tp.shape)
    chosen = np.lexsort((idx, fp, ae, -tp), axis=-1)[:, 0].astype(np.int64)
    rows = np.arange(n)
    errs = [s.error[chosen[s.error_beat] == k] for k, s in enumerate(leads)]
    beats_of = [s.error_beat[chosen[s.error_beat] == k] for k, s in enumerate(leads)]
    order = np.argsort(np.concatenate(beats_of), kind="stable")
    kept = BeatScores(
        tp=tp[rows, chosen],
        fn=np.stack([s.fn for s in leads], axis=1)[rows, chosen],
        fp=fp[rows, chosen],
        abs_error=ae[rows, chosen],
        error_beat=np.concatenate(beats_of)[order].astype(np.int64),
        error=np.concatenate(errs)[order].astype(np.int64),
    )
    return kept, chosen


def _row(scores: Sequence[BeatScores], fs: float) -> dict[str, float]:
    tp = int(sum(int(s.tp.sum()) for s in scores))
    fn = int(sum(int(s.fn.sum()) for s in scores))
    fp = int(sum(int(s.fp.sum()) for s in scores))
    e = np.concatenate([s.error for s in scores] or [np.zeros(0, np.int64)]) * (1000.0 / fs)
    return {
        "sensitivity": tp / (tp + fn) if tp + fn else 0.0,
        "ppv": tp / (tp + fp) if tp + fp else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        "mean_error_ms": float(e.mean()) if e.size else float("nan"),
        "sd_error_ms": float(e.std()) if e.size else float("nan"),
        "n_ref": float(tp + fn),
    }


def best_beat_scores(
    ref: Marks, preds: Sequence[Marks | None], fs: float, tolerance_ms: float = 150.0
) -> dict[str, tuple[BeatScores, IntArray] | None]:
    """Per boundary of one record, the best-beat outcome over the leads' marks ``preds``
    (:func:`best_beat`; None for a boundary no lead gives)."""
    if "beats" not in ref:
        raise ValueError("each reference needs its annotated beats under 'beats'")
    tol = tolerance_ms * fs / 1000.0
    out: dict[str, tuple[BeatScores, IntArray] | None] = {}
    for label, (wave, _) in BOUNDARIES.items():
        marks = [None if p is None else p.get(label) for p in preds]
        if all(m is None for m in marks) or ref["beats"].size == 0:
            out[label] = None
            continue
        a, b = WINDOWS_S[wave]
        per_lead = [
            beat_scores(ref[label], [] if m is None else m, ref["beats"], (a * fs, b * fs), tol)
            for m in marks
        ]
        out[label] = best_beat(per_lead)
    return out


def score_best_beat(
    refs: list[Marks],
    preds: Sequence[Sequence[Marks | None]],
    fs: float,
    tolerance_ms: float = 150.0,
) -> dict[str, dict[str, float]]:
    """:func:`score_boundaries` on the best lead of each beat (the BB protocol).

    Args:
        refs: per record, the references and ``"beats"`` (see :func:`score_boundaries`).
        preds: per record, per lead, boundary name -> detected samples (a missing name or None:
            that lead gives no such boundary).
        fs: sampling rate in Hz; tolerance_ms: the matching tolerance.

    Returns:
        The table of :func:`score_boundaries`; with a single lead the two are equal.
    """
    if len(refs) != len(preds):
        raise ValueError(f"one prediction per record needed: {len(refs)} refs, {len(preds)}")
    kept: dict[str, list[BeatScores]] = {label: [] for label in BOUNDARIES}
    n_ref = dict.fromkeys(BOUNDARIES, 0.0)
    for ref, pred in zip(refs, preds, strict=True):
        for label, res in best_beat_scores(ref, pred, fs, tolerance_ms).items():
            n_ref[label] += float(np.asarray(ref[label]).size)
            if res is not None:
                kept[label].append(res[0])
    out: dict[str, dict[str, float]] = {}
    for label in BOUNDARIES:
        if not kept[label]:
            out[label] = {m: float("nan") for m in _METRICS}
            out[label]["n_ref"] = n_ref[label]
        else:
            out[label] = _row(kept[label], fs)
    return out
