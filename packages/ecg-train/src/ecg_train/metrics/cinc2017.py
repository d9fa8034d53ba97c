"""Scoring of the PhysioNet/CinC Challenge 2017 (AF classification from a single-lead ECG), as
the organisers' ``score2017Challenge.m``.

A 4 x 4 confusion matrix counts reference class (rows) against answer (columns) over the
classes ``N`` (normal), ``A`` (AF), ``O`` (other rhythm) and ``~`` (noisy). The F1 of class
``c`` is ``2 C[c, c] / (sum of row c + sum of column c)``. The final score is the mean of the
F1 of ``N``, ``A`` and ``O``; the F1 of ``~`` is reported but not averaged. A record without
an answer counts as ``~`` (the scorer warns and does the same); an answer that is not one of
the four codes is an error. A class absent from both reference and answers has F1 NaN (0/0,
as in MATLAB).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["CINC2017_SCORED", "CINC2017_CODES", "cinc2017_confusion", "cinc2017_score"]

#: Class codes in the scorer's row / column order.
CINC2017_CODES: tuple[str, ...] = ("N", "A", "O", "~")
#: The classes averaged into the final score.
CINC2017_SCORED: tuple[str, ...] = ("N", "A", "O")
_NAMES = {"N": "normal", "A": "af", "O": "other", "~": "noisy"}


def _codes(values: Sequence[Any] | npt.NDArray[Any], what: str) -> list[str]:
    out: list[str] = []
    for k, v in enumerate(values):
        if isinstance(v, str):
            code = v.strip()
        elif isinstance(v, int | np.integer) and not isinstance(v, bool) and 0 <= v < 4:
            code = CINC2017_CODES[int(v)]
        else:
            code = repr(v)
        if code not in CINC2017_CODES:
            raise ValueError(
                f"{what} {k}: {v!r} is not one of {list(CINC2017_CODES)} (or an index 0-3)"
            )
        out.append(code)
    return out


def cinc2017_confusion(
    reference: Sequence[Any] | Mapping[str, Any] | npt.NDArray[Any],
    answers: Sequence[Any] | Mapping[str, Any] | npt.NDArray[Any],
) -> npt.NDArray[np.int64]:
    """The scorer's confusion matrix (4, 4): rows reference, columns answer, order N, A, O, ~.

    Args:
        reference: reference codes (``"N"``, ``"A"``, ``"O"``, ``"~"`` or indices 0-3), or a
            mapping record -> code.
        answers: the answers, aligned with ``reference`` (same length), or a mapping
            record -> code (then a record of ``reference`` without an answer counts as ``~``).

    Raises:
        ValueError: a code outside the four classes, or sequences of different lengths.
    """
    if isinstance(reference, Mapping):
        names = list(reference)
        ref = _codes([reference[r] for r in names], "reference of record")
        if isinstance(answers, Mapping):
            missing = [r for r in names if r not in answers]
            if missing:
                warnings.warn(
                    f"no answer for {len(missing)} record(s) (e.g. {missing[0]!r}); counted as "
                    "noise (~) as the official scorer does",
                    stacklevel=2,
                )
            ans = _codes([answers.get(r, "~") for r in names], "answer of record")
        else:
            ans = _codes(list(answers), "answer")
    else:
        ref = _codes(list(reference), "reference")
        if isinstance(answers, Mapping):
            raise TypeError("answers is a mapping but reference is not: give both as mappings")
        ans = _codes(list(answers), "answer")
    if len(ref) != len(ans):
        raise ValueError(f"{len(ref)} references but {len(ans)} answers (they must align)")
    index = {c: k for k, c in enumerate(CINC2017_CODES)}
    matrix = np.zeros((4, 4), dtype=np.int64)
    for r, a in zip(ref, ans, strict=True):
        matrix[index[r], index[a]] += 1
    return matrix


def cinc2017_score(
    reference: Sequence[Any] | Mapping[str, Any] | npt.NDArray[Any],
    answers: Sequence[Any] | Mapping[str, Any] | npt.NDArray[Any],
) -> dict[str, Any]:
    """The challenge score and its parts.

    Args:
        reference: reference codes, one per record (1-D), as :func:`cinc2017_confusion` takes.
        answers: the answers, aligned with ``reference`` (same length) or a mapping record ->
            code, as :func:`cinc2017_confusion` takes.

    Returns:
        ``{"f1": mean F1 of N, A, O, "f1_normal", "f1_af", "f1_other", "f1_noisy",
        "confusion": 4 x 4 list (rows reference N, A, O, ~; columns answer)}``.
    """
    matrix = cinc2017_confusion(reference, answers)
    out: dict[str, Any] = {}
    per: dict[str, float] = {}
    for k, code in enumerate(CINC2017_CODES):
        denom = float(matrix[k, :].sum() + matrix[:, k].sum())
        per[code] = 2.0 * float(matrix[k, k]) / denom if denom else float("nan")
    out["f1"] = float(np.mean([per[c] for c in CINC2017_SCORED]))
    for code in CINC2017_CODES:
        out[f"f1_{_NAMES[code]}"] = per[code]
    out["confusion"] = matrix.tolist()
    return out
