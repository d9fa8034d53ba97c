"""RR-interval features of a single-lead record for rhythm classification (AF: irregular RR).

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

The RR head (:func:`apply_rr_head`) has two parts: a one-hidden-layer network over the
standardised RR features (:func:`rr_log_probs`, class log-probabilities from the rhythm
alone) and a multinomial logistic regression over the network's log-probabilities and
those. Its parameters are a plain mapping (``features``, ``mean``, ``scale``, ``w1``, ``b1``,
``w2``, ``b2``, ``weight``, ``bias``), stored in a pretrained card's config.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "MIN_BEATS",
    "RR_FEATURES",
    "SAMPEN_MAX",
    "apply_rr_head",
    "check_rr_head",
    "rr_features",
    "rr_log_probs",
    "rr_statistics",
]

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
        ``ecg_signal.rpeaks.detect_rpeaks`` (a constant record has no peak).
    """
    import warnings

    from ecg_signal.rpeaks import detect_rpeaks

    x = np.asarray(sig, dtype=np.float64).reshape(-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a constant record: no peak
        peaks = detect_rpeaks(x, fs)
    return rr_statistics(np.asarray(peaks, dtype=np.float64) / float(fs), x.size / float(fs))


def check_rr_head(head: Any, n_classes: int) -> dict[str, npt.NDArray[np.float64]]:
    """The arrays of an RR head mapping, checked.

    Args:
        head: ``{"features": names (must equal RR_FEATURES), "mean": (F,), "scale": (F,) > 0,
            "w1": (H, F), "b1": (H,), "w2": (n_classes, H), "b2": (n_classes,),
            "weight": (n_classes, 2 n_classes), "bias": (n_classes,)}``.
        n_classes: number of classes of the network.

    Raises:
        ValueError: a missing key, other feature names, or arrays of the wrong shape.
    """
    if not hasattr(head, "keys"):
        raise ValueError(f"the RR head must be a mapping, got {type(head).__name__}")
    keys = ("features", "mean", "scale", "w1", "b1", "w2", "b2", "weight", "bias")
    missing = [k for k in keys if k not in head]
    if missing:
        raise ValueError(f"the RR head lacks {missing}")
    if tuple(head["features"]) != RR_FEATURES:
        raise ValueError(
            f"the RR head was fitted on features {list(head['features'])}, not {list(RR_FEATURES)}"
        )
    n_f, k = len(RR_FEATURES), n_classes
    n_h = np.asarray(head["b1"]).shape[0] if np.asarray(head["b1"]).ndim == 1 else -1
    shapes = {
        "mean": (n_f,),
        "scale": (n_f,),
        "w1": (n_h, n_f),
        "b1": (n_h,),
        "w2": (k, n_h),
        "b2": (k,),
        "weight": (k, 2 * k),
        "bias": (k,),
    }
    out: dict[str, npt.NDArray[np.float64]] = {}
    for key, shape in shapes.items():
        arr = np.asarray(head[key], dtype=np.float64)
        if arr.shape != shape or not np.isfinite(arr).all():
            raise ValueError(f"RR head {key!r} must be finite of shape {shape}, got {arr.shape}")
        out[key] = arr
    if np.any(out["scale"] <= 0):
        raise ValueError("RR head 'scale' must be positive")
    return out


def _log_softmax(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    a = a - a.max(axis=-1, keepdims=True)
    out: npt.NDArray[np.float64] = a - np.log(np.exp(a).sum(axis=-1, keepdims=True))
    return out


def rr_log_probs(head: Any, features: Any) -> npt.NDArray[np.float64]:
    """Log-probabilities of the head's feature network: ``log_softmax(w2 @ relu(w1 @ z + b1)
    + b2)`` with ``z = (features - mean) / scale``; ``features`` ``(n, F)`` or ``(F,)``."""
    f = np.asarray(features, dtype=np.float64)
    h = check_rr_head(head, np.asarray(head["b2"]).shape[0])
    if f.shape[-1] != len(RR_FEATURES):
        raise ValueError(f"features of shape {f.shape} are not (..., {len(RR_FEATURES)})")
    z = (f - h["mean"]) / h["scale"]
    hidden = np.maximum(z @ h["w1"].T + h["b1"], 0.0)
    return _log_softmax(hidden @ h["w2"].T + h["b2"])


def apply_rr_head(
    head: Any, probs: Any, features: Any, *, eps: float = 1e-6
) -> npt.NDArray[np.float64]:
    """Class probabilities of the RR head.

    Args:
        head: the head mapping (see :func:`check_rr_head`).
        probs: the network's probabilities, ``(n, classes)`` or ``(classes,)``.
        features: the :data:`RR_FEATURES` vectors, ``(n, F)`` or ``(F,)``.
        eps: floor added before the log of ``probs``.

    Returns:
        ``softmax(weight @ [log(probs + eps), rr_log_probs(features)] + bias)``, the shape
        of ``probs``.
    """
    p = np.asarray(probs, dtype=np.float64)
    h = check_rr_head(head, p.shape[-1])
    f = np.asarray(features, dtype=np.float64)
    if f.shape[-1] != len(RR_FEATURES) or f.shape[:-1] != p.shape[:-1]:
        raise ValueError(f"features of shape {f.shape} do not match probs of shape {p.shape}")
    z = np.concatenate([np.log(p + eps), rr_log_probs(head, f)], axis=-1)
    return np.exp(_log_softmax(z @ h["weight"].T + h["bias"]))
