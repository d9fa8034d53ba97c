"""Record-level features of one lead's delineation (its P, QRS and T waves), for rhythm
classification: P waves before the QRS complexes (absent in AF), the PR interval (AV block), the
QRS duration (bundle branch block), the QT interval.

:func:`wave_features` gives a fixed-length vector (:data:`WAVE_FEATURES` names its entries) from
the waves ``{"p": {"onset", "offset"}, "qrs": ..., "t": ...}`` (sorted sample indices, offsets
inclusive), e.g. those of ecg-models' pretrained delineator or of reference annotations.

For QRS ``i`` (onset ``q_on``, offset ``q_off``), its P wave is the last P whose onset lies after
the previous QRS offset, before ``q_on`` and at most :data:`MAX_PR_S` before it; its T wave is a
T whose offset lies after ``q_off`` and before the next QRS onset (the record's end for the last).

* ``p_frac``: fraction of QRS complexes with a P wave.
* ``pr_median``, ``pr_iqr``: median and interquartile range of ``q_on - P onset`` (s).
* ``p_dur_median``: median P duration (offset - onset + 1 samples, in s).
* ``qrs_dur_median``, ``qrs_dur_p90``: median and 90th percentile of the QRS durations (s).
* ``t_frac``: fraction of QRS complexes with a T wave.
* ``qt_median``: median of (first T offset - ``q_on``) over the QRS with a T wave and a next
  QRS (s); ``qt_rr``: median of those QT over the square root of the RR interval to the next
  QRS onset (Bazett's QTc, s^0.5).

Entries without the waves they need are 0 (all of them with fewer than 2 QRS complexes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from ._validation import check_fs

__all__ = ["MAX_PR_S", "WAVE_FEATURES", "wave_features"]

#: names of the entries of the feature vector, in order
WAVE_FEATURES: tuple[str, ...] = (
    "p_frac",
    "pr_median",
    "pr_iqr",
    "qrs_dur_median",
    "qrs_dur_p90",
    "t_frac",
    "qt_median",
    "qt_rr",
    "p_dur_median",
)
#: the longest QRS onset - P onset of a P wave that belongs to the QRS, in s
MAX_PR_S = 0.4


def _wave(waves: Mapping[str, Any], name: str, key: str) -> npt.NDArray[np.int64]:
    try:
        arr = np.asarray(waves[name][key]).reshape(-1)
    except (KeyError, TypeError) as err:
        raise ValueError(f"waves must map 'p', 'qrs', 't' to onset/offset arrays: {err}") from err
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"waves[{name!r}][{key!r}] must be integer sample indices")
    return arr.astype(np.int64)


def wave_features(waves: Mapping[str, Any], fs: float, n_samples: int) -> npt.NDArray[np.float64]:
    """The :data:`WAVE_FEATURES` vector of one lead's waves.

    Args:
        waves: ``{"p": {"onset": (n,), "offset": (n,)}, "qrs": ..., "t": ...}``, sorted sample
            indices (offsets inclusive), as the delineator returns.
        fs: the sampling rate of the indices in Hz.
        n_samples: length of the record in samples.

    Returns:
        float64 vector of shape ``(len(WAVE_FEATURES),)``.

    Raises:
        ValueError: a missing wave or key, non-integer indices, ``fs`` outside the sampling-rate range.
    """
    fs = check_fs(fs)
    q_on, q_off = _wave(waves, "qrs", "onset"), _wave(waves, "qrs", "offset")
    p_on, p_off = _wave(waves, "p", "onset"), _wave(waves, "p", "offset")
    t_off = _wave(waves, "t", "offset")
    out = dict.fromkeys(WAVE_FEATURES, 0.0)
    if q_on.size < 2:
        return np.array([out[k] for k in WAVE_FEATURES], dtype=np.float64)
    prev_off = np.concatenate([[-1], q_off[:-1]])
    next_on = np.concatenate([q_on[1:], [int(n_samples)]])
    pr: list[float] = []
    p_dur: list[float] = []
    qt: list[float] = []
    qt_rr: list[float] = []
    with_t = 0
    for i in range(q_on.size):
        own = (p_on < q_on[i]) & (p_on > prev_off[i]) & (q_on[i] - p_on <= MAX_PR_S * fs)
        if own.any():
            j = np.flatnonzero(own)[-1]
            pr.append((q_on[i] - p_on[j]) / fs)
            p_dur.append((p_off[j] - p_on[j] + 1) / fs)
        t = np.flatnonzero((t_off > q_off[i]) & (t_off < next_on[i]))
        if t.size:
            with_t += 1
            if i + 1 < q_on.size:
                v = (t_off[t[0]] - q_on[i]) / fs
                qt.append(v)
                qt_rr.append(v / math.sqrt((q_on[i + 1] - q_on[i]) / fs))
    out["p_frac"] = len(pr) / q_on.size
    if pr:
        q75, q25 = np.percentile(pr, [75, 25])
        out["pr_median"], out["pr_iqr"] = float(np.median(pr)), float(q75 - q25)
        out["p_dur_median"] = float(np.median(p_dur))
    qrs_dur = (q_off - q_on + 1) / fs
    out["qrs_dur_median"] = float(np.median(qrs_dur))
    out["qrs_dur_p90"] = float(np.percentile(qrs_dur, 90))
    out["t_frac"] = with_t / q_on.size
    if qt:
        out["qt_median"], out["qt_rr"] = float(np.median(qt)), float(np.median(qt_rr))
    return np.array([out[k] for k in WAVE_FEATURES], dtype=np.float64)
