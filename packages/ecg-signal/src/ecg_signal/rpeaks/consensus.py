"""Multi-lead R-peak consensus: the beats that most leads of a recording agree on.

Each lead is run through :func:`~ecg_signal.rpeaks.detect_rpeaks`; detections of different leads
closer than ``tolerance_s`` are grouped, and a group seen by at least ``min_fraction`` of the
leads is a beat, placed at the median of its leads' detections. A lead *agrees* when its own
detections match the beats one to one (each beat has exactly one detection of the lead within the
tolerance and the lead has no other detection): on such a lead its detections are R peaks that
the other leads confirm, localised on that lead. This is the usual way to label beats of
multi-lead recordings without a reference annotation (e.g. Clifford et al., "Signal quality
indices and data fusion for determining clinical acceptability of electrocardiograms",
Physiol. Meas. 33(9), 2012, bSQI: the agreement of detectors as a quality index).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._validation import RPEAK_MIN_FS, check_fs, check_positive, check_probability
from .api import DEFAULT_METHOD, detect_rpeaks_batch

__all__ = ["ConsensusPeaks", "consensus_rpeaks"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ConsensusPeaks:
    """The result of :func:`consensus_rpeaks`.

    Attributes:
        beats: ``(n_beats,)`` int64 sample indices of the confirmed beats (median over leads).
        per_lead: each lead's own detections, ``(n_detections,)`` int64.
        agreeing: ``(leads,)`` True where the lead's detections match ``beats`` one to one (then
            ``per_lead[i]`` has ``n_beats`` entries, the i-th near ``beats[i]``).
        n_unconfirmed: groups of detections seen by two or more leads but fewer than the
            required fraction (ambiguous beats or shared artefacts; 0 on a clean recording).
    """

    beats: IntArray
    per_lead: list[IntArray]
    agreeing: BoolArray
    n_unconfirmed: int


def consensus_rpeaks(
    sig: Any,
    fs: float,
    method: str = DEFAULT_METHOD,
    tolerance_s: float = 0.06,
    min_fraction: float = 0.5,
    **options: Any,
) -> ConsensusPeaks:
    """Detect R peaks on every lead and keep the beats that most leads agree on.

    Args:
        sig: ``(leads, samples)``, at least 2 leads; NaN allowed in part, as for
            :func:`~ecg_signal.rpeaks.detect_rpeaks`.
        fs: sampling rate in Hz.
        method, **options: the detector of every lead (:func:`~ecg_signal.rpeaks.list_methods`).
        tolerance_s: detections closer than this (s) to the first of a group join the group.
        min_fraction: fraction of the leads (in (0, 1]) that must see a beat.

    Returns:
        :class:`ConsensusPeaks`.

    Raises:
        ValueError: a signal that is not ``(leads, samples)`` with 2+ leads, or a bad option.
    """
    tol = check_positive(tolerance_s, "tolerance_s", units="s") * check_fs(fs, minimum=RPEAK_MIN_FS)
    frac = check_probability(min_fraction, "min_fraction")
    if frac == 0:
        raise ValueError(f"min_fraction must be in (0, 1], got {min_fraction!r}")
    arr = np.asarray(sig)
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise ValueError(
            f"sig must have shape (leads, samples) with at least 2 leads, got shape {arr.shape}"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # constant leads simply see no beat
        found = detect_rpeaks_batch(arr, fs, method, **options)
    per_lead = [np.asarray(p, dtype=np.int64) for p in found]
    n_leads = arr.shape[0]
    need = max(1, math.ceil(frac * n_leads - 1e-9))
    times = np.concatenate([np.asarray(p, dtype=np.int64) for p in per_lead])
    leads = np.concatenate([np.full(len(p), i, dtype=np.int64) for i, p in enumerate(per_lead)])
    order = np.argsort(times, kind="stable")
    times, leads = times[order], leads[order]
    beats: list[int] = []
    n_unconfirmed = 0
    k = 0
    while k < len(times):
        end = k + int(np.searchsorted(times[k:], times[k] + tol, side="right"))
        seen = np.unique(leads[k:end])
        if len(seen) >= need:
            beats.append(int(np.median(times[k:end])))
        elif len(seen) >= 2:
            n_unconfirmed += 1
        k = end
    beat_arr = np.asarray(beats, dtype=np.int64)
    agreeing = np.zeros(n_leads, dtype=bool)
    for i, p in enumerate(per_lead):
        if len(p) == len(beat_arr) and len(p) > 0:
            agreeing[i] = bool(np.all(np.abs(p - beat_arr) <= tol))
    return ConsensusPeaks(
        beats=beat_arr,
        per_lead=per_lead,
        agreeing=agreeing,
        n_unconfirmed=n_unconfirmed,
    )
