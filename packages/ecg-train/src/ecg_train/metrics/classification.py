"""Classification metrics for multi-class and multi-label ECG classification.

Per-class and macro/micro sensitivity (recall), specificity, precision, F1, F-beta, G-beta,
accuracy, AUROC and AUPRC. G-beta follows the PhysioNet/CinC Challenge 2020 (Perez Alday et al.,
Physiol. Meas. 2020): ``G_beta = TP / (TP + FP + beta * FN)``.

Undefined values (a ratio whose denominator is 0, e.g. the F1 of a class that is neither present
nor predicted, or the AUPRC of a class without positive) follow ``undefined``:

* ``"zero"`` (default): scikit-learn's ``zero_division=0`` and ``average_precision_score``:
  such a value is 0 and counts as 0 in the macro averages;
* ``"omit"``: such a value is NaN and is left out of the macro averages (``nanmean``), as the
  official PhysioNet/CinC 2020 and 2021 scoring code (``evaluate_model.py``) does for F1, G-beta,
  AUROC and AUPRC. Use it to reproduce the challenges' numbers.

AUROC is undefined (NaN, left out) without positives or without negatives in both modes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ecg_train.metrics._ranking import average_precision, roc_auc

__all__ = ["ClassificationMetrics", "ClassificationResult", "confusion_counts"]

_PER_CLASS = (
    "sensitivity",
    "specificity",
    "precision",
    "f1",
    "f_beta",
    "g_beta",
    "accuracy",
    "auroc",
    "auprc",
)


UNDEFINED = ("zero", "omit")


def _div(
    num: NDArray[np.float64], den: NDArray[np.float64], fill: float = 0.0
) -> NDArray[np.float64]:
    out = np.full(np.shape(num), fill, dtype=np.float64)
    return np.divide(num, den, out=out, where=den != 0)


def confusion_counts(
    truth: NDArray[np.bool_], pred: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per-class ``(tp, fp, fn, tn)`` counts of boolean ``(n, classes)`` arrays."""
    tp = np.sum(truth & pred, axis=0).astype(np.float64)
    fp = np.sum(~truth & pred, axis=0).astype(np.float64)
    fn = np.sum(truth & ~pred, axis=0).astype(np.float64)
    tn = np.sum(~truth & ~pred, axis=0).astype(np.float64)
    return tp, fp, fn, tn


@dataclass(frozen=True, slots=True)
class ClassificationResult:
    """Metrics of one evaluation.

    Attributes:
        classes: class names.
        per_class: metric name -> array ``(classes,)``.
        macro: metric name -> unweighted mean over the classes where the value is defined
            (not NaN; see ``undefined``).
        micro: metric name -> metric of the pooled counts (AUROC/AUPRC: of the flattened arrays).
        accuracy: ``sklearn.metrics.accuracy_score`` (subset accuracy for multi-label).
    """

    classes: tuple[str, ...]
    per_class: Mapping[str, NDArray[np.float64]]
    macro: Mapping[str, float]
    micro: Mapping[str, float]
    accuracy: float

    def to_dict(self) -> dict[str, float]:
        """Flat ``{"macro_f1": ..., "micro_auroc": ..., "f1/AF": ..., "accuracy": ...}``."""
        out: dict[str, float] = {"accuracy": self.accuracy}
        for name, value in self.macro.items():
            out[f"macro_{name}"] = value
        for name, value in self.micro.items():
            out[f"micro_{name}"] = value
        for name, values in self.per_class.items():
            for cls, v in zip(self.classes, values, strict=True):
                out[f"{name}/{cls}"] = float(v)
        return out


@dataclass(slots=True)
class ClassificationMetrics:
    """Configurable classification metrics.

    Attributes:
        multi_label: True for multi-label (independent sigmoid outputs), False for multi-class.
        beta: beta of F-beta.
        gbeta: beta of G-beta (CinC 2020 uses 2).
        threshold: probability threshold turning multi-label scores into predictions.
        classes: optional class names (default ``"0", "1", ...``).
        undefined: ``"zero"`` (scikit-learn) or ``"omit"`` (official CinC code): how values with
            a zero denominator enter the macro averages (see the module docstring).

    Example:
        >>> m = ClassificationMetrics(multi_label=False)
        >>> res = m.compute([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
        >>> round(res.accuracy, 4)
        0.6667
    """

    multi_label: bool = True
    beta: float = 2.0
    gbeta: float = 2.0
    threshold: float = 0.5
    classes: Sequence[str] | None = field(default=None)
    undefined: str = "zero"

    def __post_init__(self) -> None:
        if self.undefined not in UNDEFINED:
            raise ValueError(
                f"undefined must be one of {', '.join(UNDEFINED)}; got {self.undefined!r}"
            )
        for name in ("beta", "gbeta"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive finite number, got {value!r}")
        if not 0.0 <= float(self.threshold) <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1] (probability), got {self.threshold!r}")

    def _prepare(
        self, labels: ArrayLike, scores: ArrayLike | None, predictions: ArrayLike | None
    ) -> tuple[NDArray[np.bool_], NDArray[np.float64] | None, NDArray[np.bool_], int]:
        lab = np.asarray(labels)
        sc = None if scores is None else np.asarray(scores, dtype=np.float64)
        if sc is not None and sc.ndim != 2:
            raise ValueError(f"scores must have shape (n, classes), got {sc.shape}")
        if lab.ndim == 1:
            if self.multi_label:
                raise ValueError(
                    f"multi-label labels must have shape (n, classes), got {lab.shape}"
                )
            n_classes = sc.shape[1] if sc is not None else int(lab.max(initial=-1)) + 1
            if self.classes is not None:
                n_classes = len(self.classes)
            if lab.size and (lab.min() < 0 or lab.max() >= n_classes):
                raise ValueError(
                    f"class indices must lie in [0, {n_classes}), got {lab.min()}..{lab.max()}"
                )
            truth = np.eye(n_classes, dtype=bool)[lab.astype(np.int64)]
        elif lab.ndim == 2:
            truth = lab.astype(bool)
            n_classes = truth.shape[1]
        else:
            raise ValueError(f"labels must have shape (n,) or (n, classes), got {lab.shape}")
        if sc is not None and sc.shape != truth.shape:
            raise ValueError(f"scores shape {sc.shape} does not match labels {truth.shape}")
        if self.classes is not None and len(self.classes) != n_classes:
            raise ValueError(f"{len(self.classes)} class names given for {n_classes} classes")
        if predictions is not None:
            pr = np.asarray(predictions)
            if pr.ndim == 1 and not self.multi_label:
                pred = np.eye(n_classes, dtype=bool)[pr.astype(np.int64)]
            else:
                pred = pr.astype(bool)
        elif sc is not None:
            if self.multi_label:
                pred = sc >= self.threshold
            else:
                pred = np.eye(n_classes, dtype=bool)[np.argmax(sc, axis=1)]
        else:
            raise ValueError("either scores or predictions must be given")
        if pred.shape != truth.shape:
            raise ValueError(f"predictions shape {pred.shape} does not match labels {truth.shape}")
        return truth, sc, pred, n_classes

    def compute(
        self,
        labels: ArrayLike,
        scores: ArrayLike | None = None,
        predictions: ArrayLike | None = None,
    ) -> ClassificationResult:
        """Compute every metric.

        Args:
            labels: multi-hot ``(n, classes)``; for multi-class also class indices ``(n,)``.
            scores: probabilities ``(n, classes)`` (needed for AUROC/AUPRC).
            predictions: binary ``(n, classes)`` or class indices ``(n,)``; default: scores
                thresholded (multi-label) or their argmax (multi-class).
        """
        truth, sc, pred, n_classes = self._prepare(labels, scores, predictions)
        names = (
            tuple(self.classes) if self.classes is not None else tuple(map(str, range(n_classes)))
        )
        tp, fp, fn, tn = confusion_counts(truth, pred)
        per = self._from_counts(tp, fp, fn, tn)
        micro = {
            k: float(v[0])
            for k, v in self._from_counts(
                tp.sum(keepdims=True),
                fp.sum(keepdims=True),
                fn.sum(keepdims=True),
                tn.sum(keepdims=True),
            ).items()
        }
        if sc is not None:
            per["auroc"] = np.array([roc_auc(truth[:, c], sc[:, c]) for c in range(n_classes)])
            per["auprc"] = np.array(
                [average_precision(truth[:, c], sc[:, c]) for c in range(n_classes)]
            )
            if self.undefined == "omit":
                per["auprc"][~truth.any(axis=0)] = np.nan
            micro["auroc"] = roc_auc(truth.ravel(), sc.ravel())
            micro["auprc"] = average_precision(truth.ravel(), sc.ravel())
        macro = {}
        for k, v in per.items():
            finite = v[np.isfinite(v)]
            macro[k] = float(finite.mean()) if finite.size else float("nan")
        accuracy = float(np.mean(np.all(truth == pred, axis=1))) if truth.shape[0] else float("nan")
        return ClassificationResult(names, per, macro, micro, accuracy)

    def _from_counts(
        self,
        tp: NDArray[np.float64],
        fp: NDArray[np.float64],
        fn: NDArray[np.float64],
        tn: NDArray[np.float64],
    ) -> dict[str, NDArray[np.float64]]:
        b2 = float(self.beta) ** 2
        total = tp + fp + fn + tn
        fill = 0.0 if self.undefined == "zero" else float("nan")
        return {
            "sensitivity": _div(tp, tp + fn, fill),
            "specificity": _div(tn, tn + fp, fill),
            "precision": _div(tp, tp + fp, fill),
            "f1": _div(2 * tp, 2 * tp + fp + fn, fill),
            "f_beta": _div((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, fill),
            "g_beta": _div(tp, tp + fp + float(self.gbeta) * fn, fill),
            "accuracy": _div(tp + tn, total, fill),
        }
