"""Typed model outputs: required fields validated, any custom fields accepted.

Example:
    >>> out = MultiLabelClassificationOutput(
    ...     classes=["AF", "N"], prob=[[0.9, 0.2]], pred=[[1, 0]], thr=0.5, record_ids=["r1"])
    >>> out.record_ids, out.compute_metrics([[1, 0]])["micro_f1"]
    (['r1'], 1.0)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ecg_train.metrics.classification import ClassificationMetrics
from ecg_train.metrics.rpeaks import RPeaksDetectionMetrics
from ecg_train.metrics.wave_delineation import WaveDelineationMetrics, mask_to_waves

__all__ = [
    "BaseOutput",
    "ClassificationOutput",
    "MultiLabelClassificationOutput",
    "SequenceTaggingOutput",
    "WaveDelineationOutput",
    "RPeaksDetectionOutput",
]


def _array(value: object, name: str, ndim: int) -> NDArray[Any]:
    if hasattr(value, "detach"):  # torch tensors, without importing torch here
        value = value.detach().cpu().numpy()  # type: ignore[union-attr]
    a = np.asarray(value)
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {a.shape}")
    return a


class BaseOutput(Mapping[str, Any]):
    """Mapping of output fields with attribute access; subclasses list their required fields."""

    required: ClassVar[tuple[str, ...]] = ()
    __slots__ = ("_fields",)

    def __init__(self, **fields: Any) -> None:
        missing = [f for f in self.required if f not in fields]
        if missing:
            raise ValueError(
                f"{type(self).__name__} is missing required field(s) {', '.join(missing)} "
                f"(required: {', '.join(self.required)})"
            )
        object.__setattr__(self, "_fields", dict(fields))
        self._validate()

    def _validate(self) -> None:
        """Check shapes and class counts."""

    def __getattr__(self, name: str) -> Any:
        fields = object.__getattribute__(self, "_fields")
        if name in fields:
            return fields[name]
        raise AttributeError(
            f"{type(self).__name__} has no field {name!r}; fields: {', '.join(fields)}"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        self._fields[name] = value
        if name in self.required:
            self._validate()

    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self._fields)})"

    def _classes(self) -> list[str]:
        classes = self._fields["classes"]
        if isinstance(classes, str) or not isinstance(classes, Sequence) or not classes:
            raise ValueError(f"classes must be a non-empty sequence of names, got {classes!r}")
        return [str(c) for c in classes]

    def _check_prob(self, ndim: int) -> NDArray[Any]:
        prob = _array(self._fields["prob"], "prob", ndim)
        n_classes = len(self._classes())
        if prob.shape[-1] != n_classes:
            raise ValueError(
                f"prob has {prob.shape[-1]} classes on its last axis but {n_classes} class names "
                f"were given"
            )
        return prob


class ClassificationOutput(BaseOutput):
    """Multi-class output: ``classes``, ``prob`` ``(batch, classes)``, ``pred`` ``(batch,)``."""

    required = ("classes", "prob", "pred")
    __slots__ = ()

    def _validate(self) -> None:
        prob = self._check_prob(2)
        pred = _array(self._fields["pred"], "pred", 1)
        if pred.shape[0] != prob.shape[0]:
            raise ValueError(f"pred has {pred.shape[0]} items, prob {prob.shape[0]}")
        if pred.size and (pred.min() < 0 or pred.max() >= prob.shape[1]):
            raise ValueError(f"pred class indices must lie in [0, {prob.shape[1]})")

    def compute_metrics(self, labels: ArrayLike | None = None, **kwargs: Any) -> dict[str, float]:
        """:class:`ClassificationMetrics` (multi-class) against ``labels`` (or field ``labels``)."""
        lab = self._fields.get("labels") if labels is None else labels
        if lab is None:
            raise ValueError("labels are needed: pass them or set the 'labels' field")
        m = ClassificationMetrics(multi_label=False, classes=self._classes(), **kwargs)
        return m.compute(_array(lab, "labels", np.ndim(lab)), self.prob, self.pred).to_dict()


class MultiLabelClassificationOutput(BaseOutput):
    """Multi-label output: ``classes``, ``thr``, ``prob`` and binary ``pred`` ``(batch, classes)``."""

    required = ("classes", "thr", "prob", "pred")
    __slots__ = ()

    def _validate(self) -> None:
        prob = self._check_prob(2)
        pred = _array(self._fields["pred"], "pred", 2)
        if pred.shape != prob.shape:
            raise ValueError(f"pred shape {pred.shape} differs from prob shape {prob.shape}")
        thr = self._fields["thr"]
        if not isinstance(thr, int | float) or not 0 <= thr <= 1:
            raise ValueError(f"thr must be a probability in [0, 1], got {thr!r}")

    def compute_metrics(self, labels: ArrayLike | None = None, **kwargs: Any) -> dict[str, float]:
        """:class:`ClassificationMetrics` (multi-label) against ``labels`` ``(batch, classes)``."""
        lab = self._fields.get("labels") if labels is None else labels
        if lab is None:
            raise ValueError("labels are needed: pass them or set the 'labels' field")
        m = ClassificationMetrics(
            multi_label=True, classes=self._classes(), threshold=float(self.thr), **kwargs
        )
        return m.compute(_array(lab, "labels", 2), self.prob, self.pred).to_dict()


class SequenceTaggingOutput(BaseOutput):
    """Per-sample tagging: ``classes``, ``prob`` ``(batch, samples, classes)``, ``pred``
    ``(batch, samples)`` class indices."""

    required = ("classes", "prob", "pred")
    __slots__ = ()

    def _validate(self) -> None:
        prob = self._check_prob(3)
        pred = _array(self._fields["pred"], "pred", 2)
        if pred.shape != prob.shape[:2]:
            raise ValueError(
                f"pred shape {pred.shape} must be prob's (batch, samples) {prob.shape[:2]}"
            )

    def compute_metrics(self, labels: ArrayLike | None = None, **kwargs: Any) -> dict[str, float]:
        """Multi-class metrics over all samples; ``labels`` ``(batch, samples)`` class indices."""
        lab = self._fields.get("labels") if labels is None else labels
        if lab is None:
            raise ValueError("labels are needed: pass them or set the 'labels' field")
        y = _array(lab, "labels", 2)
        if y.shape != self.pred.shape:
            raise ValueError(
                f"labels shape {y.shape} differs from pred shape {np.shape(self.pred)}"
            )
        n_classes = len(self._classes())
        m = ClassificationMetrics(multi_label=False, classes=self._classes(), **kwargs)
        prob = np.asarray(self.prob).reshape(-1, n_classes)
        return m.compute(y.ravel(), prob, np.asarray(self.pred).ravel()).to_dict()


class WaveDelineationOutput(BaseOutput):
    """Delineation: ``classes`` (background first, e.g. ``["i", "p", "qrs", "t"]``), ``prob``
    ``(batch, samples, classes)``, ``mask`` ``(batch, samples)`` class indices."""

    required = ("classes", "prob", "mask")
    __slots__ = ()

    def _validate(self) -> None:
        prob = self._check_prob(3)
        mask = _array(self._fields["mask"], "mask", 2)
        if mask.shape != prob.shape[:2]:
            raise ValueError(
                f"mask shape {mask.shape} must be prob's (batch, samples) {prob.shape[:2]}"
            )

    def compute_metrics(
        self,
        labels: ArrayLike | None = None,
        *,
        fs: float,
        class_map: Mapping[str, int] | None = None,
        tolerance_ms: float = 150.0,
    ) -> dict[str, float]:
        """:class:`WaveDelineationMetrics` of the predicted vs reference masks ``(batch, samples)``.

        ``class_map`` maps wave names to mask values (default: the class indices of ``p``,
        ``qrs`` and ``t`` among ``classes``, case-insensitive).
        """
        lab = self._fields.get("labels") if labels is None else labels
        if lab is None:
            raise ValueError("labels are needed: pass them or set the 'labels' field")
        y = _array(lab, "labels", 2)
        mask = np.asarray(self.mask)
        if y.shape != mask.shape:
            raise ValueError(f"labels shape {y.shape} differs from mask shape {mask.shape}")
        if class_map is None:
            lower = [c.lower() for c in self._classes()]
            class_map = {w: lower.index(w) for w in ("p", "qrs", "t") if w in lower}
            if not class_map:
                raise ValueError(
                    f"no 'p'/'qrs'/'t' among classes {self._classes()}; pass class_map"
                )
        refs = [mask_to_waves(row, class_map) for row in y]
        preds = [mask_to_waves(row, class_map) for row in mask]
        metrics = WaveDelineationMetrics(fs=fs, tolerance_ms=tolerance_ms, waves=tuple(class_map))
        return metrics.compute(refs, preds)


class RPeaksDetectionOutput(BaseOutput):
    """R-peak detection: ``rpeak_indices`` (one int array per record), optional ``prob``."""

    required = ("rpeak_indices",)
    __slots__ = ()

    def _validate(self) -> None:
        peaks = self._fields["rpeak_indices"]
        if isinstance(peaks, np.ndarray) and peaks.ndim == 1 and peaks.dtype != object:
            raise ValueError("rpeak_indices must be a sequence of 1-D arrays, one per record")
        for i, p in enumerate(peaks):
            if np.ndim(p) != 1:
                raise ValueError(f"rpeak_indices[{i}] must be 1-D, got shape {np.shape(p)}")
        prob = self._fields.get("prob")
        if prob is not None and len(_array(prob, "prob", 2)) != len(peaks):
            raise ValueError(f"prob has {len(prob)} records but rpeak_indices {len(peaks)}")

    def compute_metrics(
        self,
        labels: Sequence[ArrayLike] | None = None,
        *,
        fs: float,
        tolerance_s: float = 0.15,
    ) -> dict[str, float]:
        """:class:`RPeaksDetectionMetrics` (Se, PPV, F1, timing error, CPSC2019 score)."""
        lab = self._fields.get("labels") if labels is None else labels
        if lab is None:
            raise ValueError("labels are needed: pass them or set the 'labels' field")
        return RPeaksDetectionMetrics(fs=fs, tolerance_s=tolerance_s).compute(
            list(lab), list(self.rpeak_indices)
        )
