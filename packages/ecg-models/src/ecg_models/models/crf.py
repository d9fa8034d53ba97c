"""A linear-chain conditional random field (Lafferty et al., ICML 2001) in torch: negative
log-likelihood by the forward algorithm and Viterbi decoding.

Emissions are ``(batch, seq_len, num_tags)``; tags ``(batch, seq_len)`` (int64); the optional
mask ``(batch, seq_len)`` (bool) marks valid steps and must be true at step 0 and contiguous.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["CRF"]


class CRF(nn.Module):
    """Linear-chain CRF with start, end and transition scores.

    The score of a tag path ``y`` is
    ``start[y_0] + sum_t emit[t, y_t] + sum_{t>0} trans[y_{t-1}, y_t] + end[y_T]``, and
    ``p(y | x) = exp(score(y)) / sum_y' exp(score(y'))``.

    Shapes: ``emissions`` ``(batch, steps, num_tags)`` (unnormalised scores), ``tags``
    ``(batch, steps)`` (int64 tag indices), ``mask`` ``(batch, steps)`` (bool, True on valid steps;
    every sequence starts with a valid step).

    Args:
        num_tags: number of tags (classes).
    """

    def __init__(self, num_tags: int) -> None:
        super().__init__()
        if isinstance(num_tags, bool) or not isinstance(num_tags, int) or num_tags < 1:
            raise ValueError(f"num_tags must be a positive int, got {num_tags!r}")
        self.num_tags = num_tags
        self.start_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.end_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags).uniform_(-0.1, 0.1))

    def _check(self, emissions: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if emissions.dim() != 3 or emissions.shape[-1] != self.num_tags:
            raise ValueError(
                f"emissions must be (batch, seq_len, num_tags={self.num_tags}), "
                f"got shape {tuple(emissions.shape)}"
            )
        if emissions.shape[1] < 1:
            raise ValueError("emissions need at least one time step")
        if mask is None:
            return torch.ones(emissions.shape[:2], dtype=torch.bool, device=emissions.device)
        if mask.shape != emissions.shape[:2]:
            raise ValueError(
                f"mask must be (batch, seq_len) = {tuple(emissions.shape[:2])}, "
                f"got {tuple(mask.shape)}"
            )
        mask = mask.to(torch.bool)
        if not bool(mask[:, 0].all()):
            raise ValueError("mask must be true at the first time step of every sequence")
        return mask

    def score(
        self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Unnormalised score of the tag paths, shape ``(batch,)``."""
        mask = self._check(emissions, mask)
        if tags.shape != emissions.shape[:2]:
            raise ValueError(
                f"tags must be (batch, seq_len) = {tuple(emissions.shape[:2])}, "
                f"got {tuple(tags.shape)}"
            )
        tags = tags.long()
        if bool(((tags < 0) | (tags >= self.num_tags)).any()):
            raise ValueError(f"tags must lie in [0, {self.num_tags - 1}]")
        b = torch.arange(emissions.shape[0], device=emissions.device)
        m = mask.to(emissions.dtype)
        s = self.start_transitions[tags[:, 0]] + emissions[b, 0, tags[:, 0]]
        for t in range(1, emissions.shape[1]):
            step = self.transitions[tags[:, t - 1], tags[:, t]] + emissions[b, t, tags[:, t]]
            s = s + step * m[:, t]
        last = mask.long().sum(dim=1) - 1
        s = s + self.end_transitions[tags[b, last]]
        return s

    def log_partition(
        self, emissions: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``log sum_y exp(score(y))`` by the forward algorithm, shape ``(batch,)``."""
        mask = self._check(emissions, mask)
        alpha = self.start_transitions + emissions[:, 0]  # (batch, tags)
        for t in range(1, emissions.shape[1]):
            nxt = torch.logsumexp(
                alpha.unsqueeze(2) + self.transitions.unsqueeze(0) + emissions[:, t].unsqueeze(1),
                dim=1,
            )
            alpha = torch.where(mask[:, t].unsqueeze(1), nxt, alpha)
        return torch.logsumexp(alpha + self.end_transitions, dim=1)

    def neg_log_likelihood(
        self,
        emissions: torch.Tensor,
        tags: torch.Tensor,
        mask: torch.Tensor | None = None,
        reduction: str = "mean",
    ) -> torch.Tensor:
        """``-log p(tags | emissions)``, reduced by ``"mean"``, ``"sum"`` or ``"none"``."""
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        nll = self.log_partition(emissions, mask) - self.score(emissions, tags, mask)
        if reduction == "mean":
            return nll.mean()
        if reduction == "sum":
            return nll.sum()
        return nll

    @torch.no_grad()
    def decode(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> list[list[int]]:
        """Viterbi: the most likely tag path of each sequence (as long as its mask)."""
        mask = self._check(emissions, mask)
        score = self.start_transitions + emissions[:, 0]
        history: list[torch.Tensor] = []
        for t in range(1, emissions.shape[1]):
            cand = score.unsqueeze(2) + self.transitions.unsqueeze(0)  # (batch, from, to)
            best, idx = cand.max(dim=1)
            nxt = best + emissions[:, t]
            score = torch.where(mask[:, t].unsqueeze(1), nxt, score)
            history.append(idx)
        score = score + self.end_transitions
        lengths = mask.long().sum(dim=1)
        paths: list[list[int]] = []
        for b in range(emissions.shape[0]):
            best_tag = int(score[b].argmax())
            path = [best_tag]
            for t in range(int(lengths[b]) - 1, 0, -1):
                best_tag = int(history[t - 1][b, best_tag])
                path.append(best_tag)
            paths.append(path[::-1])
        return paths
