"""Numpy/scipy functional core of the ECG preprocessors.

Every function takes a signal whose last axis is time, of shape ``(samples,)``,
``(leads, samples)`` or ``(batch, leads, samples)``, and a sampling rate ``fs`` in Hz. They are
vectorised along the leading axes (no Python loop over leads) and return a new array of the
input's floating dtype (integer input becomes float64).

Filter design helpers (:func:`butter_sos`, :func:`notch_sos`, :func:`resample_ratio`,
:func:`resample_filter`, :func:`median_windows`) are shared with the torch twins in
:mod:`ecg_signal.preprocess.torch_functional`, so both forms apply exactly the same filter.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import ndimage, signal

from ecg_signal._validation import (
    as_signal,
    check_band,
    check_edge,
    check_fs,
    check_positive,
    check_window,
)

__all__ = [
    "MAX_RESAMPLE_FACTOR",
    "MAX_THREADS",
    "NORMALIZE_METHODS",
    "MEDIAN_MODES",
    "butter_sos",
    "notch_sos",
    "sosfiltfilt_padlen",
    "check_padlen",
    "median_windows",
    "resample_ratio",
    "resample_filter",
    "bandpass",
    "notch",
    "resample",
    "baseline_remove",
    "median_filter",
    "detrend_polynomial",
    "normalize",
    "normalize_targets",
]

FloatArray = npt.NDArray[np.floating[Any]]

#: largest ``up`` or ``down`` factor :func:`resample_ratio` accepts.
MAX_RESAMPLE_FACTOR = 1000
NORMALIZE_METHODS = ("z-score", "min-max", "naive")
MEDIAN_MODES = ("nearest", "zeros")
_EPS = 1e-12
_FAST_RESAMPLE_MAX_FACTOR = 8
_FAST_RESAMPLE_MAX_PRODUCT = 8192


# --------------------------------------------------------------------------------------------
# filter design (shared with the torch twins)
# --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=128)
def _butter_sos_cached(
    lowcut: float | None, highcut: float | None, fs: float, order: int
) -> FloatArray:
    if lowcut is not None and highcut is not None:
        sos = signal.butter(order, [lowcut, highcut], btype="bandpass", fs=fs, output="sos")
    elif lowcut is not None:
        sos = signal.butter(order, lowcut, btype="highpass", fs=fs, output="sos")
    else:
        sos = signal.butter(order, highcut, btype="lowpass", fs=fs, output="sos")
    out = np.asarray(sos, dtype=np.float64)
    out.setflags(write=False)
    return out


def _check_order(order: Any) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
        raise TypeError(f"order must be a positive integer, got {order!r}")
    if order < 1:
        raise ValueError(f"order must be a positive integer (>= 1), got {order!r}")
    return int(order)


def butter_sos(
    lowcut: float | None, highcut: float | None, fs: float, order: int = 4
) -> FloatArray:
    """Butterworth second-order sections for a band-, high- or low-pass filter.

    Args:
        lowcut: lower band edge in Hz, or ``None`` for a low-pass filter.
        highcut: upper band edge in Hz, or ``None`` for a high-pass filter.
        fs: sampling rate in Hz.
        order: Butterworth order (a band-pass filter of order ``n`` has ``n`` sections).

    Returns:
        A float64 array of shape ``(n_sections, 6)`` as ``scipy.signal.butter``.

    Raises:
        ValueError: if a band edge is not in ``(0, fs/2)`` or ``lowcut >= highcut``.
    """
    fs = check_fs(fs)
    lo, hi = check_band(lowcut, highcut, fs)
    return _butter_sos_cached(lo, hi, fs, _check_order(order)).copy()


@functools.lru_cache(maxsize=64)
def _notch_sos_cached(freq: float, fs: float, q: float) -> FloatArray:
    b, a = signal.iirnotch(freq, q, fs=fs)
    sos = np.concatenate([np.asarray(b, dtype=np.float64), np.asarray(a, dtype=np.float64)])
    out: FloatArray = (sos / sos[3])[None, :]
    out.setflags(write=False)
    return out


def notch_sos(freq: float, fs: float, q: float = 30.0) -> FloatArray:
    """One second-order section of ``scipy.signal.iirnotch(freq, q, fs=fs)``.

    Args:
        freq: the frequency to remove in Hz (50 or 60 for powerline interference).
        fs: sampling rate in Hz.
        q: quality factor, ``freq / bandwidth`` (-3 dB).

    Returns:
        A float64 array of shape ``(1, 6)``.
    """
    fs = check_fs(fs)
    f = check_positive(freq, "freq", units="Hz")
    if f >= fs / 2:
        raise ValueError(f"notch freq={f:g} Hz must be below fs/2 = {fs / 2:g} Hz")
    check_edge(f, fs, "notch freq")
    return _notch_sos_cached(f, fs, check_positive(q, "q")).copy()


def sosfiltfilt_padlen(sos: npt.ArrayLike) -> int:
    """The default ``padlen`` (samples) of ``scipy.signal.sosfiltfilt`` for ``sos`` of shape
    ``(n_sections, 6)``.

    ``3 * (2 * n_sections + 1 - min(#(b2 == 0), #(a2 == 0)))``, as scipy computes it.
    """
    s = np.asarray(sos)
    ntaps: int = 2 * int(s.shape[0]) + 1
    ntaps -= int(min((s[:, 2] == 0).sum(), (s[:, 5] == 0).sum()))
    return 3 * ntaps


def check_padlen(n_samples: int, padlen: int, what: str) -> None:
    """Raise ``ValueError`` unless ``n_samples > padlen`` (the zero-phase filter's edge padding)."""
    if n_samples <= padlen:
        raise ValueError(
            f"{what}: the signal must be longer than the filter padding padlen={padlen} "
            f"samples, got length {n_samples} samples"
        )


def median_windows(fs: float, windows: Sequence[float]) -> tuple[int, ...]:
    """Median-filter window lengths in samples from lengths in seconds, as torch_ecg does.

    Each window becomes the odd number ``2 * (int(w * fs) // 2) + 1`` of samples.

    Raises:
        ValueError: a window shorter than 2 samples (``w * fs < 2``): it would become a
            one-sample median, the identity.
    """
    fs = check_fs(fs)
    if isinstance(windows, (str, bytes)) or not isinstance(windows, Sequence) or not windows:
        raise TypeError(f"windows must be a non-empty sequence of seconds, got {windows!r}")
    out = []
    for i, w in enumerate(windows):
        # a window under 2 samples becomes 1 sample: the "baseline" would be the signal itself
        sec = check_window(w, fs, f"windows[{i}]", min_samples=2)
        out.append(2 * (int(sec * fs) // 2) + 1)
    return tuple(out)


def resample_ratio(fs: float, target_fs: float) -> tuple[int, int]:
    """The reduced integers ``(up, down)`` with ``target_fs / fs == up / down``.

    Sampling rates are read as fractions with denominators up to 1000, so ``fs=200,
    target_fs=500`` gives ``(5, 2)`` and ``360 -> 500`` gives ``(25, 18)``.

    Raises:
        ValueError: if ``up`` or ``down`` exceeds :data:`MAX_RESAMPLE_FACTOR`.
    """
    fs = check_fs(fs)
    target = check_fs(target_fs, name="target fs")
    ratio = Fraction(target).limit_denominator(1000) / Fraction(fs).limit_denominator(1000)
    up, down = ratio.numerator, ratio.denominator
    if max(up, down) > MAX_RESAMPLE_FACTOR:
        raise ValueError(
            f"resampling from fs={fs:g} Hz to {target:g} Hz needs up={up}, down={down}; "
            f"both must be at most {MAX_RESAMPLE_FACTOR}"
        )
    return up, down


@functools.lru_cache(maxsize=64)
def _resample_filter_cached(up: int, down: int) -> tuple[FloatArray, int, int]:
    max_rate = max(up, down)
    half_len = 10 * max_rate
    h = signal.firwin(2 * half_len + 1, 1.0 / max_rate, window=("kaiser", 5.0))
    h = np.asarray(h, dtype=np.float64) * up
    n_pre_pad = down - half_len % down
    n_pre_remove = (half_len + n_pre_pad) // down
    h = np.concatenate([np.zeros(n_pre_pad), h])
    h.setflags(write=False)
    return h, n_pre_pad, n_pre_remove


def resample_filter(up: int, down: int) -> tuple[FloatArray, int]:
    """The anti-aliasing FIR filter ``scipy.signal.resample_poly`` builds, and its delay.

    Returns:
        ``(h, n_pre_remove)``: the filter already scaled by ``up`` and front-padded with zeros
        as scipy does (Kaiser window, beta 5.0, ``20 * max(up, down) + 1`` taps), and the number
        of output samples to drop at the start of ``upfirdn``'s output.
    """
    h, _, n_pre_remove = _resample_filter_cached(int(up), int(down))
    return h.copy(), n_pre_remove


# --------------------------------------------------------------------------------------------
# filters
# --------------------------------------------------------------------------------------------
def _out_dtype(arr: npt.NDArray[Any]) -> np.dtype[Any]:
    return arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.dtype(np.float64)


def bandpass(
    sig: npt.ArrayLike,
    fs: float,
    lowcut: float | None = 0.5,
    highcut: float | None = 45.0,
    order: int = 4,
) -> FloatArray:
    """Zero-phase Butterworth band-pass (or high-/low-pass) filter.

    Second-order sections from ``scipy.signal.butter`` run forward and backward by
    ``scipy.signal.sosfiltfilt`` (odd extension of the default ``padlen``, ``sosfilt_zi``
    initial conditions), in float64, along the last axis.

    Args:
        sig: signal of shape ``(samples,)``, ``(leads, samples)`` or ``(batch, leads, samples)``.
        fs: sampling rate in Hz.
        lowcut: lower edge in Hz; ``None`` gives a low-pass filter.
        highcut: upper edge in Hz; ``None`` gives a high-pass filter.
        order: Butterworth order.

    Returns:
        The filtered signal, same shape and dtype.

    Raises:
        ValueError: on NaN/inf, a wrong number of dimensions, ``fs <= 0``, a band edge at or
            above ``fs/2``, or a signal not longer than the filter's ``padlen``.
    """
    x = as_signal(sig)
    sos = butter_sos(lowcut, highcut, fs, order)
    return _sosfiltfilt(x, sos, "bandpass")


def notch(sig: npt.ArrayLike, fs: float, freq: float = 50.0, q: float = 30.0) -> FloatArray:
    """Zero-phase notch filter against powerline interference (50 or 60 Hz).

    ``scipy.signal.iirnotch`` as one second-order section, applied forward and backward with
    ``scipy.signal.sosfiltfilt``.

    Args:
        sig: signal of shape ``(samples,)``, ``(leads, samples)`` or ``(batch, leads, samples)``.
        fs: sampling rate in Hz.
        freq: frequency to remove in Hz.
        q: quality factor (``freq / bandwidth``).

    Returns:
        The filtered signal, same shape and dtype.
    """
    x = as_signal(sig)
    sos = notch_sos(freq, fs, q)
    return _sosfiltfilt(x, sos, "notch")


def _sosfiltfilt(x: npt.NDArray[Any], sos: FloatArray, what: str) -> FloatArray:
    check_padlen(x.shape[-1], sosfiltfilt_padlen(sos), what)
    flat = x.reshape(-1, x.shape[-1])
    workers = _workers(flat.shape[0], flat.size)
    if workers == 1:
        y = signal.sosfiltfilt(sos, x, axis=-1)
        return np.asarray(y, dtype=_out_dtype(x))
    # scipy's sosfilt releases the GIL: filter groups of rows in threads (bit-identical)
    out = np.empty(flat.shape, dtype=_out_dtype(x))
    bounds = np.linspace(0, flat.shape[0], workers + 1).astype(int)

    def run(k: int) -> None:
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        out[lo:hi] = signal.sosfiltfilt(sos, flat[lo:hi], axis=-1)

    list(_pool().map(run, range(workers)))
    return out.reshape(x.shape)


#: most threads the numpy filters use on large inputs (``None``: the CPUs available, up to 8).
MAX_THREADS: int | None = None
_PARALLEL_MIN_SIZE = 1 << 17
_POOL: list[ThreadPoolExecutor] = []


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _workers(rows: int, size: int) -> int:
    if size < _PARALLEL_MIN_SIZE or rows < 2:
        return 1
    limit = MAX_THREADS if MAX_THREADS is not None else min(8, _available_cpus())
    return max(1, min(rows, limit))


def _pool() -> ThreadPoolExecutor:
    """The shared thread pool, created on first use (nothing runs at import time)."""
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=8, thread_name_prefix="ecg_signal"))
    return _POOL[0]


def resample(sig: npt.ArrayLike, fs: float, target_fs: float) -> FloatArray:
    """Polyphase resampling to ``target_fs`` (``scipy.signal.resample_poly`` along the last axis).

    Args:
        sig: signal of shape ``(samples,)``, ``(leads, samples)`` or ``(batch, leads, samples)``.
        fs: sampling rate of ``sig`` in Hz.
        target_fs: the wanted sampling rate in Hz.

    Returns:
        Array of shape ``(..., ceil(samples * up / down))`` where ``(up, down) =``
        :func:`resample_ratio` ``(fs, target_fs)``, in the input's floating dtype. Float64 input
        goes through ``scipy.signal.resample_poly``; float32 input is filtered in float32 (as
        scipy does) by the same polyphase filter as a dense ``conv1d`` (when
        ``min(up, down) <= 8``) or as ``up`` phase filters over strided frames (when
        ``up * down <= 8192``): :func:`ecg_signal.preprocess.torch_functional.resample_poly`,
        which equals scipy within float32 rounding and is faster.
    """
    x = as_signal(sig)
    up, down = resample_ratio(fs, target_fs)
    if up == down == 1:
        return np.array(x, dtype=_out_dtype(x), copy=True)
    small = min(up, down) <= _FAST_RESAMPLE_MAX_FACTOR
    if x.dtype == np.float32 and (small or up * down <= _FAST_RESAMPLE_MAX_PRODUCT):
        # float32: the same polyphase filter as one dense conv1d (vectorised), about 2x faster
        # than scipy's upfirdn, or for larger factors (360 -> 250 Hz is 25/36) as up phase
        # filters over strided frames (one matrix product); equal to scipy within float32
        # rounding
        import torch

        from ecg_signal.preprocess.torch_functional import resample_poly
        from ecg_signal.threads import torch_threads

        # one intra-op thread: this short convolution gains little from more
        with torch_threads(1), torch.no_grad():
            out = resample_poly(torch.from_numpy(np.ascontiguousarray(x)), up, down)
        return np.asarray(out.numpy(), dtype=np.float32)
    y = signal.resample_poly(x, up, down, axis=-1)
    return np.asarray(y, dtype=_out_dtype(x))


def median_filter(
    sig: npt.ArrayLike, window: int, mode: Literal["nearest", "zeros"] = "nearest"
) -> FloatArray:
    """Running median of ``window`` (odd) samples along the last axis.

    Args:
        sig: signal, time on the last axis.
        window: odd window length in samples.
        mode: ``"nearest"`` repeats the edge samples (``scipy.ndimage.median_filter``,
            ``mode="nearest"``, as torch_ecg); ``"zeros"`` pads with zeros, identical to
            ``scipy.signal.medfilt``.
    """
    x = as_signal(sig)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive odd number of samples, got {window!r}")
    if window % 2 == 0:
        raise ValueError(f"window must be an odd number of samples, got {window}")
    if mode not in MEDIAN_MODES:
        raise ValueError(f"mode must be one of {MEDIAN_MODES}, got {mode!r}")
    nd_mode = "nearest" if mode == "nearest" else "constant"
    y = ndimage.median_filter(x, size=int(window), axes=(-1,), mode=nd_mode, cval=0.0)
    return np.asarray(y, dtype=_out_dtype(x))


def baseline_remove(
    sig: npt.ArrayLike,
    fs: float,
    windows: Sequence[float] = (0.2, 0.6),
    mode: Literal["nearest", "zeros"] = "nearest",
) -> FloatArray:
    """Remove baseline wander by subtracting cascaded median filters (as torch_ecg).

    The baseline is the running median of the signal with the first window, then the running
    median of that with the second, and so on (de Chazal et al., IEEE TBME 51(7), 2004:
    200 ms then 600 ms median filters); the result is ``sig - baseline``.

    Args:
        sig: signal of shape ``(samples,)``, ``(leads, samples)`` or ``(batch, leads, samples)``.
        fs: sampling rate in Hz.
        windows: window lengths in seconds, each turned into an odd number of samples by
            :func:`median_windows`.
        mode: edge handling of :func:`median_filter`.

    Returns:
        The signal minus its baseline, same shape and dtype.
    """
    x = as_signal(sig)
    base = x
    for w in median_windows(fs, windows):
        base = median_filter(base, w, mode)
    return np.asarray(x - base, dtype=_out_dtype(x))


def _check_degree(degree: Any) -> int:
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)):
        raise TypeError(f"degree must be a non-negative integer, got {degree!r}")
    if not 0 <= degree <= 20:
        raise ValueError(f"degree must be an integer in [0, 20], got {degree!r}")
    return int(degree)


def detrend_polynomial(sig: npt.ArrayLike, degree: int = 1) -> FloatArray:
    """Subtract the least-squares polynomial of ``degree`` fitted to each lead.

    ``degree=0`` removes the mean and ``degree=1`` equals ``scipy.signal.detrend(type="linear")``.
    The fit is on the time grid scaled to ``[-1, 1]`` (well conditioned), in float64.

    Args:
        sig: signal of shape ``(samples,)``, ``(leads, samples)`` or ``(batch, leads, samples)``.
        degree: polynomial degree, 0 to 20.

    Returns:
        The detrended signal, same shape and dtype.
    """
    x = as_signal(sig)
    deg = _check_degree(degree)
    n = x.shape[-1]
    if n <= deg:
        raise ValueError(
            f"a degree-{deg} detrend needs more than {deg} samples, got length {n} samples"
        )
    t = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    vander = np.polynomial.legendre.legvander(t, deg)  # (n, deg + 1)
    flat = x.reshape(-1, n).astype(np.float64)
    coef, *_ = np.linalg.lstsq(vander, flat.T, rcond=None)
    trend = (vander @ coef).T
    return np.asarray((flat - trend).reshape(x.shape), dtype=_out_dtype(x))


def normalize_targets(
    value: float | Sequence[float] | npt.NDArray[Any], name: str, ndim: int, n_leads: int
) -> npt.NDArray[np.float64]:
    """Broadcastable target ``mean``/``std``: a scalar, or one value per lead."""
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if name == "std" and np.any(arr <= 0):
        raise ValueError(f"std must be > 0, got {value!r}")
    if arr.ndim == 0:
        return arr
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a scalar or a 1-D sequence (one per lead), got {value!r}")
    if ndim == 1 or arr.shape[0] != n_leads:
        raise ValueError(
            f"{name} has {arr.shape[0]} values, but the signal of {ndim} dims has "
            f"{n_leads if ndim > 1 else 'no'} leads; give a scalar or one value per lead"
        )
    return arr[:, None]


def _check_method(method: Any) -> str:
    if method not in NORMALIZE_METHODS:
        import difflib

        close = difflib.get_close_matches(str(method), NORMALIZE_METHODS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"method must be one of {NORMALIZE_METHODS}, got {method!r}{hint}")
    return str(method)


def _zscore(
    x: npt.NDArray[Any],
    axes: tuple[int, ...],
    mean_t: npt.NDArray[np.float64],
    std_t: npt.NDArray[np.float64],
    dt: np.dtype[Any],
) -> FloatArray:
    """Z-score with the corrected two-pass algorithm and one output buffer.

    float32 input is reduced in float32 with numpy's pairwise summation (as accurate as float64
    sums for these lengths, and twice as fast); other input is reduced in float64.
    """
    if dt == np.float32 and x.dtype == np.float32:
        mu32 = x.mean(axis=axes, keepdims=True)
        d: FloatArray = np.subtract(x, mu32, dtype=dt)  # the output buffer
        corr = d.mean(axis=axes, keepdims=True).astype(np.float64)
        msq = np.square(d).mean(axis=axes, keepdims=True).astype(np.float64)
        var = np.maximum(msq - corr * corr, 0.0)
    else:
        mu = x.mean(axis=axes, keepdims=True, dtype=np.float64)
        d = np.subtract(x, mu.astype(dt), dtype=dt)  # the output buffer
        corr = d.mean(axis=axes, keepdims=True, dtype=np.float64)
        flat = d.reshape(*d.shape[: d.ndim - len(axes)], -1)
        ss = np.einsum("...i,...i->...", flat, flat, dtype=np.float64)
        ss = ss.reshape(*ss.shape, *([1] * len(axes)))
        var = np.maximum(ss / flat.shape[-1] - corr * corr, 0.0)
    sd = np.sqrt(var)
    scale = np.where(sd < _EPS, 1.0, sd)
    d *= (std_t / scale).astype(dt)
    d += (mean_t - corr * std_t / scale).astype(dt)
    return d


def normalize(
    sig: npt.ArrayLike,
    method: str = "z-score",
    mean: float | Sequence[float] = 0.0,
    std: float | Sequence[float] = 1.0,
    per_lead: bool = True,
) -> FloatArray:
    """Normalize a signal (torch_ecg semantics).

    - ``"z-score"``: ``(sig - mu) / sigma * std + mean`` where ``mu``, ``sigma`` are the
      signal's mean and population standard deviation; ``mean`` and ``std`` are the targets.
    - ``"min-max"``: ``(sig - min) / (max - min)``, into ``[0, 1]``.
    - ``"naive"``: ``(sig - mean) / std`` with *fixed* ``mean`` and ``std`` (e.g. dataset
      statistics in mV).

    Statistics are taken per lead (over samples) when ``per_lead``, otherwise per record
    (over leads and samples; a batch is never pooled). A constant lead (``sigma`` or
    ``max - min`` below 1e-12) is only shifted: its scale is taken as 1.

    Args:
        sig: signal of shape ``(samples,)``, ``(leads, samples)`` or ``(batch, leads, samples)``.
        method: ``"z-score"``, ``"min-max"`` or ``"naive"``.
        mean: target (z-score) or fixed (naive) mean: a scalar or one value per lead.
        std: target (z-score) or fixed (naive) standard deviation, > 0: scalar or per lead.
        per_lead: statistics per lead, or per whole record.

    Returns:
        The normalized signal, same shape and dtype.
    """
    x = as_signal(sig)
    m = _check_method(method)
    n_leads = x.shape[-2] if x.ndim > 1 else 1
    mean_t = normalize_targets(mean, "mean", x.ndim, n_leads)
    std_t = normalize_targets(std, "std", x.ndim, n_leads)
    dt = _out_dtype(x)
    if m == "naive":
        return np.asarray((x - mean_t.astype(dt)) / std_t.astype(dt), dtype=dt)
    axes: tuple[int, ...] = (-1,) if (per_lead or x.ndim == 1) else (-2, -1)
    if m == "z-score":
        return _zscore(x, axes, mean_t, std_t, dt)
    lo = x.min(axis=axes, keepdims=True).astype(np.float64)
    hi = x.max(axis=axes, keepdims=True).astype(np.float64)
    rng = hi - lo
    rng = np.where(rng < _EPS, 1.0, rng)
    a = (1.0 / rng).astype(dt)
    b = (-lo / rng).astype(dt)
    return np.asarray(x * a + b, dtype=dt)
