"""SIGINT / SIGTERM during training: handlers that ask the loop to stop after its step."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

__all__ = ["stop_signal_handlers"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def stop_signal_handlers(request_stop: Callable[[str], None]) -> Iterator[None]:
    """Inside the block, SIGINT and SIGTERM call ``request_stop(signal name)`` instead of
    their handlers; the previous handlers come back after it. Outside the main thread (where
    Python cannot install handlers) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        request_stop(signal.Signals(signum).name)

    old = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
