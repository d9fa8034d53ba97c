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

Predicted episodes are ``[start, end]`` pairs of sample indices (0-based, end inclusive). They
must be whole numbers in ``[0, len_sig - 1]`` with ``start <= end``: the official code indexes
its per-sample score arrays (of length ``len_sig``) with them, so an end at ``len_sig`` or
beyond raises there, as does NaN. Here every such value raises ``ValueError`` (a fractional or
negative index too, which the official code would truncate or wrap around silently).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CPSC2021_R",
    "check_endpoints",
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


def check_endpoints(endpoints_pred: ArrayLike, len_sig: int) -> NDArray[np.int64]:
    """Predicted episodes as an int64 array ``(n_episodes, 2)`` after checking them.

    Args:
        endpoints_pred: ``[[start, end], ...]`` sample indices (end inclusive); may be empty.
        len_sig: the record's length in samples.

    Raises:
        ValueError: not ``(n, 2)``, not finite, not whole numbers, outside ``[0, len_sig - 1]``
            or ``start > end`` (the message names the episode and the value).
    """
    if isinstance(len_sig, bool) or not isinstance(len_sig, int | np.integer) or len_sig < 1:
        raise ValueError(f"len_sig must be a positive number of samples, got {len_sig!r}")
    raw = np.asarray(endpoints_pred)
    if raw.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if raw.dtype == object or not np.issubdtype(raw.dtype, np.number) or raw.dtype == bool:
        raise ValueError(f"episode endpoints must be sample indices (numbers), got {raw.dtype}")
    if raw.ndim == 1 and raw.size == 2:
        raw = raw.reshape(1, 2)
    if raw.ndim != 2 or raw.shape[1] != 2:
        raise ValueError(f"episode endpoints must have shape (n, 2) [start, end], got {raw.shape}")
    values = raw.astype(np.float64)
    for k, (start, end) in enumerate(values.tolist()):
        for name, v in (("start", start), ("end", end)):
            if not np.isfinite(v) or v != np.floor(v):
                raise ValueError(
                    f"episode {k}: {name} must be a whole sample index, got {raw[k].tolist()}"
                )
            if not 0 <= v <= len_sig - 1:
                raise ValueError(
                    f"episode {k}: {name}={v:g} lies outside the record's samples "
                    f"[0, {len_sig - 1}] (len_sig={len_sig})"
                )
        if start > end:
            raise ValueError(f"episode {k}: start={start:g} must not exceed end={end:g}")
    return values.astype(np.int64)


def endpoint_score_ranges(
    beat_loc: ArrayLike,
    af_starts: ArrayLike,
    af_ends: ArrayLike,
    class_true: int,
    len_sig: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-sample onset and offset scores (length ``len_sig``) of the official code.

    Args:
        beat_loc: R-peak sample indices of the reference annotation.
        af_starts: indices INTO ``beat_loc`` of the beats starting AF episodes.
        af_ends: indices into ``beat_loc`` of the beats ending them.
        class_true: 1 (persistent) or 2 (paroxysmal AF).
        len_sig: signal length in samples.
    """
    b = np.asarray(beat_loc, dtype=np.int64)
    n = b.size
    onset = np.zeros(len_sig)
    offset = np.zeros(len_sig)
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
    """0 without episode, 1 for a single episode covering the whole record, else 2.

    ``endpoints_pred`` has shape ``(episodes, 2)``: onset and offset sample indices of each
    predicted AF episode of a record of ``len_sig`` samples.

    Raises:
        ValueError: invalid episodes (:func:`check_endpoints`).
    """
    ep = check_endpoints(endpoints_pred, len_sig)
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
    """Endpoint term: summed onset/offset scores scaled by ``n_true / max(n_true, n_pred)``.

    Raises:
        ValueError: invalid episodes for a record of ``len(onset_range)`` samples.
    """
    ep = check_endpoints(endpoints_pred, int(len(onset_range)))
    n_pred = int(ep.shape[0])
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
        """The record's score ``ur + ue``."""
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
    """Score one record (see the module docstring); episode indices are sample indices.

    ``endpoints_pred`` has shape ``(episodes, 2)`` (predicted onset, offset); ``beat_loc`` (1-D)
    holds the R-peak sample indices, ``af_starts`` and ``af_ends`` (1-D, same length) the
    reference episodes, ``len_sig`` the record's length in samples.

    Raises:
        ValueError: invalid episodes (:func:`check_endpoints`).
    """
    endpoints_pred = check_endpoints(endpoints_pred, len_sig)
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
