"""AUROC and average precision in numpy, reproducing scikit-learn's definitions exactly.

``roc_auc`` matches ``sklearn.metrics.roc_auc_score`` (binary) and ``average_precision`` matches
``sklearn.metrics.average_precision_score`` (binary, uninterpolated step-function integral).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["binary_clf_curve", "roc_auc", "average_precision"]


def binary_clf_curve(
    y_true: NDArray[np.bool_], y_score: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """False and true positive counts at each distinct threshold (decreasing order).

    Args:
        y_true: boolean labels, shape ``(n,)``.
        y_score: scores, shape ``(n,)``.

    Returns:
        ``(fps, tps)``, float64 arrays of the same length (number of distinct scores).
    """
    order = np.argsort(y_score, kind="mergesort")[::-1]
    score = y_score[order]
    truth = y_true[order].astype(np.float64)
    distinct = np.where(np.diff(score))[0]
    idx = np.r_[distinct, truth.size - 1]
    tps = np.cumsum(truth, dtype=np.float64)[idx]
    fps = 1 + idx.astype(np.float64) - tps
    return fps, tps


def roc_auc(y_true: NDArray[np.bool_], y_score: NDArray[np.float64]) -> float:
    """Area under the ROC curve (trapezoidal), NaN when only one class is present."""
    if y_true.size == 0 or y_true.all() or not y_true.any():
        return float("nan")
    fps, tps = binary_clf_curve(y_true, y_score)
    if fps.shape[0] > 2:  # sklearn's drop_intermediate=True
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps = fps[keep], tps[keep]
    tps = np.r_[0.0, tps]
    fps = np.r_[0.0, fps]
    fpr = fps / fps[-1]
    tpr = tps / tps[-1]
    return float(np.trapezoid(tpr, fpr))


def average_precision(y_true: NDArray[np.bool_], y_score: NDArray[np.float64]) -> float:
    """Average precision ``sum_n (R_n - R_{n-1}) P_n`` (0 when there is no positive)."""
    if y_true.size == 0:
        return float("nan")
    fps, tps = binary_clf_curve(y_true, y_score)
    ps = tps + fps
    precision = np.divide(tps, ps, out=np.zeros_like(tps), where=ps != 0)
    recall = np.ones_like(tps) if tps[-1] == 0 else tps / tps[-1]
    precision = np.r_[precision[::-1], 1.0]
    recall = np.r_[recall[::-1], 0.0]
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))
