"""The PhysioNet/CinC Challenge 2020/2021 scoring metric.

Reference: Perez Alday et al., "Classification of 12-lead ECGs: the PhysioNet/Computing in
Cardiology Challenge 2020", Physiol. Meas. 41 (2020); Reyna et al., "Will Two Do? ...", CinC 2021;
``evaluate_model.py`` of the official evaluation code.

For each record, the "modified confusion matrix" ``A`` gets ``1 / n`` at ``(label j, output k)``
for every positive label ``j`` and positive output ``k``, with ``n = max(1, |labels OR outputs|)``.
The score ``sum(W * A)`` is normalised so that always outputting the true labels scores 1 and
always outputting only the normal class (SNOMED 426783006, sinus rhythm) scores 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ecg_train.metrics._cinc2021_weights import WEIGHTS_CSV_2021

__all__ = [
    "NORMAL_CLASS",
    "EQUIVALENT_CLASSES",
    "cinc2021_classes",
    "cinc2021_weights",
    "codes_to_labels",
    "modified_confusion_matrix",
    "compute_challenge_metric",
]

NORMAL_CLASS = "426783006"
EQUIVALENT_CLASSES = (
    ("713427006", "59118001"),
    ("284470004", "63593006"),
    ("427172004", "17338001"),
    ("733534002", "164909002"),
)


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[str, ...], NDArray[np.float64]]:
    lines = WEIGHTS_CSV_2021.strip().splitlines()
    classes = tuple(lines[0].split(",")[1:])
    rows = [line.split(",") for line in lines[1:]]
    if [r[0] for r in rows] != list(classes):
        raise RuntimeError("corrupt embedded weights table: row and column classes differ")
    weights = np.array([[float(v) for v in r[1:]] for r in rows], dtype=np.float64)
    weights.setflags(write=False)
    return classes, weights


def cinc2021_classes() -> tuple[str, ...]:
    """The 26 scored classes (equivalent SNOMED codes joined by ``|``), in weights order."""
    return _table()[0]


def cinc2021_weights() -> NDArray[np.float64]:
    """The weights matrix of the 2021 challenge, shape ``(26, 26)`` (a fresh copy)."""
    return _table()[1].copy()


def codes_to_labels(
    records: Iterable[Iterable[str]], classes: Sequence[str] | None = None
) -> NDArray[np.bool_]:
    """Multi-hot ``(records, classes)`` matrix of SNOMED codes; equivalent codes share a column.

    Codes that are not scored are ignored.
    """
    cls = list(classes) if classes is not None else list(cinc2021_classes())
    column = {code: i for i, c in enumerate(cls) for code in c.split("|")}
    rows = []
    for codes in records:
        row = np.zeros(len(cls), dtype=bool)
        for code in codes:
            idx = column.get(str(code).strip())
            if idx is not None:
                row[idx] = True
        rows.append(row)
    return np.array(rows, dtype=bool).reshape(len(rows), len(cls))


def modified_confusion_matrix(labels: ArrayLike, outputs: ArrayLike) -> NDArray[np.float64]:
    """The challenge's ``(classes, classes)`` matrix (rows: labels, columns: outputs)."""
    lab = np.asarray(labels).astype(bool)
    out = np.asarray(outputs).astype(bool)
    if lab.ndim != 2 or lab.shape != out.shape:
        raise ValueError(
            f"labels and outputs must be binary (records, classes) arrays of one shape, got "
            f"{lab.shape} and {out.shape}"
        )
    norm = np.maximum(np.sum(lab | out, axis=1), 1).astype(np.float64)
    matrix: NDArray[np.float64] = (lab.astype(np.float64) / norm[:, None]).T @ out.astype(
        np.float64
    )
    return matrix


def compute_challenge_metric(
    labels: ArrayLike,
    outputs: ArrayLike,
    weights: ArrayLike | None = None,
    classes: Sequence[str] | None = None,
    normal_class: str = NORMAL_CLASS,
) -> float:
    """Normalised challenge score of binary ``outputs`` against ``labels`` ``(records, classes)``.

    Args:
        labels: binary labels.
        outputs: binary predictions.
        weights: ``(classes, classes)`` reward matrix; default the 2021 table
            (:func:`cinc2021_weights`, with ``classes`` = :func:`cinc2021_classes`).
        classes: class names in column order (must contain ``normal_class``, possibly as one of
            ``|``-joined equivalent codes).
        normal_class: SNOMED code of the normal class (sinus rhythm 426783006).

    Returns:
        ``(observed - inactive) / (correct - inactive)``, 0 when the denominator vanishes.
    """
    w = cinc2021_weights() if weights is None else np.asarray(weights, dtype=np.float64)
    cls = list(classes) if classes is not None else list(cinc2021_classes())
    lab = np.asarray(labels).astype(bool)
    if w.shape != (len(cls), len(cls)):
        raise ValueError(
            f"weights must be ({len(cls)}, {len(cls)}) for {len(cls)} classes, got {w.shape}"
        )
    if lab.ndim != 2 or lab.shape[1] != len(cls):
        raise ValueError(f"labels must have shape (records, {len(cls)}), got {lab.shape}")
    normal = [i for i, c in enumerate(cls) if normal_class in c.split("|")]
    if not normal:
        raise ValueError(f"normal class {normal_class!r} is not among the classes")
    observed = float(np.nansum(w * modified_confusion_matrix(lab, outputs)))
    correct = float(np.nansum(w * modified_confusion_matrix(lab, lab)))
    inactive_out = np.zeros_like(lab)
    inactive_out[:, normal[0]] = True
    inactive = float(np.nansum(w * modified_confusion_matrix(lab, inactive_out)))
    if correct == inactive:
        return 0.0
    return (observed - inactive) / (correct - inactive)
