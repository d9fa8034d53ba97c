"""Mixup: convex combinations of pairs of examples and of their labels.

Zhang, Cisse, Dauphin, Lopez-Paz, "mixup: Beyond Empirical Risk Minimization", ICLR 2018.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ecg_signal.augment._config import check_beta_shapes, check_fs_opt, check_seed
from ecg_signal.augment.base import Augmenter, AugmentOutput

__all__ = ["Mixup", "MixupConfig", "pair_permutation", "sample_beta"]


@dataclass(slots=True)
class MixupConfig:
    """Configuration of :class:`Mixup`.

    Attributes:
        fs: sampling rate in Hz (unused, accepted for a uniform manager config).
        alpha: first shape parameter (> 0) of the Beta distribution of ``lam``.
        beta: second shape parameter (> 0); None means ``alpha``.
        prob: fraction of the batch that is mixed with another (randomly permuted) element.
        inplace: write the result into the input tensors.
        seed: seed of the private generator.
    """

    fs: float | None = None
    alpha: float = 0.5
    beta: float | None = None
    prob: float = 0.5
    inplace: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        self.fs = check_fs_opt(self.fs)
        self.alpha, self.beta = check_beta_shapes(self.alpha, self.beta)
        self.seed = check_seed(self.seed)


def pair_permutation(aug: Augmenter, prob: float, batch: int) -> torch.Tensor:
    """Partner index of each batch element: the selected elements are shuffled among themselves.

    Elements that are not selected are their own partner (mixing with oneself is the identity),
    as in torch_ecg.
    """
    partner = torch.arange(batch)
    chosen = aug.get_indices(prob, batch)
    if chosen.numel() > 1:
        partner[chosen] = chosen[torch.randperm(chosen.numel(), generator=aug.generator)]
    return partner


class Mixup(Augmenter):
    """Mixup with one ``lam ~ Beta(alpha, beta)`` per call.

    ``sig[i] <- lam * sig[i] + (1 - lam) * sig[p(i)]`` and the same for ``label``, where ``p``
    shuffles the selected elements among themselves. Extra tensors pass through unchanged.
    The last ``lam`` and ``p`` are kept in ``last_lam`` and ``last_partner``.

    Shapes:
        ``sig``: ``(batch, leads, samples)``; ``label``: ``(batch, ...)``, floating point.
    """

    name = "mixup"
    config_class = MixupConfig

    def __init__(
        self,
        fs: float | None = None,
        alpha: float = 0.5,
        beta: float | None = None,
        prob: float = 0.5,
        inplace: bool = False,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        cfg = MixupConfig(fs, alpha, beta, prob, inplace, seed)
        super().__init__(cfg.prob, cfg.inplace, seed=cfg.seed, generator=generator)
        self.config = cfg
        self.alpha = cfg.alpha
        self.beta = cfg.alpha if cfg.beta is None else cfg.beta
        self.last_lam: float | None = None
        self.last_partner: torch.Tensor | None = None

    def sample_lam(self) -> float:
        """Draw ``lam ~ Beta(alpha, beta)`` from the private generator."""
        return float(sample_beta(self.generator, self.alpha, self.beta))

    def _augment(
        self, sig: torch.Tensor, label: torch.Tensor | None, *extra: torch.Tensor, **kwargs: Any
    ) -> AugmentOutput:
        batch = sig.shape[0]
        lam = self.sample_lam()
        partner = pair_permutation(self, self.prob, batch)
        self.last_lam, self.last_partner = lam, partner
        if label is not None and not torch.is_floating_point(label):
            raise TypeError(
                f"mixup needs floating-point (e.g. one-hot) labels, got dtype {label.dtype}"
            )
        moved = (partner != torch.arange(batch)).nonzero(as_tuple=True)[0]
        if moved.numel() == 0:  # every element is its own partner: the identity
            return (sig, label, *extra)
        src = partner[moved]

        def mix(t: torch.Tensor) -> torch.Tensor:
            # only the rows with another partner change: lam * t[i] + (1 - lam) * t[p(i)]
            r, q = moved.to(t.device), src.to(t.device)
            rows = torch.lerp(t.index_select(0, q), t.index_select(0, r), lam)
            return t.index_copy_(0, r, rows) if self.inplace else t.index_copy(0, r, rows)

        return (mix(sig), None if label is None else mix(label), *extra)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha:g}, beta={self.beta:g}, " + super().extra_repr()


def sample_beta(gen: torch.Generator, alpha: float, beta: float, size: int | None = None) -> Any:
    """Beta(alpha, beta) variates (a float, or a float64 ndarray of ``size``) seeded from ``gen``.

    numpy's Beta sampler is used with a seed drawn from the torch generator, so that a seeded
    augmenter reproduces its draws bit for bit.
    """
    seed = int(torch.randint(0, 2**62, (1,), generator=gen).item())
    rng = np.random.default_rng(seed)
    if size is None:
        return float(rng.beta(alpha, beta))
    return rng.beta(alpha, beta, size=size)
