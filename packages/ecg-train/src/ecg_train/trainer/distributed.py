"""torch.distributed helpers: process-group set-up under torchrun, samplers and reductions."""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterator, Mapping

import torch
import torch.distributed as dist
from torch.utils.data import Dataset, DistributedSampler, Sampler

__all__ = [
    "init_distributed",
    "is_distributed",
    "rank",
    "world_size",
    "is_main_process",
    "ResumableDistributedSampler",
    "ShardSampler",
    "check_metrics",
    "reduce_metrics",
    "all_reduce_flag",
]


def is_distributed() -> bool:
    """True inside an initialised process group with more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """Global rank (0 when not distributed)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    """Number of processes (1 when not distributed)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_main_process() -> bool:
    """True on rank 0."""
    return rank() == 0


def init_distributed(device: torch.device) -> bool:
    """Initialise the default process group when launched by torchrun (``WORLD_SIZE`` > 1).

    Uses gloo on the CPU and nccl on CUDA. Returns True if this call created the group.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    if dist.is_initialized():
        return False
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return True


class ResumableDistributedSampler(DistributedSampler[int]):
    """``DistributedSampler`` that can skip the samples already consumed in the current epoch.

    The permutation depends only on ``(seed, epoch)``, so a resumed run sees the same order. With
    ``num_replicas=1`` the order equals the union of the ranks' orders of a multi-process run:
    rank ``r`` takes ``perm[r::world]``, so the first ``B / world`` samples of every rank form
    the first global batch ``perm[:B]``.
    """

    def __init__(
        self,
        dataset: Dataset[object],
        *,
        num_replicas: int,
        rank: int,
        shuffle: bool,
        seed: int,
        drop_last: bool = False,
    ) -> None:
        super().__init__(
            dataset,
            num_replicas=num_replicas,
            rank=rank,
            shuffle=shuffle,
            seed=seed,
            drop_last=drop_last,
        )
        self.skip = 0

    def __iter__(self) -> Iterator[int]:
        indices = list(super().__iter__())
        return iter(indices[self.skip :])

    def __len__(self) -> int:
        return max(0, self.num_samples - self.skip)


class ShardSampler(Sampler[int]):
    """Sequential, non-padded shard ``range(rank, n, world)`` for evaluation."""

    def __init__(self, n: int, *, num_replicas: int, rank: int) -> None:
        self.indices = list(range(rank, n, num_replicas))

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def check_metrics(metrics: object, source: str) -> dict[str, float]:
    """``metrics`` as a ``dict[str, float]``, or a ``TypeError`` naming ``source`` and the value.

    Accepts a mapping of ``str`` names to real numbers (Python, numpy or one-element tensors).

    Args:
        metrics: what ``source`` returned.
        source: the method that returned it, e.g. ``"MyTrainer.evaluate"``.
    """
    want = "a dict[str, float] of metric names to values"
    if not isinstance(metrics, Mapping):
        raise TypeError(
            f"{source} must return {want}, got {metrics!r} ({type(metrics).__name__})"[:500]
        )
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if not isinstance(key, str):
            raise TypeError(f"{source} must return {want}; key {key!r} is not a str")
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{source} must return {want}; {key!r} is {value!r} ({type(value).__name__})"[:500]
            )
        out[key] = float(value)
    return out


def reduce_metrics(metrics: Mapping[str, float], weight: float = 1.0) -> dict[str, float]:
    """Weighted mean of each metric over ranks (identity when not distributed).

    Args:
        metrics: the same keys on every rank.
        weight: this rank's weight, e.g. the number of evaluated samples.
    """
    if not is_distributed():
        return {k: float(v) for k, v in metrics.items()}
    keys = sorted(metrics)
    vals = torch.tensor([float(metrics[k]) * weight for k in keys] + [weight], dtype=torch.float64)
    dist.all_reduce(vals, op=dist.ReduceOp.SUM)
    total = float(vals[-1])
    return {k: float(vals[i]) / total for i, k in enumerate(keys)}


def all_reduce_flag(flag: bool) -> bool:
    """True if ``flag`` is True on any rank."""
    if not is_distributed():
        return flag
    t = torch.tensor([1.0 if flag else 0.0])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)
