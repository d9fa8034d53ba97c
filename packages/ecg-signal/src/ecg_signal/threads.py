"""torch's intra-op thread count, set for a block of code and restored after it.

On a CPU shared with other jobs, OpenMP threads beyond the free cores spin-wait for each other
and can make small convolutions many times slower; code that knows one thread is enough (a
short resampling, a small network's training loop) runs under :func:`torch_threads`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["torch_threads"]


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads; the previous count is restored after it,
    also when it raises.

    Args:
        n: the thread count (a positive integer), or None to leave the setting alone.

    Raises:
        ValueError: ``n`` is not None nor a positive integer.
    """
    if n is None:
        yield
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer (torch threads) or None, got {n!r}")
    import torch

    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
