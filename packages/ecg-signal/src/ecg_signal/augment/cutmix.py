"""CutMix for ECGs: replace a random time interval by the same interval of another example.

Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers with Localizable
Features", ICCV 2019; adapted to 1-D signals as in torch_ecg.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ecg_signal.augment._config import check_beta_shapes, check_fs_opt, check_seed
from ecg_signal.augment.base import Augmenter, AugmentOutput
from ecg_signal.augment.mixup import pair_permutation, sample_beta

__all__ = ["CutMix", "CutMixConfig"]


@dataclass(slots=True)
class CutMixConfig:
    """Configuration of :class:`CutMix`.

    Attributes:
        fs: sampling rate in Hz (unused).
        num_mix: number of successive cut-and-paste rounds (>= 1).
        alpha: first Beta shape parameter (> 0) of the kept fraction ``lam``.
        beta: second Beta shape parameter (> 0); None means ``alpha``.
        prob: fraction of the batch that receives a cut from another element.
        inplace: write into the input tensors.
        seed: seed of the private generator.
    """

    fs: float | None = None
    num_mix: int = 1
    alpha: float = 0.5
    beta: float | None = None
    prob: float = 0.5
    inplace: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        self.fs = check_fs_opt(self.fs)
        if isinstance(self.num_mix, bool) or not isinstance(self.num_mix, int) or self.num_mix < 1:
            raise ValueError(f"num_mix must be an int >= 1, got {self.num_mix!r}")
        self.alpha, self.beta = check_beta_shapes(self.alpha, self.beta)
        self.seed = check_seed(self.seed)


def _is_per_sample(t: torch.Tensor, n: int) -> bool:
    return t.ndim >= 2 and t.shape[1] == n


class CutMix(Augmenter):
    """CutMix along time, vectorised over the batch.

    For element ``i`` with partner ``p(i)`` (selected elements are shuffled among themselves),
    ``lam_i ~ Beta(alpha, beta)``, a cut of ``round((1 - lam_i) * samples)`` samples at a
    uniform start is copied from ``p(i)``. Labels of shape ``(batch, n_classes)`` are mixed with
    the kept fraction ``w_i = 1 - cut_i / samples`` (the exact area ratio of the paper; torch_ecg
    uses ``lam_i`` instead). Labels and extras of shape ``(batch, samples, ...)`` are cut and
    pasted like the signal; other floating extras are mixed like labels; others pass through.
    The last cut is kept in ``last_partner``, ``last_start``, ``last_len`` (of the last round).

    Shapes:
        ``sig``: ``(batch, leads, samples)``.
    """

    name = "cutmix"
    config_class = CutMixConfig

    def __init__(
        self,
        fs: float | None = None,
        num_mix: int = 1,
        alpha: float = 0.5,
        beta: float | None = None,
        prob: float = 0.5,
        inplace: bool = False,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        cfg = CutMixConfig(fs, num_mix, alpha, beta, prob, inplace, seed)
        super().__init__(cfg.prob, cfg.inplace, seed=cfg.seed, generator=generator)
        self.config = cfg
        self.num_mix = cfg.num_mix
        self.alpha = cfg.alpha
        self.beta = cfg.alpha if cfg.beta is None else cfg.beta
        self.last_partner: torch.Tensor | None = None
        self.last_start: torch.Tensor | None = None
        self.last_len: torch.Tensor | None = None

    def _augment(
        self, sig: torch.Tensor, label: torch.Tensor | None, *extra: torch.Tensor, **kwargs: Any
    ) -> AugmentOutput:
        batch, _, n = sig.shape
        tensors: list[torch.Tensor | None] = [sig, label, *extra]
        for _ in range(self.num_mix):
            partner = pair_permutation(self, self.prob, batch)
            lam = torch.from_numpy(sample_beta(self.generator, self.alpha, self.beta, batch))
            cut = torch.round((1.0 - lam) * n).to(torch.int64).clamp(0, n)
            start = (self._rand(batch) * (n - cut + 1).to(torch.float64)).floor().to(torch.int64)
            start = torch.minimum(start, n - cut)
            self.last_partner, self.last_start, self.last_len = partner, start, cut
            weight = 1.0 - cut.to(torch.float64) / n
            pos = torch.arange(n)
            in_cut = (pos[None, :] >= start[:, None]) & (pos[None, :] < (start + cut)[:, None])
            for k, t in enumerate(tensors):
                if t is None:
                    continue
                p = partner.to(t.device)
                if k == 0 or _is_per_sample(t, n):
                    m = in_cut.to(t.device)
                    m = m[:, None, :] if k == 0 else m.view(batch, n, *([1] * (t.ndim - 2)))
                    tensors[k] = torch.where(m, t[p], t)
                elif torch.is_floating_point(t):
                    w = weight.to(device=t.device, dtype=t.dtype).view(-1, *([1] * (t.ndim - 1)))
                    tensors[k] = torch.lerp(t[p], t, w)
        originals: list[torch.Tensor | None] = [sig, label, *extra]
        out = tuple(
            None if t is None or o is None else self._finish(o, t)
            for t, o in zip(tensors, originals, strict=True)
        )
        return out

    def extra_repr(self) -> str:
        return (
            f"num_mix={self.num_mix}, alpha={self.alpha:g}, beta={self.beta:g}, "
            + super().extra_repr()
        )
