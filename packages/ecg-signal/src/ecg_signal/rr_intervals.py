"""RR-interval features of a single-lead record, for rhythm classification (AF: irregular RR).

:func:`rr_features` gives a fixed-length vector (:data:`RR_FEATURES` names its entries) from
the R-peaks of ecg-signal's detector; :func:`rr_statistics` computes the same statistics from
given R-peak times, so they can be checked by hand on a synthetic RR series.

Definitions (RR in s, ``d`` the successive differences ``RR[i+1] - RR[i]``):

* ``hr``: 60 / median RR (beats per minute); ``rr_mean``, ``rr_median`` (s).
* ``rr_cv``: standard deviation (ddof 0) / mean of RR.
* ``rmssd_n``: sqrt(mean(d**2)) / mean RR (normalised RMSSD).
* ``madsd_n``: median(|d|) / median RR.
* ``pnn_rel``: fraction of ``|d|`` above 10 % of the median RR.
* ``rr_range_n``: (90th - 10th percentile of RR) / median RR.
* ``rr_min_n``, ``rr_max_n``: shortest / longest RR over the median RR (ectopics, pauses).
* ``sd1_sd2``: Poincare SD1 / SD2 (SD1 = std(d) / sqrt(2), SD2 = std(RR[i+1] + RR[i]) / sqrt(2)).
* ``sampen``: sample entropy of the normalised RR series (m = 1, r = 0.2; -log(A / B) with
  B the pairs of length-1 templates within r and A those of length 2, Chebyshev distance;
  :data:`SAMPEN_MAX` when A or B is zero).
* ``tpr``: turning-point ratio of RR (fraction of interior points that are local extrema;
  about 2/3 for an uncorrelated series).
* ``beats_per_s``: R-peaks per second of the record; ``duration``: record length in s.

A series with fewer than :data:`MIN_BEATS` peaks gives ``hr`` 0 and the other RR entries
their neutral values (0, :data:`SAMPEN_MAX` for ``sampen``), so a noisy record still has a
vector.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["MIN_BEATS", "RR_FEATURES", "SAMPEN_MAX", "rr_features", "rr_statistics"]

#: names of the entries of the feature vector, in order
RR_FEATURES: tuple[str, ...] = (
    "hr",
    "rr_mean",
    "rr_median",
    "rr_cv",
    "rmssd_n",
    "madsd_n",
    "pnn_rel",
    "rr_range_n",
    "rr_min_n",
    "rr_max_n",
    "sd1_sd2",
    "sampen",
    "tpr",
    "beats_per_s",
    "duration",
)
#: fewest R-peaks for RR statistics (4 peaks: 3 intervals, 2 differences)
MIN_BEATS = 4
#: sample entropy reported when it is undefined (no matching template pair)
SAMPEN_MAX = 4.0


def _sample_entropy(x: npt.NDArray[np.float64], r: float) -> float:
    """Sample entropy with m = 1 of ``x`` (Chebyshev distance, tolerance ``r``)."""
    n = x.size
    if n < 3:
        return SAMPEN_MAX
    a1 = x[: n - 1]  # templates of length 1 that have a successor
    close1 = np.abs(a1[:, None] - a1[None, :]) <= r
    iu = np.triu_indices(n - 1, 1)
    b = int(close1[iu].sum())
    nxt = x[1:]
    close2 = close1 & (np.abs(nxt[:, None] - nxt[None, :]) <= r)
    a = int(close2[iu].sum())
    if a == 0 or b == 0:
        return SAMPEN_MAX
    return float(min(SAMPEN_MAX, -math.log(a / b)))


def rr_statistics(peaks_s: Any, duration_s: float) -> npt.NDArray[np.float64]:
    """The :data:`RR_FEATURES` vector of R-peak times.

    Args:
        peaks_s: R-peak times in s, sorted, shape ``(n_peaks,)``.
        duration_s: the record length in s (> 0).

    Returns:
        float64 vector of shape ``(len(RR_FEATURES),)``.

    Raises:
        ValueError: ``duration_s`` not positive, or peak times not finite / not increasing.
    """
    t = np.asarray(peaks_s, dtype=np.float64).reshape(-1)
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ValueError(f"duration_s must be a positive number of seconds, got {duration_s!r}")
    if not np.isfinite(t).all() or (t.size > 1 and np.any(np.diff(t) <= 0)):
        raise ValueError("peaks_s must be finite, strictly increasing times in s")
    out = dict.fromkeys(RR_FEATURES, 0.0)
    out["sampen"] = SAMPEN_MAX
    out["beats_per_s"] = t.size / duration_s
    out["duration"] = float(duration_s)
    if t.size >= MIN_BEATS:
        rr = np.diff(t)
        d = np.diff(rr)
        mean, med = float(rr.mean()), float(np.median(rr))
        out["hr"] = 60.0 / med
        out["rr_mean"], out["rr_median"] = mean, med
        out["rr_cv"] = float(rr.std()) / mean
        out["rmssd_n"] = math.sqrt(float(np.mean(d**2))) / mean
        out["madsd_n"] = float(np.median(np.abs(d))) / med
        out["pnn_rel"] = float(np.mean(np.abs(d) > 0.1 * med))
        p10, p90 = np.percentile(rr, [10, 90])
        out["rr_range_n"] = float(p90 - p10) / med
        out["rr_min_n"], out["rr_max_n"] = float(rr.min()) / med, float(rr.max()) / med
        sd1 = float(np.std(d)) / math.sqrt(2.0)
        sd2 = float(np.std(rr[1:] + rr[:-1])) / math.sqrt(2.0)
        out["sd1_sd2"] = sd1 / sd2 if sd2 > 0 else 0.0
        z = (rr - mean) / (float(rr.std()) or 1.0)
        out["sampen"] = _sample_entropy(z, 0.2)
        mid = rr[1:-1]
        turns = ((mid > rr[:-2]) & (mid > rr[2:])) | ((mid < rr[:-2]) & (mid < rr[2:]))
        out["tpr"] = float(turns.mean()) if mid.size else 0.0
    return np.array([out[k] for k in RR_FEATURES], dtype=np.float64)


def rr_features(sig: Any, fs: float) -> npt.NDArray[np.float64]:
    """The :data:`RR_FEATURES` vector of a single-lead record.

    Args:
        sig: ECG of shape ``(samples,)`` (any unit), finite.
        fs: its sampling rate in Hz (>= 50, the R-peak detector's minimum).

    Returns:
        float64 vector of shape ``(len(RR_FEATURES),)`` from the R-peaks of
        :func:`ecg_signal.rpeaks.detect_rpeaks` (a constant record has no peak).
    """
    import warnings

    from .rpeaks import detect_rpeaks

    x = np.asarray(sig, dtype=np.float64).reshape(-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a constant record: no peak
        peaks = detect_rpeaks(x, fs)
    return rr_statistics(np.asarray(peaks, dtype=np.float64) / float(fs), x.size / float(fs))
