"""Beat-morphology features of a single-lead record, for rhythm classification: how alike the
beats are (ectopic beats, noise), the width of the QRS complex, the presence of a P wave.

:func:`beat_features` gives a fixed-length vector (:data:`BEAT_FEATURES` names its entries) from
the R-peaks of ecg-signal's detector (or given ones).

The signal is band-passed (:func:`ecg_signal.preprocess.bandpass`, 0.5-40 Hz, order 2) and
cut into beats from :data:`BEAT_PRE_S` before to :data:`BEAT_POST_S` after each R-peak (beats
that do not fit inside the record are left out); each beat minus the median of its first
:data:`BASELINE_S`. The template is the sample-wise median of the beats and ``R`` its absolute
value at the R-peak (its largest absolute value when that is 0; 1 for a flat template).

* ``beat_corr_mean``, ``beat_corr_p10``: mean and 10th percentile of the Pearson correlation
  of each beat with the template (0 for a flat beat); ``beat_corr_low``: fraction of beats
  correlating below 0.9.
* ``beat_resid``: median over the beats of the RMS of (beat - template), over ``R``.
* ``qrs_width``: in s, the span of the template's samples within 0.12 s of the R-peak whose
  absolute first difference exceeds 20 % of its largest one there (from the first to the last
  such difference, inclusive).
* ``p_amp``: the template's largest absolute deviation from the straight line joining its ends
  over the P window (the start of the beat to 0.08 s before the R-peak), over ``R``.
* ``p_corr``: median over the beats of the correlation of their P window with the template's.
* ``r_amp_cv``: coefficient of variation (ddof 0) of the beats' absolute values at the R-peak.
* ``t_amp``: the template's largest absolute value from 0.1 s after the R-peak, over ``R``.
* ``qrs_band_power``: the share of the 5-15 Hz band in the 1-40 Hz power of the band-passed
  record (periodogram; a noisy record has less QRS power).

With fewer than :data:`MIN_BEATS` whole beats every entry but ``qrs_band_power`` is 0.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from ._validation import check_fs

__all__ = ["BEAT_FEATURES", "BEAT_POST_S", "BEAT_PRE_S", "MIN_BEATS", "beat_features"]

#: names of the entries of the feature vector, in order
BEAT_FEATURES: tuple[str, ...] = (
    "beat_corr_mean",
    "beat_corr_p10",
    "beat_corr_low",
    "beat_resid",
    "qrs_width",
    "p_amp",
    "p_corr",
    "r_amp_cv",
    "t_amp",
    "qrs_band_power",
)
#: a beat starts this long before its R-peak, in s
BEAT_PRE_S = 0.3
#: and ends this long after it, in s
BEAT_POST_S = 0.5
#: length of the start of a beat whose median is its baseline, in s
BASELINE_S = 0.05
#: fewest whole beats for the morphology entries
MIN_BEATS = 3


def _corr_rows(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Pearson correlation of each row of ``a`` with ``b`` (broadcast), 0 where one is flat."""
    a = a - a.mean(-1, keepdims=True)
    b = b - b.mean(-1, keepdims=True)
    den = np.sqrt((a * a).sum(-1) * (b * b).sum(-1))
    out: npt.NDArray[np.float64] = np.where(
        den > 0, (a * b).sum(-1) / np.where(den > 0, den, 1.0), 0.0
    )
    return out


def _band_share(y: npt.NDArray[np.float64], fs: float) -> float:
    f = np.fft.rfftfreq(y.size, 1.0 / fs)
    power = np.abs(np.fft.rfft(y - y.mean())) ** 2
    total = float(power[(f >= 1) & (f <= 40)].sum())
    return float(power[(f >= 5) & (f <= 15)].sum()) / total if total > 0 else 0.0


def beat_features(sig: Any, fs: float, peaks: Any = None) -> npt.NDArray[np.float64]:
    """The :data:`BEAT_FEATURES` vector of a single-lead record.

    Args:
        sig: ECG of shape ``(samples,)`` (any unit), finite.
        fs: its sampling rate in Hz (>= 81, so that 40 Hz lies below Nyquist).
        peaks: R-peak sample indices ``(n_peaks,)``; None: those of
            :func:`ecg_signal.rpeaks.detect_rpeaks` (a constant record has no peak).

    Returns:
        float64 vector of shape ``(len(BEAT_FEATURES),)``.

    Raises:
        ValueError: ``sig`` not 1-D or not finite, ``fs`` out of range, peaks not integer.
    """
    from .preprocess import bandpass
    from .preprocess.functional import butter_sos, sosfiltfilt_padlen

    x = np.asarray(sig, dtype=np.float64)
    if x.ndim != 1 or not np.isfinite(x).all():
        raise ValueError(f"sig must be a finite 1-D record (samples,), got shape {x.shape}")
    fs = check_fs(fs, minimum=81.0)  # the band-pass reaches 40 Hz
    if peaks is None:
        from .rpeaks import detect_rpeaks

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a constant record: no peak
            peaks = detect_rpeaks(x, fs)
    p = np.asarray(peaks).reshape(-1)
    if p.size and not np.issubdtype(p.dtype, np.integer):
        raise ValueError(f"peaks must be integer sample indices, got dtype {p.dtype}")
    out = dict.fromkeys(BEAT_FEATURES, 0.0)
    padlen = sosfiltfilt_padlen(butter_sos(0.5, 40.0, fs, 2))
    y = np.asarray(bandpass(x, fs, 0.5, 40.0, order=2), dtype=np.float64) if x.size > padlen else x
    out["qrs_band_power"] = _band_share(y, fs) if x.size > 1 else 0.0
    pre, post = int(round(BEAT_PRE_S * fs)), int(round(BEAT_POST_S * fs))
    p = p.astype(np.int64)
    p = p[(p - pre >= 0) & (p + post < x.size)]
    if p.size < MIN_BEATS:
        return np.array([out[k] for k in BEAT_FEATURES], dtype=np.float64)
    beats = y[p[:, None] + np.arange(-pre, post + 1)[None, :]]
    beats = beats - np.median(beats[:, : int(BASELINE_S * fs)], axis=1, keepdims=True)
    tpl = np.median(beats, axis=0)
    corr = _corr_rows(beats, tpl[None])
    out["beat_corr_mean"] = float(corr.mean())
    out["beat_corr_p10"] = float(np.percentile(corr, 10))
    out["beat_corr_low"] = float(np.mean(corr < 0.9))
    r_amp = float(np.abs(tpl[pre])) or float(np.abs(tpl).max()) or 1.0
    out["beat_resid"] = float(np.median(np.sqrt(np.mean((beats - tpl) ** 2, 1)))) / r_amp
    w = int(round(0.12 * fs))
    slope = np.abs(np.diff(tpl[pre - w : pre + w + 1]))
    steep = np.flatnonzero(slope > 0.2 * slope.max()) if slope.max() > 0 else slope[:0]
    out["qrs_width"] = float(steep[-1] - steep[0] + 1) / fs if steep.size else 0.0
    end = pre - int(round(0.08 * fs))
    pw = tpl[:end]
    out["p_amp"] = float(np.abs(pw - np.linspace(pw[0], pw[-1], pw.size)).max()) / r_amp
    out["p_corr"] = float(np.median(_corr_rows(beats[:, :end], pw[None])))
    r = np.abs(beats[:, pre])
    out["r_amp_cv"] = float(r.std() / r.mean()) if r.mean() > 0 else 0.0
    out["t_amp"] = float(np.abs(tpl[pre + int(0.1 * fs) :]).max()) / r_amp
    return np.array([out[k] for k in BEAT_FEATURES], dtype=np.float64)
