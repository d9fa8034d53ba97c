"""Random re-normalisation: z-score each ECG, then rescale to a random mean and std."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ecg_signal.augment._config import check_fs_opt, check_pair, check_seed
from ecg_signal.augment.base import Augmenter, AugmentOutput

__all__ = ["RandomRenormalize", "RandomRenormalizeConfig"]


@dataclass(slots=True)
class RandomRenormalizeConfig:
    """Configuration of :class:`RandomRenormalize` (defaults of torch_ecg).

    Attributes:
        fs: sampling rate in Hz (unused).
        mean: range ``(low, high)`` of the target mean (signal units, e.g. mV). The target is
            drawn from ``N(m, s^2)`` with ``m`` the range's middle and ``s = 0.3 (high - m)``.
        std: range ``(low, high)`` of the target std, > 0, drawn the same way (and clipped to
            stay above ``low / 2``).
        per_channel: z-score and rescale each lead separately (True) or the whole ECG.
        prob: fraction of the batch that is re-normalised.
        inplace: write into the input tensor.
        seed: seed of the private generator.
    """

    fs: float | None = None
    mean: tuple[float, float] = (-0.05, 0.1)
    std: tuple[float, float] = (0.08, 0.32)
    per_channel: bool = False
    prob: float = 0.5
    inplace: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        self.fs = check_fs_opt(self.fs)
        self.mean = check_pair(self.mean, "mean")
        self.std = check_pair(self.std, "std", low=1e-12)
        if not isinstance(self.per_channel, bool):
            raise TypeError(f"per_channel must be a bool, got {self.per_channel!r}")
        self.seed = check_seed(self.seed)


class RandomRenormalize(Augmenter):
    """Z-score the selected ECGs (over leads and samples, or per lead) and rescale them.

    ``sig[i] <- (sig[i] - mean(sig[i])) / std(sig[i]) * s_i + m_i`` (population std; a
    constant ECG keeps a zero deviation). The last targets are kept in ``last_mean``/``last_std``
    (shape ``(batch, leads or 1, 1)``; unselected rows hold NaN).

    Shapes:
        ``sig``: ``(batch, leads, samples)``; label and extras pass through unchanged.
    """

    name = "random_renormalize"
    config_class = RandomRenormalizeConfig

    def __init__(
        self,
        fs: float | None = None,
        mean: tuple[float, float] = (-0.05, 0.1),
        std: tuple[float, float] = (0.08, 0.32),
        per_channel: bool = False,
        prob: float = 0.5,
        inplace: bool = False,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        cfg = RandomRenormalizeConfig(fs, mean, std, per_channel, prob, inplace, seed)
        super().__init__(cfg.prob, cfg.inplace, seed=cfg.seed, generator=generator)
        self.config = cfg
        self.per_channel = cfg.per_channel
        self.last_mean: torch.Tensor | None = None
        self.last_std: torch.Tensor | None = None

    def _augment(
        self, sig: torch.Tensor, label: torch.Tensor | None, *extra: torch.Tensor, **kwargs: Any
    ) -> AugmentOutput:
        batch, leads, _ = sig.shape
        rows = self.batch_mask(self.prob, batch)
        nl = leads if self.per_channel else 1
        m_lo, m_hi = self.config.mean
        s_lo, s_hi = self.config.std
        m_mid, s_mid = (m_lo + m_hi) / 2, (s_lo + s_hi) / 2
        tgt_m = m_mid + 0.3 * (m_hi - m_mid) * self._randn(batch, nl, 1)
        tgt_s = (s_mid + 0.3 * (s_hi - s_mid) * self._randn(batch, nl, 1)).clamp_min(s_lo / 2)
        nan = torch.tensor(float("nan"), dtype=torch.float64)
        self.last_mean = torch.where(rows[:, None, None], tgt_m, nan)
        self.last_std = torch.where(rows[:, None, None], tgt_s, nan)
        idx = rows.nonzero(as_tuple=True)[0]
        if idx.numel() == 0:
            return (sig, label, *extra)
        dev, dt = sig.device, sig.dtype
        r = idx.to(dev)
        part = sig.index_select(0, r)  # only the selected ECGs are touched
        cur_s, cur_m = _std_mean(part, self.per_channel)
        gain = tgt_s[idx].to(device=dev, dtype=dt) / cur_s
        offset = tgt_m[idx].to(device=dev, dtype=dt) - cur_m * gain
        part.mul_(gain).add_(offset)
        if self.inplace:
            return (sig.index_copy_(0, r, part), label, *extra)
        return (sig.index_copy(0, r, part), label, *extra)

    def extra_repr(self) -> str:
        c = self.config
        return f"mean={c.mean}, std={c.std}, per_channel={c.per_channel}, " + super().extra_repr()


def _std_mean(sig: torch.Tensor, per_channel: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Population std and mean over samples (and leads unless ``per_channel``), keepdim.

    One pass with a sum and a dot product; rows where the shortcut ``E[x^2] - E[x]^2`` could lose
    precision (std below 3 % of |mean|) are recomputed with :func:`torch.var_mean`. A zero std
    becomes 1, so that a constant ECG is only shifted.
    """
    batch, leads, n = sig.shape
    rows = sig.reshape(batch * leads, n) if per_channel else sig.reshape(batch, leads * n)
    cnt = rows.shape[1]
    mean = rows.sum(dim=1, dtype=torch.float64) / cnt
    sq = torch.bmm(rows.unsqueeze(1), rows.unsqueeze(2)).reshape(-1).to(torch.float64) / cnt
    var = (sq - mean * mean).clamp_min(0.0)
    bad = var < 1e-3 * mean * mean
    if bool(bad.any()):
        v, m = torch.var_mean(rows[bad].to(torch.float64), dim=1, correction=0)
        var[bad], mean[bad] = v, m
    std = var.sqrt()
    std = torch.where(std > 0, std, torch.ones_like(std))
    shape = (batch, leads if per_channel else 1, 1)
    return std.to(sig.dtype).view(shape), mean.to(sig.dtype).view(shape)
