"""``ecgsuite``: the package's own vectorised R-peak detector.

The detector follows the classic energy-envelope scheme of Pan & Tompkins ("A real-time QRS
detection algorithm", IEEE Trans. Biomed. Eng. 32(3):230-236, 1985) and its open-source
refinement by Hamilton & Tompkins ("Quantitative investigation of QRS detection rules using the
MIT/BIH arrhythmia database", IEEE Trans. Biomed. Eng. 33(12):1157-1165, 1986), rebuilt from
linear-phase, O(n) blocks so that every stage is a whole-array numpy/scipy call:

1. NaN/inf are bridged by linear interpolation (and no peak is reported inside them).
2. Band-pass: the difference of two centred boxcar means (zero phase; window sums built by
   doubling, ~2 log2(width) vectorised additions). The short boxcars null 50 Hz and 60 Hz
   powerline, the long one removes baseline wander.
3. Energy envelope: the squared slope of the band-passed signal, mean-pooled to ~100 Hz
   (:data:`ENVELOPE_RATE`; the envelope is smooth) and integrated over ~QRS width.
4. Candidates are the envelope maxima at least ``refractory_s`` apart (``scipy.signal.find_peaks``),
   kept when above ``threshold`` times a robust local level: the ``level_percentile`` percentile,
   over ``level_span`` neighbouring ``segment_s`` windows, of the windows' envelope maxima (so a
   few large ectopic beats or artefact bursts do not raise it; flat or missing windows are
   skipped).
5. Search-back (Hamilton & Tompkins): in an RR gap longer than ``searchback_rr`` times the local
   median RR, the largest candidate above ``searchback_threshold * threshold`` is added.
6. Localisation: at the extremum of the band-passed signal within ``search_s`` of the envelope
   peak, on the side of the dominant QRS polarity of the neighbouring beats, unless the beat's
   other extreme is ``polarity_ratio`` times larger (inverted ectopic beats keep their own).
7. T-wave rejection: of two beats closer than ``twave_s``, the one whose peak slope is below
   ``twave_slope_ratio`` times the other's is dropped (beats closer than ``refractory_s``: the
   smaller goes).
8. Template check: a beat is compared with the median beat (Pearson correlation of the
   band-passed ``+-search_s`` windows). It is dropped when it is unlike it
   (correlation < ``template_corr``) and smaller than ``template_keep`` times the typical R
   amplitude, or, whatever its shape, smaller than ``small_amplitude`` times that amplitude;
   but only when removing it leaves an RR interval no longer than ``template_rr`` (unlike
   beats) or ``small_rr`` (small beats) times the median RR, so beats that fit the rhythm stay.

Every stage is vectorised except two loops over beats (not samples): the search-back over long
gaps and the sequential T-wave rule. For speed, steps 2-3 run over
cache-sized chunks (:data:`._fastops.CHUNK` samples, overlapping by the filters' reach, so the
result does not depend on the chunking), the finite-signal case skips the NaN bridging, and
the band-passed signal lives in a per-thread buffer reused between calls (up to
:data:`._fastops.SCRATCH_MAX` samples) rather than in fresh multi-MB arrays, whose page faults cost as
much as the filtering.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.ndimage import median_filter, percentile_filter
from scipy.signal import find_peaks

from ecg_signal._validation import RPEAK_MIN_FS, check_fs
from ecg_signal.config import config_from

from ._fastops import (
    _bandpass_slope2,
    _boxcar,
    _rows,
    _slope2_around,
    _unique_sorted,
)

__all__ = ["EcgSuiteConfig", "DEFAULT_ECGSUITE_CONFIG", "ecgsuite_detect"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(slots=True)
class EcgSuiteConfig:
    """Parameters of the ``ecgsuite`` detector (times in seconds).

    Attributes:
        lowpass_s: widths of the cascaded short boxcars (0.02 s nulls 50 Hz, 1/60 s nulls 60 Hz).
        baseline_s: width of the long boxcar subtracted as baseline (high-pass edge ~ 1/(2 w)).
        integration_s: width of the moving integration of the squared slope (~ QRS width).
        refractory_s: minimal distance between two beats.
        threshold: fraction of the robust local envelope level a candidate must exceed.
        segment_s: length of the windows whose envelope maxima give that level.
        level_span: number of neighbouring windows the median level is taken over.
        searchback_rr: a gap longer than this many local median RR intervals is searched again.
        searchback_threshold: threshold factor (times ``threshold``) used in the search-back.
        twave_s: a beat this close to the previous one is checked for being a T wave.
        twave_slope_ratio: such a beat is dropped when its slope is below this share of the
            previous beat's.
        level_percentile: the percentile (0-100] of the window maxima taken as the level.
        search_s: half-width of the window in which the R-peak extremum is located.
        polarity_ratio: a beat whose other extreme is this many times larger keeps its own
            polarity.
        template_corr: correlation with the median beat below which a beat is "unlike" (0
            disables the template check).
        template_keep: an unlike beat smaller than this share of the typical R amplitude may go.
        template_rr: ... if the RR interval left by its removal is at most this many median RRs.
        small_amplitude: a beat of any shape smaller than this share of the typical R amplitude
            may go (0 disables).
        small_rr: ... if the RR interval left by its removal is at most this many median RRs.
    """

    lowpass_s: tuple[float, ...] = (0.02, 1.0 / 60.0)
    baseline_s: float = 0.12
    integration_s: float = 0.08
    refractory_s: float = 0.2
    threshold: float = 0.35
    segment_s: float = 1.5
    level_span: int = 5
    level_percentile: float = 25.0
    searchback_rr: float = 1.5
    searchback_threshold: float = 0.3
    twave_s: float = 0.3
    twave_slope_ratio: float = 0.4
    search_s: float = 0.05
    polarity_ratio: float = 1.5
    template_corr: float = 0.8
    template_keep: float = 0.7
    template_rr: float = 1.5
    small_amplitude: float = 0.55
    small_rr: float = 1.25

    def __post_init__(self) -> None:
        if not isinstance(self.lowpass_s, tuple | list) or not self.lowpass_s:
            raise TypeError(
                f"lowpass_s must be a non-empty tuple of boxcar widths in s, got {self.lowpass_s!r}"
            )
        self.lowpass_s = tuple(_pos(w, "lowpass_s", "s") for w in self.lowpass_s)
        for name in (
            "baseline_s",
            "integration_s",
            "refractory_s",
            "segment_s",
            "twave_s",
            "search_s",
            "template_rr",
            "small_rr",
            "polarity_ratio",
        ):
            _pos(getattr(self, name), name, "s")
        for name in ("threshold", "searchback_threshold", "twave_slope_ratio", "template_keep"):
            v = _pos(getattr(self, name), name, "")
            if v > 1.0:
                raise ValueError(f"{name} must be a fraction in (0, 1], got {v!r}")
        if _pos(self.searchback_rr, "searchback_rr", "RR intervals") <= 1.0:
            raise ValueError(f"searchback_rr must be > 1 RR interval, got {self.searchback_rr!r}")
        for name in ("template_corr", "small_amplitude"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be a number in [0, 1], got {v!r}")
        if not 0.0 < _pos(self.level_percentile, "level_percentile", "%") <= 100.0:
            raise ValueError(f"level_percentile must be in (0, 100], got {self.level_percentile!r}")
        if isinstance(self.level_span, bool) or not isinstance(self.level_span, int):
            raise TypeError(f"level_span must be an int, got {self.level_span!r}")
        if self.level_span < 1:
            raise ValueError(f"level_span must be >= 1 window, got {self.level_span!r}")
        if self.baseline_s <= max(self.lowpass_s):
            raise ValueError(
                f"baseline_s must exceed every lowpass_s width, got baseline_s={self.baseline_s} s "
                f"and lowpass_s={self.lowpass_s} s"
            )

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any] | EcgSuiteConfig | None = None
    ) -> EcgSuiteConfig:
        """Build a config from a mapping (unknown keys are rejected) or copy a config."""
        if isinstance(config, cls):
            return cls(**asdict(config))
        return config_from(cls, config, "ecgsuite")


def _pos(value: Any, name: str, units: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be finite and > 0 {units}".rstrip() + f", got {value!r}")
    return v


DEFAULT_ECGSUITE_CONFIG = EcgSuiteConfig()
#: the rate (Hz) the energy envelope is computed at (pooled from the full-rate slope)
ENVELOPE_RATE = 100.0

#: beats correlating at least this much with the median beat set the typical R amplitude
CORE_CORR = 0.8


def _fill_nonfinite(x: FloatArray) -> tuple[FloatArray, npt.NDArray[np.bool_] | None]:
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.add.reduce(x)) if x.size else math.nan
    if math.isfinite(total):  # a NaN/inf sample makes the sum non-finite (so does an overflow)
        return x, None
    bad = ~np.isfinite(x)
    if not bad.any():
        return x, None
    good = np.flatnonzero(~bad)
    y = x.copy()
    y[bad] = np.interp(np.flatnonzero(bad), good, x[good])
    return y, bad


def _levels(env2: FloatArray, seg: int, span: int, pct: float) -> tuple[FloatArray, FloatArray]:
    """Robust local level of the squared envelope, per ``seg``-sample window.

    The maxima of the windows are ranked over ``span`` neighbouring windows (the ``pct``
    percentile, so a few large ectopic beats or artefacts do not raise the level). Empty (zero)
    windows take their neighbours' level. Returns ``(levels, window_centres)``.
    """
    n = env2.size
    n_seg = max(1, int(math.ceil(n / seg)))
    full = (n // seg) * seg
    seg_max = np.empty(n_seg)
    if full:
        seg_max[: n // seg] = env2[:full].reshape(-1, seg).max(axis=1)
    if full < n:
        seg_max[-1] = env2[full:].max()
    active = seg_max > 0
    if not active.all():
        idx = np.flatnonzero(active)
        seg_max = np.interp(np.arange(n_seg), idx, seg_max[idx])
    if n_seg > 1 and span > 1:
        size = min(span, n_seg) | 1
        lev = percentile_filter(seg_max, pct, size=size, mode="nearest")
    else:
        lev = seg_max
    centres: FloatArray = (np.arange(n_seg, dtype=np.float64) + 0.5) * seg
    return np.asarray(lev, dtype=np.float64), centres


def ecgsuite_detect(
    sig: FloatArray, fs: float, config: EcgSuiteConfig = DEFAULT_ECGSUITE_CONFIG
) -> IntArray:
    """Detect R-peaks in a 1-D ECG with the ``ecgsuite`` detector (see the module docstring).

    Args:
        sig: float64 signal of shape ``(samples,)``; NaN/inf allowed (bridged, never detected).
        fs: sampling rate in Hz, in [50, 100000] Hz.
        config: detector parameters.

    Returns:
        Sorted unique int64 sample indices of the R-peaks.

    Raises:
        ValueError: ``fs`` outside [50, 100000] Hz.
    """
    fs = check_fs(fs, minimum=RPEAK_MIN_FS)
    x, bad = _fill_nonfinite(np.asarray(sig, dtype=np.float64))  # 1. NaN/inf bridged
    n = x.size
    shift = float(np.median(x[:: max(1, n // 4096)]))

    # 2-3. zero-phase band-pass (cascaded short boxcars minus a long one) and the energy of its
    # slope (squared; its square root is taken at candidates only). The envelope is smooth
    # (integration_s wide): it is computed at ~100 Hz from the mean-pooled squared slope, and
    # candidates are mapped back to the centre of their pooled block.
    k = max(1, int(fs // ENVELOPE_RATE))
    if n < 4 * k:
        k = 1
    m = -(-n // k)  # the last, partial block is padded with its own mean
    lows = tuple(int(round(w * fs)) | 1 for w in config.lowpass_s)
    bp, pooled = _bandpass_slope2(x, shift, lows, int(round(config.baseline_s * fs)) | 1, k)
    # zero-padded so that a beat cut by either end of the record can still be a peak
    env_p = np.empty(m + 2)
    env_p[0] = env_p[-1] = 0.0
    env2 = _boxcar(pooled, int(round(config.integration_s * fs / k)) | 1, out=env_p[1:-1])
    del pooled
    if bad is not None:
        bad_p = np.zeros(m * k, dtype=bool)
        bad_p[:n] = bad
        env2[bad_p.reshape(m, k).any(axis=1)] = 0.0
    top = float(env2.max())
    if not top > 0:
        return np.zeros(0, dtype=np.int64)

    # 4. candidates: envelope maxima >= refractory apart, above an adaptive threshold
    refr = max(1, int(round(config.refractory_s * fs)))
    seg = max(1, int(round(config.segment_s * fs / k)))
    lev2, centres = _levels(env2, seg, config.level_span, config.level_percentile)
    low_f2 = (config.threshold * config.searchback_threshold) ** 2
    floor2 = 1e-12 * top
    # a step threshold never above the interpolated one (min over adjacent windows) prunes the
    # local maxima before find_peaks' distance rule; the exact threshold is applied after, which
    # gives the same peaks as thresholding with the interpolated level directly
    lo_win = lev2.copy()
    if lev2.size > 1:
        lo_win[:-1] = np.minimum(lo_win[:-1], lev2[1:])
        lo_win[1:] = np.minimum(lo_win[1:], lev2[:-1])
    step_w = np.maximum(lo_win * low_f2, floor2)
    step_p = np.empty(m + 2)  # the window values repeated per sample, zero-padded as env_p
    step_p[0] = step_p[-1] = 0.0
    n_full = m // seg
    step_p[1 : 1 + n_full * seg].reshape(n_full, seg)[:] = step_w[:n_full, None]
    step_p[1 + n_full * seg : 1 + m] = step_w[-1]
    cand_raw, _ = find_peaks(env_p, height=step_p, distance=max(1, int(round(refr / k))))
    del step_p
    cand_k: IntArray = np.asarray(cand_raw, dtype=np.int64) - 1
    heights = np.sqrt(env2[cand_k])
    level = np.sqrt(np.interp(cand_k.astype(np.float64), centres, lev2))
    floor = 1e-6 * math.sqrt(top)
    thr_c = level * config.threshold
    keep_c = heights >= np.maximum(thr_c * config.searchback_threshold, floor)
    cand = np.minimum(cand_k[keep_c] * k + k // 2, n - 1)
    heights, thr_c = heights[keep_c], thr_c[keep_c]
    if cand.size == 0:
        return cand
    strong = heights >= thr_c
    beats = cand[strong]

    # 5. search-back over long gaps among weaker candidates
    if beats.size >= 2 and cand.size > beats.size:
        rr = np.diff(beats)
        size = min(9, rr.size) | 1
        rr_med = median_filter(rr.astype(np.float64), size=size, mode="nearest")
        long_gap = np.flatnonzero(rr > config.searchback_rr * rr_med)
        if long_gap.size:
            weak = cand[~strong]
            weak_h = heights[~strong]
            added: list[int] = []
            for g in long_gap.tolist():
                a, b = int(beats[g]) + refr, int(beats[g + 1]) - refr
                lo_i, hi_i = np.searchsorted(weak, [a, b])
                if hi_i > lo_i:
                    k = lo_i + int(np.argmax(weak_h[lo_i:hi_i]))
                    added.append(int(weak[k]))
            if added:
                beats = np.union1d(beats, np.asarray(added, dtype=np.int64))

    # 6. localisation at the band-passed extremum, dominant polarity per neighbourhood
    half = max(1, int(round(config.search_s * fs)))
    win = _rows(bp, beats - half, 2 * half + 1)
    pos = win.max(axis=1)
    neg = -win.min(axis=1)
    score = pos - neg
    if beats.size > 2:
        score = median_filter(score, size=min(7, beats.size) | 1, mode="nearest")
    sign = np.where(score >= 0, 1.0, -1.0)
    # a beat whose opposite extreme clearly dominates (e.g. an inverted ectopic) keeps its own
    flip = np.where(sign > 0, neg > config.polarity_ratio * pos, pos > config.polarity_ratio * neg)
    sign = np.where(flip, -sign, sign)
    loc = np.clip(beats - half + np.argmax(win * sign[:, None], axis=1), 0, n - 1)

    # 7. T-wave / double detection rejection on the localised peaks
    q = max(1, half // 2)
    amp = np.sqrt(_slope2_around(bp, loc, q).max(axis=1))
    out = _reject_close(
        loc.astype(np.int64), amp, refr, int(round(config.twave_s * fs)), config.twave_slope_ratio
    )
    if bad is not None and out.size:
        out = out[~bad[out]]
    out = _unique_sorted(out)
    if (config.template_corr > 0 or config.small_amplitude > 0) and out.size >= 4:  # 8.
        out = _template_check(out, bp, half, config)
    return out


def _template_check(loc: IntArray, bp: FloatArray, half: int, config: EcgSuiteConfig) -> IntArray:
    """Drop extra beats that are unlike the median beat or small (step 8 of the module doc).

    The typical R amplitude is the median peak amplitude of the beats correlating at least
    :data:`CORE_CORR` with the median beat. Only beats whose removal leaves a normal RR interval
    are dropped, so a missed-beat pause is never created.
    """
    raw = _rows(bp, loc - half, 2 * half + 1)
    win = raw - raw.mean(axis=1, keepdims=True)
    tpl = np.median(win, axis=0)
    tpl = tpl - tpl.mean()
    num = win @ tpl
    den = np.sqrt(np.einsum("ij,ij->i", win, win) * float(tpl @ tpl)) + 1e-300
    corr = num / den
    big = np.maximum(raw.max(axis=1), -raw.min(axis=1))
    core = corr >= CORE_CORR
    ref_amp = float(np.median(big[core])) if core.sum() >= 3 else float(np.median(big))
    unlike = corr < config.template_corr
    drop = (unlike & (big < config.template_keep * ref_amp)) | (
        big < config.small_amplitude * ref_amp
    )
    if not drop.any() or (~drop).sum() < 3:
        return loc
    # keep a suspect beat whose removal would leave a pause (it fits the rhythm)
    rr_med = float(np.median(np.diff(loc[~drop])))
    prev = np.concatenate(([loc[0] - rr_med], loc[:-1].astype(np.float64)))
    nxt = np.concatenate((loc[1:].astype(np.float64), [loc[-1] + rr_med]))
    gap = nxt - prev
    drop &= np.where(unlike, gap <= config.template_rr * rr_med, gap <= config.small_rr * rr_med)
    out: IntArray = loc[~drop]
    return out


def _reject_close(
    loc: IntArray, amp: FloatArray, refr: int, twave: int, ratio: float, symmetric: bool = True
) -> IntArray:
    if loc.size < 2:
        return loc
    order = np.argsort(loc, kind="stable")
    loc, amp = loc[order], amp[order]
    gaps = np.diff(loc)
    if not np.any(gaps < twave):
        return loc
    keep: list[int] = [0]
    ll = loc.tolist()
    al = amp.tolist()
    for i in range(1, len(ll)):
        j = keep[-1]
        gap = ll[i] - ll[j]
        if gap < refr:
            if al[i] > al[j]:
                keep[-1] = i
        elif gap < twave and al[i] < ratio * al[j]:
            continue
        elif gap < twave and al[j] < ratio * al[i] and symmetric:
            keep[-1] = i
        else:
            keep.append(i)
    return loc[np.asarray(keep, dtype=np.int64)]
