"""The RR head of the pretrained AF classifier: class log-probabilities from the RR-interval
features of :mod:`ecg_signal.rr_intervals`, fused with the network's.

The RR head (:func:`apply_rr_head`) has two parts: a one-hidden-layer network over the
standardised RR features (:func:`rr_log_probs`, class log-probabilities from the rhythm
alone) and a multinomial logistic regression over the network's log-probabilities and
those. Its parameters are a plain mapping (``features``, ``mean``, ``scale``, ``w1``, ``b1``,
``w2``, ``b2``, ``weight``, ``bias``), stored in a pretrained card's config.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ecg_signal.rr_intervals import RR_FEATURES

__all__ = ["RR_HEAD_EPS", "apply_rr_head", "check_rr_head", "rr_log_probs"]

RR_HEAD_EPS = 1e-6
"""Floor added to the network's probabilities before their log, in fitting and in applying."""


def check_rr_head(head: Any, n_classes: int) -> dict[str, npt.NDArray[np.float64]]:
    """The arrays of an RR head mapping, checked.

    Args:
        head: ``{"features": names (must equal RR_FEATURES), "mean": (F,), "scale": (F,) > 0,
            "w1": (H, F), "b1": (H,), "w2": (n_classes, H), "b2": (n_classes,),
            "weight": (n_classes, 2 n_classes), "bias": (n_classes,)}``.
        n_classes: number of classes of the network.

    Raises:
        ValueError: a missing key, other feature names, or arrays of the wrong shape.
    """
    if not hasattr(head, "keys"):
        raise ValueError(f"the RR head must be a mapping, got {type(head).__name__}")
    keys = ("features", "mean", "scale", "w1", "b1", "w2", "b2", "weight", "bias")
    missing = [k for k in keys if k not in head]
    if missing:
        raise ValueError(f"the RR head lacks {missing}")
    if tuple(head["features"]) != RR_FEATURES:
        raise ValueError(
            f"the RR head was fitted on features {list(head['features'])}, not {list(RR_FEATURES)}"
        )
    n_f, k = len(RR_FEATURES), n_classes
    n_h = np.asarray(head["b1"]).shape[0] if np.asarray(head["b1"]).ndim == 1 else -1
    shapes = {
        "mean": (n_f,),
        "scale": (n_f,),
        "w1": (n_h, n_f),
        "b1": (n_h,),
        "w2": (k, n_h),
        "b2": (k,),
        "weight": (k, 2 * k),
        "bias": (k,),
    }
    out: dict[str, npt.NDArray[np.float64]] = {}
    for key, shape in shapes.items():
        arr = np.asarray(head[key], dtype=np.float64)
        if arr.shape != shape or not np.isfinite(arr).all():
            raise ValueError(f"RR head {key!r} must be finite of shape {shape}, got {arr.shape}")
        out[key] = arr
    if np.any(out["scale"] <= 0):
        raise ValueError("RR head 'scale' must be positive")
    return out


def _log_softmax(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    a = a - a.max(axis=-1, keepdims=True)
    out: npt.NDArray[np.float64] = a - np.log(np.exp(a).sum(axis=-1, keepdims=True))
    return out


def rr_log_probs(head: Any, features: Any) -> npt.NDArray[np.float64]:
    """Log-probabilities of the head's feature network: ``log_softmax(w2 @ relu(w1 @ z + b1)
    + b2)`` with ``z = (features - mean) / scale``; ``features`` ``(n, F)`` or ``(F,)``."""
    f = np.asarray(features, dtype=np.float64)
    h = check_rr_head(head, np.asarray(head["b2"]).shape[0])
    if f.shape[-1] != len(RR_FEATURES):
        raise ValueError(f"features of shape {f.shape} are not (..., {len(RR_FEATURES)})")
    z = (f - h["mean"]) / h["scale"]
    hidden = np.maximum(z @ h["w1"].T + h["b1"], 0.0)
    return _log_softmax(hidden @ h["w2"].T + h["b2"])


def apply_rr_head(
    head: Any, probs: Any, features: Any, *, eps: float = RR_HEAD_EPS
) -> npt.NDArray[np.float64]:
    """Class probabilities of the RR head.

    Args:
        head: the head mapping (see :func:`check_rr_head`).
        probs: the network's probabilities, ``(n, classes)`` or ``(classes,)``.
        features: the :data:`RR_FEATURES` vectors, ``(n, F)`` or ``(F,)``.
        eps: floor added before the log of ``probs``.

    Returns:
        ``softmax(weight @ [log(probs + eps), rr_log_probs(features)] + bias)``, the shape
        of ``probs``.
    """
    p = np.asarray(probs, dtype=np.float64)
    h = check_rr_head(head, p.shape[-1])
    f = np.asarray(features, dtype=np.float64)
    if f.shape[-1] != len(RR_FEATURES) or f.shape[:-1] != p.shape[:-1]:
        raise ValueError(f"features of shape {f.shape} do not match probs of shape {p.shape}")
    z = np.concatenate([np.log(p + eps), rr_log_probs(head, f)], axis=-1)
    return np.exp(_log_softmax(z @ h["weight"].T + h["bias"]))
