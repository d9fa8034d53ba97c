"""Label smoothing.

Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR 2016.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ecg_signal.augment._config import check_fs_opt, check_real, check_seed
from ecg_signal.augment.base import Augmenter, AugmentOutput

__all__ = ["LabelSmooth", "LabelSmoothConfig"]


@dataclass(slots=True)
class LabelSmoothConfig:
    """Configuration of :class:`LabelSmooth`.

    Attributes:
        fs: sampling rate in Hz (unused).
        smoothing: the smoothing ``eps`` in ``[0, 1]``.
        prob: fraction of the batch whose labels are smoothed.
        inplace: write into the label tensor.
        seed: seed of the private generator.
    """

    fs: float | None = None
    smoothing: float = 0.1
    prob: float = 0.5
    inplace: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        self.fs = check_fs_opt(self.fs)
        self.smoothing = check_real(self.smoothing, "smoothing", low=0.0, high=1.0)
        self.seed = check_seed(self.seed)


class LabelSmooth(Augmenter):
    """``label <- (1 - eps) * label + eps / n_classes`` on the selected batch elements.

    Shapes:
        ``label``: ``(batch, n_classes)`` or ``(batch, samples, n_classes)``, floating point.
        ``sig`` and extras pass through unchanged; a ``None`` label is returned as is.
    """

    name = "label_smooth"
    config_class = LabelSmoothConfig

    def __init__(
        self,
        fs: float | None = None,
        smoothing: float = 0.1,
        prob: float = 0.5,
        inplace: bool = False,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        cfg = LabelSmoothConfig(fs, smoothing, prob, inplace, seed)
        super().__init__(cfg.prob, cfg.inplace, seed=cfg.seed, generator=generator)
        self.config = cfg
        self.smoothing = cfg.smoothing

    def _augment(
        self, sig: torch.Tensor, label: torch.Tensor | None, *extra: torch.Tensor, **kwargs: Any
    ) -> AugmentOutput:
        if label is None or self.smoothing == 0.0:
            return (sig, label, *extra)
        if not torch.is_floating_point(label) or label.ndim < 2:
            raise TypeError(
                "label_smooth needs floating-point labels of shape (batch, n_classes) or "
                f"(batch, samples, n_classes), got dtype {label.dtype}, shape {tuple(label.shape)}"
            )
        eps = self.smoothing / max(1, label.shape[-1])
        chosen = self.batch_mask(self.prob, label.shape[0]).to(label.device)
        chosen = chosen.view(-1, *([1] * (label.ndim - 1)))
        smoothed = label * (1.0 - self.smoothing) + eps
        return (sig, self._finish(label, torch.where(chosen, smoothed, label)), *extra)

    def extra_repr(self) -> str:
        return f"smoothing={self.smoothing:g}, " + super().extra_repr()
