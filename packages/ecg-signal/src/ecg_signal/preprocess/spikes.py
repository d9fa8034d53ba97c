"""Repair of impulse artefacts: runs of one to a few samples far beyond both neighbours.

An ADC glitch, a rail hit or an electrostatic impulse shows as one to three samples that leave
the signal and come back within one sample on each side, far steeper than any ECG wave. Band-
pass filtering spreads such an impulse into a ringing burst that looks like a QRS complex.
:func:`remove_spikes` finds these runs with a units-free rule (relative to the signal's own
sample-to-sample steps) and replaces them by the straight line between their neighbours.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

from ecg_signal._validation import real_array

__all__ = ["remove_spikes", "spike_mask"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _check(max_width: Any, k: Any, q: Any) -> tuple[int, float, float]:
    if (
        isinstance(max_width, bool)
        or not isinstance(max_width, numbers.Integral)
        or not 1 <= int(max_width) <= 16
    ):
        raise ValueError(f"max_width must be an int in [1, 16] samples, got {max_width!r}")
    if isinstance(k, bool) or not isinstance(k, numbers.Real) or not float(k) > 0:
        raise ValueError(f"k must be a number > 0 (times the step scale), got {k!r}")
    if isinstance(q, bool) or not isinstance(q, numbers.Real) or not 0 < float(q) < 100:
        raise ValueError(f"q must be a percentile in (0, 100), got {q!r}")
    return int(max_width), float(k), float(q)


def spike_mask(
    sig: npt.ArrayLike, max_width: int = 3, k: float = 20.0, q: float = 99.0
) -> BoolArray:
    """Which samples belong to an impulse artefact, along the last axis.

    The step scale ``s`` of a row is the ``q``-th percentile of ``|diff(row)|`` over its
    finite steps (the lower of the two nearest ranks, no interpolation). A run of
    ``L <= max_width`` consecutive finite samples ``row[i:i + L]`` (``i >= 1``, ``i + L <= samples - 1``: both neighbours exist and are finite) is a spike when
    every sample of the run lies more than ``k * s`` above the larger of its two neighbours
    ``row[i - 1]`` and ``row[i + L]``, or more than ``k * s`` below the smaller one. The
    first and last sample of a row are never flagged; a row whose scale is 0 (constant for
    more than ``q`` % of its steps) has no spike.

    Args:
        sig: signal ``(..., samples)`` of any units (NaN/inf allowed: never flagged, and a
            run next to one is not a spike).
        max_width: longest run, in samples (1 to 16).
        k: threshold in units of the step scale (> 0).
        q: percentile of the absolute steps that gives the scale, in (0, 100).

    Returns:
        Boolean array of ``sig``'s shape.

    Raises:
        TypeError: ``sig`` does not hold real numbers.
        ValueError: ``sig`` is 0-D, or a parameter out of range (the message names it).
    """
    params = _check(max_width, k, q)
    x = np.asarray(real_array(sig), dtype=np.float64)
    if x.ndim < 1:
        raise ValueError("sig must have shape (..., samples), got a 0-D array")
    mask = np.zeros(x.shape, dtype=bool)
    n = x.shape[-1]
    if n >= 3 and x.size:
        r, cols = _spikes(x.reshape(-1, n), *params)
        mask.reshape(-1, n)[r, cols] = True
    return mask


def _scale(steps: FloatArray, q: float) -> FloatArray:
    """Per row the ``floor(q / 100 * (m - 1))``-th smallest of ``m`` finite steps
    (``np.percentile(..., method="lower")``, by one selection); NaN for a row without any."""
    m = steps.shape[-1]
    if bool(np.isfinite(steps).all()):
        kth = int(np.floor(q / 100 * (m - 1)))
        return np.partition(steps, kth, axis=-1)[:, kth]
    out = np.full(steps.shape[0], np.nan)
    for i, row in enumerate(steps):
        good = row[np.isfinite(row)]
        if good.size:
            kth = int(np.floor(q / 100 * (good.size - 1)))
            out[i] = np.partition(good, kth)[kth]
    return out


def _spikes(
    rows: FloatArray, width: int, k: float, q: float
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Row and column indices of the spike samples of ``rows`` ``(n_rows, samples >= 3)``."""
    n = rows.shape[-1]
    with np.errstate(invalid="ignore"):
        steps = np.abs(np.diff(rows, axis=-1))
        thr = k * _scale(steps, q)
        # every spike starts with a step larger than the threshold: check only those places
        r_idx, j_idx = np.nonzero((steps > thr[:, None]) & (thr[:, None] > 0))
    found_r: list[npt.NDArray[np.intp]] = []
    found_c: list[npt.NDArray[np.intp]] = []
    start = j_idx + 1  # the run's first sample follows the big step
    for length in range(1, width + 1):
        ok = start + length <= n - 1
        r, i = r_idx[ok], start[ok]
        if r.size == 0:
            break
        cols = i[:, None] + np.arange(length)[None, :]
        run = rows[r[:, None], cols]
        a, b = rows[r, i - 1], rows[r, i + length]
        t = thr[r]
        with np.errstate(invalid="ignore"):
            fin = np.isfinite(run).all(axis=1) & np.isfinite(a) & np.isfinite(b)
            up = run.min(axis=1) - np.maximum(a, b) > t
            down = np.minimum(a, b) - run.max(axis=1) > t
        hit = fin & (up | down)
        found_r.append(np.repeat(r[hit], length))
        found_c.append(cols[hit].ravel())
    if not found_r:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    return np.concatenate(found_r), np.concatenate(found_c)


def remove_spikes(
    sig: npt.ArrayLike, max_width: int = 3, k: float = 20.0, q: float = 99.0
) -> FloatArray:
    """``sig`` with the samples of :func:`spike_mask` replaced by linear interpolation between
    the nearest unflagged samples on each side (the neighbours of the run), float64.

    Physiological deflections stay well below the default threshold: a QRS complex changes
    over several samples, so its steps make the scale itself, and a run that returns to the
    level of its neighbours within ``max_width`` samples is far narrower than any ECG wave
    at sampling rates of 100 Hz and above. Pacemaker stimuli, being impulses, are removed too.

    Args:
        sig: signal ``(..., samples)`` (NaN/inf kept as they are).
        max_width, k, q: see :func:`spike_mask`.

    Returns:
        A new float64 array of ``sig``'s shape (a copy even when nothing is replaced).
    """
    params = _check(max_width, k, q)
    out = np.array(real_array(sig), dtype=np.float64)
    if out.ndim < 1:
        raise ValueError("sig must have shape (..., samples), got a 0-D array")
    n = out.shape[-1]
    if n < 3 or out.size == 0:
        return out
    rows = out.reshape(-1, n)
    r_idx, c_idx = _spikes(rows, *params)
    if r_idx.size == 0:
        return out
    flags = np.zeros(rows.shape, dtype=bool)
    flags[r_idx, c_idx] = True
    idx = np.arange(n)
    for r in np.unique(r_idx).tolist():
        bad = flags[r]
        rows[r, bad] = np.interp(idx[bad], idx[~bad], rows[r, ~bad])
    return out
