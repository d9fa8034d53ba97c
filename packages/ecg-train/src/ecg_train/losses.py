"""Loss functions for ECG classification and sequence labelling.

A functional core (``masked_bce_with_logits``, ``focal_loss``, ``asymmetric_loss``,
``weighted_cross_entropy``) and thin ``torch.nn.Module`` wrappers holding the
hyper-parameters (``MaskedBCEWithLogitsLoss``, ``FocalLoss``, ``AsymmetricLoss``,
``WeightedCrossEntropyLoss``), in the style of ``torch.nn.functional`` / ``torch.nn``.

Every function takes raw logits (no sigmoid / softmax applied) and a ``reduction`` of
``"mean"``, ``"sum"`` or ``"none"``. Shapes are those of the model output: ``(batch,
classes)`` for record classification, ``(batch, samples, classes)`` for sequence tagging.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

__all__ = [
    "AsymmetricLoss",
    "FocalLoss",
    "MaskedBCEWithLogitsLoss",
    "WeightedCrossEntropyLoss",
    "asymmetric_loss",
    "class_weights",
    "focal_loss",
    "masked_bce_with_logits",
    "weighted_cross_entropy",
]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {list(_REDUCTIONS)}, got {reduction!r}")


def _check_same_shape(logits: Tensor, target: Tensor, name: str = "target") -> None:
    if logits.shape != target.shape:
        raise ValueError(
            f"{name} must have the shape of the logits {tuple(logits.shape)}, "
            f"got {tuple(target.shape)}"
        )


def _check_non_negative(**values: float) -> None:
    for name, value in values.items():
        if not value >= 0.0:
            raise ValueError(f"{name} must be >= 0, got {value}")


def _class_indices(target: torch.Tensor, n_classes: int) -> torch.Tensor:
    """``target`` as int64 class indices, each in ``[0, n_classes)`` (else ValueError)."""
    idx = target.long()
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= n_classes):
        raise ValueError(
            f"class indices must be in [0, {n_classes - 1}], got "
            f"[{int(idx.min())}, {int(idx.max())}]"
        )
    return idx


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _class_vector(value: Tensor | Sequence[float], logits: Tensor, name: str) -> Tensor:
    vec = torch.as_tensor(value, dtype=logits.dtype, device=logits.device)
    n_classes = logits.shape[-1] if logits.ndim else 1
    if vec.ndim != 1 or vec.shape[0] != n_classes:
        raise ValueError(
            f"{name} must be a 1-D vector of {n_classes} per-class values (the last axis of "
            f"the logits), got shape {tuple(vec.shape)}"
        )
    if bool((vec < 0).any()):
        raise ValueError(f"{name} must be >= 0, got {vec.tolist()}")
    return vec


def masked_bce_with_logits(
    logits: Tensor,
    target: Tensor,
    mask: Tensor,
    *,
    pos_weight: Tensor | Sequence[float] | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy with logits where ``mask`` weights (or drops) each element.

    ``loss_i = mask_i * BCE(logits_i, target_i)``; ``"mean"`` divides the sum by the sum of
    the mask (the mean over the elements that count), not by the element count, so a
    half-masked batch weighs the same as a full one. An all-zero mask gives 0.

    Args:
        logits: Raw scores, any shape, e.g. ``(batch, samples, classes)``.
        target: Targets in [0, 1], shape of ``logits``.
        mask: Non-negative weights, shape of ``logits`` (0 = ignored element).
        pos_weight: Optional weight of the positive term per class (last axis), as in
            ``torch.nn.BCEWithLogitsLoss``.
        reduction: ``"mean"`` (masked mean), ``"sum"`` or ``"none"`` (elementwise).

    Returns:
        A scalar, or the elementwise loss for ``reduction="none"``.
    """
    _check_reduction(reduction)
    _check_same_shape(logits, target)
    _check_same_shape(logits, mask, "mask")
    if bool((mask < 0).any()):
        raise ValueError("mask must be >= 0 everywhere")
    pw = None if pos_weight is None else _class_vector(pos_weight, logits, "pos_weight")
    loss = F.binary_cross_entropy_with_logits(
        logits, target.to(logits.dtype), pos_weight=pw, reduction="none"
    )
    loss = loss * mask.to(loss.dtype)
    if reduction == "mean":
        return loss.sum() / mask.to(loss.dtype).sum().clamp_min(torch.finfo(loss.dtype).tiny)
    return _reduce(loss, reduction)


def focal_loss(
    logits: Tensor,
    target: Tensor,
    *,
    gamma: float = 2.0,
    alpha: float | Tensor | Sequence[float] | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Focal loss (Lin et al. 2017), multi-label (sigmoid) or multi-class (softmax).

    The form follows ``target``:

    - float ``target`` of the logits' shape (multi-label, one sigmoid per class):
      ``-a_t (1 - p_t)^gamma log(p_t)`` per element, with ``p_t = p`` where the target is 1
      and ``1 - p`` where it is 0, and ``a_t = alpha`` / ``1 - alpha`` likewise
      (``alpha`` a float in [0, 1]); ``"mean"`` averages over all elements.
    - integer ``target`` of shape ``logits.shape[:-1]`` (class indices, softmax over the
      last axis): ``-a_y (1 - p_y)^gamma log(p_y)`` per item, ``alpha`` a per-class weight
      vector; ``"mean"`` is the weighted mean ``sum(loss) / sum(a_y)`` as in
      ``torch.nn.functional.cross_entropy``.

    ``gamma = 0`` and ``alpha=None`` give binary cross-entropy and cross-entropy exactly.

    Args:
        logits: Raw scores, ``(batch, classes)`` or ``(batch, ..., classes)``.
        target: Float targets in [0, 1] of the logits' shape, or int64 class indices of
            shape ``logits.shape[:-1]``.
        gamma: Focusing exponent (>= 0).
        alpha: Positive-class weight (multi-label) or per-class weights (multi-class).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        A scalar, or the per-element (multi-label) / per-item (multi-class) loss.
    """
    _check_reduction(reduction)
    _check_non_negative(gamma=gamma)
    if target.dtype.is_floating_point:
        _check_same_shape(logits, target)
        t = target.to(logits.dtype)
        log_p = F.logsigmoid(logits)
        log_1mp = F.logsigmoid(-logits)
        ce = -(t * log_p + (1 - t) * log_1mp)
        p_t = t * log_p.exp() + (1 - t) * log_1mp.exp()
        loss = ce * (1 - p_t).clamp_min(0).pow(gamma) if gamma else ce
        if alpha is not None:
            if not isinstance(alpha, (int, float)) or not 0.0 <= float(alpha) <= 1.0:
                raise ValueError(
                    f"alpha of the multi-label focal loss must be a float in [0, 1], got {alpha!r}"
                )
            loss = (float(alpha) * t + (1 - float(alpha)) * (1 - t)) * loss
        return _reduce(loss, reduction)
    if logits.ndim < 1 or target.shape != logits.shape[:-1]:
        raise ValueError(
            f"class-index target must have shape logits.shape[:-1] = {tuple(logits.shape[:-1])}, "
            f"got {tuple(target.shape)}"
        )
    n_classes = logits.shape[-1]
    idx = _class_indices(target, n_classes)
    log_p_y = F.log_softmax(logits, dim=-1).gather(-1, idx.unsqueeze(-1)).squeeze(-1)
    loss = -log_p_y
    if gamma:
        loss = loss * (1 - log_p_y.exp()).clamp_min(0).pow(gamma)
    if alpha is None:
        return _reduce(loss, reduction)
    if isinstance(alpha, (int, float)):
        raise ValueError(
            "alpha of the multi-class focal loss must be a vector of per-class weights, "
            f"got the scalar {alpha!r}"
        )
    w = _class_vector(alpha, logits, "alpha")[idx]
    loss = loss * w
    if reduction == "mean":
        return loss.sum() / w.sum().clamp_min(torch.finfo(loss.dtype).tiny)
    return _reduce(loss, reduction)


def asymmetric_loss(
    logits: Tensor,
    target: Tensor,
    *,
    gamma_pos: float = 0.0,
    gamma_neg: float = 4.0,
    clip: float = 0.05,
    eps: float = 1e-8,
    reduction: str = "mean",
) -> Tensor:
    """Asymmetric loss for multi-label classification (Ridnik et al. 2021, ICCV).

    Per element, with ``p = sigmoid(logits)`` and the shifted probability
    ``p_m = max(p - clip, 0)``::

        loss = -y (1 - p)^gamma_pos log(p) - (1 - y) p_m^gamma_neg log(1 - p_m)

    Negatives are down-weighted harder (``gamma_neg > gamma_pos``) and the easy ones with
    ``p < clip`` are discarded. ``gamma_pos = gamma_neg = clip = 0`` gives binary
    cross-entropy (up to the ``eps`` floor inside the logarithms).

    Args:
        logits: Raw scores, e.g. ``(batch, classes)``.
        target: Binary (0/1) targets of the logits' shape.
        gamma_pos: Focusing exponent of the positive term (>= 0).
        gamma_neg: Focusing exponent of the negative term (>= 0).
        clip: Probability margin ``m`` in [0, 1) shifted off the negatives.
        eps: Floor of the probabilities inside ``log`` (> 0).
        reduction: ``"mean"`` (over all elements), ``"sum"`` (the paper's reference code)
            or ``"none"``.

    Returns:
        A scalar, or the elementwise loss for ``reduction="none"``.
    """
    _check_reduction(reduction)
    _check_same_shape(logits, target)
    _check_non_negative(gamma_pos=gamma_pos, gamma_neg=gamma_neg)
    if not 0.0 <= clip < 1.0:
        raise ValueError(f"clip must be in [0, 1), got {clip}")
    if not eps > 0.0:
        raise ValueError(f"eps must be > 0, got {eps}")
    y = target.to(logits.dtype)
    p = torch.sigmoid(logits)
    p_neg = (p - clip).clamp_min(0) if clip > 0 else p
    pos = y * torch.log(p.clamp_min(eps))
    neg = (1 - y) * torch.log((1 - p_neg).clamp_min(eps))
    if gamma_pos:
        pos = pos * (1 - p).pow(gamma_pos)
    if gamma_neg:
        neg = neg * p_neg.pow(gamma_neg)
    return _reduce(-(pos + neg), reduction)


def weighted_cross_entropy(
    logits: Tensor,
    target: Tensor,
    class_weight: Tensor | Sequence[float] | None = None,
    *,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> Tensor:
    """Class-weighted cross-entropy over the last axis of ``logits``.

    ``loss_i = -w_{y_i} log softmax(logits_i)_{y_i}``; ``"mean"`` is the weighted mean
    ``sum_i loss_i / sum_i w_{y_i}``. Equal to ``torch.nn.functional.cross_entropy`` with
    ``weight`` (the class axis moved to dim 1), without label smoothing.

    Args:
        logits: Raw scores, ``(batch, classes)`` or ``(batch, ..., classes)`` (class last).
        target: int64 class indices of shape ``logits.shape[:-1]``.
        class_weight: Per-class weights ``(classes,)``, e.g. from :func:`class_weights`;
            ``None`` = all 1.
        label_smoothing: Mass in [0, 1) spread uniformly over the classes in the target
            (``torch.nn.CrossEntropyLoss`` semantics).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        A scalar, or the per-item loss of shape ``logits.shape[:-1]``.
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
    if target.dtype.is_floating_point or target.shape != logits.shape[:-1]:
        raise ValueError(
            "target must be integer class indices of shape logits.shape[:-1] = "
            f"{tuple(logits.shape[:-1])}, got {target.dtype} {tuple(target.shape)}"
        )
    n_classes = logits.shape[-1]
    idx = _class_indices(target, n_classes)
    log_p = F.log_softmax(logits, dim=-1)
    w = (
        torch.ones(n_classes, dtype=log_p.dtype, device=log_p.device)
        if class_weight is None
        else _class_vector(class_weight, log_p, "class_weight")
    )
    w_y = w[idx]
    nll = -log_p.gather(-1, idx.unsqueeze(-1)).squeeze(-1) * w_y
    if label_smoothing:
        smooth = -(log_p * w).sum(-1) / n_classes
        loss = (1 - label_smoothing) * nll + label_smoothing * smooth
    else:
        loss = nll
    if reduction == "mean":
        return loss.sum() / w_y.sum().clamp_min(torch.finfo(loss.dtype).tiny)
    return _reduce(loss, reduction)


def class_weights(counts: Sequence[int] | Tensor, *, beta: float | None = None) -> Tensor:
    """Per-class weights from class counts, normalised to mean 1.

    ``beta=None``: inverse frequency ``1 / n_c``. ``beta`` in [0, 1): the "effective number"
    weights ``(1 - beta) / (1 - beta^n_c)`` of Cui et al. 2019.

    Args:
        counts: Number of training items per class ``(classes,)``, each >= 1.
        beta: Optional effective-number parameter.

    Returns:
        float32 weights ``(classes,)`` with mean 1.
    """
    n = torch.as_tensor(counts, dtype=torch.float64)
    if n.ndim != 1 or n.numel() == 0:
        raise ValueError(f"counts must be a non-empty 1-D sequence, got shape {tuple(n.shape)}")
    if bool((n < 1).any()):
        raise ValueError(f"every class count must be >= 1, got {n.tolist()}")
    if beta is None:
        w = 1.0 / n
    else:
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"beta must be in [0, 1), got {beta}")
        w = (1.0 - beta) / (1.0 - torch.pow(torch.tensor(beta, dtype=torch.float64), n))
    return (w / w.mean()).to(torch.float32)


class MaskedBCEWithLogitsLoss(torch.nn.Module):
    """Module form of :func:`masked_bce_with_logits`: ``loss(logits, target, mask)``."""

    def __init__(
        self, pos_weight: Sequence[float] | Tensor | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__()
        _check_reduction(reduction)
        self.reduction = reduction
        self.pos_weight: Tensor | None
        self.register_buffer(
            "pos_weight", None if pos_weight is None else torch.as_tensor(pos_weight).float()
        )

    def forward(self, logits: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return masked_bce_with_logits(
            logits, target, mask, pos_weight=self.pos_weight, reduction=self.reduction
        )


class FocalLoss(torch.nn.Module):
    """Module form of :func:`focal_loss`: ``loss(logits, target)``."""

    def __init__(
        self,
        gamma: float = 2.0,
        alpha: float | Sequence[float] | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        _check_reduction(reduction)
        _check_non_negative(gamma=gamma)
        self.gamma = gamma
        self.alpha = alpha
        self.reduction = reduction

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return focal_loss(
            logits, target, gamma=self.gamma, alpha=self.alpha, reduction=self.reduction
        )


class AsymmetricLoss(torch.nn.Module):
    """Module form of :func:`asymmetric_loss`: ``loss(logits, target)``."""

    def __init__(
        self,
        gamma_pos: float = 0.0,
        gamma_neg: float = 4.0,
        clip: float = 0.05,
        eps: float = 1e-8,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        _check_reduction(reduction)
        _check_non_negative(gamma_pos=gamma_pos, gamma_neg=gamma_neg)
        if not 0.0 <= clip < 1.0:
            raise ValueError(f"clip must be in [0, 1), got {clip}")
        self.gamma_pos, self.gamma_neg, self.clip, self.eps = gamma_pos, gamma_neg, clip, eps
        self.reduction = reduction

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return asymmetric_loss(
            logits,
            target,
            gamma_pos=self.gamma_pos,
            gamma_neg=self.gamma_neg,
            clip=self.clip,
            eps=self.eps,
            reduction=self.reduction,
        )


class WeightedCrossEntropyLoss(torch.nn.Module):
    """Module form of :func:`weighted_cross_entropy`: ``loss(logits, target)``."""

    def __init__(
        self,
        class_weight: Sequence[float] | Tensor | None = None,
        label_smoothing: float = 0.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        _check_reduction(reduction)
        self.label_smoothing = label_smoothing
        self.reduction = reduction
        self.class_weight: Tensor | None
        self.register_buffer(
            "class_weight",
            None if class_weight is None else torch.as_tensor(class_weight).float(),
        )

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return weighted_cross_entropy(
            logits,
            target,
            self.class_weight,
            label_smoothing=self.label_smoothing,
            reduction=self.reduction,
        )
