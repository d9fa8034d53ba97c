"""Wave delineation metrics: P, QRS and T onsets and offsets.

Sensitivity, PPV, F1 and the mean/SD of the timing error (ms) with a 150 ms tolerance, as in the
LUDB literature (Kalyakulina et al., "LUDB: a new open-access validation tool for
electrocardiogram delineation algorithms", IEEE Access 2020; Martinez et al., IEEE TBME 2004).

Matching is one-to-one: candidate (reference, detection) pairs within the tolerance are taken in
increasing order of distance; unmatched references are FNs, unmatched detections FPs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["WAVES", "BOUNDARIES", "mask_to_waves", "match_boundaries", "WaveDelineationMetrics"]

WAVES = ("p", "qrs", "t")
BOUNDARIES = ("onset", "offset")


def mask_to_waves(
    mask: ArrayLike, class_map: Mapping[str, int] | None = None
) -> dict[str, dict[str, NDArray[np.int64]]]:
    """Onsets and offsets (sample indices, inclusive) of each wave in a label mask.

    Args:
        mask: integer labels of shape ``(samples,)``.
        class_map: wave name -> label value; default ``{"p": 1, "qrs": 2, "t": 3}``.

    Returns:
        ``{"p": {"onset": ..., "offset": ...}, "qrs": ..., "t": ...}``.
    """
    m = np.asarray(mask)
    if m.ndim != 1:
        raise ValueError(f"mask must have shape (samples,), got {m.shape}")
    cmap = dict(class_map) if class_map is not None else {"p": 1, "qrs": 2, "t": 3}
    out: dict[str, dict[str, NDArray[np.int64]]] = {}
    for wave, value in cmap.items():
        on = (m == value).astype(np.int8)
        d = np.diff(np.r_[0, on, 0])
        out[wave] = {
            "onset": np.flatnonzero(d == 1).astype(np.int64),
            "offset": (np.flatnonzero(d == -1) - 1).astype(np.int64),
        }
    return out


def match_boundaries(
    ref: ArrayLike, pred: ArrayLike, tolerance: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """One-to-one nearest matching within ``tolerance`` samples (inclusive).

    Returns:
        ``(ref_index, pred_index)`` of the matched pairs.
    """
    r = np.asarray(ref, dtype=np.int64).ravel()
    p = np.asarray(pred, dtype=np.int64).ravel()
    if r.size == 0 or p.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    dist = np.abs(r[:, None] - p[None, :])
    ri, pi = np.nonzero(dist <= tolerance)
    order = np.lexsort((pi, ri, dist[ri, pi]))
    used_r = np.zeros(r.size, dtype=bool)
    used_p = np.zeros(p.size, dtype=bool)
    keep_r, keep_p = [], []
    for k in order:
        a, b = ri[k], pi[k]
        if not used_r[a] and not used_p[b]:
            used_r[a] = used_p[b] = True
            keep_r.append(a)
            keep_p.append(b)
    return np.asarray(keep_r, dtype=np.int64), np.asarray(keep_p, dtype=np.int64)


Waves = Mapping[str, Mapping[str, ArrayLike]]


@dataclass(slots=True)
class WaveDelineationMetrics:
    """Delineation metrics over records.

    Attributes:
        fs: sampling frequency in Hz.
        tolerance_ms: matching tolerance (150 ms in the LUDB literature).
        waves: wave names to score.

    ``compute(refs, preds)`` takes, per record, ``{wave: {"onset": idx, "offset": idx}}`` (as
    returned by :func:`mask_to_waves`) and returns ``{"qrs_onset_f1": ..., "p_offset_mean_error_ms":
    ..., ...}`` with keys ``{wave}_{boundary}_{tp,fp,fn,sensitivity,ppv,f1,mean_error_ms,sd_error_ms}``.
    Errors are ``detection - reference``.
    """

    fs: float
    tolerance_ms: float = 150.0
    waves: tuple[str, ...] = field(default=WAVES)

    def __post_init__(self) -> None:
        if (
            isinstance(self.fs, bool)
            or not isinstance(self.fs, int | float)
            or not np.isfinite(self.fs)
            or self.fs <= 0
        ):
            raise ValueError(f"fs must be a positive sampling frequency in Hz, got {self.fs!r}")
        if not isinstance(self.tolerance_ms, int | float) or not self.tolerance_ms > 0:
            raise ValueError(
                f"tolerance_ms must be a positive duration in ms, got {self.tolerance_ms!r}"
            )
        self.waves = tuple(self.waves)

    def compute(self, refs: Sequence[Waves], preds: Sequence[Waves]) -> dict[str, float]:
        """Pooled metrics over records (see class docstring)."""
        if len(refs) != len(preds):
            raise ValueError(
                f"one prediction per record needed: {len(refs)} refs, {len(preds)} preds"
            )
        tol = self.tolerance_ms * self.fs / 1000.0
        out: dict[str, float] = {}
        for wave in self.waves:
            for bound in BOUNDARIES:
                tp = fp = fn = 0
                errs: list[NDArray[np.int64]] = []
                for ref, pred in zip(refs, preds, strict=True):
                    try:
                        r = np.asarray(ref[wave][bound], dtype=np.int64).ravel()
                        p = np.asarray(pred[wave][bound], dtype=np.int64).ravel()
                    except KeyError as exc:
                        raise KeyError(f"record misses {wave!r}/{bound!r} ({exc})") from None
                    a, b = match_boundaries(r, p, tol)
                    tp += a.size
                    fn += r.size - a.size
                    fp += p.size - b.size
                    errs.append(p[b] - r[a])
                e = np.concatenate(errs) * (1000.0 / self.fs) if errs else np.zeros(0)
                key = f"{wave}_{bound}"
                out[f"{key}_tp"], out[f"{key}_fp"], out[f"{key}_fn"] = (
                    float(tp),
                    float(fp),
                    float(fn),
                )
                out[f"{key}_sensitivity"] = tp / (tp + fn) if tp + fn else 0.0
                out[f"{key}_ppv"] = tp / (tp + fp) if tp + fp else 0.0
                out[f"{key}_f1"] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
                out[f"{key}_mean_error_ms"] = float(e.mean()) if e.size else float("nan")
                out[f"{key}_sd_error_ms"] = float(e.std()) if e.size else float("nan")
        return out
