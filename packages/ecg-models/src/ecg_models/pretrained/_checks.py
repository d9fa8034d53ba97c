"""Input checks shared by the pretrained models."""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["FS_RANGE", "check_input_fs"]

#: the input sampling rates the pretrained models accept, in Hz
FS_RANGE = (100.0, 2000.0)


def check_input_fs(fs: Any) -> float:
    """``fs`` (Hz) as a float in :data:`FS_RANGE`; TypeError for a non-number, ValueError outside."""
    if isinstance(fs, bool) or not isinstance(fs, numbers.Real):
        raise TypeError(f"fs must be a real number in Hz, got {fs!r} ({type(fs).__name__})")
    v = float(fs)
    lo, hi = FS_RANGE
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ValueError(f"fs must be a sampling rate in [{lo:g}, {hi:g}] Hz, got {fs!r}")
    return v
