"""Random masking of short ECG segments (and of the matching samples of masks/labels).

As torch_ecg's ``RandomMasking``: segments of 0.08 to 0.18 s are set to ``mask_value`` at
random positions, or around given critical points (e.g. R peaks) to hide whole QRS complexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ecg_signal.augment._config import (
    check_fs_opt,
    check_pair,
    check_prob_pair,
    check_real,
    check_seed,
)
from ecg_signal.augment.base import Augmenter, AugmentOutput

__all__ = ["RandomMasking", "RandomMaskingConfig", "intervals_to_mask"]


@dataclass(slots=True)
class RandomMaskingConfig:
    """Configuration of :class:`RandomMasking`.

    Attributes:
        fs: sampling rate in Hz (required before use; the manager fills it in).
        mask_value: the value written into the masked samples of the signal.
        mask_width: ``(min, max)`` width of a masked segment, in seconds (> 0).
        prob: ``(batch_prob, segment_prob)``: the fraction of the batch that is masked and,
            per masked ECG, the probability of ``max``-wide slots holding a segment centre
            (with ``critical_points``: the fraction of the points that are masked).
        mask_extras: also mask the label/extra tensors of shape ``(batch, samples, ...)``.
        extra_mask_value: the value written into those tensors (0: "no class").
        inplace: write into the input tensors.
        seed: seed of the private generator.
    """

    fs: float | None = None
    mask_value: float = 0.0
    mask_width: tuple[float, float] = (0.08, 0.18)
    prob: float | tuple[float, float] = (0.3, 0.15)
    mask_extras: bool = True
    extra_mask_value: float = 0.0
    inplace: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        self.fs = check_fs_opt(self.fs)
        self.mask_value = check_real(self.mask_value, "mask_value")
        self.extra_mask_value = check_real(self.extra_mask_value, "extra_mask_value")
        self.mask_width = check_pair(self.mask_width, "mask_width", low=1e-9, units="s")
        self.prob = check_prob_pair(self.prob, "segment")
        if not isinstance(self.mask_extras, bool):
            raise TypeError(f"mask_extras must be a bool, got {self.mask_extras!r}")
        self.seed = check_seed(self.seed)


def intervals_to_mask(
    rows: torch.Tensor, start: torch.Tensor, end: torch.Tensor, shape: tuple[int, int]
) -> torch.Tensor:
    """Boolean mask of ``shape = (rows, samples)`` True on every ``[start, end)`` of its row.

    Intervals may overlap and are clipped to ``[0, samples]``; built with a difference array,
    so the cost does not depend on the number of intervals.
    """
    n_rows, n = shape
    r = rows.numpy()
    s = start.clamp(0, n).numpy()
    e = end.clamp(0, n).numpy()
    ok = e > s
    diff = np.zeros((n_rows, n + 1), dtype=np.int32)
    np.add.at(diff, (r[ok], s[ok]), 1)
    np.add.at(diff, (r[ok], e[ok]), -1)
    return torch.from_numpy(np.cumsum(diff, axis=1)[:, :n] > 0)


class RandomMasking(Augmenter):
    """Set random short segments of the selected ECGs (all leads) to ``mask_value``.

    Segment centres are drawn uniformly (a fraction ``prob[1] / width_max`` of the positions)
    or among ``critical_points`` (a keyword argument of :meth:`forward`: one sequence of sample
    indices per batch element); each segment's width is uniform in ``mask_width``. Labels and
    extra tensors of shape ``(batch, samples, ...)`` get ``extra_mask_value`` on the same
    samples when ``mask_extras``. The last ``(batch, samples)`` mask is kept in ``last_mask``.

    Shapes:
        ``sig``: ``(batch, leads, samples)``.
    """

    name = "random_masking"
    config_class = RandomMaskingConfig

    def __init__(
        self,
        fs: float | None,
        mask_value: float = 0.0,
        mask_width: tuple[float, float] = (0.08, 0.18),
        prob: float | Sequence[float] = (0.3, 0.15),
        mask_extras: bool = True,
        extra_mask_value: float = 0.0,
        inplace: bool = False,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        if fs is None:
            raise ValueError("fs (sampling rate in Hz) is required by random_masking, got None")
        cfg = RandomMaskingConfig(
            fs,
            mask_value,
            mask_width,
            check_prob_pair(prob, "segment"),
            mask_extras,
            extra_mask_value,
            inplace,
            seed,
        )
        probs = check_prob_pair(cfg.prob, "segment")
        super().__init__(probs[0], cfg.inplace, seed=cfg.seed, generator=generator)
        self.config = cfg
        self.fs = float(fs)
        self.segment_prob = probs[1]
        self.width_min = max(1, int(round(cfg.mask_width[0] * self.fs)))
        self.width_max = max(self.width_min, int(round(cfg.mask_width[1] * self.fs)))
        self.last_mask: torch.Tensor | None = None

    def make_mask(
        self, batch: int, n: int, critical_points: Sequence[Sequence[int]] | None = None
    ) -> torch.Tensor:
        """Draw the ``(batch, samples)`` boolean mask (CPU) of one call."""
        sel = self.get_indices(self.prob, batch)
        if critical_points is not None:
            if len(critical_points) != batch:
                raise ValueError(
                    f"critical_points must hold one sequence per batch element ({batch}), "
                    f"got {len(critical_points)}"
                )
            rows_l: list[torch.Tensor] = []
            cents_l: list[torch.Tensor] = []
            for b in sel.tolist():
                pts = torch.as_tensor(list(critical_points[b]), dtype=torch.int64).reshape(-1)
                chosen = pts[self.get_indices(self.segment_prob, int(pts.numel()))]
                rows_l.append(torch.full_like(chosen, b))
                cents_l.append(chosen)
            rows = torch.cat(rows_l) if rows_l else torch.empty(0, dtype=torch.int64)
            cents = torch.cat(cents_l) if cents_l else torch.empty(0, dtype=torch.int64)
        else:
            pop = max(1, n - self.width_max)
            slots = self.get_mask(
                min(1.0, self.segment_prob / self.width_max), int(sel.numel()), pop
            )
            r_idx, cents = slots.nonzero(as_tuple=True)
            rows = sel[r_idx]
            cents = cents + self.width_max // 2
        radius = (
            torch.randint(
                self.width_min, self.width_max + 1, (int(cents.numel()),), generator=self.generator
            )
            // 2
        )
        return intervals_to_mask(rows, cents - radius, cents + radius, (batch, n))

    def _augment(
        self,
        sig: torch.Tensor,
        label: torch.Tensor | None,
        *extra: torch.Tensor,
        critical_points: Sequence[Sequence[int]] | None = None,
        **kwargs: Any,
    ) -> AugmentOutput:
        batch, _, n = sig.shape
        mask = self.make_mask(batch, n, critical_points)
        self.last_mask = mask
        dev_mask = mask.to(sig.device)
        fill = torch.tensor(self.config.mask_value, dtype=sig.dtype, device=sig.device)
        if self.inplace:
            new_sig = sig.masked_fill_(dev_mask[:, None, :], fill)
        else:
            new_sig = torch.where(dev_mask[:, None, :], fill, sig)
        outs: list[torch.Tensor | None] = [label, *extra]
        if self.config.mask_extras:
            for k, t in enumerate(outs):
                if t is None or t.ndim < 2 or t.shape[1] != n:
                    continue
                m = mask.to(t.device).view(batch, n, *([1] * (t.ndim - 2)))
                val = torch.tensor(self.config.extra_mask_value, device=t.device).to(t.dtype)
                outs[k] = t.masked_fill_(m, val) if self.inplace else torch.where(m, val, t)
        return (new_sig, *outs)

    def extra_repr(self) -> str:
        return (
            f"fs={self.fs:g}, width=({self.width_min}, {self.width_max}) samples, "
            f"segment_prob={self.segment_prob:g}, " + super().extra_repr()
        )
