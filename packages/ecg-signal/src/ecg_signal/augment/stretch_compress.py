"""Stretch or compress ECGs in time, keeping their length (torch_ecg's ``StretchCompress``).

A selected ECG is resampled (linear interpolation, ``align_corners=True``) to
``round((1 +/- r) * samples)`` samples, then centre-cropped (stretch) or zero-padded on both
sides (compress) back to ``samples``; ``r ~ N(ratio, (0.382 ratio)^2)`` clipped to
``[0, 2 ratio]``. Per-sample masks/labels are transformed with the same time map. The signal is resampled with one
batched ``grid_sample`` call (float32 precision as ``nnf.interpolate``'s); masks with an exact gather.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as nnf

from ecg_signal.augment._config import check_fs_opt, check_real, check_seed
from ecg_signal.augment.base import Augmenter, AugmentOutput

__all__ = ["StretchCompress", "StretchCompressConfig"]


@dataclass(slots=True)
class StretchCompressConfig:
    """Configuration of :class:`StretchCompress`.

    Attributes:
        fs: sampling rate in Hz (unused: the transform is relative).
        ratio: mean relative change of length, in ``[0, 1]``; a value in ``(1, 100]`` is read
            as a percentage (torch_ecg's convention: the default 6 means 6 %).
        prob: fraction of the batch that is stretched or compressed.
        inplace: write into the input tensors.
        seed: seed of the private generator.
    """

    fs: float | None = None
    ratio: float = 6.0
    prob: float = 0.5
    inplace: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        self.fs = check_fs_opt(self.fs)
        r = check_real(self.ratio, "ratio", low=0.0, high=100.0)
        self.ratio = r / 100.0 if r > 1.0 else r
        self.seed = check_seed(self.seed)


def _per_sample(t: torch.Tensor, n: int) -> bool:
    """Whether ``t`` is a per-sample tensor: ``(batch, label_len, k)`` or ``(batch, samples)``."""
    return t.ndim >= 3 or (t.ndim == 2 and t.shape[1] == n)


class StretchCompress(Augmenter):
    """Time stretch/compress of the selected batch elements, vectorised over the batch.

    Labels/extras of shape ``(batch, label_len, k)`` (any ``label_len``, mapped onto the signal's
    time axis) or ``(batch, samples)`` get the same time map: linear interpolation for floating
    tensors, nearest neighbour for integer/bool ones, zeros where the map falls outside the
    original (compression padding). Other tensors pass through. The last draws are kept in
    ``last_new_len`` (``(batch,)``, equal to ``samples`` for untouched elements).

    Shapes:
        ``sig``: ``(batch, leads, samples)``.
    """

    name = "stretch_compress"
    config_class = StretchCompressConfig

    def __init__(
        self,
        fs: float | None = None,
        ratio: float = 6.0,
        prob: float = 0.5,
        inplace: bool = False,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        cfg = StretchCompressConfig(fs, ratio, prob, inplace, seed)
        super().__init__(cfg.prob, cfg.inplace, seed=cfg.seed, generator=generator)
        self.config = cfg
        self.ratio = cfg.ratio
        self.last_new_len: torch.Tensor | None = None

    def sample_new_len(self, batch: int, n: int) -> torch.Tensor:
        """New lengths ``(batch,)`` (int64): ``n`` for unselected elements."""
        sel = self.batch_mask(self.prob, batch)
        sign = torch.where(self._rand(batch) < 0.5, -1.0, 1.0).to(torch.float64)
        r = (self.ratio + 0.382 * self.ratio * self._randn(batch)).clamp(0.0, 2.0 * self.ratio)
        new_len = torch.round((1.0 + sign * r) * n).to(torch.int64).clamp_min(2)
        return torch.where(sel, new_len, torch.full_like(new_len, n))

    @staticmethod
    def source_coords(new_len: torch.Tensor, n: int, m: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Source positions ``(batch, m)`` (float64, in ``[0, m-1]``) and validity mask.

        Output sample ``i`` of a length-``m`` tensor sits at signal position ``u = i (n-1)/(m-1)``;
        the resampled signal's index is ``j = u + h`` (stretch) or ``u - h`` (compress),
        ``h = |new_len - n| // 2``, and its source position is ``j (n-1)/(new_len-1)``.
        """
        nl = new_len.to(torch.float64)[:, None]
        h = ((new_len - n).abs() // 2).to(torch.float64)[:, None]
        h = torch.where(nl >= n, h, -h)
        scale_m = (n - 1) / (m - 1) if m > 1 else 0.0
        u = torch.arange(m, dtype=torch.float64)[None, :] * scale_m
        j = u + h
        valid = (j >= -1e-9) & (j <= nl - 1 + 1e-9)
        x = j * ((n - 1) / (nl - 1))
        x = x * ((m - 1) / (n - 1)) if n > 1 else x
        return x.clamp(0.0, max(m - 1, 0)), valid

    def _remap(self, t: torch.Tensor, new_len: torch.Tensor, n: int, time_dim: int) -> torch.Tensor:
        batch, m = t.shape[0], t.shape[time_dim]
        x, valid = self.source_coords(new_len, n, m)
        dev = t.device
        shape = [batch] + [1] * (t.ndim - 1)
        shape[time_dim] = m

        def expand(idx: torch.Tensor) -> torch.Tensor:
            return idx.to(dev).view(shape).expand_as(t)

        valid_e = expand(valid)
        if torch.is_floating_point(t):
            x0 = x.floor().to(torch.int64)
            x1 = (x0 + 1).clamp_max(m - 1)
            frac = (x - x0.to(torch.float64)).to(t.dtype)
            a = t.gather(time_dim, expand(x0))
            b = t.gather(time_dim, expand(x1))
            out = torch.lerp(a, b, expand(frac))
        else:
            out = t.gather(time_dim, expand(torch.round(x).to(torch.int64)))
        return torch.where(valid_e, out, torch.zeros((), dtype=t.dtype, device=dev))

    def _remap_signal(self, t: torch.Tensor, new_len: torch.Tensor, n: int) -> torch.Tensor:
        """Linear remap of ``(rows, leads, samples)`` signals with one fused ``grid_sample``.

        Coordinates are in ``t``'s dtype, so the precision matches ``nnf.interpolate`` (what
        torch_ecg uses) in float32 and is ~1e-12 in float64. Positions outside the resampled
        signal (compression padding) are pushed far outside the grid and read as zeros.
        """
        x, valid = self.source_coords(new_len, n, n)
        g = torch.where(valid, x * (2.0 / max(n - 1, 1)) - 1.0, torch.full_like(x, -3.0))
        g = g.to(device=t.device, dtype=t.dtype)
        grid = torch.stack([g, torch.zeros_like(g)], dim=-1)[:, None]  # (rows, 1, samples, 2)
        out = nnf.grid_sample(
            t[:, :, None, :], grid, mode="bilinear", padding_mode="zeros", align_corners=True
        )
        return out[:, :, 0, :]

    def _augment(
        self, sig: torch.Tensor, label: torch.Tensor | None, *extra: torch.Tensor, **kwargs: Any
    ) -> AugmentOutput:
        batch, _, n = sig.shape
        new_len = self.sample_new_len(batch, n)
        self.last_new_len = new_len
        changed = new_len != n
        if not bool(changed.any()):
            return (sig, label, *extra)
        rows = changed.nonzero(as_tuple=True)[0]

        def apply(t: torch.Tensor, time_dim: int) -> torch.Tensor:
            r = rows.to(t.device)
            if t is sig:
                part = self._remap_signal(t.index_select(0, r), new_len[rows], n)
            else:
                part = self._remap(t.index_select(0, r), new_len[rows], n, time_dim)
            if self.inplace:
                return t.index_copy_(0, r, part)
            return t.index_copy(0, r, part)

        outs: list[torch.Tensor | None] = [apply(sig, 2)]
        for t in (label, *extra):
            outs.append(t if t is None or not _per_sample(t, n) else apply(t, 1))
        return tuple(outs)

    def extra_repr(self) -> str:
        return f"ratio={self.ratio:g}, " + super().extra_repr()
