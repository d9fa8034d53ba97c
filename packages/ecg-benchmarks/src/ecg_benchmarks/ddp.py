"""Running ``ecg-bench`` under ``torchrun``: who writes the run folder, and how ranks agree.

Under ``torchrun --nproc_per_node N`` every process runs the same command. Only rank 0 prepares
the output folder, writes ``config.toml``, ``metrics.json`` and ``report.md``; the other ranks
wait at a barrier and then use the folder rank 0 chose (its name is broadcast, so a default
``runs/NAME-<timestamp>`` is the same on every rank). A refusal on rank 0 (e.g. a folder that
holds a finished run) is broadcast too, so every rank exits with the same message instead of
waiting forever. The process group is created here (gloo on the CPU, nccl on CUDA) when torchrun
launched the command and nobody created it yet; the trainer then reuses it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import torch

__all__ = ["DistContext", "env_rank", "env_world_size"]

T = TypeVar("T")


def env_world_size() -> int:
    """``WORLD_SIZE`` set by torchrun (1 when absent or malformed)."""
    try:
        return max(1, int(os.environ.get("WORLD_SIZE", "1")))
    except ValueError:
        return 1


def env_rank() -> int:
    """``RANK`` (else ``LOCAL_RANK``) set by torchrun (0 when absent or malformed)."""
    for key in ("RANK", "LOCAL_RANK"):
        value = os.environ.get(key)
        if value is not None:
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


@dataclass(slots=True)
class DistContext:
    """The distributed state of one ``ecg-bench`` process.

    Attributes:
        rank: global rank (0 when not distributed).
        world_size: number of processes (1 when not distributed).
        owns_group: True when :meth:`setup` created the process group (destroyed by :meth:`close`).
    """

    rank: int = 0
    world_size: int = 1
    owns_group: bool = False
    _closed: bool = field(default=False, repr=False)

    @property
    def is_main(self) -> bool:
        """True on rank 0 (the process that writes the run folder)."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        """True when more than one process takes part."""
        return self.world_size > 1 and _initialized()

    @classmethod
    def setup(cls, device: str = "cpu") -> DistContext:
        """Join (or create) the process group when launched by torchrun with ``WORLD_SIZE`` > 1.

        Args:
            device: ``"cpu"`` (gloo backend) or ``"cuda"`` (nccl, one GPU per ``LOCAL_RANK``).
        """
        import torch.distributed as dist

        if not dist.is_available():
            return cls()
        if dist.is_initialized():
            return cls(dist.get_rank(), dist.get_world_size(), owns_group=False)
        if env_world_size() <= 1:
            return cls(rank=env_rank(), world_size=1)
        use_cuda = device == "cuda" and torch.cuda.is_available()
        if use_cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
        return cls(dist.get_rank(), dist.get_world_size(), owns_group=True)

    def barrier(self) -> None:
        """Wait for every rank (no-op when not distributed)."""
        if self.active:
            import torch.distributed as dist

            dist.barrier()

    def broadcast(self, value: T) -> T:
        """Rank 0's ``value`` on every rank (picklable objects; identity when not distributed)."""
        if not self.active:
            return value
        import torch.distributed as dist

        box: list[object] = [value if self.is_main else None]
        dist.broadcast_object_list(box, src=0)
        return box[0]  # type: ignore[return-value]

    def on_main(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on rank 0 and broadcast its result; an exception on rank 0 is re-raised on
        every rank (same type when it is one of the command's error classes, else RuntimeError).
        """
        result: T | None = None
        error: tuple[str, str] | None = None
        if self.is_main:
            try:
                result = fn()
            except Exception as exc:
                if not self.active:
                    raise
                error = (type(exc).__name__, str(exc))
        result, error = self.broadcast((result, error))
        if error is not None:
            raise _rebuild(*error)
        return result  # type: ignore[return-value]

    def close(self) -> None:
        """Destroy the process group if :meth:`setup` created it."""
        if self.owns_group and not self._closed and _initialized():
            import torch.distributed as dist

            dist.destroy_process_group()
        self._closed = True


def _initialized() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def _rebuild(kind: str, message: str) -> Exception:
    from ecg_benchmarks.base import BenchmarkError
    from ecg_benchmarks.runs import RunDirError
    from ecg_benchmarks.settings import SettingsError

    known: dict[str, type[Exception]] = {
        "BenchmarkError": BenchmarkError,
        "RunDirError": RunDirError,
        "SettingsError": SettingsError,
        "ValueError": ValueError,
        "TypeError": TypeError,
    }
    cls = known.get(kind)
    if cls is None:
        return RuntimeError(f"rank 0 failed: {kind}: {message}")
    return cls(message)
