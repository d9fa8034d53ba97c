"""The CPSC2021 score: paroxysmal AF episode detection (onsets and offsets).

Reference: The 4th China Physiological Signal Challenge 2021, official ``score_2021.py``
(Xingyao Wang, Chengyu Liu). Per record, ``U = Ur + Ue``:

* ``Ur = R[class_true, class_pred]`` with ``R = [[1, -1, -.5], [-2, 1, 0], [-1, 0, 1]]`` over the
  classes 0 non-AF, 1 persistent AF, 2 paroxysmal AF; the predicted class is 0 without episode,
  1 for a single episode ``[0, len - 1]``, else 2.
* ``Ue`` (AF records only) sums, for each predicted episode ``[start, end]``, the onset score at
  ``start`` and the offset score at ``end``: +1 within +-1 beat of a true endpoint, +0.5 within
  +-2 beats (built from the reference beat locations exactly as the official code), then scales
  by ``n_true / max(n_true, n_pred)``.

The challenge score is the mean of ``U`` over records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CPSC2021_R",
    "endpoint_score_ranges",
    "predicted_class",
    "ue_score",
    "ur_score",
    "CPSC2021RecordScore",
    "cpsc2021_record_score",
    "cpsc2021_score",
]

CPSC2021_R = np.array([[1.0, -1.0, -0.5], [-2.0, 1.0, 0.0], [-1.0, 0.0, 1.0]])
CPSC2021_R.setflags(write=False)


def endpoint_score_ranges(
    beat_loc: ArrayLike,
    af_starts: ArrayLike,
    af_ends: ArrayLike,
    class_true: int,
    len_sig: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-sample onset and offset scores (length ``len_sig + 1``) of the official code.

    Args:
        beat_loc: R-peak sample indices of the reference annotation.
        af_starts: indices INTO ``beat_loc`` of the beats starting AF episodes.
        af_ends: indices into ``beat_loc`` of the beats ending them.
        class_true: 1 (persistent) or 2 (paroxysmal AF).
        len_sig: signal length in samples.
    """
    b = np.asarray(beat_loc, dtype=np.int64)
    n = b.size
    onset = np.zeros(len_sig + 1)
    offset = np.zeros(len_sig + 1)
    for s in np.asarray(af_starts, dtype=np.int64).tolist():
        if class_true == 2:
            if max(s - 1, 0) == 0:
                onset[: b[s + 2]] += 1
            elif max(s - 2, 0) == 0:
                onset[b[s - 1] : b[s + 2]] += 1
                onset[: b[s - 1]] += 0.5
            else:
                onset[b[s - 1] : b[s + 2]] += 1
                onset[b[s - 2] : b[s - 1]] += 0.5
            onset[b[s + 2] : b[s + 3]] += 0.5
        elif class_true == 1:
            onset[: b[s + 2]] += 1
            onset[b[s + 2] : b[s + 3]] += 0.5
    for e in np.asarray(af_ends, dtype=np.int64).tolist():
        if class_true == 2:
            if min(e + 1, n - 1) == n - 1:
                offset[b[e - 2] :] += 1
            elif min(e + 2, n - 1) == n - 1:
                offset[b[e - 2] : b[e + 1]] += 1
                offset[b[e + 1] :] += 0.5
            else:
                offset[b[e - 2] : b[e + 1]] += 1
                offset[b[e + 1] : min(b[e + 2], len_sig - 1)] += 0.5
            offset[b[e - 3] : b[e - 2]] += 0.5
        elif class_true == 1:
            offset[b[e - 2] :] += 1
            offset[b[e - 3] : b[e - 2]] += 0.5
    return onset, offset


def predicted_class(endpoints_pred: ArrayLike, len_sig: int) -> int:
    """0 without episode, 1 for a single episode covering the whole record, else 2."""
    ep = np.asarray(endpoints_pred, dtype=np.int64).reshape(-1, 2)
    if ep.shape[0] == 0:
        return 0
    if ep.shape[0] == 1 and int(ep[0, 1] - ep[0, 0]) == len_sig - 1:
        return 1
    return 2


def ur_score(class_true: int, class_pred: int) -> float:
    """Rhythm classification term ``R[class_true, class_pred]``."""
    for name, c in (("class_true", class_true), ("class_pred", class_pred)):
        if c not in (0, 1, 2):
            raise ValueError(
                f"{name} must be 0 (non-AF), 1 (persistent) or 2 (paroxysmal), got {c!r}"
            )
    return float(CPSC2021_R[class_true, class_pred])


def ue_score(
    endpoints_pred: ArrayLike,
    n_true: int,
    onset_range: NDArray[np.float64],
    offset_range: NDArray[np.float64],
) -> float:
    """Endpoint term: summed onset/offset scores scaled by ``n_true / max(n_true, n_pred)``."""
    ep = np.asarray(endpoints_pred, dtype=np.int64).reshape(-1, 2)
    n_pred = ep.shape[0]
    if max(n_true, n_pred) == 0:
        return 0.0
    total = float(sum(onset_range[int(s)] + offset_range[int(e)] for s, e in ep))
    return total * (n_true / max(n_true, n_pred))


@dataclass(frozen=True, slots=True)
class CPSC2021RecordScore:
    """``u = ur + ue`` of one record."""

    class_true: int
    class_pred: int
    ur: float
    ue: float

    @property
    def u(self) -> float:
        return self.ur + self.ue


def cpsc2021_record_score(
    endpoints_pred: ArrayLike,
    *,
    beat_loc: ArrayLike,
    af_starts: ArrayLike,
    af_ends: ArrayLike,
    class_true: int,
    len_sig: int,
) -> CPSC2021RecordScore:
    """Score one record (see the module docstring); episode indices are sample indices."""
    cp = predicted_class(endpoints_pred, len_sig)
    ur = ur_score(class_true, cp)
    ue = 0.0
    if class_true in (1, 2):
        onset, offset = endpoint_score_ranges(beat_loc, af_starts, af_ends, class_true, len_sig)
        ue = ue_score(endpoints_pred, int(np.size(af_starts)), onset, offset)
    return CPSC2021RecordScore(class_true, cp, ur, ue)


def cpsc2021_score(scores: Sequence[CPSC2021RecordScore]) -> float:
    """The challenge score: mean ``u`` over records."""
    if not scores:
        raise ValueError("no record score given")
    return float(np.mean([s.u for s in scores]))
