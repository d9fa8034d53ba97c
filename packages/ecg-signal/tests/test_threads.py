"""torch_threads: the count inside the block, restored after it (also on an exception)."""

from __future__ import annotations

import pytest
import torch

from ecg_signal.threads import torch_threads


def test_sets_and_restores_the_thread_count() -> None:
    before = torch.get_num_threads()
    outer = 2 if before == 1 else 1
    inner = 3 if outer != 3 else 1
    torch.set_num_threads(outer)
    try:
        with torch_threads(inner):
            assert torch.get_num_threads() == inner
        assert torch.get_num_threads() == outer
        seen: list[int] = []

        def fail() -> None:
            with torch_threads(inner):
                seen.append(torch.get_num_threads())
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            fail()
        assert seen == [inner]
        assert torch.get_num_threads() == outer
        with torch_threads(None):
            assert torch.get_num_threads() == outer
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_a_bad_count_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="n must be a positive integer"), torch_threads(bad):  # type: ignore[arg-type]
        pass
