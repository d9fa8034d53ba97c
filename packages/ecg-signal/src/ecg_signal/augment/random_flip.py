"""Random sign flip of whole ECGs or of single leads (torch_ecg's ``RandomFlip``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ecg_signal.augment._config import check_fs_opt, check_prob_pair, check_seed
from ecg_signal.augment.base import Augmenter, AugmentOutput

__all__ = ["RandomFlip", "RandomFlipConfig"]


@dataclass(slots=True)
class RandomFlipConfig:
    """Configuration of :class:`RandomFlip`.

    Attributes:
        fs: sampling rate in Hz (unused).
        per_channel: flip single leads (True) or whole ECGs (False).
        prob: ``(batch_prob, lead_prob)`` or one probability for both: the fraction of the
            batch that is flipped and, with ``per_channel``, the fraction of leads flipped in each.
        inplace: write into the input tensor.
        seed: seed of the private generator.
    """

    fs: float | None = None
    per_channel: bool = True
    prob: float | tuple[float, float] = (0.4, 0.2)
    inplace: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        self.fs = check_fs_opt(self.fs)
        if not isinstance(self.per_channel, bool):
            raise TypeError(f"per_channel must be a bool, got {self.per_channel!r}")
        self.prob = check_prob_pair(self.prob, "lead")
        self.seed = check_seed(self.seed)


class RandomFlip(Augmenter):
    """Multiply the selected ECGs (or leads of the selected ECGs) by -1.

    The last flip pattern, a ``(batch, leads)`` boolean tensor, is kept in ``last_flip``.

    Shapes:
        ``sig``: ``(batch, leads, samples)``; label and extras pass through unchanged.
    """

    name = "random_flip"
    config_class = RandomFlipConfig

    def __init__(
        self,
        fs: float | None = None,
        per_channel: bool = True,
        prob: float | Sequence[float] = (0.4, 0.2),
        inplace: bool = False,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        cfg = RandomFlipConfig(fs, per_channel, check_prob_pair(prob, "lead"), inplace, seed)
        probs = check_prob_pair(cfg.prob, "lead")
        super().__init__(probs[0], cfg.inplace, seed=cfg.seed, generator=generator)
        self.config = cfg
        self.per_channel = cfg.per_channel
        self.lead_prob = probs[1]
        self.last_flip: torch.Tensor | None = None

    def _augment(
        self, sig: torch.Tensor, label: torch.Tensor | None, *extra: torch.Tensor, **kwargs: Any
    ) -> AugmentOutput:
        batch, leads, _ = sig.shape
        rows = self.batch_mask(self.prob, batch)
        if self.per_channel:
            flip = rows[:, None] & self.select_rows(self.lead_prob, batch, leads)
        else:
            flip = rows[:, None].expand(batch, leads)
        self.last_flip = flip
        items = flip.reshape(-1).nonzero(as_tuple=True)[0]
        if items.numel() == 0:
            return (sig, label, *extra)
        idx = items.to(sig.device)
        # negate only the chosen (batch, lead) rows: no pass over the untouched ones
        flat = sig.reshape(batch * leads, -1)
        if self.inplace and flat.data_ptr() == sig.data_ptr() and sig.is_contiguous():
            flat.index_copy_(0, idx, flat.index_select(0, idx).neg_())
            return (sig, label, *extra)
        out = flat.index_copy(0, idx, flat.index_select(0, idx).neg_()).view_as(sig)
        return (self._finish(sig, out), label, *extra)

    def extra_repr(self) -> str:
        return (
            f"per_channel={self.per_channel}, lead_prob={self.lead_prob:g}, " + super().extra_repr()
        )
