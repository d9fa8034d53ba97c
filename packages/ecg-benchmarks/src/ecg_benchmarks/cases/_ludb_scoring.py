"""Scoring of the ludb case: boundary F1 of per-sample label masks with LUDB's unannotated parts.

The masks code each sample 0 (none), 1 (P), 2 (QRS), 3 (T) or -1 (not annotated). Scores cover
either every annotated boundary of a record or, as in the LUDB authors' group's protocol, the
boundaries from 2 s to 8 s only (:data:`PROTOCOL_SPAN_S`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["CLASS_MAP", "PROTOCOL_SPAN_S", "UNKNOWN", "delineation_scores"]

CLASS_MAP = {"p": 1, "qrs": 2, "t": 3}
UNKNOWN = -1
PROTOCOL_SPAN_S = (2.0, 8.0)
"""Scored part of each record in the LUDB group's protocol: boundaries in [2 s, 8 s)."""


def _reference(
    mask: npt.NDArray[np.int64],
) -> tuple[
    dict[str, dict[str, npt.NDArray[np.int64]]], dict[str, dict[str, npt.NDArray[np.int64]]]
]:
    """Reference onsets/offsets of a mask, and the boundaries that are not references.

    A boundary next to an unknown sample is the cut of an unannotated part (a wave whose onset
    or offset LUDB does not give, the edges of the annotated span): it is returned in the
    second mapping, not as a reference.
    """
    from ecg_train.metrics.wave_delineation import mask_to_waves

    waves = mask_to_waves(mask, CLASS_MAP)
    cuts: dict[str, dict[str, npt.NDArray[np.int64]]] = {}
    n = mask.size
    for w, d in waves.items():
        on, off = d["onset"], d["offset"]
        on_ok = (on == 0) | (mask[np.maximum(on - 1, 0)] != UNKNOWN)
        off_ok = (off == n - 1) | (mask[np.minimum(off + 1, n - 1)] != UNKNOWN)
        cuts[w] = {"onset": on[~on_ok], "offset": off[~off_ok]}
        d["onset"], d["offset"] = on[on_ok], off[off_ok]
    return waves, cuts


def _near(v: npt.NDArray[np.int64], r: npt.NDArray[np.int64], tol: float) -> npt.NDArray[np.bool_]:
    if not (r.size and v.size):
        return np.zeros(v.size, dtype=bool)
    return np.asarray(np.abs(v[:, None] - r[None, :]).min(axis=1) <= tol)


def _drop_unannotated(
    pred: dict[str, dict[str, npt.NDArray[np.int64]]],
    ref: dict[str, dict[str, npt.NDArray[np.int64]]],
    cuts: dict[str, dict[str, npt.NDArray[np.int64]]],
    mask: npt.NDArray[np.int64],
    tol: float,
) -> dict[str, dict[str, npt.NDArray[np.int64]]]:
    """Predicted boundaries in unannotated samples, or within the tolerance of a boundary LUDB
    does not annotate, are kept only when they lie within the tolerance of a reference."""
    out: dict[str, dict[str, npt.NDArray[np.int64]]] = {}
    for w, d in pred.items():
        out[w] = {}
        for b, v in d.items():
            near = _near(v, ref[w][b], tol)
            unknown = (mask[v] == UNKNOWN) | _near(v, cuts[w][b], tol)
            out[w][b] = v[~unknown | near]
    return out


def _in_span(
    waves: dict[str, dict[str, npt.NDArray[np.int64]]], lo: int, hi: int
) -> dict[str, dict[str, npt.NDArray[np.int64]]]:
    return {w: {b: v[(v >= lo) & (v < hi)] for b, v in d.items()} for w, d in waves.items()}


def delineation_scores(
    true_masks: list[npt.NDArray[np.int64]],
    pred_masks: list[npt.NDArray[np.int64]],
    fs: float,
    tolerance_ms: float = 150.0,
    span_s: tuple[float, float] | None = None,
) -> dict[str, float]:
    """Wave delineation metrics of per-sample label masks (0 none, 1 P, 2 QRS, 3 T, -1 not
    annotated in ``true_masks``).

    A reference boundary next to a ``-1`` sample is not counted (it is the cut of an unannotated
    part); a predicted boundary inside ``-1`` samples, or within the tolerance of such a cut, is
    counted only when it lies within the tolerance of a reference boundary. With ``span_s``
    ``(start, stop)`` in s, only the reference and predicted boundaries at samples in
    ``[start * fs, stop * fs)`` are scored (as if the masks were cropped there, e.g.
    :data:`PROTOCOL_SPAN_S`). Returns the metrics of :class:`WaveDelineationMetrics` plus
    ``mean_boundary_f1``, the mean F1 of the six boundaries, listed first.
    """
    from ecg_train.metrics.wave_delineation import WaveDelineationMetrics, mask_to_waves

    tol = tolerance_ms * fs / 1000.0
    if span_s is not None and not 0 <= span_s[0] < span_s[1]:
        raise ValueError(f"span_s must be (start, stop) with 0 <= start < stop s, got {span_s}")
    refs, preds = [], []
    for t, p in zip(true_masks, pred_masks, strict=True):
        t = np.asarray(t, dtype=np.int64)
        ref, cuts = _reference(t)
        pred = _drop_unannotated(mask_to_waves(np.asarray(p), CLASS_MAP), ref, cuts, t, tol)
        if span_s is not None:
            lo, hi = int(round(span_s[0] * fs)), int(round(span_s[1] * fs))
            ref, pred = _in_span(ref, lo, hi), _in_span(pred, lo, hi)
        refs.append(ref)
        preds.append(pred)
    res = WaveDelineationMetrics(fs=fs, tolerance_ms=tolerance_ms).compute(refs, preds)
    f1s = [v for k, v in res.items() if k.endswith("_f1")]
    return {"mean_boundary_f1": float(np.mean(f1s)), **res}
