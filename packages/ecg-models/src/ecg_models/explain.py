"""Grad-CAM (Selvaraju et al. 2017) for 1-D ECG models: a saliency over time per class.

For a feature map ``A`` of shape ``(batch, channels, t)`` (by default the output of the
model's ``backbone``) and the logit ``y_c`` of class ``c``, the channel weights are the
time-averaged gradients ``alpha_ck = mean_t dy_c / dA_k(t)`` and the map is
``cam_c(t) = relu(sum_k alpha_ck A_k(t))``, linearly interpolated from ``t`` to the input's
samples. For a sequence output ``(batch, samples_out, classes)`` the class score is the sum
of the logits over time.

``grad_cam`` is the functional core; :class:`GradCAM` holds a model and its target layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn

__all__ = ["GradCAM", "grad_cam", "default_target_layer"]


def default_target_layer(model: nn.Module) -> nn.Module:
    """The layer whose output Grad-CAM explains by default: ``model.backbone`` (every task
    model of ecg-models built on a registered backbone has one), else the model itself when
    it is a backbone (has ``out_channels``).

    Raises:
        ValueError: the model has neither.
    """
    backbone = getattr(model, "backbone", None)
    if isinstance(backbone, nn.Module):
        return backbone
    if hasattr(model, "out_channels"):
        return model
    raise ValueError(
        f"{type(model).__name__} has no 'backbone' submodule: pass target_layer (a module whose "
        "output is a (batch, channels, samples) feature map)"
    )


def _class_indices(classes: Sequence[int | str] | None, model: nn.Module, n: int) -> list[int]:
    if classes is None:
        return list(range(n))
    names = list(getattr(model, "classes", []) or [])
    out: list[int] = []
    for c in classes:
        if isinstance(c, str):
            if c not in names:
                raise ValueError(f"class {c!r} is not one of the model's classes {names}")
            out.append(names.index(c))
        elif isinstance(c, int) and not isinstance(c, bool) and -n <= c < n:
            out.append(c % n)
        else:
            raise ValueError(f"class index {c!r} out of range for {n} classes")
    if not out:
        raise ValueError("classes must name at least one class")
    return out


def grad_cam(
    model: nn.Module,
    x: Tensor,
    *,
    target_layer: nn.Module | None = None,
    classes: Sequence[int | str] | None = None,
    relu: bool = True,
    normalize: bool = True,
) -> Tensor:
    """Grad-CAM saliency of every (or the chosen) class over the samples of ``x``.

    The model runs in eval mode (restored afterwards); gradients are taken with respect to the
    target layer's output only (parameters get no ``.grad``).

    Args:
        model: a classifier mapping ``(batch, leads, samples)`` to logits ``(batch, classes)``
            (or ``(batch, samples_out, classes)``).
        x: input ``(batch, leads, samples)``.
        target_layer: the module whose output ``(batch, channels, t)`` is explained (default
            :func:`default_target_layer`).
        classes: class indices or names (default: all classes, in order).
        relu: keep only the positive evidence (Grad-CAM); False returns the signed map.
        normalize: scale each ``(item, class)`` map by its maximum absolute value to
            ``[0, 1]`` (``[-1, 1]`` when signed); an all-zero map stays zero.

    Returns:
        float32 saliency ``(batch, len(classes), samples)`` at the input's sampling rate.

    Raises:
        ValueError: ``x`` is not 3-D, the target layer does not give a 3-D tensor or is not
            reached, or a class is unknown.
    """
    if not isinstance(x, Tensor) or x.dim() != 3:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x must be a tensor (batch, leads, samples), got {got}")
    layer = default_target_layer(model) if target_layer is None else target_layer
    captured: list[Tensor] = []

    def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
        out = output[0] if isinstance(output, tuple | list) else output
        if not isinstance(out, Tensor) or out.dim() != 3:
            shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise ValueError(
                f"the target layer {type(_module).__name__} must output (batch, channels, t), "
                f"got {shape}"
            )
        captured.append(out)

    was_training = model.training
    handle = layer.register_forward_hook(hook)
    try:
        model.eval()
        with torch.enable_grad():
            logits = model(x)
            if not captured:
                raise ValueError(
                    f"the target layer {type(layer).__name__} was not called in the forward pass"
                )
            feats = captured[-1]
            if logits.dim() == 3:  # sequence output (batch, samples_out, classes)
                scores = logits.sum(1)
            elif logits.dim() == 2:
                scores = logits
            else:
                raise ValueError(
                    f"the model must output (batch, classes) or (batch, samples_out, classes), "
                    f"got {tuple(logits.shape)}"
                )
            idx = _class_indices(classes, model, scores.shape[-1])
            maps: list[Tensor] = []
            for k, c in enumerate(idx):
                (grads,) = torch.autograd.grad(
                    scores[:, c].sum(), feats, retain_graph=k < len(idx) - 1
                )
                weights = grads.mean(-1, keepdim=True)  # (batch, channels, 1)
                maps.append((weights * feats).sum(1).detach())  # (batch, t)
    finally:
        handle.remove()
        model.train(was_training)
    cam = torch.stack(maps, 1).float()  # (batch, classes, t)
    if relu:
        cam = cam.clamp_min(0)
    n = x.shape[-1]
    if cam.shape[-1] != n:
        cam = F.interpolate(cam, size=n, mode="linear", align_corners=False)
    if normalize:
        peak = cam.abs().amax(-1, keepdim=True)
        cam = torch.where(peak > 0, cam / peak.clamp_min(torch.finfo(cam.dtype).tiny), cam)
    return cam


class GradCAM:
    """Grad-CAM of a fixed model and target layer: ``GradCAM(model)(x) -> (batch, C, samples)``.

    Args:
        model: the classifier (see :func:`grad_cam`).
        target_layer: the explained module (default :func:`default_target_layer`).
        relu, normalize: as :func:`grad_cam`.
    """

    def __init__(
        self,
        model: nn.Module,
        target_layer: nn.Module | None = None,
        *,
        relu: bool = True,
        normalize: bool = True,
    ) -> None:
        self.model = model
        self.target_layer = default_target_layer(model) if target_layer is None else target_layer
        self.relu = relu
        self.normalize = normalize

    def __call__(self, x: Tensor, classes: Sequence[int | str] | None = None) -> Tensor:
        return grad_cam(
            self.model,
            x,
            target_layer=self.target_layer,
            classes=classes,
            relu=self.relu,
            normalize=self.normalize,
        )
